package summary

import (
	"fmt"
	"strings"

	"github.com/knative-preview/action/internal/report"
)

// maxServices is how many Services of an app the summary and the comment
// list; the report has them all.
const maxServices = 50

// writeServices lists every Service of r's app with its URL and revision,
// as a table under heading (none when empty); one Service alone is said by
// the lines around it. A URL is a link only when a reviewer can reach it:
// the preview is reachable, and the Service is not cluster-local.
func writeServices(b *strings.Builder, heading string, r *report.Report) {
	services := r.Services
	if len(services) < 2 {
		return
	}
	linked := r.Reachability == nil || r.Reachability.Reachable
	shown := services[:min(len(services), maxServices)]
	b.WriteString("\n" + heading + "| service | URL | revision |\n| --- | --- | --- |\n")
	for _, s := range shown {
		url := ""
		switch {
		case s.URL != "" && linked && !s.ClusterLocal:
			url = link(s.URL)
		case s.URL != "":
			url = cellCode(s.URL, urlMax) // link refuses a URL with a pipe
		}
		fmt.Fprintf(b, "| %s | %s | %s |\n", cellCode(s.Name, cellMax), url, cellCode(s.Revision, cellMax))
	}
	more(b, len(shown), len(services), "Services")
}
