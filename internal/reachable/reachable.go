// Package reachable decides whether a preview can be reached by the people
// its link is shown to (a reviewer of the pull request), from how long its
// cluster lives and the address Knative gave it: a link is shown only when
// it leads somewhere.
package reachable

import (
	"net/netip"
	"net/url"
	"strings"
)

// Case is one of the three answers.
type Case string

// The cases.
const (
	// Kept is a cluster that outlives the job, with a domain that resolves
	// outside it.
	Kept Case = "kept"
	// KeptInside is a cluster that outlives the job, but an address no one
	// outside the cluster (or its network) can reach.
	KeptInside Case = "kept-inside"
	// Ephemeral is a cluster that goes away when the job ends.
	Ephemeral Case = "ephemeral"
)

// Facts are what the decision is made from.
type Facts struct {
	// EphemeralWhy says why the cluster goes away with the job, as a
	// clause after "the cluster" (see cluster.Cluster); empty when it
	// stays.
	EphemeralWhy string
	// ClusterLocal says the Service is visible only inside the cluster.
	ClusterLocal bool
	// URL is the address Knative gave the preview.
	URL string
}

// Verdict is the decision, as the report, the outputs and the pull
// request's comment say it.
type Verdict struct {
	Case Case `json:"case"`
	// Reachable is true only for Kept.
	Reachable bool `json:"reachable"`
	// Why is one sentence on why the preview cannot be reached from
	// outside; empty when it can.
	Why string `json:"why,omitempty"`
	// Fix is one sentence on how to get a preview that can; empty when it
	// can.
	Fix string `json:"fix,omitempty"`
}

// keepFix is how a preview on an ephemeral cluster gets a link.
const keepFix = "For a link that works, run the preview on a cluster you keep (cluster: kubeconfig, or gke with delete-cluster: never) whose domain resolves outside it."

// Decide says whether the preview at f.URL can be reached from outside
// the cluster after the job. The cluster's lifetime comes first (a link to
// a cluster that is gone leads nowhere, whatever its domain), then the
// Service's visibility, then the URL's host.
func Decide(f Facts) Verdict {
	switch {
	case f.EphemeralWhy != "":
		return Verdict{Case: Ephemeral, Why: sentence("the cluster " + f.EphemeralWhy + ": the preview goes with it"), Fix: keepFix}
	case f.ClusterLocal:
		return Verdict{Case: KeptInside, Why: "The Service is cluster-local (visibility: cluster-local): only the cluster itself reaches it.",
			Fix: "For a link, deploy it with visibility: external on a domain that resolves outside the cluster."}
	}
	host := hostOf(f.URL)
	if why := inside(host); why != "" {
		return Verdict{Case: KeptInside, Why: sentence("its address " + host + " " + why),
			Fix: "For a link, set the domain input to a DNS suffix whose wildcard record points at the cluster's ingress, or leave it empty on a cluster whose ingress gets a public load balancer address (<IP>.sslip.io)."}
	}
	return Verdict{Case: Kept, Reachable: true}
}

// hostOf is the host of u, lower-cased, without a port or a final dot.
func hostOf(u string) string {
	p, err := url.Parse(strings.TrimSpace(u))
	if err != nil || p.Host == "" {
		return ""
	}
	return strings.TrimSuffix(strings.ToLower(p.Hostname()), ".")
}

// localSuffixes are domains that resolve nowhere outside a cluster or a
// private network: Knative's defaults (example.com before Knative 1.8,
// svc.cluster.local since), the names RFC 2606 and RFC 6761 reserve, mDNS,
// and the private-use names of RFC 8375 and ICANN's .internal.
var localSuffixes = []string{
	"example.com", "example.net", "example.org", "example", "invalid", "test", "localhost",
	"cluster.local", "local", "home.arpa", "internal",
}

// magicDNS are services whose names resolve to the IP address written in
// them (1.2.3.4.sslip.io, 1-2-3-4.nip.io).
var magicDNS = []string{"sslip.io", "nip.io"}

// inside says why no one outside the cluster's network reaches host, as
// a clause ("resolves only ..."); empty when nothing says so. An empty
// host (no URL) cannot be reached.
func inside(host string) string {
	if host == "" {
		return "is not known"
	}
	if ip, err := netip.ParseAddr(host); err == nil {
		return private(ip)
	}
	if !strings.Contains(host, ".") {
		return "is a single name, which resolves only inside the cluster's network"
	}
	for _, s := range localSuffixes {
		if host == s || strings.HasSuffix(host, "."+s) {
			return "is under " + s + ", a domain that resolves nowhere outside the cluster (Knative's default when no domain is set)"
		}
	}
	for _, m := range magicDNS {
		if rest, ok := strings.CutSuffix(host, "."+m); ok {
			if ip, ok := embeddedIP(rest); ok {
				return private(ip)
			}
		}
	}
	return ""
}

// private says why ip cannot be reached from outside its machine or
// network; empty for a public address.
func private(ip netip.Addr) string {
	switch {
	case ip.IsLoopback():
		return "leads to " + ip.String() + ", the loopback address: each machine reaches itself there, a reviewer's own computer included"
	case ip.IsUnspecified(), ip.IsLinkLocalUnicast(), ip.IsPrivate(), cgnat.Contains(ip):
		return "leads to " + ip.String() + ", a private address reachable only inside its network"
	}
	return ""
}

// cgnat is the shared address space of RFC 6598, private too.
var cgnat = netip.MustParsePrefix("100.64.0.0/10")

// embeddedIP finds the IPv4 address a magic DNS name carries at its end:
// "app.ns.10.0.0.1" or "app-10-0-0-1".
func embeddedIP(rest string) (netip.Addr, bool) {
	labels := strings.Split(rest, ".")
	if n := len(labels); n >= 4 {
		if ip, err := netip.ParseAddr(strings.Join(labels[n-4:], ".")); err == nil {
			return ip, true
		}
	}
	last := strings.Split(labels[len(labels)-1], "-")
	if n := len(last); n >= 4 {
		if ip, err := netip.ParseAddr(strings.Join(last[n-4:], ".")); err == nil {
			return ip, true
		}
	}
	return netip.Addr{}, false
}

// sentence is s with a capital letter and a full stop.
func sentence(s string) string {
	if s == "" {
		return ""
	}
	return strings.ToUpper(s[:1]) + s[1:] + "."
}
