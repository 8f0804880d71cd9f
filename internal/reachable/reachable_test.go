package reachable

import (
	"strings"
	"testing"
)

func TestDecide(t *testing.T) {
	tests := []struct {
		name string
		f    Facts
		want Case
		// why holds a part of Why; fix a part of Fix.
		why, fix string
	}{
		// Kept and reachable.
		{"a kept cluster with the domain input", Facts{URL: "http://app-pr-7.previews.preview.example.dev"}, Kept, "", ""},
		{"GKE's load balancer on sslip.io", Facts{URL: "http://app-pr-7.default.34.120.5.6.sslip.io"}, Kept, "", ""},
		{"a dashed public address on nip.io", Facts{URL: "https://app-34-120-5-6.nip.io"}, Kept, "", ""},
		{"a port and a final dot", Facts{URL: "http://app.previews.example.dev.:8080/x"}, Kept, "", ""},

		// Ephemeral, whatever the domain.
		{"kind on a GitHub-hosted runner", Facts{EphemeralWhy: "is a kind cluster on a GitHub-hosted runner, which is discarded when the job ends", URL: "http://app-pr-7.default.127.0.0.1.sslip.io"},
			Ephemeral, "The cluster is a kind cluster on a GitHub-hosted runner", "cluster you keep"},
		{"GKE deleted on exit, with a public domain", Facts{EphemeralWhy: "is a GKE cluster this run created and deletes when the job ends (delete-cluster: on-exit)", URL: "http://app.default.34.120.5.6.sslip.io"},
			Ephemeral, "delete-cluster: on-exit", "delete-cluster: never"},
		{"ephemeral and cluster-local", Facts{EphemeralWhy: "is a kind cluster on a GitHub-hosted runner, which is discarded when the job ends", ClusterLocal: true, URL: "http://app.default.svc.cluster.local"}, Ephemeral, "goes with it", ""},

		// Kept, but not reachable from outside.
		{"cluster-local", Facts{ClusterLocal: true, URL: "http://app.default.svc.cluster.local"}, KeptInside, "cluster-local", "visibility: external"},
		{"Knative's old default domain", Facts{URL: "http://app-pr-7.default.example.com"}, KeptInside, "under example.com", "domain input"},
		{"Knative's default domain since 1.8", Facts{URL: "http://app.default.svc.cluster.local"}, KeptInside, "under cluster.local", "domain input"},
		{"loopback on sslip.io", Facts{URL: "http://app-pr-7.default.127.0.0.1.sslip.io"}, KeptInside, "127.0.0.1, the loopback address", "domain input"},
		{"loopback, dashed, on nip.io", Facts{URL: "http://app-127-0-0-1.nip.io:8080"}, KeptInside, "loopback", ""},
		{"an internal load balancer", Facts{URL: "http://app.default.10.128.0.9.sslip.io"}, KeptInside, "10.128.0.9, a private address", ""},
		{"carrier-grade NAT", Facts{URL: "http://app.default.100.64.1.2.sslip.io"}, KeptInside, "private address", ""},
		{"an IP literal", Facts{URL: "http://192.168.1.20:31080"}, KeptInside, "private address", ""},
		{"a single name", Facts{URL: "http://app"}, KeptInside, "single name", ""},
		{".internal", Facts{URL: "http://app.previews.corp.internal"}, KeptInside, "under internal", ""},
		{"localhost", Facts{URL: "http://localhost:8080"}, KeptInside, "single name", ""},
		{"no URL", Facts{}, KeptInside, "is not known", ""},
		{"sslip.io without an address", Facts{URL: "http://app.previews.sslip.io"}, Kept, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Decide(tt.f)
			if got.Case != tt.want || got.Reachable != (tt.want == Kept) {
				t.Fatalf("Decide(%+v) = %+v, want case %s", tt.f, got, tt.want)
			}
			if tt.want == Kept && (got.Why != "" || got.Fix != "") {
				t.Errorf("a reachable preview needs no explanation: %+v", got)
			}
			if tt.want != Kept && (!strings.HasSuffix(got.Why, ".") || !strings.HasSuffix(got.Fix, ".") || got.Why[0] < 'A' || got.Why[0] > 'Z') {
				t.Errorf("why and fix must be sentences: %+v", got)
			}
			if !strings.Contains(got.Why, tt.why) || !strings.Contains(got.Fix, tt.fix) {
				t.Errorf("got why %q, fix %q; want them to hold %q and %q", got.Why, got.Fix, tt.why, tt.fix)
			}
		})
	}
}
