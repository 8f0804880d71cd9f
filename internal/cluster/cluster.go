// Package cluster defines what a cluster target gives the later stages (a
// client configuration for a reachable API server and its version), and the
// reachability check every target shares.
package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"syscall"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/apimachinery/pkg/version"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/knative-preview/action/internal/kube"
	"github.com/knative-preview/action/internal/log"
)

// ContainerActionHelp is the README's section on what the action's
// container sees of the runner (its home, its paths, its loopback, the
// programs it has): errors about those link to it.
const ContainerActionHelp = "https://github.com/knative-preview/action#inside-a-container-action"

// ErrNoCluster is wrapped by Connect of a target asked to use only an
// existing cluster (mode down) when there is none.
var ErrNoCluster = errors.New("mode down creates no cluster")

// Target is a place Knative runs: an existing cluster, a kind cluster, GKE.
type Target interface {
	// Plan says what Connect will do, without doing any of it.
	Plan() []string
	// Connect makes the cluster ready to use and checks its API server answers.
	Connect(ctx context.Context) (*Cluster, error)
}

// Cluster is a reachable cluster.
type Cluster struct {
	// Name is how the user knows the cluster (a context, a kind name).
	Name string
	// Context is the kubeconfig context, where there is one.
	Context string
	// REST reaches the API server.
	REST *rest.Config
	// Version is what the API server reports at /version.
	Version *version.Info
	// Created is true when this run created the cluster (so it may tune it
	// more freely, and delete it at the end when asked).
	Created bool
	// EphemeralWhy, when the cluster lives no longer than the job, says
	// why, in a clause that follows "the cluster": a kind cluster on a
	// GitHub-hosted runner (the machine goes when the job ends), a GKE
	// cluster this run created to delete at the end of the job
	// (delete-cluster: on-exit). What is kept on it is lost, and no one
	// can reach a preview on it after the job. Empty for a cluster that
	// stays.
	EphemeralWhy string
	// Domain is the DNS suffix Knative should give services on this cluster
	// when the target knows it (kind: 127.0.0.1.sslip.io); empty lets the
	// install stage choose (a load balancer's IP, or the domain input).
	Domain string
	// IngressNodePort, when not zero, asks the install stage to expose the
	// ingress gateway on this NodePort (kind maps it to a port of the host).
	IngressNodePort int32
	// IngressAddress is host:port where this process reaches the ingress
	// (kind from inside the action's container: the node's IP on the kind
	// network and IngressNodePort). Empty: use the gateway Service.
	IngressAddress string
	// HostURLBase is how steps on the runner's host reach the ingress, e.g.
	// http://127.0.0.1:80 for kind's host port; empty when there is none.
	HostURLBase string
	// LocalRegistries are the registries of images loaded into the nodes
	// without a registry; Knative must skip tag resolution for them.
	LocalRegistries []string
	// SmallNodes is true when this run created the cluster on nodes with
	// fewer CPUs than Knative and its ingress request as released (kind on a
	// 2-CPU runner): the install stage then lowers the CPU requests of their
	// Deployments, and records that it did so that later runs on the same
	// cluster keep them lowered. A cluster the user sized is never marked.
	SmallNodes bool
}

// ForWaits returns a copy of cfg for clients that wait by reading several
// lists a second: client-go's default of 5 requests a second would throttle
// them, and near a deadline refuse reads ("would exceed context deadline")
// instead of showing what was there.
func ForWaits(cfg *rest.Config) *rest.Config {
	c := rest.CopyConfig(cfg)
	c.QPS, c.Burst = 50, 100
	return c
}

