package deploy

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/util/validation"

	imageref "github.com/knative-preview/action/internal/image"
	"github.com/knative-preview/action/internal/ingress"
	"github.com/knative-preview/action/internal/input"
)

// DefaultNamespace holds the Service when the namespace input is empty.
const DefaultNamespace = "default"

// Inputs are the inputs of the deploy stage (image is the configuration's:
// the cluster target reads it too).
var Inputs = slices.Concat([]input.Def{
	{
		Name:        "mode",
		Default:     string(modeAuto),
		Description: "auto: down when the run is for a pull request being closed, or lacking preview-label (removing that pull request's preview), up otherwise; up: install and deploy (and measure); down: remove the preview: with a tag, only that tag's route and Secrets, else the Knative Service (and its namespace if this action created it and nothing else is in it); with namespace auto in a pull request, the pull request's namespace as a whole; sweep (for a scheduled workflow on a cluster you keep): remove the previews this action made (found by their labels, in namespace, or every namespace with namespace: \"*\") whose pull request is no longer open, and with max-age those not deployed for longer, as down removes one; edit their comments and set their deployments inactive. On the command line: the verbs up, down and sweep.",
	},
	{
		Name:        "service",
		Description: "Name of the Knative Service. Empty: the repository's name, made a DNS label (shortened with a hash suffix when too long); in a pull request without a tag or namespace auto, that name and -pr-<number>, a Service per pull request. With service-file: the file's Service the single-Service inputs apply to (default: its first).",
	},
	{
		Name:        "namespace",
		Default:     DefaultNamespace,
		Description: "Namespace of the Knative Service; created (and labelled as managed by this action) when missing. auto: in a pull request, <repository>-pr-<number>, the pull request's own: created labelled with it, the Services keep their names, and closing the pull request deletes the namespace as a whole; outside a pull request, default. With mode sweep, where to look; \"*\": every namespace.",
	},
	{
		Name:        "env",
		Multiline:   true,
		Description: "Environment variables of the container, one KEY=VALUE per line.",
	},
	{
		Name:        "secret-env",
		Multiline:   true,
		Secret:      true,
		Description: "Secret environment variables, one KEY=VALUE per line, each with a value: kept in a Secret owned by the Service, masked in the log.",
	},
	{
		Name:        "port",
		Description: "Port the container listens on. Empty: Knative's default (8080, as $PORT).",
	},
	{
		// Not "args": the runner passes an input of that name to a
		// container action as its command line when action.yml has no
		// runs.args (ContainerActionHandler in actions/runner).
		Name:        "container-args",
		Multiline:   true,
		Description: "Arguments of the Service's container, one per line (the image's CMD when empty).",
	},
	{
		Name:        "min-scale",
		Description: "Minimum number of pods (autoscaling.knative.dev/min-scale). Must be 0 (or empty) to measure cold starts.",
	},
	{
		Name:        "max-scale",
		Description: "Maximum number of pods (autoscaling.knative.dev/max-scale).",
	},
	{
		Name:        "concurrency",
		Description: "Requests one pod serves at once (containerConcurrency); 0 means no limit.",
	},
	{
		Name:        "request-timeout",
		Description: "Longest time a request may take, as a Go duration (timeoutSeconds).",
	},
	{
		Name:        "annotations",
		Multiline:   true,
		Description: "Annotations of the revision template, one key=value per line; merged with the Service's own.",
	},
	{
		Name:        "labels",
		Multiline:   true,
		Description: "Labels of the Service and its revisions, one key=value per line; merged with the Service's own.",
	},
	{
		Name:        "service-account",
		Description: "Kubernetes service account the pods run as.",
	},
	{
		Name:        "visibility",
		Default:     string(VisibilityExternal),
		Description: "external: reachable through the ingress; cluster-local: only inside the cluster (not requested, not measured).",
	},
	{
		Name:        "tag",
		Description: "Traffic tag: the new revision gets its own URL (<tag>-<service>.<namespace>.<domain>) without taking the main route's traffic, as previews want; each tag has its own Secrets, and down removes only its tag. auto: pr-<number> in a pull request (a preview per pull request on the repository's Service), no tag otherwise. Not with service-file.",
	},
	{
		Name:        "registry-username",
		Credential:  true, // a user:password pasted whole is refused without the password
		Description: "User name for pulling a private image; with registry-password it goes into a kubernetes.io/dockerconfigjson Secret owned by the Service and listed in its imagePullSecrets, written again on every run and removed with the preview. With both empty, on github.com, and an image of the repository owner's on ghcr.io (ghcr.io/<owner>/...): the workflow's actor (GITHUB_ACTOR) and github-token.",
	},
	{
		Name:        "registry-password",
		Secret:      true,
		Description: "Password or token for pulling a private image, with registry-username; masked in the log. Empty for an image of the repository owner's on ghcr.io: github-token, which needs `permissions: packages: read`. The job's token expires when the job ends: a preview on a cluster that outlives the job and must pull again later (a new node, a restart) needs a personal access token with read:packages, or a public package.",
	},
}, appInputs)

