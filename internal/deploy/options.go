package deploy

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/knative-preview/action/internal/appfile"
)

// Mode is what a run does with the preview. After Parse, it is ModeUp or
// ModeDown: the mode input's auto is resolved.
type Mode string

// Modes of the mode input.
const (
	modeAuto  Mode = "auto"
	ModeUp    Mode = "up"
	ModeDown  Mode = "down"
	ModeSweep Mode = "sweep"
)

// AllNamespaces is the namespace input's value that has a sweep look in
// every namespace.
const AllNamespaces = "*"

// tagAuto is the tag input's value that names the tag after the pull
// request (pr-<number>), and means no tag outside one.
const tagAuto = "auto"

// Visibility is who may reach the Service.
type Visibility string

// Visibilities accepted by the visibility input.
const (
	VisibilityExternal     Visibility = "external"
	VisibilityClusterLocal Visibility = "cluster-local"
)

// maxNameLength is the longest Knative Service name: a DNS label.
const maxNameLength = validation.DNS1035LabelMaxLength

// revisionSuffixLength is what a tagged deploy adds to the service and tag
// to name its revision: "-" and five random characters, after "-<tag>".
const revisionSuffixLength = 6

// minDefaultName is the shortest default service name a tag may leave room for.
const minDefaultName = 12

// maxConcurrency is Knative's default container-concurrency-max-limit.
const maxConcurrency = 1000

// reservedEnv are the variables Knative sets itself and refuses in a spec.
var reservedEnv = []string{"PORT", "K_SERVICE", "K_CONFIGURATION", "K_REVISION"}

// reservedPorts are the ports Knative's queue-proxy uses and refuses for
// the user's container.
var reservedPorts = []int32{8008, 8012, 8013, 8022, 9090, 9091}

// EnvVar is one environment variable, in the order the input gave it.
type EnvVar struct {
	Name  string
	Value string
}

// PullRequest is the pull request a run is for, as far as the deploy needs
// it: its number names the preview, its head commit labels it, and a closed
// one is removed by mode auto.
type PullRequest struct {
	// Number is the pull request's number, above zero.
	Number int
	// HeadSHA is the commit the preview runs.
	HeadSHA string
	// Closed is true when the event is the pull request being closed
	// (merged or not).
	Closed bool
	// Unwanted is true when the pull request lacks the preview label:
	// mode auto then removes its preview, as for a closed one.
	Unwanted bool
	// Repository is the pull request's repository, owner/name
	// (GITHUB_REPOSITORY): pull requests of several repositories may
	// share a cluster, and their numbers do not tell them apart.
	Repository string
}

// RegistryAuth is a login to the image's registry, for pulling it.
type RegistryAuth struct {
	// Server is the registry as the dockerconfigjson's auths key names it.
	Server   string
	Username string
	Password string
}

// Options is what to deploy and how: the inputs as the user gave them,
// parsed, and apart from them what the run derives from them and from its
// event. Parse builds it from the inputs; a test or another package may
// build it directly. The zero value of an optional field leaves that part
// of the Service to Knative's defaults (or, on an update, as it is, unless
// this action set it on an earlier run and the input is now empty: then
// it is removed).
type Options struct {
	// Mode is ModeUp, ModeDown or ModeSweep.
	Mode Mode
	// Service is the Knative Service's name, a DNS-1035 label.
	Service string
	// Namespace holds the Service; created when missing.
	Namespace string
	// Image is the image to run. Required by Up.
	Image string
	// Env are plain environment variables of the container.
	Env []EnvVar
	// SecretEnv are environment variables whose values are kept in a Secret
	// owned by the Service and never printed.
	SecretEnv []EnvVar
	// Port is the container port Knative sends requests to; 0: Knative's
	// default (8080).
	Port int32
	// Args are the container's arguments; nil: the image's CMD.
	Args []string
	// MinScale and MaxScale set the autoscaling bounds; nil: not set.
	MinScale, MaxScale *int32
	// Concurrency is the hard limit of concurrent requests per pod
	// (containerConcurrency, 0 means unlimited); nil: not set.
	Concurrency *int64
	// RequestTimeout is the revision's timeoutSeconds; 0: not set.
	RequestTimeout time.Duration
	// Annotations go on the Service and its revisions; autoscaling ones
	// (autoscaling.knative.dev/...) only on the revisions, where Knative
	// accepts them.
	Annotations map[string]string
	// Labels go on the Service and its revisions.
	Labels map[string]string
	// ServiceAccount runs the pods; empty: not set.
	ServiceAccount string
	// Visibility is VisibilityExternal (or empty) or VisibilityClusterLocal.
	Visibility Visibility
	// Tag, when set, gives the new revision its own URL (tag-service...)
	// without moving the main route's traffic.
	Tag string
	// Registry, when set, is kept in a dockerconfigjson Secret that the
	// revision lists in imagePullSecrets.
	Registry *RegistryAuth
	// App is the app of input service-file: its Knative Services (the one
	// named Service is the primary, which the inputs above apply to) and
	// the objects beside them, images put in; nil: one Service running
	// Image.
	App *appfile.App
	// ReadyTimeout is Knative's progress deadline of every new revision
	// (serving.knative.dev/progress-deadline), and bounds the wait for the
	// objects beside the Services; 0: Knative's own (10m).
	ReadyTimeout time.Duration
	// Measured is the Service whose cold starts are measured and whose
	// history is kept when it is another of App's than Service; empty:
	// Service.
	Measured string
	// KeepsHistory says the run keeps the preview's figures on the cluster
	// (the history input is not off): removing a pull request's own
	// preview removes its history too.
	KeepsHistory bool

	// Derived is what the run derives from the inputs and its event.
	Derived Derived
}

