package app

import (
	"bytes"
	"strings"
	"testing"

	"k8s.io/client-go/rest"

	"github.com/knative-preview/action/internal/console"
	"github.com/knative-preview/action/internal/console/runnertest"
)

// What the API server warns (an admission webhook may quote a pull
// request's object) reaches the log through the console: its secrets
// hidden, its text unable to command the runner, each warning once.
func TestAPIWarningsGoThroughTheConsole(t *testing.T) {
	var out bytes.Buffer
	con := console.NewActions(&out, func(string) string { return "" })
	con.Mask("webhook-secret-0123")
	w := rest.NewWarningWriter(consoleLines{con, "the API server warns: "}, rest.WarningWriterOptions{Deduplicate: true})
	for range 2 {
		w.HandleWarningHeader(299, "", "##[error]injected: field spec.x is deprecated; token webhook-secret-0123")
	}
	log := runnertest.WithoutMasks(out.String())
	if strings.Contains(log, "webhook-secret-0123") {
		t.Errorf("the warning shows the secret:\n%s", log)
	}
	for _, c := range runnertest.Read(log) {
		t.Errorf("the runner reads the command %q in:\n%s", c.Name, log)
	}
	if n := strings.Count(log, "the API server warns: "); n != 1 || !strings.Contains(log, "field spec.x is deprecated") {
		t.Errorf("%d warnings, want the one, once:\n%s", n, log)
	}
}