const acceptDNSLabel = "lower-case letters, digits and '-', starting with a letter, ending with a letter or digit, at most %d characters"

// Parse reads the deploy inputs; image is the image to deploy (validated
// by the configuration), githubToken the job's token (the registry
// password's default on ghcr.io), pr the pull request the run is for (nil
// outside one). The service defaults to the repository's name
// (GITHUB_REPOSITORY; on the command line, the folder one works in), with
// -pr-<number> in a pull request without a tag: a name is required only
// when there is an image to deploy or mode is down. Mode auto is resolved
// to up or down.
func Parse(r *input.Reader, image, githubToken string, pr *PullRequest) Options {
	o := Options{Image: image}
	parsePreview(r, &o, pr)
	parseContainer(r, &o)
	parseScale(r, &o)
	parseMetadata(r, &o)
	o.ServiceAccount = r.String("service-account")
	if o.ServiceAccount != "" {
		if msgs := validation.IsDNS1123Subdomain(o.ServiceAccount); len(msgs) > 0 {
			r.Bad("service-account", o.ServiceAccount, "is not a service account name ("+strings.Join(msgs, "; ")+")", "lower-case letters, digits, '-' and '.'")
		}
	}
	o.Visibility = Visibility(r.OneOf("visibility", "is not a visibility", string(VisibilityExternal), string(VisibilityClusterLocal)))
	parseApp(r, &o)
	o.Registry = parseRegistry(r, o.registryImage(), githubToken)
	return o
}

// parsePreview reads what names the preview and what the run does with it:
// the mode, the tag and the service, derived from the pull request where
// the inputs leave them to it.
func parsePreview(r *input.Reader, o *Options, pr *PullRequest) {
	if pr != nil && pr.Number > 0 {
		p := *pr
		if len(validation.IsValidLabelValue(p.HeadSHA)) > 0 {
			p.HeadSHA = "" // not a commit ID; the label is left out
		}
		if p.Repository == "" {
			p.Repository = repository(r)
		}
		o.Derived.PullRequest = &p
	}
	o.Mode = Mode(r.OneOf("mode", "is not a mode", string(modeAuto), string(ModeUp), string(ModeDown), string(ModeSweep)))
	if o.Mode == modeAuto {
		o.Mode = ModeUp
		if p := o.Derived.PullRequest; p != nil && (p.Closed || p.Unwanted) {
			o.Mode, o.Derived.Closing = ModeDown, true
		}
	}
	o.Namespace = parseNamespace(r, o)
	o.Tag = parseTag(r, o)
	// A tagged revision is named <service>-<tag>-xxxxx, which must fit a
	// DNS label too.
	maxService := maxNameLength
	if o.Tag != "" {
		maxService = maxNameLength - len(o.Tag) - 1 - revisionSuffixLength
	}
	o.Service = r.String("service")
	repo := repository(r)
	switch {
	case o.Service != "":
		if msgs := validation.IsDNS1035Label(o.Service); len(msgs) > 0 {
			r.Bad("service", o.Service, "is not a valid Knative Service name ("+strings.Join(msgs, "; ")+")", fmt.Sprintf(acceptDNSLabel, maxService))
		} else if len(o.Service) > maxService {
			r.Bad("service", o.Service, fmt.Sprintf("is too long with tag %q: the revision is named <service>-<tag>-xxxxx, at most %d characters", o.Tag, maxNameLength),
				fmt.Sprintf(acceptDNSLabel, maxService))
		}
	case repoName(repo) != "":
		// A pull request's own Service: the repository's name, shortened
		// so that the number stays whole.
		// In a namespace of its own the Service needs no number.
		suffix := ""
		if p := o.Derived.PullRequest; p != nil && o.Tag == "" {
			if !o.Derived.OwnNamespace {
				suffix = "-" + prName(p.Number)
			}
			o.Derived.OwnPreview = true
		}
		o.Service = serviceName(repoName(repo), maxService-len(suffix)) + suffix
	case (o.Image != "" || o.Mode == ModeDown) && r.String("service-file") == "":
		// With a service file the file names the Services.
		r.Bad("service", "", "is required: there is no repository (GITHUB_REPOSITORY) to name the service after", fmt.Sprintf(acceptDNSLabel, maxService))
	}
}

