// Package kubeconfig is the cluster target for a cluster that already
// exists and is reached through a kubeconfig.
package kubeconfig

import (
	"context"
	"fmt"
	"time"

	"k8s.io/client-go/rest"

	"github.com/knative-preview/action/internal/cluster"
	"github.com/knative-preview/action/internal/cluster/gke"
	"github.com/knative-preview/action/internal/cluster/kind"
	"github.com/knative-preview/action/internal/kubecfg"
	"github.com/knative-preview/action/internal/log"
)

// defaultReachTimeout is how long Connect waits for the API server to answer.
const defaultReachTimeout = time.Minute

// target reaches an existing cluster through a kubeconfig context.
type target struct {
	src          *kubecfg.Source
	context      string
	reachTimeout time.Duration
	log          log.Logger
	inAction     bool
	getenv       func(string) string
	runner       kind.Options
}

var _ cluster.Target = (*target)(nil)

// New returns the target for the context of o, telling l what it does;
// Parse has checked that the context exists.
func New(o Options, l log.Logger) *target {
	return &target{src: o.Source, context: o.Context, reachTimeout: defaultReachTimeout, log: l, inAction: o.InAction, getenv: o.Getenv, runner: o.Runner}
}

// gkeAuth reports whether the context's user runs gke-gcloud-auth-plugin
// and this process replaces it.
func (t *target) gkeAuth() bool {
	return t.inAction && t.src.ExecPlugin(t.context) == gke.AuthPlugin
}

// Plan says which context and server Connect uses.
func (t *target) Plan() []string {
	server := t.src.Server(t.context)
	p := []string{fmt.Sprintf("use context %q from %s", t.context, t.src.Origin)}
	if t.gkeAuth() {
		p = append(p, fmt.Sprintf("authenticate as %s would, without running it: with an access token of Google's Application Default Credentials (GOOGLE_APPLICATION_CREDENTIALS, as google-github-actions/auth sets it)", gke.AuthPlugin))
	}
	if t.inAction && cluster.Loopback(server) {
		p = append(p, fmt.Sprintf("the API server %s is on loopback: from inside the action's container, reach it on the Docker network %q when a kind node of the runner's Docker publishes its port, else stop", server, "kind"))
	}
	return append(p, fmt.Sprintf("check that the API server at %s answers (wait up to %s) and read its Kubernetes version", server, t.reachTimeout))
}

// Connect checks that the context's API server answers and reads its
// version. In the action, gke-gcloud-auth-plugin is replaced by Google's
// credentials, and an API server on the runner's loopback is reached on
// the kind network when it is a kind cluster's. The CLI uses the
// kubeconfig as kubectl does.
func (t *target) Connect(ctx context.Context) (*cluster.Cluster, error) {
	rc, err := t.restConfig(ctx)
	if err != nil {
		return nil, err
	}
	t.log.Infof("connecting to %s (context %q)", rc.Host, t.context)
	v, err := cluster.ServerVersion(ctx, rc, t.reachTimeout, t.log)
	if err != nil {
		return nil, fmt.Errorf("context %q: %w", t.context, err)
	}
	t.log.Infof("API server %s answers: Kubernetes %s", rc.Host, v.GitVersion)
	return &cluster.Cluster{Name: t.context, Context: t.context, REST: rc, Version: v}, nil
}

// restConfig is how this process reaches the context's API server: the
// kubeconfig's client configuration, with gke-gcloud-auth-plugin replaced
// and a loopback address made reachable (see Connect). It runs no plugin
// and contacts no API server.
func (t *target) restConfig(ctx context.Context) (*rest.Config, error) {
	if err := refusedPlugin(t.src, t.context, t.inAction); err != nil {
		return nil, err
	}
	rc, err := t.src.RESTConfig(t.context)
	if err != nil {
		return nil, err
	}
	if t.gkeAuth() {
		wrap, source, err := gke.KubeAuth(ctx, t.getenv)
		if err != nil {
			return nil, fmt.Errorf("context %q: its user runs %s, which this action replaces with Google's credentials: %w", t.context, gke.AuthPlugin, err)
		}
		rc.ExecProvider, rc.WrapTransport = nil, wrap
		t.log.Infof("authenticating to %s as %s would, with %s", rc.Host, gke.AuthPlugin, source)
	}
	if t.inAction && cluster.Loopback(rc.Host) {
		host, err := kind.ReachLoopback(ctx, t.log, t.runner, rc.Host)
		if err != nil {
			return nil, fmt.Errorf("context %q: %w", t.context, err)
		}
		rc.Host = host
	}
	return rc, nil
}
