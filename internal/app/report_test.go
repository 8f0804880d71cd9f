package app

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/knative-preview/action/internal/config"
	"github.com/knative-preview/action/internal/console"
	"github.com/knative-preview/action/internal/measure"
	"github.com/knative-preview/action/internal/outputs"
	"github.com/knative-preview/action/internal/pipeline"
	"github.com/knative-preview/action/internal/summary"
)

// A failed check quotes what the service answered; if that holds a
// secret-env value, neither the report, nor the job summary, nor the pull
// request's comment, all made from it, may.
func TestReportHidesSecretsTheServiceAnswered(t *testing.T) {
	con := console.NewLocal(&bytes.Buffer{})
	// A secret of digits may stand in a number too (a warm time of
	// 4711.5 ms), where redacting the text would break the report.
	con.Mask(sentinel, "4711")
	answer := `warm request 1: body "API_KEY=` + sentinel + `<br>PIN=4711"`
	s := &runState{cfg: &config.Config{}, con: con, started: time.Now(), getenv: func(string) string { return "" }}
	f := found{measured: &measure.Report{Problems: []string{answer}, WarmMs: []float64{4711.5}, Samples: []measure.Sample{{Index: 1, Verdict: measure.VerdictCold, Reason: answer}}}}
	r := s.report(f, []pipeline.Result{{Name: "measure", Ran: true, Err: errors.New(answer)}}, errors.New(answer))
	var kept []byte
	out := outputs.NewLocal(outputs.JSON, &bytes.Buffer{}, &bytes.Buffer{})
	saveReport(r, func(data []byte) (string, error) { kept = data; return ".knative-preview/report.json", nil }, con, out)
	if len(kept) == 0 || strings.Contains(string(kept), sentinel) || strings.Contains(string(kept), "PIN=4711") ||
		!strings.Contains(string(kept), "API_KEY=***") || !strings.Contains(string(kept), "4711.5") {
		t.Errorf("the report kept:\n%s", kept)
	}
	if out.Values()["report"] != ".knative-preview/report.json" {
		t.Errorf("the report output is %q", out.Values()["report"])
	}
	for what, text := range map[string]string{"job summary": summary.Job(r, nil), "comment": summary.Comment(r, summary.CommentContext{})} {
		if strings.Contains(text, sentinel) {
			t.Errorf("the %s holds the secret:\n%s", what, text)
		}
	}
}
