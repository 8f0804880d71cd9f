package summary

import (
	"strings"
	"testing"

	"github.com/knative-preview/action/internal/report"
)

// An app's comment and job summary list every Service with its URL and
// revision, linked only where a reviewer reaches it; one Service is said
// once, as before.
func TestEveryServiceIsListed(t *testing.T) {
	r := &report.Report{OK: true,
		Service: &report.Service{Name: "web", Namespace: "shop-pr-7", Revision: "web-00002", URL: "http://web.shop-pr-7.example.com"},
		Services: []report.Service{
			{Name: "web", Namespace: "shop-pr-7", Revision: "web-00002", URL: "http://web.shop-pr-7.example.com"},
			{Name: "api", Namespace: "shop-pr-7", Revision: "api-00002", URL: "http://api.shop-pr-7.svc.cluster.local", ClusterLocal: true},
			{Name: "a|b", Namespace: "shop-pr-7", Revision: "x", URL: "javascript:alert(1)"},
		},
	}
	rows := []string{
		"| service | URL | revision |",
		"| `web` | [http://web.shop-pr-7.example.com](<http://web.shop-pr-7.example.com>) | `web-00002` |",
		// Cluster-local: only the cluster reaches it, so no link.
		"| `api` | `http://api.shop-pr-7.svc.cluster.local` | `api-00002` |",
	}
	for name, md := range map[string]string{"comment": Comment(r, CommentContext{}), "job summary": Job(r, nil)} {
		for _, want := range rows {
			if !strings.Contains(md, want) {
				t.Errorf("the %s lacks %q:\n%s", name, want, md)
			}
		}
		if strings.Contains(md, "](<javascript:") || !strings.Contains(md, "| `a\\|b` | `javascript:alert(1)` | `x` |") {
			t.Errorf("the %s lets a Service's text through as Markdown:\n%s", name, md)
		}
	}
	r.Services = r.Services[:1]
	if md := Comment(r, CommentContext{}); strings.Contains(md, "| service |") {
		t.Errorf("one Service got a table:\n%s", md)
	}
}
