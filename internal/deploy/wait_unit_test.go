package deploy

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"
	kubefake "k8s.io/client-go/kubernetes/fake"
	corev1client "k8s.io/client-go/kubernetes/typed/core/v1"
	k8stesting "k8s.io/client-go/testing"
	"knative.dev/pkg/apis"
	duckv1 "knative.dev/pkg/apis/duck/v1"
	servingv1 "knative.dev/serving/pkg/apis/serving/v1"
	servingfake "knative.dev/serving/pkg/client/clientset/versioned/fake"
	servingclient "knative.dev/serving/pkg/client/clientset/versioned/typed/serving/v1"

	"github.com/knative-preview/action/internal/log"
)

// These tests drive (*waiter).wait through fake clientsets whose watches
// the test feeds, as kn's wait tests do. The poll interval is an hour, so
// the wait moves only when the test sends a watch event (or its deadline
// comes): what it does after each event is what it decided from that event.

const (
	fwNS       = "preview"
	fwService  = "web"
	fwDeployID = "deploy-1"
	fwOldRev   = "web-00001"
	fwNewRev   = "web-00002"
	fwPod      = "web-00002-deployment-7d9f-x2x4q"
	// fwGen is the generation the deploy wrote; Knative has seen fwGen-1.
	fwGen = 2
)

// waitClock is the Deployer's clock; it moves only when the test says so.
type waitClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *waitClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

func (c *waitClock) Advance(d time.Duration) { c.mu.Lock(); defer c.mu.Unlock(); c.t = c.t.Add(d) }

type waitOutcome struct {
	svc *servingv1.Service
	rev string
	err error
}

// fakeKnative is a Kubernetes and a Knative Serving fake clientset. Every
// watch the wait opens is a fake watch that the test sends events on, and
// that ends with the context it was opened with, as a real one does. Each
// read of the Service (the start of a look) is reported on looks.
type fakeKnative struct {
	t       *testing.T
	kube    *kubefake.Clientset
	serving *servingfake.Clientset
	clock   *waitClock

	mu      sync.Mutex
	watches map[string][]*watch.RaceFreeFakeWatcher // by resource
	opened  chan struct{}                           // closed and replaced when a watch opens

	looks chan *servingv1.Service
	done  chan waitOutcome
}

func newFakeKnative(t *testing.T) *fakeKnative {
	t.Helper()
	f := &fakeKnative{
		t:       t,
		kube:    kubefake.NewClientset(),
		serving: servingfake.NewSimpleClientset(),
		clock:   &waitClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)},
		watches: map[string][]*watch.RaceFreeFakeWatcher{},
		opened:  make(chan struct{}),
		looks:   make(chan *servingv1.Service, 256),
	}
	react := func(a k8stesting.Action) (bool, watch.Interface, error) {
		w := watch.NewRaceFreeFake()
		f.mu.Lock()
		defer f.mu.Unlock()
		f.watches[a.GetResource().Resource] = append(f.watches[a.GetResource().Resource], w)
		close(f.opened)
		f.opened = make(chan struct{})
		return true, w, nil
	}
	f.kube.PrependWatchReactor("*", react)
	f.serving.PrependWatchReactor("*", react)
	f.serving.PrependReactor("get", "services", func(a k8stesting.Action) (bool, runtime.Object, error) {
		handled, obj, err := k8stesting.ObjectReaction(f.serving.Tracker())(a)
		if svc, ok := obj.(*servingv1.Service); ok && err == nil {
			select {
			case f.looks <- svc.DeepCopy():
			default:
			}
		}
		return handled, obj, err
	})

	// A Service updated to generation fwGen, whose previous revision is
	// Ready, and the revision this deploy made (found by its deploy ID).
	svc := &servingv1.Service{ObjectMeta: metav1.ObjectMeta{Name: fwService, Namespace: fwNS, Generation: fwGen}}
	svc.Status.ObservedGeneration = fwGen - 1
	svc.Status.LatestReadyRevisionName, svc.Status.LatestCreatedRevisionName = fwOldRev, fwOldRev
	svc.Status.Conditions = duckv1.Conditions{{Type: apis.ConditionReady, Status: corev1.ConditionTrue}}
	rev := &servingv1.Revision{ObjectMeta: metav1.ObjectMeta{
		Name: fwNewRev, Namespace: fwNS,
		Labels:      map[string]string{serviceLabel: fwService},
		Annotations: map[string]string{deployIDKey: fwDeployID},
	}}
	for _, o := range []runtime.Object{svc, rev} {
		if err := f.serving.Tracker().Add(o); err != nil {
			t.Fatal(err)
		}
	}
	return f
}

