package kubeconfig

import (
	"fmt"

	"github.com/knative-preview/action/internal/cluster"
	"github.com/knative-preview/action/internal/cluster/gke"
	"github.com/knative-preview/action/internal/cluster/kind"
	"github.com/knative-preview/action/internal/input"
	"github.com/knative-preview/action/internal/kubecfg"
)

// Inputs are the inputs the kubeconfig target reads.
var Inputs = []input.Def{
	{
		Name:        "kubeconfig",
		Multiline:   true,
		Description: "Kubeconfig for cluster: kubeconfig, as a file path (relative to the workspace) or as the file's content (YAML, or its base64 encoding, e.g. from a secret). Empty: the files in $KUBECONFIG, else ~/.kube/config. Credentials in it are masked in the log.",
	},
	{
		Name:        "context",
		Description: "Kubeconfig context to use. Empty: the kubeconfig's current-context, or its only context.",
	},
}

// Options say which cluster the target reaches.
type Options struct {
	// Source is the loaded kubeconfig.
	Source *kubecfg.Source
	// Context is the resolved context, one of Source's.
	Context string
	// InAction is true when this process is the container action: its
	// image has no credential plugin, so the context's user may not run an
	// exec plugin, but for gke-gcloud-auth-plugin, which is replaced by a
	// token of Google's Application Default Credentials. Elsewhere (the
	// CLI) plugins run as kubectl runs them.
	InAction bool
	// Getenv reads the environment (GOOGLE_APPLICATION_CREDENTIALS);
	// nil: os.Getenv.
	Getenv func(string) string
	// Runner has the seams that find the runner's Docker and the action's
	// container in it (Docker, Hostname, ContainerMarkers, MountInfo,
	// Getenv), for an API server on loopback in the action
	// (kind.ReachLoopback); its inputs are not read. Zero: the real ones.
	Runner kind.Options
}

// Secrets lists the kubeconfig's credentials, to be masked.
func (o Options) Secrets() []string {
	if o.Source == nil {
		return nil
	}
	return o.Source.Secrets
}

// Parse loads the kubeconfig the inputs name (a path, content, or the
// defaults of $KUBECONFIG and ~/.kube/config), reading paths from the host
// workspace in the container's (see input.Reader.Path), and resolves the context; it
// never contacts the cluster. A kubeconfig value is never quoted in a
// problem: it may be content with credentials.
//
// In the action, an exec credential plugin the image cannot run is refused
// here, before anything is contacted or run (see Options.InAction).
func Parse(r *input.Reader) Options {
	o := Options{InAction: r.InAction(), Getenv: gke.Env(r)}
	src, err := kubecfg.Loader{Getenv: r.Env(), MapPath: r.Path, InContainerAction: o.InAction}.Load(r.Raw("kubeconfig"))
	if err != nil {
		r.Bad("kubeconfig", "", err.Error(), "")
		return o
	}
	o.Source = src
	name, err := src.ResolveContext(r.String("context"))
	if err != nil {
		r.Bad("context", "", err.Error(), "")
	} else if _, err := src.RESTConfig(name); err != nil {
		r.Bad("context", "", err.Error(), "")
	} else if err := refusedPlugin(src, name, o.InAction); err != nil {
		r.Bad("kubeconfig", "", err.Error(), "")
	} else {
		o.Context = name
	}
	return o
}

// refusedPlugin says why the user of context cannot get its credentials
// in the action, or is nil: the action's image has no exec credential
// plugin, and only gke-gcloud-auth-plugin is replaced (by gke.KubeAuth).
func refusedPlugin(src *kubecfg.Source, context string, inAction bool) error {
	plugin := src.ExecPlugin(context)
	if !inAction || plugin == "" || plugin == gke.AuthPlugin {
		return nil
	}
	return fmt.Errorf("the user %q of context %q gets its credentials by running %s (an exec credential plugin), which this action's container does not have and does not run: give the user a credential of its own instead, a token (a ServiceAccount's, or one %s prints in an earlier step, written into the kubeconfig) or a client certificate; for GKE, gke-gcloud-auth-plugin works, with google-github-actions/auth; see %s", src.User(context), context, plugin, plugin, cluster.ContainerActionHelp)
}
