package deploy

import (
	"bytes"
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/knative-preview/action/internal/console"
	"github.com/knative-preview/action/internal/console/runnertest"
)

// What the cluster says reaches the log through the wait's failure: an
// event message and a crashing container's log lines that look like
// workflow commands must reach the runner as text, none as a command.
func TestHostileClusterTextCommandsNothing(t *testing.T) {
	hostile := "::add-mask::x\n::set-output name=url::http://evil\n::error::boom\nok\r::warning::after a carriage return\nimage ##[error]x"
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
		cmds := runnertest.Read(b.String())
		if len(cmds) != 1 || cmds[0].Name != "error" || cmds[0].Data != "stage deploy: "+f.Error() {
			t.Errorf("the runner would carry out %+v, not the one error; log:\n%s", cmds, b.String())
		}
	}
}