// Derived is what a run derives from the inputs and its event, as opposed
// to what the user asked.
type Derived struct {
	// PullRequest labels the Service (when it is the pull request's own)
	// and its revision; nil outside a pull request.
	PullRequest *PullRequest
	// OwnPreview is set when the preview's name comes from the pull
	// request (see PullRequestsOwn).
	OwnPreview bool
	// Closing is set when mode auto became down for a closed pull
	// request, or one that lacks the preview label: then only that pull
	// request's preview is removed. An explicit mode down removes what it
	// names.
	Closing bool
	// OwnNamespace is set when the namespace is the pull request's own
	// (namespace auto in a pull request): the preview is the namespace,
	// created labelled with the pull request, and removing the preview
	// deletes the namespace as a whole.
	OwnNamespace bool
}

// NamespaceAuto is the namespace input's value that gives each pull
// request a namespace of its own (PullRequestNamespace), and means
// DefaultNamespace outside one.
const NamespaceAuto = "auto"

// PullRequestNamespace is the namespace of pull request number's preview
// with namespace auto: the repository's name (the part after the owner,
// made a DNS label as the default service name is) and -pr-<number>, at
// most 63 characters with the number kept whole.
func PullRequestNamespace(repository string, number int) string {
	suffix := "-pr-" + strconv.Itoa(number)
	return serviceName(repoName(repository), validation.DNS1123LabelMaxLength-len(suffix)) + suffix
}

// Deploys reports whether the run deploys anything: an image, or the app
// of a service file.
func (o Options) Deploys() bool { return o.Image != "" || o.App != nil }

// ClusterLocal reports whether the Service named name is reachable only
// inside the cluster: the visibility input for the primary Service, else
// (and for the primary when the input is external) the file's label.
func (o Options) ClusterLocal(name string) bool {
	if name == o.Service && o.Visibility == VisibilityClusterLocal {
		return true
	}
	if o.App != nil {
		if s := o.App.Service(name); s != nil {
			return s.Labels[visibilityKey] == string(VisibilityClusterLocal)
		}
	}
	return false
}

// MeasuredService is the Service whose cold starts are measured.
func (o Options) MeasuredService() string {
	if o.Measured != "" {
		return o.Measured
	}
	return o.Service
}

// HistoryName is whose figures the run keeps: the measured Service's, or
// for the primary its preview's (with a tag, "<service>.<tag>").
func (o Options) HistoryName() string {
	if o.Measured != "" && o.Measured != o.Service {
		return o.Measured
	}
	return o.Preview()
}

// Secrets returns the values that must be masked in every log and output.
func (o Options) Secrets() []string {
	var out []string
	for _, e := range o.SecretEnv {
		if e.Value != "" {
			out = append(out, e.Value)
		}
	}
	if o.Registry != nil && o.Registry.Password != "" {
		out = append(out, o.Registry.Password)
	}
	return out
}

// Plan says what Up, or Down in mode down, does with these options, one
// step a line, for a dry run's plan.
func (o Options) Plan() []string {
	svc := fmt.Sprintf("the Knative Service %s/%s", o.Namespace, o.Service)
	if o.Mode == ModeDown && o.Derived.OwnNamespace {
		return []string{fmt.Sprintf("delete namespace %s, pull request #%d's own, with everything in it (only if this action labelled it as that pull request's); nothing outside it is touched", o.Namespace, o.Derived.PullRequest.Number)}
	}
	if o.Mode == ModeDown && o.App != nil {
		return []string{o.appDownPlan()}
	}
	if o.App != nil {
		return o.appPlan()
	}
	if o.Mode == ModeDown {
		if o.Tag != "" {
			return []string{fmt.Sprintf("remove tag %s from %s, and the tag's Secrets unless a route still serves its revision; the Service and its other tags stay", o.Tag, svc)}
		}
		return []string{fmt.Sprintf("delete %s and its Secrets (and the namespace if this action created it and nothing else is in it)", svc)}
	}
	first := fmt.Sprintf("create or update %s running %s (a new revision every run)", svc, o.Image)
	if o.Tag != "" {
		first += fmt.Sprintf(", tagged %s with a URL of its own; the main route's traffic stays where it is", o.Tag)
	}
	if pr := o.Derived.PullRequest; pr != nil {
		first += fmt.Sprintf("; labelled with pull request #%d", pr.Number)
	}
	out := append([]string{first}, o.secretsPlan()...)
	return append(out,
		"wait until it is Ready, ending early with the reason when its pods cannot pull the image, crash, lack configuration or cannot be scheduled",
		"request its URL (directly, else through the ingress with its Host header) until it answers")
}

