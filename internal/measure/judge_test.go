package measure

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"testing"
	"testing/synctest"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
)

// sent is when the request of the judged samples was on the wire.
var sent = time.Unix(1_700_000_000, 0)

// after returns the time d after the request was sent.
func after(d time.Duration) time.Time { return sent.Add(d) }

// steps are a pod seen scheduled, started and ready at those times after
// the request was sent.
func steps(name string, scheduled, started, ready time.Duration) *podSteps {
	at := func(d time.Duration) time.Time {
		if d == 0 {
			return time.Time{}
		}
		return after(d)
	}
	return &podSteps{name: name, created: after(20 * time.Millisecond), scheduled: at(scheduled), started: at(started), ready: at(ready)}
}

// observed is a sample whose first byte came 1265 ms after the request,
// the last 1300 ms after it, with the Deployment scaled up after 15 ms.
func observed(w watched) observations {
	if w.pulled == nil {
		w.pulled = map[string]string{}
	}
	if w.pulling == nil {
		w.pulling = map[string]bool{}
	}
	w.scaled = after(15 * time.Millisecond)
	return observations{revision: "hello-00001", index: 2, sent: sent, ttfb: 1265 * time.Millisecond, total: 1300 * time.Millisecond, status: 200, watched: w}
}

// cold is the sample a cold start by pod, ready at readyMs, is judged to be,
// with the image unknown.
func cold(pod string, scheduledMs, startedMs, readyMs float64) Sample {
	return Sample{Index: 2, Verdict: VerdictCold, TotalMs: 1300, TTFBMs: 1265, Status: 200, Pod: pod, Image: imageUnknown,
		Breakdown: Breakdown{Scaled: ptr.To(15.0), Scheduled: ptr.To(scheduledMs), Started: ptr.To(startedMs), Ready: ptr.To(readyMs), FirstByte: 1265}}
}

// discarded is the sample judged not a cold start, for reason.
func discarded(reason string) Sample {
	return Sample{Index: 2, Verdict: VerdictDiscarded, Reason: reason, TotalMs: 1300, TTFBMs: 1265, Status: 200, Image: imageUnknown,
		Breakdown: Breakdown{Scaled: ptr.To(15.0), FirstByte: 1265}}
}

const draining = "no new pod of revision hello-00001 became ready while the request was served (first byte after 1265 ms): a pod that already existed, still draining, answered, so this was not a cold start"

const (
	pulledMsg  = `Successfully pulled image "registry.invalid/hello" in 3.1s`
	presentMsg = `Container image "registry.invalid/hello" already present on machine`
)

func with(s Sample, f func(*Sample)) Sample { f(&s); return s }