// parseTag reads the tag: auto is pr-<number> in a pull request, none
// outside one.
func parseTag(r *input.Reader, o *Options) string {
	tag := r.String("tag")
	if strings.EqualFold(tag, tagAuto) {
		tag = ""
		if p := o.Derived.PullRequest; p != nil {
			tag = prName(p.Number)
			o.Derived.OwnPreview = true
		}
	}
	if tag == "" {
		return ""
	}
	maxTag := maxNameLength - revisionSuffixLength - 1 - minDefaultName
	if msgs := validation.IsDNS1035Label(tag); len(msgs) > 0 {
		r.Bad("tag", tag, "is not a DNS label ("+strings.Join(msgs, "; ")+")", fmt.Sprintf(acceptDNSLabel, maxTag)+", or auto")
		return ""
	}
	if len(tag) > maxTag {
		r.Bad("tag", tag, "is too long: the tag's URL and revision names must stay DNS labels", fmt.Sprintf(acceptDNSLabel, maxTag)+", or auto")
		return ""
	}
	return tag
}

// parseNamespace reads the namespace, refusing the cluster's own; auto is
// the pull request's own namespace, or the default outside one; a sweep
// may look in every namespace.
func parseNamespace(r *input.Reader, o *Options) string {
	ns := r.String("namespace")
	if ns == AllNamespaces && o.Mode == ModeSweep {
		return ns
	}
	if strings.EqualFold(ns, NamespaceAuto) {
		p := o.Derived.PullRequest
		if p == nil {
			return DefaultNamespace
		}
		if repoName(repository(r)) == "" {
			r.Bad("namespace", ns, "needs the repository's name (GITHUB_REPOSITORY) to name the pull request's namespace", "a namespace name")
			return ""
		}
		o.Derived.OwnNamespace = true
		return PullRequestNamespace(repository(r), p.Number)
	}
	if msgs := validation.IsDNS1123Label(ns); len(msgs) > 0 {
		r.Bad("namespace", ns, "is not a namespace name ("+strings.Join(msgs, "; ")+")",
			"lower-case letters, digits and '-', starting and ending with a letter or digit, at most 63 characters")
	} else if slices.Contains(systemNamespaces(), ns) {
		r.Bad("namespace", ns, "belongs to Kubernetes, Knative or a networking layer: an app deployed there could break the cluster, and down would delete it from there",
			"a namespace of your own, e.g. previews (created when missing)")
	}
	return ns
}

// parseContainer reads the container's environment, port, arguments and
// request timeout.
func parseContainer(r *input.Reader, o *Options) {
	o.Env = parseEnv(r, "env")
	o.SecretEnv = parseEnv(r, "secret-env")
	for _, s := range o.SecretEnv {
		if slices.ContainsFunc(o.Env, func(e EnvVar) bool { return e.Name == s.Name }) {
			r.Bad("secret-env", "", fmt.Sprintf("%s is also set by input env", s.Name), "each variable in env or in secret-env, not both")
		}
	}
	if p, ok := r.Int("port", 1, 65535, "is not a port number", "1-65535"); ok {
		if slices.Contains(reservedPorts, int32(p)) {
			r.Bad("port", r.String("port"), "is reserved by Knative's queue-proxy", "1-65535 except "+joinInts(reservedPorts))
		} else {
			o.Port = int32(p)
		}
	}
	o.Args = r.Words("container-args")
	if d, ok := input.Check(r, "request-timeout", seconds.Parse, "whole seconds as a Go duration (30s, 5m) or a number of seconds"); ok {
		o.RequestTimeout = d
	}
}

