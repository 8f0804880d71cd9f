package cluster

import (
	"context"
	"net/url"
	"strings"
)

// What a target may offer besides Target, each asked for with a type
// assertion on the interface: the run masks, outputs and saves what the
// target offers without knowing which target it is.

// SecretHolder is a target that learns secrets while connecting (kind: the
// client key of the kubeconfig it writes); they are masked once Connect
// returns, whether or not it succeeded.
type SecretHolder interface {
	Secrets() []string
}

// OutputsProvider is a target with outputs of its own for later steps
// (kind: the path of the kubeconfig it wrote), known once Connect returns.
type OutputsProvider interface {
	Outputs() map[string]string
}

// SaveState saves a named value for the action's post step.
type SaveState func(name, value string)

// Stateful is a target that leaves the post step something to clean up
// (gke: a cluster this run created). Given a SaveState before Connect, it
// saves its state as soon as there is something to keep (the main step may
// be killed while it waits) and again when Connect returns.
type Stateful interface {
	KeepState(save SaveState)
}

// Cleaner is a target with work for the action's post step; state reads
// back what the main step saved, by name (empty when nothing was saved).
type Cleaner interface {
	Cleanup(ctx context.Context, state func(name string) string) error
}

// HostURL is serviceURL as steps on the runner's host reach it: with the
// scheme and port of HostURLBase (kind: http://127.0.0.1:<host-port>). It
// exists only when the URL's host is under the target's own domain (kind:
// 127.0.0.1.sslip.io, which resolves to the runner): not for a
// cluster-local service, nor for a domain input that points elsewhere.
func (c *Cluster) HostURL(serviceURL string) string {
	if c.HostURLBase == "" || c.Domain == "" {
		return ""
	}
	s, err := url.Parse(serviceURL)
	if err != nil || !strings.HasSuffix(s.Hostname(), "."+c.Domain) {
		return ""
	}
	b, err := url.Parse(c.HostURLBase)
	if err != nil {
		return ""
	}
	host := s.Hostname()
	if p := b.Port(); p != "" && !(b.Scheme == "http" && p == "80") && !(b.Scheme == "https" && p == "443") {
		host += ":" + p
	}
	return (&url.URL{Scheme: b.Scheme, Host: host, Path: s.Path}).String()
}