// Every verdict a sample can get, from what the watches saw.
func TestJudge(t *testing.T) {
	pod := func(s *podSteps) map[types.UID]*podSteps { return map[types.UID]*podSteps{"uid-1": s} }
	for _, tt := range []struct {
		name string
		o    observations
		want Sample
	}{
		{
			name: "cold on a new pod",
			o:    observed(watched{pods: pod(steps("hello-1", 135*time.Millisecond, 1035*time.Millisecond, 1265*time.Millisecond))}),
			want: cold("hello-1", 135, 1035, 1265),
		},
		{
			name: "a new pod seen ready up to two seconds after the first byte served it",
			o:    observed(watched{pods: pod(steps("hello-1", 135*time.Millisecond, 1035*time.Millisecond, 1265*time.Millisecond+readyLag))}),
			want: cold("hello-1", 135, 1035, 3265),
		},
		{
			name: "the API server away while the request was served: the steps came late, whatever they say",
			o: func() observations {
				o := observed(watched{pods: pod(steps("hello-1", 135*time.Millisecond, 1035*time.Millisecond, 1265*time.Millisecond))})
				o.gap, o.gapCause = 15250*time.Millisecond, errors.New("dial tcp 127.0.0.1:6443: connect: connection refused")
				return o
			}(),
			want: with(discarded("the watches of revision hello-00001 were closed for 15.3s while the request was served (the API server could not be reached: dial tcp 127.0.0.1:6443: connect: connection refused): the steps of this start were not seen as they came, so it is not counted"),
				func(s *Sample) { s.Breakdown.Scaled = nil }),
		},
		{
			name: "a watch slow to open again, with no error",
			o: func() observations {
				o := observed(watched{pods: pod(steps("hello-1", 135*time.Millisecond, 1035*time.Millisecond, 1265*time.Millisecond))})
				o.gap = 3 * time.Second
				return o
			}(),
			want: with(discarded("the watches of revision hello-00001 were closed for 3s while the request was served (the API server kept ending them, and they were opened again after a pause between tries): the steps of this start were not seen as they came, so it is not counted"),
				func(s *Sample) { s.Breakdown.Scaled = nil }),
		},
		{
			name: "a watch closed as long as a readiness may lag: the steps still tell",
			o: func() observations {
				o := observed(watched{pods: pod(steps("hello-1", 135*time.Millisecond, 1035*time.Millisecond, 1265*time.Millisecond))})
				o.gap, o.gapCause = maxWatchGap, errors.New("connection reset by peer")
				return o
			}(),
			want: cold("hello-1", 135, 1035, 1265),
		},
		{
			name: "no new pod: a draining pod answered",
			o:    observed(watched{}),
			want: discarded(draining),
		},
		{
			name: "a new pod that never became ready did not serve",
			o:    observed(watched{pods: pod(steps("hello-1", 135*time.Millisecond, 0, 0))}),
			want: discarded(draining),
		},
		{
			name: "a pod that existed before is not a new pod",
			o: observed(watched{before: map[types.UID]bool{"uid-1": true},
				pods: pod(steps("hello-old", 135*time.Millisecond, 1035*time.Millisecond, 1265*time.Millisecond))}),
			want: discarded(draining),
		},
		{
			name: "a new pod seen ready well after the first byte: a pod that already existed answered",
			o:    observed(watched{pods: pod(steps("hello-1", 135*time.Millisecond, 1035*time.Millisecond, 1265*time.Millisecond+readyLag+time.Millisecond))}),
			want: discarded("the response came 2001 ms before new pod hello-1 was seen ready: a pod that already existed answered, so this was not a cold start"),
		},
		{
			name: "ready seen before scheduled: each step as seen",
			o:    observed(watched{pods: pod(steps("hello-1", 1200*time.Millisecond, 1100*time.Millisecond, 1000*time.Millisecond))}),
			want: cold("hello-1", 1200, 1100, 1000),
		},
		{
			name: "two new pods: the first ready serves",
			o: observed(watched{pods: map[types.UID]*podSteps{
				"uid-1": steps("hello-1", 100*time.Millisecond, 1000*time.Millisecond, 1250*time.Millisecond),
				"uid-2": steps("hello-2", 135*time.Millisecond, 1035*time.Millisecond, 1200*time.Millisecond),
				"uid-3": steps("hello-3", 90*time.Millisecond, 0, 0),
			}}),
			want: cold("hello-2", 135, 1035, 1200),
		},
		{
			name: "image pulled",
			o: observed(watched{pods: pod(steps("hello-1", 135*time.Millisecond, 1035*time.Millisecond, 1265*time.Millisecond)),
				pulled: map[string]string{"hello-1": pulledMsg}, pulling: map[string]bool{"hello-1": true}}),
			want: with(cold("hello-1", 135, 1035, 1265), func(s *Sample) { s.Image, s.PullMessage = ImagePulled, pulledMsg }),
		},
		{
			name: "image pulling seen, its Pulled event not",
			o: observed(watched{pods: pod(steps("hello-1", 135*time.Millisecond, 1035*time.Millisecond, 1265*time.Millisecond)),
				pulling: map[string]bool{"hello-1": true}}),
			want: with(cold("hello-1", 135, 1035, 1265), func(s *Sample) { s.Image = ImagePulled }),
		},
		{
			name: "image present",
			o: observed(watched{pods: pod(steps("hello-1", 135*time.Millisecond, 1035*time.Millisecond, 1265*time.Millisecond)),
				pulled: map[string]string{"hello-1": presentMsg}}),
			want: with(cold("hello-1", 135, 1035, 1265), func(s *Sample) { s.Image, s.PullMessage = ImagePresent, presentMsg }),
		},
		{
			name: "image unknown: only another pod's events seen",
			o: observed(watched{pods: pod(steps("hello-1", 135*time.Millisecond, 1035*time.Millisecond, 1265*time.Millisecond)),
				pulled: map[string]string{"hello-0": pulledMsg}, pulling: map[string]bool{"hello-0": true}}),
			want: cold("hello-1", 135, 1035, 1265),
		},
		{
			name: "the scale-up not seen",
			o: func() observations {
				o := observed(watched{})
				o.scaled = time.Time{}
				return o
			}(),
			want: with(discarded(draining), func(s *Sample) { s.Breakdown.Scaled = nil }),
		},
		{
			name: "steps not seen are not in the breakdown",
			o:    observed(watched{pods: pod(steps("hello-1", 0, 0, 1265*time.Millisecond))}),
			want: with(cold("hello-1", 0, 0, 1265), func(s *Sample) { s.Breakdown.Scheduled, s.Breakdown.Started = nil, nil }),
		},
		{
			name: "a failed expectation is kept and the verdict still judged",
			o: func() observations {
				o := observed(watched{pods: pod(steps("hello-1", 135*time.Millisecond, 1035*time.Millisecond, 1265*time.Millisecond))})
				o.status, o.checkFailed = 503, "expected status 200, got 503"
				return o
			}(),
			want: with(cold("hello-1", 135, 1035, 1265), func(s *Sample) { s.Status, s.CheckFailed = 503, "expected status 200, got 503" }),
		},
		{
			name: "a failed expectation of a discarded sample",
			o: func() observations {
				o := observed(watched{})
				o.checkFailed = `expected the body to match /^hello/, got "bye"`
				return o
			}(),
			want: with(discarded(draining), func(s *Sample) { s.CheckFailed = `expected the body to match /^hello/, got "bye"` }),
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := judge(tt.o)
			if !reflect.DeepEqual(got, tt.want) {
				g, _ := json.Marshal(got)
				w, _ := json.Marshal(tt.want)
				t.Errorf("judged\n%s\nwant\n%s", g, w)
			}
		})
	}
}

