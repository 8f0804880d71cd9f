// Package kubeconfig is the cluster target for a cluster that already
// exists and is reached through a kubeconfig.
package kubeconfig

import (
	"context"
	"fmt"
	"time"

	"github.com/knative-preview/action/internal/cluster"
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
}

var _ cluster.Target = (*target)(nil)

// New returns the target for the context of o, telling l what it does;
// Parse has checked that the context exists.
func New(o Options, l log.Logger) *target {
	return &target{src: o.Source, context: o.Context, reachTimeout: defaultReachTimeout, log: l}
}

// Plan says which context and server Connect uses.
func (t *target) Plan() []string {
	return []string{
		fmt.Sprintf("use context %q from %s", t.context, t.src.Origin),
		fmt.Sprintf("check that the API server at %s answers (wait up to %s) and read its Kubernetes version", t.src.Server(t.context), t.reachTimeout),
	}
}

// Connect checks that the context's API server answers and reads its version.
func (t *target) Connect(ctx context.Context) (*cluster.Cluster, error) {
	rc, err := t.src.RESTConfig(t.context)
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
