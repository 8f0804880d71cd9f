package summary

import (
	"fmt"
	"strings"

	"github.com/knative-preview/action/internal/report"
)

// maxServices is how many Services of an app the summary and the comment
// list; the report has them all.
const maxServices = 50

// writeServices lists every Service of an app with its URL and revision,
// as a table under heading (none when empty); one Service alone is said by
// the lines around it.
func writeServices(b *strings.Builder, heading string, services []report.Service) {
	if len(services) < 2 {
		return
	}
	shown := services[:min(len(services), maxServices)]
	b.WriteString("\n" + heading + "| service | URL | revision |\n| --- | --- | --- |\n")
	for _, s := range shown {
		url := ""
		if s.URL != "" {
			url = link(s.URL)
		}
		fmt.Fprintf(b, "| %s | %s | %s |\n", cellCode(s.Name, cellMax), strings.ReplaceAll(url, "|", `\|`), cellCode(s.Revision, cellMax))
	}
	more(b, len(shown), len(services), "Services")
}