// ServerVersion asks the API server for its version, retrying errors that
// may pass (refused connections, timeouts, 5xx) until within has passed, and
// explains the last error in terms of what the user can fix.
func ServerVersion(ctx context.Context, cfg *rest.Config, within time.Duration, l log.Logger) (*version.Info, error) {
	c := rest.CopyConfig(cfg)
	if c.Timeout == 0 {
		c.Timeout = 10 * time.Second
	}
	c.QPS = -1 // one request a second needs no client-side rate limit
	cs, err := kubernetes.NewForConfig(c)
	if err != nil {
		return nil, fmt.Errorf("building a client for %s: %w", cfg.Host, err)
	}
	var info *version.Info
	var last error
	attempt := 0
	err = wait.PollUntilContextTimeout(ctx, time.Second, within, true, func(ctx context.Context) (bool, error) {
		attempt++
		raw, err := cs.Discovery().RESTClient().Get().AbsPath("/version").Do(ctx).Raw()
		if err == nil {
			var v version.Info
			if err := json.Unmarshal(raw, &v); err != nil {
				return false, fmt.Errorf("the API server at %s answered /version with something that is not a version: %w", cfg.Host, err)
			}
			info = &v
			return true, nil
		}
		if kube.CutShort(ctx, err) && last != nil {
			// The attempt was cut short by the deadline; the error before it
			// says more about the server.
			return false, nil
		}
		last = err
		if !kube.Transient(err) {
			return false, err
		}
		if attempt == 1 || attempt%5 == 0 {
			l.Infof("waiting up to %s for the API server at %s to answer (%s)", within, cfg.Host, short(err))
		}
		return false, nil
	})
	switch {
	case err == nil:
		return info, nil
	case last == nil:
		return nil, fmt.Errorf("waiting for the API server at %s: %w", cfg.Host, err)
	case !kube.Transient(last):
		return nil, Explain(cfg.Host, last)
	case ctx.Err() != nil:
		return nil, fmt.Errorf("stopped waiting for the API server at %s: %w; last error: %w", cfg.Host, context.Cause(ctx), Explain(cfg.Host, last))
	}
	return nil, fmt.Errorf("gave up after %s: %w", within, Explain(cfg.Host, last))
}

// Explain turns an error from talking to the API server at host into one
// that says what is wrong and what to do.
func Explain(host string, err error) error {
	var dnsErr *net.DNSError
	msg := err.Error()
	switch {
	case apierrors.IsUnauthorized(err):
		return fmt.Errorf("the API server at %s rejected the credentials (401 Unauthorized): the kubeconfig's token or client certificate is wrong or expired: %w", host, err)
	case apierrors.IsForbidden(err):
		return fmt.Errorf("the API server at %s refused access (403 Forbidden): the kubeconfig's user lacks permission: %w", host, err)
	case errors.As(err, &dnsErr):
		return fmt.Errorf("the API server host in %s does not resolve from here (%v): check the kubeconfig's server address", host, dnsErr)
	case strings.Contains(msg, "x509:") || strings.Contains(msg, "tls:"):
		return fmt.Errorf("TLS with the API server at %s failed: the kubeconfig's certificate-authority does not match the server's certificate, or the address is not one the certificate names: %w", host, err)
	case errors.Is(err, syscall.ECONNREFUSED):
		return fmt.Errorf("nothing answers at %s (connection refused): is the cluster running?%s", host, loopbackHint(host))
	case kube.Transient(err):
		return fmt.Errorf("the API server at %s did not answer: %w%s", host, err, loopbackHint(host))
	}
	return fmt.Errorf("asking the API server at %s for its version: %w", host, err)
}

func loopbackHint(host string) string {
	if Loopback(host) {
		return " The address is loopback: inside a container action it means the action's own container, not the runner; use an address the container can reach (see " + ContainerActionHelp + ")."
	}
	return ""
}

// Loopback reports whether server (https://host:port) is on the loopback
// of the machine, or container, that reaches it: 127.0.0.0/8, ::1 or
// localhost.
func Loopback(server string) bool {
	u, err := url.Parse(server)
	if err != nil {
		return false
	}
	h := u.Hostname()
	if h == "localhost" {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

func short(err error) string {
	s := err.Error()
	if i := strings.LastIndex(s, ": "); i >= 0 && len(s)-i < 80 {
		return s[i+2:]
	}
	return s
}

// Ephemeral reports whether the cluster lives no longer than the job
// (EphemeralWhy says why).
func (c *Cluster) Ephemeral() bool { return c.EphemeralWhy != "" }