// The wait before a sample: the revision is at zero only when its
// Deployment wants no replica and every pod left is terminating; the pods
// left are not new pods of the sample.
func TestAtZero(t *testing.T) {
	deployment := func(replicas *int32) *appsv1.Deployment {
		return &appsv1.Deployment{Spec: appsv1.DeploymentSpec{Replicas: replicas}}
	}
	running := corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "hello-1", UID: "uid-1"}, Status: corev1.PodStatus{Phase: corev1.PodRunning}}
	terminating := corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "hello-0", UID: "uid-0", DeletionTimestamp: &metav1.Time{Time: sent}}, Status: corev1.PodStatus{Phase: corev1.PodRunning}}
	for _, tt := range []struct {
		name   string
		d      *appsv1.Deployment
		pods   []corev1.Pod
		zero   bool
		before map[types.UID]bool
		state  string
	}{
		{"at zero", deployment(ptr.To[int32](0)), nil, true, map[types.UID]bool{},
			"Deployment wants 0 replicas; pods not terminating: 0"},
		{"a terminating pod left", deployment(ptr.To[int32](0)), []corev1.Pod{terminating}, true, map[types.UID]bool{"uid-0": true},
			"Deployment wants 0 replicas; pods not terminating: 0"},
		{"the Deployment wants a replica", deployment(ptr.To[int32](1)), nil, false, map[types.UID]bool{},
			"Deployment wants 1 replicas; pods not terminating: 0"},
		{"replicas unset means one", deployment(nil), nil, false, map[types.UID]bool{},
			"Deployment wants 1 replicas; pods not terminating: 0"},
		{"a pod still running", deployment(ptr.To[int32](0)), []corev1.Pod{running, terminating}, false, map[types.UID]bool{"uid-1": true, "uid-0": true},
			"Deployment wants 0 replicas; pods not terminating: 1 [hello-1 (Running)]"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			zero, before, state := atZero(tt.d, tt.pods)
			if zero != tt.zero || !reflect.DeepEqual(before, tt.before) || state != tt.state {
				t.Errorf("got %v %v %q, want %v %v %q", zero, before, state, tt.zero, tt.before, tt.state)
			}
		})
	}
}

// The recorder takes each step at the first time a watch shows it, from
// the clock, whatever order the steps come in, and counts nothing twice
// when a watch shows the pod again.
func TestRecorderTakesEachStepOnce(t *testing.T) {
	clk := &clock{t: sent}
	rec := newRecorder(clk.Now, nil)
	ready := corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "hello-1", UID: "uid-1"}, Status: corev1.PodStatus{
		Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue}, {Type: corev1.PodScheduled, Status: corev1.ConditionFalse}},
	}}
	clk.Advance(100 * time.Millisecond)
	rec.pod(&ready) // ready before scheduled
	clk.Advance(100 * time.Millisecond)
	ready.Status.Conditions[1].Status = corev1.ConditionTrue
	ready.Status.ContainerStatuses = []corev1.ContainerStatus{{State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}}, {}}
	rec.pod(&ready) // one container of two running: not started
	clk.Advance(100 * time.Millisecond)
	ready.Status.ContainerStatuses[1].State.Running = &corev1.ContainerStateRunning{}
	rec.pod(&ready)
	clk.Advance(100 * time.Millisecond)
	rec.pod(&ready) // seen again
	rec.deployment(&appsv1.Deployment{Spec: appsv1.DeploymentSpec{Replicas: ptr.To[int32](0)}})
	rec.deployment(&appsv1.Deployment{Spec: appsv1.DeploymentSpec{Replicas: ptr.To[int32](1)}})
	rec.event(&corev1.Event{InvolvedObject: corev1.ObjectReference{Kind: "Pod", Name: "hello-1"}, Reason: "Pulled", Message: presentMsg})
	rec.event(&corev1.Event{InvolvedObject: corev1.ObjectReference{Kind: "Node", Name: "hello-1"}, Reason: "Pulling"})

	got := rec.w.pods["uid-1"]
	want := &podSteps{name: "hello-1", created: after(100 * time.Millisecond), ready: after(100 * time.Millisecond), scheduled: after(200 * time.Millisecond), started: after(300 * time.Millisecond)}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("steps %+v, want %+v", got, want)
	}
	if !rec.w.scaled.Equal(after(400*time.Millisecond)) || rec.w.pulled["hello-1"] != presentMsg || len(rec.w.pulling) != 0 {
		t.Errorf("scaled at %v, pulled %v, pulling %v", rec.w.scaled.Sub(sent), rec.w.pulled, rec.w.pulling)
	}
}