// start runs the wait for generation fwGen with the given timings.
func (f *fakeKnative) start(ctx context.Context, t timings) { f.startLogged(ctx, t, log.Discard) }

// look waits for the wait's next look whose Service matches ok; the wait
// must not end meanwhile.
func (f *fakeKnative) look(what string, ok func(*servingv1.Service) bool) {
	f.t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case s := <-f.looks:
			if ok(s) {
				return
			}
		case r := <-f.done:
			f.t.Fatalf("the wait ended (%v, %q, %v) before it looked at %s", r.svc != nil, r.rev, r.err, what)
		case <-timeout:
			f.t.Fatalf("the wait did not look at %s within 10s", what)
		}
	}
}

func anyState(*servingv1.Service) bool { return true }

// outcome waits for the wait to end.
func (f *fakeKnative) outcome() waitOutcome {
	f.t.Helper()
	select {
	case r := <-f.done:
		return r
	case <-time.After(10 * time.Second):
		f.t.Fatal("the wait did not end within 10s")
		return waitOutcome{}
	}
}

// send delivers an event to every watch of resource the wait has open,
// waiting for the wait to open one.
func (f *fakeKnative) send(resource string, typ watch.EventType, obj runtime.Object) {
	f.t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		f.mu.Lock()
		ws, opened := f.watches[resource], f.opened
		f.mu.Unlock()
		if len(ws) > 0 {
			for _, w := range ws {
				w.Action(typ, obj.DeepCopyObject())
			}
			return
		}
		select {
		case <-opened:
		case <-timeout:
			f.t.Fatalf("the wait did not watch %s within 10s", resource)
		}
	}
}

// status changes the Service's status as Knative's controller would, and
// sends the watch event.
func (f *fakeKnative) status(edit func(*servingv1.Service)) {
	f.t.Helper()
	gvr := servingv1.SchemeGroupVersion.WithResource("services")
	obj, err := f.serving.Tracker().Get(gvr, fwNS, fwService) // not one of the wait's looks
	if err != nil {
		f.t.Fatal(err)
	}
	svc := obj.(*servingv1.Service).DeepCopy()
	edit(svc)
	if err := f.serving.Tracker().Update(gvr, svc, fwNS); err != nil {
		f.t.Fatal(err)
	}
	f.send("services", watch.Modified, svc)
}

// kick sends an event that changes nothing: the wait looks again.
func (f *fakeKnative) kick() {
	f.t.Helper()
	f.status(func(*servingv1.Service) {})
}

// pod creates a pod of the new revision, as the kubelet reports it.
func (f *fakeKnative) pod(status corev1.PodStatus) {
	f.t.Helper()
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: fwPod, Namespace: fwNS, Labels: map[string]string{revisionLabel: fwNewRev, serviceLabel: fwService}},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "user-container", Image: "ghcr.io/org/app:v1"}}},
		Status:     status,
	}
	if _, err := f.kube.CoreV1().Pods(fwNS).Create(context.Background(), p, metav1.CreateOptions{}); err != nil {
		f.t.Fatal(err)
	}
	f.send("pods", watch.Added, p)
}

func readyAt(gen int64, status corev1.ConditionStatus, reason, msg string) func(*servingv1.Service) {
	return func(s *servingv1.Service) {
		s.Status.ObservedGeneration = gen
		s.Status.Conditions = duckv1.Conditions{{Type: apis.ConditionReady, Status: status, Reason: reason, Message: msg}}
		if status == corev1.ConditionTrue {
			s.Status.LatestReadyRevisionName = fwNewRev
			if gen < fwGen {
				s.Status.LatestReadyRevisionName = fwOldRev
			}
		}
	}
}

func isReady(status corev1.ConditionStatus, gen int64) func(*servingv1.Service) bool {
	return func(s *servingv1.Service) bool {
		c := s.Status.GetCondition(apis.ConditionReady)
		return s.Status.ObservedGeneration == gen && c != nil && c.Status == status
	}
}

func waitingPod(reason, msg string) corev1.PodStatus {
	return corev1.PodStatus{Phase: corev1.PodPending, ContainerStatuses: []corev1.ContainerStatus{{
		Name: "user-container", RestartCount: 3,
		State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: reason, Message: msg}},
	}}}
}

func unitTimings() timings {
	return timings{Ready: time.Minute, ErrorWindow: 2 * time.Second, Poll: time.Hour}
}

