package kind

import (
	"fmt"
	"strings"
	"time"

	"sigs.k8s.io/kind/pkg/apis/config/v1alpha4"
	kindcluster "sigs.k8s.io/kind/pkg/cluster"
	kindlog "sigs.k8s.io/kind/pkg/log"

	"github.com/knative-preview/action/internal/log"
)

// clusters is what the target asks of the kind library. The library runs
// the docker CLI itself and takes no context: its calls end when docker
// does, and creation when its wait for Ready does.
type clusters interface {
	// List names the kind clusters of the runner's Docker.
	List() ([]string, error)
	// Create creates a cluster from cfg and waits up to waitReady for its
	// nodes to be Ready; it writes the cluster's kubeconfig to
	// kubeconfigPath. A cluster that fails half-way is deleted.
	Create(cfg *v1alpha4.Cluster, waitReady time.Duration, kubeconfigPath string) error
	// Delete deletes a cluster, and its entries in kubeconfigPath.
	Delete(name, kubeconfigPath string) error
	// KubeConfig returns a cluster's kubeconfig: for the Docker network
	// "kind" (https://<name>-control-plane:6443) when internal, else for
	// the runner's host (https://127.0.0.1:<port>).
	KubeConfig(name string, internal bool) (string, error)
	// Nodes names the node containers of a cluster (not its load balancer).
	Nodes(name string) ([]string, error)
}

// library is Clusters on the kind library with its docker provider.
type library struct {
	p *kindcluster.Provider
}

var _ clusters = (*library)(nil)

func newLibrary(l log.Logger) *library {
	return &library{p: kindcluster.NewProvider(
		kindcluster.ProviderWithLogger(progressLogger{l}),
		kindcluster.ProviderWithDocker(),
	)}
}

func (l *library) List() ([]string, error) { return l.p.List() }

func (l *library) Create(cfg *v1alpha4.Cluster, waitReady time.Duration, kubeconfigPath string) error {
	return l.p.Create(cfg.Name,
		kindcluster.CreateWithV1Alpha4Config(cfg),
		kindcluster.CreateWithWaitForReady(waitReady),
		kindcluster.CreateWithKubeconfigPath(kubeconfigPath),
		kindcluster.CreateWithDisplayUsage(false),
		kindcluster.CreateWithDisplaySalutation(false),
	)
}

func (l *library) Delete(name, kubeconfigPath string) error { return l.p.Delete(name, kubeconfigPath) }

func (l *library) KubeConfig(name string, internal bool) (string, error) {
	return l.p.KubeConfig(name, internal)
}

func (l *library) Nodes(name string) ([]string, error) {
	nodes, err := l.p.ListInternalNodes(name)
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(nodes))
	for _, n := range nodes {
		names = append(names, n.String())
	}
	return names, nil
}

// progressLogger passes the kind library's user-facing lines (V(0), the
// " ✓ Preparing nodes" kind) on as progress and drops its debug lines.
type progressLogger struct{ log log.Logger }

var _ kindlog.Logger = progressLogger{}

func (l progressLogger) line(prefix, msg string) {
	if msg = strings.TrimSpace(msg); msg != "" {
		l.log.Infof("%s%s", prefix, msg)
	}
}

func (l progressLogger) Warn(message string) { l.line("kind: warning: ", message) }
func (l progressLogger) Warnf(format string, args ...any) {
	l.line("kind: warning: ", fmt.Sprintf(format, args...))
}
func (l progressLogger) Error(message string) { l.line("kind: error: ", message) }
func (l progressLogger) Errorf(format string, args ...any) {
	l.line("kind: error: ", fmt.Sprintf(format, args...))
}
func (l progressLogger) V(level kindlog.Level) kindlog.InfoLogger {
	if level > 0 {
		return kindlog.NoopInfoLogger{}
	}
	return progressInfo(l)
}

type progressInfo progressLogger

func (i progressInfo) Info(message string)              { progressLogger(i).line("kind: ", message) }
func (i progressInfo) Infof(format string, args ...any) { i.Info(fmt.Sprintf(format, args...)) }
func (i progressInfo) Enabled() bool                    { return true }
