package deploy

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"

	"github.com/knative-preview/action/internal/log"
)

// probePod is a pod that runs, its readiness probe not passing (ready
// false) or passing.
func probePod(name string, ready bool) corev1.Pod {
	status := corev1.ConditionFalse
	if ready {
		status = corev1.ConditionTrue
	}
	return corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: fwNS, Labels: map[string]string{revisionLabel: fwNewRev, serviceLabel: fwService}},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "user-container"}, {Name: queueProxy}}},
		Status: corev1.PodStatus{Phase: corev1.PodRunning,
			Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: status}},
			ContainerStatuses: []corev1.ContainerStatus{
				{Name: "user-container", Ready: ready, State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}},
				{Name: queueProxy, Ready: ready, State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}},
			}},
	}
}

// unhealthy is the kubelet's event for a failing readiness probe of the
// queue-proxy, which probes the user's container.
func unhealthy(pod string, n int) corev1.Event {
	return corev1.Event{
		ObjectMeta:     metav1.ObjectMeta{Name: fmt.Sprintf("%s.%d", pod, n), Namespace: fwNS},
		Type:           corev1.EventTypeWarning,
		Reason:         "Unhealthy",
		Message:        "Readiness probe failed: dial tcp 127.0.0.1:8080: connect: connection refused",
		InvolvedObject: corev1.ObjectReference{Kind: "Pod", Name: pod, FieldPath: "spec.containers{queue-proxy}"},
		Count:          int32(n),
	}
}

// The warning comes once a pod's probe has kept failing for the grace,
// once per pod, with the probe's message and the hint; a pod that becomes
// ready in time is told nothing, and a pod gone is forgotten.
func TestProbeWatchTiming(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	p := newProbeWatch("listen on $PORT")
	slow, stuck := "web-00002-deployment-a", "web-00002-deployment-b"
	pods := []corev1.Pod{probePod(slow, false), probePod(stuck, false)}
	events := []corev1.Event{unhealthy(slow, 1), unhealthy(stuck, 1)}
	steps := []struct {
		after  time.Duration
		pods   []corev1.Pod
		events []corev1.Event
		warn   []string // pods warned about at this look
	}{
		{0, pods, events, nil},
		{10 * time.Second, pods, events, nil},
		{probeGrace - time.Second, []corev1.Pod{probePod(slow, true), pods[1]}, events, nil}, // the slow one is ready
		{probeGrace, []corev1.Pod{probePod(slow, true), pods[1]}, events, []string{stuck}},
		{2 * probeGrace, []corev1.Pod{probePod(slow, true), pods[1]}, events, nil}, // once per pod
		{3 * probeGrace, nil, events, nil},                                         // gone
	}
	for i, s := range steps {
		got := p.observe(t0.Add(s.after), s.pods, s.events)
		if len(got) != len(s.warn) {
			t.Fatalf("look %d (+%s): warnings %q, want about %v", i, s.after, got, s.warn)
		}
		for j, pod := range s.warn {
			for _, want := range []string{"pod " + pod, "container user-container", "has failed for 20s", "dial tcp 127.0.0.1:8080: connect: connection refused", "listen on $PORT"} {
				if !strings.Contains(got[j], want) {
					t.Errorf("look %d: %q lacks %q", i, got[j], want)
				}
			}
		}
	}
	if p.last() != nil {
		t.Errorf("a pod gone is still failing: %+v", p.last())
	}
	// A pod that is not running yet, or an event of another kind, is no
	// failing probe.
	pending := probePod(stuck, false)
	pending.Status.Phase = corev1.PodPending
	liveness := unhealthy(stuck, 2)
	liveness.Message = "Liveness probe failed: HTTP probe failed with statuscode: 500"
	p.observe(t0, []corev1.Pod{pending}, events)
	p.observe(t0, []corev1.Pod{probePod(stuck, false)}, []corev1.Event{liveness})
	if got := p.observe(t0.Add(time.Hour), []corev1.Pod{probePod(stuck, false)}, []corev1.Event{liveness}); len(got) > 0 || p.last() != nil {
		t.Errorf("warned %v about no readiness probe", got)
	}
}

// lines records what the wait logs.
type lines struct {
	mu   sync.Mutex
	warn []string
}

func (l *lines) Infof(string, ...any) {}
func (l *lines) Warnf(f string, a ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.warn = append(l.warn, fmt.Sprintf(f, a...))
}
func (l *lines) warnings() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.warn...)
}