func TestWaitFollowsTheWatchedService(t *testing.T) {
	ready := func(t *testing.T, r waitOutcome) {
		t.Helper()
		if r.err != nil {
			t.Fatalf("the wait failed: %v", r.err)
		}
		if r.svc == nil || r.rev != fwNewRev || r.svc.Status.ObservedGeneration != fwGen {
			t.Errorf("got revision %q (Service %v); want %s at observed generation %d", r.rev, r.svc != nil && r.svc.Status.ObservedGeneration == fwGen, fwNewRev, fwGen)
		}
	}
	cases := []struct {
		name string
		// script plays Knative's controller and the kubelet; the wait has
		// made its first look.
		script func(f *fakeKnative)
		want   func(t *testing.T, r waitOutcome)
	}{{
		name:   "Ready at the current generation ends the wait",
		script: func(f *fakeKnative) { f.status(readyAt(fwGen, corev1.ConditionTrue, "", "")) },
		want:   ready,
	}, {
		name: "an event for an older generation is ignored",
		script: func(f *fakeKnative) {
			f.status(readyAt(fwGen-1, corev1.ConditionFalse, "RevisionFailed", "the old revision broke"))
			f.look("the older generation's Ready=False", isReady(corev1.ConditionFalse, fwGen-1))
			f.clock.Advance(time.Hour)
			f.status(readyAt(fwGen-1, corev1.ConditionTrue, "", ""))
			f.look("the older generation's Ready=True", isReady(corev1.ConditionTrue, fwGen-1))
			f.kick()
			f.look("the state after the older generation's events", anyState)
			f.status(readyAt(fwGen, corev1.ConditionTrue, "", ""))
		},
		want: ready,
	}, {
		name: "Ready=False shorter than the error window is tolerated",
		script: func(f *fakeKnative) {
			f.status(readyAt(fwGen, corev1.ConditionFalse, "RevisionMissing", "Configuration is waiting for a Revision to become ready."))
			f.look("Ready=False", isReady(corev1.ConditionFalse, fwGen))
			f.kick()
			f.look("the state after Ready=False", anyState) // the wait has seen Ready=False begin
			f.clock.Advance(2*time.Second - time.Millisecond)
			f.kick()
			f.look("Ready=False a little less than the error window later", anyState)
			f.status(readyAt(fwGen, corev1.ConditionTrue, "", ""))
		},
		want: ready,
	}, {
		name: "Ready=False that lasts the error window fails",
		script: func(f *fakeKnative) {
			f.status(readyAt(fwGen, corev1.ConditionFalse, "RevisionFailed", "Revision web-00002 failed with message: exec format error."))
			f.look("Ready=False", isReady(corev1.ConditionFalse, fwGen))
			f.kick()
			f.look("the state after Ready=False", anyState)
			f.clock.Advance(2 * time.Second)
			f.kick()
		},
		want: func(t *testing.T, r waitOutcome) {
			var fail *failure
			if !errors.As(r.err, &fail) || fail.Reason != "RevisionFailed" || !strings.Contains(r.err.Error(), "exec format error") {
				t.Fatalf("got %v, want a *Failure RevisionFailed with Knative's message", r.err)
			}
		},
	}}
	for _, pod := range []struct{ reason, msg string }{
		{"ImagePullBackOff", `Back-off pulling image "ghcr.io/org/app:v1"`},
		{"CrashLoopBackOff", "back-off 20s restarting failed container"},
	} {
		cases = append(cases, struct {
			name   string
			script func(f *fakeKnative)
			want   func(t *testing.T, r waitOutcome)
		}{
			name:   "a pod in " + pod.reason + " ends the wait",
			script: func(f *fakeKnative) { f.pod(waitingPod(pod.reason, pod.msg)) },
			want: func(t *testing.T, r waitOutcome) {
				var fail *failure
				if !errors.As(r.err, &fail) || fail.Reason != pod.reason {
					t.Fatalf("got %v, want a *Failure %s", r.err, pod.reason)
				}
				for _, want := range []string{pod.reason, fwPod, fwNewRev} {
					if !strings.Contains(r.err.Error(), want) {
						t.Errorf("the error does not name %s: %v", want, r.err)
					}
				}
			},
		})
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFakeKnative(t)
			f.start(t.Context(), unitTimings())
			f.look("the Service as the deploy left it", anyState)
			c.script(f)
			c.want(t, f.outcome())
		})
	}
}

