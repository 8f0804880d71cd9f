package kubeconfig

import (
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
func Parse(r *input.Reader) Options {
	var o Options
	src, err := kubecfg.Load(r.Raw("kubeconfig"), r.Env(), r.Path)
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
	} else {
		o.Context = name
	}
	return o
}