// parseScale reads the autoscaling bounds and the concurrency limit.
func parseScale(r *input.Reader, o *Options) {
	o.MinScale = parseCount(r, "min-scale", 1<<31-1)
	o.MaxScale = parseCount(r, "max-scale", 1<<31-1)
	if o.MinScale != nil && o.MaxScale != nil && *o.MaxScale != 0 && *o.MinScale > *o.MaxScale {
		r.Bad("max-scale", r.String("max-scale"), fmt.Sprintf("is below min-scale %d", *o.MinScale), "0 (no limit), or a number at least min-scale")
	}
	if c := parseCount(r, "concurrency", maxConcurrency); c != nil {
		n := int64(*c)
		o.Concurrency = &n
	}
}

// parseMetadata reads the annotations and labels, refusing keys another
// input sets.
func parseMetadata(r *input.Reader, o *Options) {
	o.Annotations = parseMeta(r, "annotations", false)
	o.Labels = parseMeta(r, "labels", true)
	for k := range o.Annotations {
		switch {
		case k == minScaleKey && o.MinScale != nil:
			r.Bad("annotations", "", k+" is also set by input min-scale", "one of them")
		case k == maxScaleKey && o.MaxScale != nil:
			r.Bad("annotations", "", k+" is also set by input max-scale", "one of them")
		}
	}
	if _, ok := o.Labels[visibilityKey]; ok {
		r.Bad("labels", "", visibilityKey+" is set by input visibility", "any label but that one")
	}
}

// ghcr is GitHub's container registry, whose packages the job's token
// may read.
const ghcr = "ghcr.io"

// dockerHubServer is how a dockerconfigjson names Docker Hub: the key
// kubelet's credential keyring falls back to for every Docker Hub image
// (it reads it as index.docker.io), and kubectl's default --docker-server.
const dockerHubServer = "https://index.docker.io/v1/"

// parseRegistry reads the registry login for image: both inputs, or
// neither; for an image of the repository owner's on ghcr.io neither means
// the workflow's actor and githubToken. Nil when there is no login, or no image to pull.
func parseRegistry(r *input.Reader, image, githubToken string) *RegistryAuth {
	const accepted = "both registry-username and registry-password, or neither"
	user, pass := r.String("registry-username"), r.String("registry-password")
	registry := imageref.Registry(image)
	switch {
	case user == "" && pass == "":
		// Only for the repository owner's packages, which the job's token
		// may read: a public image of anyone else's would otherwise be
		// pulled with a token that may not read it, or that has expired.
		// And only on github.com: the token of GitHub Enterprise Server
		// is not ghcr.io's, and must not be sent there.
		actor := strings.TrimSpace(r.Getenv("GITHUB_ACTOR"))
		owner, _, _ := strings.Cut(r.Getenv("GITHUB_REPOSITORY"), "/")
		if registry != ghcr || githubToken == "" || actor == "" || owner == "" || !strings.EqualFold(imageref.Owner(image), owner) || !onGitHubCom(r.Getenv("GITHUB_SERVER_URL")) {
			return nil
		}
		user, pass = actor, githubToken
	case pass == "":
		r.Bad("registry-username", user, "is set but registry-password is not: a registry login needs both", accepted)
		return nil
	case user == "":
		r.Bad("registry-password", "", "is set but registry-username is not: a registry login needs both", accepted)
		return nil
	}
	if strings.Contains(user, ":") {
		r.Bad("registry-username", user, "has a ':', which a registry login (user:password) cannot carry", "a user name without ':'")
		return nil
	}
	if registry == "" {
		return nil // no image: nothing is pulled
	}
	server := registry
	if registry == "index.docker.io" { // Docker Hub, as image.Registry names it
		server = dockerHubServer
	}
	return &RegistryAuth{Server: server, Username: user, Password: pass}
}

