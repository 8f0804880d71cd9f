package deploy

import (
	"bytes"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/knative-preview/action/internal/console"
)

// What the cluster says reaches the log through the wait's failure: an
// event message and a crashing container's log lines that look like
// workflow commands must reach the runner as text, none as a command.
func TestHostileClusterTextCommandsNothing(t *testing.T) {
	hostile := "::add-mask::x\n::set-output name=url::http://evil\n::error::boom\nok\r::warning::after a carriage return"
	event := corev1.Event{Reason: "FailedScheduling", Message: "0/1 nodes are available\n" + hostile,
		InvolvedObject: corev1.ObjectReference{Kind: "Pod", Name: "web-00001-deployment-abc"}}
	scheduling := eventFailure([]corev1.Event{event}, nil, "web-00001")
	w := &waiter{}
	crash := w.located(&failure{Reason: "CrashLoopBackOff", Pod: "web-00001-deployment-abc", Log: "starting\n" + hostile}, "web-00001")
	for _, f := range []*failure{scheduling, crash} {
		if f == nil {
			t.Fatal("no failure from the event")
		}
		var b bytes.Buffer
		con := console.NewActions(&b, func(string) string { return "" })
		con.Errorf("stage deploy: %v", f)          // how the run reports it
		con.Infof("the wait ended: %s", f.Error()) // and as a progress line
		// The runner reads lines split at \n and at a bare \r.
		for _, l := range strings.FieldsFunc(b.String(), func(r rune) bool { return r == '\n' || r == '\r' }) {
			if c := strings.TrimLeft(l, " \t"); strings.HasPrefix(c, "::") && !strings.HasPrefix(c, "::error::stage deploy: ") {
				t.Errorf("the runner would read %q as a command; log:\n%s", l, b.String())
			}
		}
	}
}