// After the response, the sample waits for the watches to have seen a new
// pod ready and the kubelet's word on the image, in whatever order, or
// until Settle (here 5 s) has passed on the clock, looking at every tick.
func TestSettle(t *testing.T) {
	newPod := func(rec *recorder, uid types.UID) {
		rec.pod(&corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "hello-" + string(uid), UID: uid}, Status: corev1.PodStatus{
			Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue}}}})
	}
	pulled := func(rec *recorder, _ *clock) {
		rec.event(&corev1.Event{InvolvedObject: corev1.ObjectReference{Kind: "Pod", Name: "hello-1"}, Reason: "Pulled", Message: presentMsg})
	}
	nothing := func(*recorder, *clock) {}
	passes := func(d time.Duration) func(*recorder, *clock) { return func(_ *recorder, clk *clock) { clk.Advance(d) } }
	for _, tt := range []struct {
		name   string
		before map[types.UID]bool
		// seen is what the watches saw before the wait; next, what they see
		// (or how the clock moves) before each tick
		seen func(*recorder, *clock)
		next []func(*recorder, *clock)
		// ticks the wait takes
		want int
	}{
		{name: "ready and pulled already", seen: func(rec *recorder, clk *clock) { newPod(rec, "1"); pulled(rec, clk) }, want: 0},
		{name: "the Pulled event after ready", seen: func(rec *recorder, _ *clock) { newPod(rec, "1") }, next: []func(*recorder, *clock){nothing, pulled}, want: 2},
		{name: "ready after the Pulled event", seen: pulled, next: []func(*recorder, *clock){func(rec *recorder, _ *clock) { newPod(rec, "1") }}, want: 1},
		{name: "only a pod that existed before is ready: until Settle", before: map[types.UID]bool{"0": true},
			seen: func(rec *recorder, clk *clock) { newPod(rec, "0"); pulled(rec, clk) },
			next: []func(*recorder, *clock){passes(4 * time.Second), passes(time.Second)}, want: 2},
		{name: "nothing seen: until Settle", seen: nothing, next: []func(*recorder, *clock){nothing, passes(6 * time.Second)}, want: 2},
	} {
		t.Run(tt.name, func(t *testing.T) {
			// In a bubble, synctest.Wait returns once the wait is blocked
			// on its next tick or has returned: nothing here sleeps.
			synctest.Test(t, func(t *testing.T) {
				clk := &clock{t: sent}
				rec := newRecorder(clk.Now, tt.before)
				tt.seen(rec, clk)
				tick := make(chan time.Time)
				done := make(chan error, 1)
				go func() { done <- rec.settle(t.Context(), clk.Now, sent.Add(5*time.Second), tick, nil) }()
				for i := 0; ; i++ {
					synctest.Wait()
					select {
					case err := <-done:
						if err != nil || i != tt.want {
							t.Errorf("the wait ended after %d ticks (%v), want %d", i, err, tt.want)
						}
						return
					default:
					}
					if i == len(tt.next) {
						t.Errorf("the wait goes on after %d ticks, want it ended after %d", i, tt.want)
						return
					}
					tt.next[i](rec, clk)
					tick <- sent
				}
			})
		})
	}
}

// A watch that fails, or the run's end, ends the wait with its error.
func TestSettleEndsOnAFailure(t *testing.T) {
	clk := &clock{t: sent}
	rec := newRecorder(clk.Now, nil)
	failed := make(chan error, 1)
	failed <- errors.New("watching the pods: forbidden")
	if err := rec.settle(t.Context(), clk.Now, sent.Add(time.Second), nil, failed); err == nil || err.Error() != "watching the pods: forbidden" {
		t.Errorf("got %v, want the watch's error", err)
	}
	ctx, cancel := context.WithCancelCause(t.Context())
	cancel(errors.New("interrupted"))
	if err := rec.settle(ctx, clk.Now, sent.Add(time.Second), nil, nil); err == nil || err.Error() != "interrupted" {
		t.Errorf("got %v, want the context's cause", err)
	}
}