// PullRequestsOwn reports whether the preview is named after the pull
// request (the Service <repository>-pr-<number>, or tag auto's
// pr-<number>), so that what is kept under its name is the pull
// request's alone. A service or tag input may be shared.
func (o Options) PullRequestsOwn() bool { return o.Derived.OwnPreview }

// Preview is the prefix of the names of what belongs to one preview (its
// Secrets, its history): the Service, or with a tag "<service>.<tag>",
// since every tag of a Service is a preview of its own and must share
// nothing with another. The dot keeps a tag's names apart from those of a
// Service named "<service>-<tag>": a Service name has no dot.
func (o Options) Preview() string {
	if o.Tag != "" {
		return o.Service + "." + o.Tag
	}
	return o.Service
}

// secretName is the Secret holding SecretEnv.
func (o Options) secretName() string { return o.Preview() + "-secret-env" }

// registrySecretName is the Secret holding the registry login.
func (o Options) registrySecretName() string { return o.Preview() + "-registry" }

// repoName is the name part of a repository ("owner/name" or "name").
func repoName(repo string) string {
	repo = strings.TrimSpace(repo)
	if i := strings.LastIndexByte(repo, '/'); i >= 0 {
		repo = repo[i+1:]
	}
	return repo
}

// serviceName turns a repository's name into a Knative Service name of
// at most maxLen characters: lower-cased, every run of other characters
// than letters and digits made one '-', prefixed with "app-" when it
// starts with a digit. A name that needed more than lower-casing, or is
// longer than maxLen, is cut and ends in '-' and 8 hex digits of its
// SHA-256, so distinct names (ignoring case, as GitHub does) do not
// collide.
func serviceName(name string, maxLen int) string {
	lower := strings.ToLower(name)
	var b strings.Builder
	dash := false
	for _, r := range lower {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
			dash = false
		} else if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	s := strings.TrimRight(b.String(), "-")
	switch {
	case s == "":
		s = "app"
	case s[0] >= '0' && s[0] <= '9':
		s = "app-" + s
	}
	if s == lower && len(s) <= maxLen {
		return s
	}
	sum := sha256.Sum256([]byte(lower))
	suffix := "-" + hex.EncodeToString(sum[:4])
	if keep := maxLen - len(suffix); len(s) > keep {
		s = strings.TrimRight(s[:keep], "-")
	}
	return s + suffix
}

func joinInts(ns []int32) string {
	s := make([]string, len(ns))
	for i, n := range ns {
		s[i] = strconv.Itoa(int(n))
	}
	return strings.Join(s, ", ")
}

// sortedKeys returns m's keys in order, for stable output.
func sortedKeys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// secretsPlan says which Secrets Up writes.
func (o Options) secretsPlan() []string {
	var out []string
	if len(o.SecretEnv) > 0 {
		out = append(out, fmt.Sprintf("write the %d secret-env variables into Secret %s/%s, owned by the Service", len(o.SecretEnv), o.Namespace, o.secretName()))
	}
	if o.Registry != nil {
		listed := "its imagePullSecrets"
		if o.App != nil {
			listed = "every Service's imagePullSecrets"
		}
		out = append(out, fmt.Sprintf("write the login to %s (user %s) into Secret %s/%s, owned by the Service and listed in %s",
			o.Registry.Server, o.Registry.Username, o.Namespace, o.registrySecretName(), listed))
	}
	return out
}

// WithMeasuredAnnotations returns o with the annotations add gives the
// measured Service's revisions, where the user set none: add is given
// what the user set (the file's template annotations, and for the primary
// the annotations input over them) and returns it with its own added. On
// the primary they become annotations of the input; on another of the
// app's Services they are added to a copy of its template.
func (o Options) WithMeasuredAnnotations(add func(map[string]string) map[string]string) Options {
	name := o.MeasuredService()
	var user map[string]string
	if o.App != nil {
		svc := o.App.Service(name)
		if svc == nil {
			return o
		}
		user = maps.Clone(svc.Spec.Template.Annotations)
	}
	if name == o.Service {
		user = withAll(user, o.Annotations)
	}
	added := map[string]string{}
	for k, v := range add(maps.Clone(user)) {
		if _, set := user[k]; !set {
			added[k] = v
		}
	}
	if name == o.Service {
		o.Annotations = withAll(maps.Clone(o.Annotations), added)
		return o
	}
	app := *o.App
	app.Services = slices.Clone(app.Services)
	for i, s := range app.Services {
		if s.Name == name {
			c := s.DeepCopy()
			c.Spec.Template.Annotations = withAll(c.Spec.Template.Annotations, added)
			app.Services[i] = c
		}
	}
	o.App = &app
	return o
}

// withAll is m with every key of more set, m made when nil.
func withAll(m, more map[string]string) map[string]string {
	if m == nil && len(more) > 0 {
		m = map[string]string{}
	}
	maps.Copy(m, more)
	return m
}
