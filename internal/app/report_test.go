package app

import (
	"bytes"
	"strings"
	"testing"

	"github.com/knative-preview/action/internal/console"
	"github.com/knative-preview/action/internal/measure"
	"github.com/knative-preview/action/internal/outputs"
	"github.com/knative-preview/action/internal/report"
)

// A failed check quotes what the service answered; if that holds a
// secret-env value, the report must not.
func TestReportHidesSecretsTheServiceAnswered(t *testing.T) {
	con := console.NewLocal(&bytes.Buffer{})
	con.Mask(sentinel)
	r := &report.Report{Measure: &measure.Report{Problems: []string{`warm request 1: body "API_KEY=` + sentinel + `<br>"`}}, Error: "stage measure: smoke check failed"}
	var kept []byte
	out := outputs.NewLocal(outputs.JSON, &bytes.Buffer{}, &bytes.Buffer{})
	saveReport(r, func(data []byte) (string, error) { kept = data; return ".knative-preview/report.json", nil }, con, out)
	if len(kept) == 0 || strings.Contains(string(kept), sentinel) || !strings.Contains(string(kept), "API_KEY=***") {
		t.Errorf("the report kept:\n%s", kept)
	}
	if out.Values()["report"] != ".knative-preview/report.json" {
		t.Errorf("the report output is %q", out.Values()["report"])
	}
}