// onGitHubCom reports whether the run is on github.com (server, the
// GITHUB_SERVER_URL, is it or unset), whose job tokens ghcr.io takes.
func onGitHubCom(server string) bool {
	server = strings.TrimSuffix(strings.TrimSpace(server), "/")
	return server == "" || strings.EqualFold(server, "https://github.com")
}

// repository is what the service is named after: GITHUB_REPOSITORY
// ("owner/name"), or on a laptop the folder one works in.
func repository(r *input.Reader) string {
	if repo := r.Getenv("GITHUB_REPOSITORY"); repo != "" {
		return repo
	}
	if r.Style() == input.FlagStyle {
		if wd, err := os.Getwd(); err == nil {
			return "local/" + filepath.Base(wd)
		}
	}
	return ""
}

// parseEnv reads KEY=VALUE lines into variables. Problems name the line;
// secret inputs never quote a line.
func parseEnv(r *input.Reader, name string) []EnvVar {
	var out []EnvVar
	for _, p := range r.KeyValues(name) {
		switch {
		case len(validation.IsEnvVarName(p.Key)) > 0:
			// In a secret input, what stands before the first '=' may be
			// the secret itself (a pasted key with '=' padding).
			what := fmt.Sprintf("%q is not a variable name", p.Key)
			if r.Secret(name) {
				what = "the text before '=' is not a variable name"
				r.Mask(p.Key)
			}
			r.Bad(name, "", fmt.Sprintf("line %d: %s", p.Line, what), "letters, digits, '_', '-' and '.', not starting with a digit")
		case slices.Contains(reservedEnv, p.Key):
			r.Bad(name, "", fmt.Sprintf("line %d: %s is set by Knative", p.Line, p.Key), "any name except "+strings.Join(reservedEnv, ", "))
		default:
			out = append(out, EnvVar{Name: p.Key, Value: p.Value})
		}
	}
	return out
}

// parseMeta reads KEY=VALUE lines into labels or annotations.
func parseMeta(r *input.Reader, name string, labels bool) map[string]string {
	pairs := r.KeyValues(name)
	if len(pairs) == 0 {
		return nil
	}
	out := map[string]string{}
	for _, p := range pairs {
		if msgs := validation.IsQualifiedName(p.Key); len(msgs) > 0 {
			r.Bad(name, "", fmt.Sprintf("line %d: %q is not a valid key (%s)", p.Line, p.Key, strings.Join(msgs, "; ")), "[prefix/]name, e.g. example.com/team")
			continue
		}
		if strings.HasPrefix(p.Key, ownPrefix) {
			r.Bad(name, "", fmt.Sprintf("line %d: keys under %s are this action's own", p.Line, ownPrefix), "any other key")
			continue
		}
		if labels {
			if msgs := validation.IsValidLabelValue(p.Value); len(msgs) > 0 {
				r.Bad(name, "", fmt.Sprintf("line %d: the value of %s is not a label value (%s)", p.Line, p.Key, strings.Join(msgs, "; ")), "at most 63 letters, digits, '-', '_' and '.'")
				continue
			}
		}
		out[p.Key] = p.Value
	}
	return out
}

// parseCount reads a whole number from 0 to hi; nil when empty.
func parseCount(r *input.Reader, name string, hi int64) *int32 {
	n, ok := r.Int(name, 0, hi, "is not a whole number in range", fmt.Sprintf("0-%d", hi))
	if !ok {
		return nil
	}
	c := int32(n)
	return &c
}

// seconds is what request-timeout and ready-timeout take: a whole number
// of seconds, at most 2^31 (however written).
var seconds = input.Span{Min: time.Second, Max: 1 << 31 * time.Second, Unit: time.Second}

// systemNamespaces are the namespaces of Kubernetes, of Knative Serving
// and of every networking layer this action installs.
func systemNamespaces() []string {
	out := []string{"kube-system", "kube-public", "kube-node-lease", "knative-serving"}
	for _, g := range ingress.All() {
		out = append(out, g.Namespaces...)
	}
	return out
}