var _ log.Logger = (*lines)(nil)

// event records a kubelet event and tells the wait's watches.
func (f *fakeKnative) event(e corev1.Event) {
	f.t.Helper()
	if _, err := f.kube.CoreV1().Events(fwNS).Create(context.Background(), &e, metav1.CreateOptions{}); err != nil {
		f.t.Fatal(err)
	}
	f.send("events", watch.Added, &e)
}

// startLogged runs the wait as start does, telling l.
func (f *fakeKnative) startLogged(ctx context.Context, t timings, l log.Logger) {
	w := &waiter{
		d: &Deployer{Now: f.clock.Now}, t: t,
		c:  &clients{kube: ctxKube{f.kube}, serving: ctxServing{f.serving.ServingV1()}},
		ns: fwNS, name: fwService, deployID: fwDeployID, log: l,
	}
	f.done = make(chan waitOutcome, 1)
	go func() {
		svc, rev, err := w.wait(ctx, fwGen)
		f.done <- waitOutcome{svc, rev, err}
	}()
}

// A revision whose container runs but never passes its readiness probe
// gets one warning, the grace after the probe was first seen failing; a
// slow starter is not failed for it and passes once ready.
func TestWaitWarnsOfAProbeThatKeepsFailing(t *testing.T) {
	f := newFakeKnative(t)
	l := &lines{}
	f.startLogged(t.Context(), unitTimings(), l)
	f.look("the Service as the deploy left it", anyState)
	p := probePod(fwPod, false)
	f.pod(p.Status)
	f.look("the pod running", anyState)
	f.event(unhealthy(fwPod, 1))
	f.look("the first failing probe", anyState)
	f.clock.Advance(probeGrace - time.Second)
	f.kick()
	f.look("a second less than the grace later", anyState)
	if w := l.warnings(); len(w) > 0 {
		t.Fatalf("warned before the grace: %v", w)
	}
	f.clock.Advance(time.Second)
	f.kick()
	f.look("the grace later", anyState)
	f.clock.Advance(time.Minute)
	f.kick()
	f.look("a minute later", anyState)
	w := l.warnings()
	if len(w) != 1 {
		t.Fatalf("warnings %q, want one", w)
	}
	// How long it says depends on which look saw the grace pass: the looks
	// are not in step with the clock (TestProbeWatchTiming has the times).
	for _, want := range []string{"Knative Service " + fwNS + "/" + fwService, fwPod, "has failed for ", "connection refused", "$PORT", "input port"} {
		if !strings.Contains(w[0], want) {
			t.Errorf("the warning lacks %q: %s", want, w[0])
		}
	}
	f.status(readyAt(fwGen, corev1.ConditionTrue, "", ""))
	if r := f.outcome(); r.err != nil || r.rev != fwNewRev {
		t.Errorf("the slow starter did not pass: %v", r.err)
	}
}

// When Knative gives up at the progress deadline, the failure says what
// the probe said, with the container's log.
func TestWaitFailureAtTheDeadlineQuotesTheProbe(t *testing.T) {
	f := newFakeKnative(t)
	f.startLogged(t.Context(), unitTimings(), &lines{})
	f.look("the Service as the deploy left it", anyState)
	p := probePod(fwPod, false)
	f.pod(p.Status)
	f.event(unhealthy(fwPod, 1))
	f.look("the failing probe", anyState)
	f.clock.Advance(time.Minute)
	f.status(readyAt(fwGen, corev1.ConditionFalse, "ProgressDeadlineExceeded", "Revision \"web-00002\" failed with message: Initial scale was never achieved."))
	f.look("Knative giving up", isReady(corev1.ConditionFalse, fwGen))
	f.kick()
	f.look("the state after Knative gave up", anyState) // the wait has seen Ready=False begin
	f.clock.Advance(2 * time.Second)
	f.kick()
	r := f.outcome()
	var fail *failure
	if !errors.As(r.err, &fail) || fail.Reason != "ProgressDeadlineExceeded" {
		t.Fatalf("got %v, want Knative's ProgressDeadlineExceeded", r.err)
	}
	for _, want := range []string{"Initial scale was never achieved", "its readiness probe kept failing: dial tcp 127.0.0.1:8080: connect: connection refused", "$PORT", "container user-container", "last lines of the container's log:\nfake logs"} {
		if !strings.Contains(r.err.Error(), want) {
			t.Errorf("the failure lacks %q:\n%v", want, r.err)
		}
	}
}