// A wait that runs out says what it waited for and what it saw last.
func TestWaitDeadlineSaysWhatItWaitedFor(t *testing.T) {
	cases := []struct {
		name   string
		ready  time.Duration // the wait's own bound
		parent time.Duration // the caller's deadline
	}{
		{"the wait's own bound", 300 * time.Millisecond, time.Minute},
		{"the caller's deadline", time.Minute, 300 * time.Millisecond},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFakeKnative(t)
			ctx, cancel := context.WithTimeout(t.Context(), c.parent)
			t.Cleanup(cancel)
			timings := unitTimings()
			timings.Ready = c.ready
			f.start(ctx, timings)
			f.look("the Service as the deploy left it", anyState)
			f.status(readyAt(fwGen, corev1.ConditionUnknown, "Deploying", ""))
			f.pod(waitingPod("ContainerCreating", ""))
			r := f.outcome()
			var fail *failure
			if r.err == nil || errors.As(r.err, &fail) {
				t.Fatalf("got %v, want a timeout", r.err)
			}
			if !errors.Is(r.err, context.DeadlineExceeded) {
				t.Errorf("the error does not wrap the deadline: %v", r.err)
			}
			for _, want := range []string{"Knative Service " + fwNS + "/" + fwService, "Ready", fwPod, "ContainerCreating"} {
				if !strings.Contains(r.err.Error(), want) {
					t.Errorf("the error lacks %q: %v", want, r.err)
				}
			}
		})
	}
}

// A watch from a real clientset ends with the context it was opened with;
// these wrappers give the fake ones the same behaviour.

func endsWith(ctx context.Context) func(watch.Interface, error) (watch.Interface, error) {
	return func(w watch.Interface, err error) (watch.Interface, error) {
		if err == nil {
			context.AfterFunc(ctx, w.Stop)
		}
		return w, err
	}
}

type ctxServing struct {
	servingclient.ServingV1Interface
}

func (s ctxServing) Services(ns string) servingclient.ServiceInterface {
	return ctxServices{s.ServingV1Interface.Services(ns)}
}

func (s ctxServing) Revisions(ns string) servingclient.RevisionInterface {
	return ctxRevisions{s.ServingV1Interface.Revisions(ns)}
}

type ctxServices struct{ servingclient.ServiceInterface }

func (s ctxServices) Watch(ctx context.Context, o metav1.ListOptions) (watch.Interface, error) {
	return endsWith(ctx)(s.ServiceInterface.Watch(ctx, o))
}

type ctxRevisions struct {
	servingclient.RevisionInterface
}

func (s ctxRevisions) Watch(ctx context.Context, o metav1.ListOptions) (watch.Interface, error) {
	return endsWith(ctx)(s.RevisionInterface.Watch(ctx, o))
}

type ctxKube struct{ kubernetes.Interface }

func (k ctxKube) CoreV1() corev1client.CoreV1Interface { return ctxCore{k.Interface.CoreV1()} }

type ctxCore struct{ corev1client.CoreV1Interface }

func (c ctxCore) Pods(ns string) corev1client.PodInterface {
	return ctxPods{c.CoreV1Interface.Pods(ns)}
}

func (c ctxCore) Events(ns string) corev1client.EventInterface {
	return ctxEvents{c.CoreV1Interface.Events(ns)}
}

type ctxPods struct{ corev1client.PodInterface }

func (p ctxPods) Watch(ctx context.Context, o metav1.ListOptions) (watch.Interface, error) {
	return endsWith(ctx)(p.PodInterface.Watch(ctx, o))
}

type ctxEvents struct{ corev1client.EventInterface }

func (e ctxEvents) Watch(ctx context.Context, o metav1.ListOptions) (watch.Interface, error) {
	return endsWith(ctx)(e.EventInterface.Watch(ctx, o))
}

// A watch the credentials may not open ends the wait at once (its poll is
// an hour and its bound a minute), saying what it watched and what to do.
func TestWaitEndsOnAForbiddenWatch(t *testing.T) {
	f := newFakeKnative(t)
	f.serving.PrependWatchReactor("revisions", func(k8stesting.Action) (bool, watch.Interface, error) {
		return true, nil, apierrors.NewForbidden(servingv1.Resource("revisions"), "", errors.New(`User "ci" cannot watch resource "revisions"`))
	})
	f.start(t.Context(), unitTimings())
	r := f.outcome()
	if !apierrors.IsForbidden(r.err) {
		t.Fatalf("got %v, want the Forbidden", r.err)
	}
	for _, want := range []string{"the revisions of the Knative Service " + fwNS + "/" + fwService, "cannot watch", "RBAC"} {
		if !strings.Contains(r.err.Error(), want) {
			t.Errorf("the error lacks %q: %v", want, r.err)
		}
	}
}
