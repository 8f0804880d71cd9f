package measure

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"
	appsv1client "k8s.io/client-go/kubernetes/typed/apps/v1"
	corev1client "k8s.io/client-go/kubernetes/typed/core/v1"
	"k8s.io/utils/ptr"
	"knative.dev/serving/pkg/apis/serving"

	"github.com/knative-preview/action/internal/log"
	"github.com/knative-preview/action/internal/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// clock is a test clock that moves only when the test says so. The wait
// after a sample's response ends at Settle on this clock, which does not
// move then: a sample measured with it needs a Pulled event, which ends
// the wait once the watches have seen it (see kubelet.pulled).
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// ingress is a local HTTP server standing in for the ingress; route sends
// the service's URL to it.
func ingress(t *testing.T, h http.HandlerFunc) Route {
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return Route{URL: "http://hello.measure.example.test", Address: strings.TrimPrefix(srv.URL, "http://")}
}

func onlyLoopback(ctx context.Context, network, addr string) (net.Conn, error) {
	if !strings.HasPrefix(addr, "127.0.0.1:") {
		return nil, fmt.Errorf("test dialled %s: only 127.0.0.1 is allowed", addr)
	}
	return (&net.Dialer{}).DialContext(ctx, network, addr)
}

func TestSmokeChecksNameTheRequest(t *testing.T) {
	n := 0
	route := ingress(t, func(w http.ResponseWriter, r *http.Request) {
		n++
		if r.Host != "hello.measure.example.test" {
			t.Errorf("Host header %q", r.Host)
		}
		switch n {
		case 2:
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte("upstream connect error"))
		case 3:
			_, _ = w.Write([]byte("goodbye"))
		default:
			_, _ = w.Write([]byte("hello world"))
		}
	})
	rep, err := Measure(t.Context(), log.Func(t.Logf), nil, Revision{}, route, Options{
		SmokeRequests: 3, Path: "/greet", Dial: onlyLoopback,
		Expect: expect{Status: 200, Body: regexp.MustCompile(`^hello`)},
	})
	var ce *checkError
	if !asCheck(err, &ce) || len(ce.Problems) != 2 {
		t.Fatalf("got %v, want two failed checks", err)
	}
	for i, want := range []string{
		`warm request 2 (GET http://hello.measure.example.test/greet via 127.0.0.1:`,
		`expected status 200, got 503; expected the body to match /^hello/, got "upstream connect error"`,
	} {
		if !strings.Contains(ce.Problems[0], want) {
			t.Errorf("problem 1 lacks %q (%d): %s", want, i, ce.Problems[0])
		}
	}
	if !strings.Contains(ce.Problems[1], `warm request 3`) || !strings.Contains(ce.Problems[1], `got "goodbye"`) {
		t.Errorf("problem 2: %s", ce.Problems[1])
	}
	if rep == nil || rep.Warm.N != 3 || len(rep.WarmMs) != 3 {
		t.Errorf("the report must still hold the warm numbers: %+v", rep)
	}
	if rep != nil && !slices.Equal(rep.Problems, ce.Problems) {
		t.Errorf("the report's problems %q, want the error's %q", rep.Problems, ce.Problems)
	}
}

func asCheck(err error, target **checkError) bool {
	e, ok := err.(*checkError)
	if ok {
		*target = e
	}
	return ok
}

// revision creates a revision's Deployment at zero in a new namespace.
func revision(t *testing.T, cs kubernetes.Interface, ns string, replicas int32) Revision {
	t.Helper()
	ctx := t.Context()
	if _, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	labels := map[string]string{serving.RevisionLabelKey: "hello-00001"}
	d := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "hello-00001-deployment", Namespace: ns},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To(replicas),
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "user-container", Image: "registry.invalid/hello"}}},
			},
		},
	}
	if _, err := cs.AppsV1().Deployments(ns).Create(ctx, d, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	return Revision{Namespace: ns, Name: "hello-00001"}
}

// tap is the clientset given to Measure: every watch Measure opens passes
// through it, so that the test knows when Measure has handled a change.
type tap struct {
	kubernetes.Interface
	mu      sync.Mutex
	handled map[string]bool // resourceVersions Measure's watches have handled
}

func newTap(cs kubernetes.Interface) *tap {
	return &tap{Interface: cs, handled: map[string]bool{}}
}

// wait waits until Measure has handled every resourceVersion in rvs.
func (t *tap) wait(ctx context.Context, rvs []string) error {
	return wait.PollUntilContextTimeout(ctx, 2*time.Millisecond, 10*time.Second, true, func(context.Context) (bool, error) {
		t.mu.Lock()
		defer t.mu.Unlock()
		for _, rv := range rvs {
			if !t.handled[rv] {
				return false, nil
			}
		}
		return true, nil
	})
}

// watch hands w's events on one at a time, each three times. The measure
// code reads its watches one event at a time, through kube.Watch, which
// passes each event on through one more unbuffered channel: when this tap
// hands over the third copy, kube.Watch has handed over the second, so
// the measure code took it and has finished with the first. Only then is
// the event's resourceVersion marked handled. More copies are harmless: a
// watch that is opened again starts with the objects as they are, so the
// measure code already takes an object it has seen without counting
// anything twice.
func (t *tap) watch(w watch.Interface, err error) (watch.Interface, error) {
	if err != nil {
		return nil, err
	}
	tw := &tapped{Interface: w, out: make(chan watch.Event), done: make(chan struct{})}
	go func() {
		defer close(tw.out)
		for ev := range w.ResultChan() {
			copies := 1
			if ev.Type == watch.Added || ev.Type == watch.Modified || ev.Type == watch.Deleted {
				copies = 3
			}
			for range copies {
				select {
				case tw.out <- ev:
				case <-tw.done:
					return
				}
			}
			if m, err := meta.Accessor(ev.Object); err == nil && copies == 3 {
				t.mu.Lock()
				t.handled[m.GetResourceVersion()] = true
				t.mu.Unlock()
			}
		}
	}()
	return tw, nil
}

type tapped struct {
	watch.Interface
	out  chan watch.Event
	done chan struct{}
	once sync.Once
}

func (w *tapped) ResultChan() <-chan watch.Event { return w.out }
func (w *tapped) Stop() {
	w.once.Do(func() { close(w.done) })
	w.Interface.Stop()
}

func (t *tap) AppsV1() appsv1client.AppsV1Interface { return tapApps{t.Interface.AppsV1(), t} }
func (t *tap) CoreV1() corev1client.CoreV1Interface { return tapCore{t.Interface.CoreV1(), t} }

type tapApps struct {
	appsv1client.AppsV1Interface
	t *tap
}

func (a tapApps) Deployments(ns string) appsv1client.DeploymentInterface {
	return tapDeployments{a.AppsV1Interface.Deployments(ns), a.t}
}

type tapDeployments struct {
	appsv1client.DeploymentInterface
	t *tap
}

func (d tapDeployments) Watch(ctx context.Context, o metav1.ListOptions) (watch.Interface, error) {
	return d.t.watch(d.DeploymentInterface.Watch(ctx, o))
}

type tapCore struct {
	corev1client.CoreV1Interface
	t *tap
}

func (c tapCore) Pods(ns string) corev1client.PodInterface {
	return tapPods{c.CoreV1Interface.Pods(ns), c.t}
}
func (c tapCore) Events(ns string) corev1client.EventInterface {
	return tapEvents{c.CoreV1Interface.Events(ns), c.t}
}

type tapPods struct {
	corev1client.PodInterface
	t *tap
}

func (p tapPods) Watch(ctx context.Context, o metav1.ListOptions) (watch.Interface, error) {
	return p.t.watch(p.PodInterface.Watch(ctx, o))
}

type tapEvents struct {
	corev1client.EventInterface
	t *tap
}

func (e tapEvents) Watch(ctx context.Context, o metav1.ListOptions) (watch.Interface, error) {
	return e.t.watch(e.EventInterface.Watch(ctx, o))
}

// kubelet plays the autoscaler and the kubelet for one cold start: it
// scales the Deployment up, creates a pod and moves it through scheduled,
// started and ready, advancing the clock by each step's programmed time.
// Before the clock moves, Measure (through tap) has handled every change
// of the step before, so it reads the time of the step it saw.
type kubelet struct {
	t       *testing.T
	cs      kubernetes.Interface
	tap     *tap
	rev     Revision
	clock   *clock
	steps   [4]time.Duration // scale, schedule, start, ready
	n       int
	pulled  []string // Pulled event message per sample
	written []string // resourceVersions written since the clock last moved
}

func (k *kubelet) total() time.Duration {
	return k.steps[0] + k.steps[1] + k.steps[2] + k.steps[3]
}

func (k *kubelet) coldStart() *corev1.Pod {
	ctx := context.Background()
	ns := k.rev.Namespace
	k.written = nil
	pause := func(d time.Duration) {
		if err := k.tap.wait(ctx, k.written); err != nil {
			k.t.Errorf("Measure's watches did not handle resourceVersions %v: %v", k.written, err)
		}
		k.written = nil
		k.clock.Advance(d)
	}
	k.n++
	pause(k.steps[0])
	d, err := k.cs.AppsV1().Deployments(ns).Get(ctx, k.rev.deployment(), metav1.GetOptions{})
	if err != nil {
		k.t.Error(err)
		return nil
	}
	d.Spec.Replicas = ptr.To[int32](1)
	d, err = k.cs.AppsV1().Deployments(ns).Update(ctx, d, metav1.UpdateOptions{})
	if err != nil {
		k.t.Error(err)
		return nil
	}
	k.written = append(k.written, d.ResourceVersion)
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("hello-00001-deployment-%d", k.n), Namespace: ns, Labels: map[string]string{serving.RevisionLabelKey: k.rev.Name}},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "user-container", Image: "registry.invalid/hello"}}},
	}
	pod, err = k.cs.CoreV1().Pods(ns).Create(ctx, pod, metav1.CreateOptions{})
	if err != nil {
		k.t.Error(err)
		return nil
	}
	k.written = append(k.written, pod.ResourceVersion)
	status := func(f func(p *corev1.Pod)) {
		f(pod)
		p, err := k.cs.CoreV1().Pods(ns).UpdateStatus(ctx, pod, metav1.UpdateOptions{})
		if err != nil {
			k.t.Error(err)
			return
		}
		pod = p
		k.written = append(k.written, p.ResourceVersion)
	}
	pause(k.steps[1])
	status(func(p *corev1.Pod) {
		p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodScheduled, Status: corev1.ConditionTrue}}
	})
	if k.n-1 < len(k.pulled) {
		ev := &corev1.Event{
			ObjectMeta:     metav1.ObjectMeta{Name: fmt.Sprintf("%s.pulled", pod.Name), Namespace: ns},
			InvolvedObject: corev1.ObjectReference{Kind: "Pod", Name: pod.Name, Namespace: ns},
			Reason:         "Pulled", Type: "Normal", Message: k.pulled[k.n-1],
		}
		ev, err := k.cs.CoreV1().Events(ns).Create(ctx, ev, metav1.CreateOptions{})
		if err != nil {
			k.t.Error(err)
		} else {
			k.written = append(k.written, ev.ResourceVersion)
		}
	}
	pause(k.steps[2])
	status(func(p *corev1.Pod) {
		p.Status.Phase = corev1.PodRunning
		p.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: "user-container", State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}}}
	})
	pause(k.steps[3])
	status(func(p *corev1.Pod) {
		p.Status.Conditions = append(p.Status.Conditions, corev1.PodCondition{Type: corev1.PodReady, Status: corev1.ConditionTrue})
	})
	// No need to wait for the watches here: the clock stays put until the
	// next sample, which begins only once Measure has seen this pod ready.
	return pod
}

// scaleToZero removes the pod and sets the Deployment back to zero, as the
// autoscaler does after the stable window.
func (k *kubelet) scaleToZero(pod *corev1.Pod) {
	ctx := context.Background()
	if pod != nil {
		_ = k.cs.CoreV1().Pods(k.rev.Namespace).Delete(ctx, pod.Name, metav1.DeleteOptions{GracePeriodSeconds: ptr.To[int64](0)})
	}
	d, err := k.cs.AppsV1().Deployments(k.rev.Namespace).Get(ctx, k.rev.deployment(), metav1.GetOptions{})
	if err == nil {
		d.Spec.Replicas = ptr.To[int32](0)
		_, _ = k.cs.AppsV1().Deployments(k.rev.Namespace).Update(ctx, d, metav1.UpdateOptions{})
	}
}

func TestIntegrationColdStartsAreMeasured(t *testing.T) {
	env := testenv.Shared(t)
	cs := kubernetes.NewForConfigOrDie(env.Config)
	rev := revision(t, cs, "measure-cold", 0)
	clk := &clock{t: time.Unix(1_700_000_000, 0)}
	tp := newTap(cs)
	k := &kubelet{t: t, cs: cs, tap: tp, rev: rev, clock: clk,
		steps:  [4]time.Duration{15 * time.Millisecond, 120 * time.Millisecond, 900 * time.Millisecond, 230 * time.Millisecond},
		pulled: []string{`Successfully pulled image "registry.invalid/hello" in 3.1s`, `Container image "registry.invalid/hello" already present on machine`, `Container image "registry.invalid/hello" already present on machine`},
	}
	route := ingress(t, func(w http.ResponseWriter, r *http.Request) {
		pod := k.coldStart()
		_, _ = w.Write([]byte("hello world"))
		w.(http.Flusher).Flush()
		// The autoscaler scales to zero a while after the request, not at
		// once: this delay is part of the scenario (the next sample finds
		// the revision still up and must wait for zero), not a wait for
		// another goroutine; nothing here depends on how long it lasts.
		go func() { time.Sleep(100 * time.Millisecond); k.scaleToZero(pod) }()
	})
	var progress []string
	progressed := log.Func(func(f string, a ...any) { progress = append(progress, fmt.Sprintf(f, a...)) })
	rep, err := Measure(t.Context(), progressed, tp, rev, route, Options{
		Samples: 3, Dial: onlyLoopback, Now: clk.Now, Poll: 50 * time.Millisecond, Settle: time.Second,
		Expect: expect{Status: 200, Body: regexp.MustCompile("hello")},
	})
	if err != nil {
		t.Fatalf("%v\n%s", err, strings.Join(progress, "\n"))
	}
	want := float64(k.total().Milliseconds())
	for i, s := range rep.Samples {
		if s.Verdict != VerdictCold {
			t.Fatalf("sample %d: %s (%s)", i+1, s.Verdict, s.Reason)
		}
		// The test clock moves only by the programmed steps, so the measured
		// time is exactly their sum.
		if s.TTFBMs != want || s.TotalMs != want {
			t.Errorf("sample %d: ttfb %.3f ms, total %.3f ms; want %.0f ms", i+1, s.TTFBMs, s.TotalMs, want)
		}
		if s.Pod != fmt.Sprintf("hello-00001-deployment-%d", i+1) {
			t.Errorf("sample %d served by %q", i+1, s.Pod)
		}
		b := s.Breakdown
		if b.Scaled == nil || b.Scheduled == nil || b.Started == nil || b.Ready == nil {
			t.Fatalf("sample %d: breakdown incomplete: %+v", i+1, b)
		}
		// Measure handled each step before the clock moved on, so each step
		// is reported at the time it happened.
		at := func(n int) float64 {
			var d time.Duration
			for _, s := range k.steps[:n] {
				d += s
			}
			return float64(d.Milliseconds())
		}
		if *b.Scaled != at(1) || *b.Scheduled != at(2) || *b.Started != at(3) || *b.Ready != at(4) || b.FirstByte != want {
			t.Errorf("sample %d: breakdown scaled %v scheduled %v started %v ready %v first byte %v; want %v %v %v %v %v",
				i+1, *b.Scaled, *b.Scheduled, *b.Started, *b.Ready, b.FirstByte, at(1), at(2), at(3), at(4), want)
		}
	}
	if rep.Samples[0].Image != ImagePulled || rep.Samples[1].Image != ImagePresent {
		t.Errorf("image: %s, %s", rep.Samples[0].Image, rep.Samples[1].Image)
	}
	if rep.FirstWithPull == nil || rep.FirstWithPull.Index != 1 || rep.Cold.N != 2 || rep.Cold.Median != want {
		t.Errorf("the first sample (image pull) must be apart from the statistics: first %+v, cold %+v", rep.FirstWithPull, rep.Cold)
	}
}

// A sample that cannot be taken ends the measurement, and what was taken
// before it is summarised as a whole run's would be: the first sample's
// image pull apart, the figures of the rest. (A later stage keeps them.)
func TestIntegrationSamplesBeforeAFailureAreSummarised(t *testing.T) {
	env := testenv.Shared(t)
	cs := kubernetes.NewForConfigOrDie(env.Config)
	rev := revision(t, cs, "measure-cut-short", 0)
	clk := &clock{t: time.Unix(1_700_000_000, 0)}
	tp := newTap(cs)
	k := &kubelet{t: t, cs: cs, tap: tp, rev: rev, clock: clk,
		steps:  [4]time.Duration{15 * time.Millisecond, 120 * time.Millisecond, 900 * time.Millisecond, 230 * time.Millisecond},
		pulled: []string{`Successfully pulled image "registry.invalid/hello" in 3.1s`, `Container image "registry.invalid/hello" already present on machine`},
	}
	var served atomic.Int32
	route := ingress(t, func(w http.ResponseWriter, r *http.Request) {
		pod := k.coldStart()
		_, _ = w.Write([]byte("hello world"))
		w.(http.Flusher).Flush()
		if served.Add(1) < 2 {
			// As in TestIntegrationColdStartsAreMeasured; after the
			// second request the revision stays up, and the third sample
			// cannot be taken.
			go func() { time.Sleep(100 * time.Millisecond); k.scaleToZero(pod) }()
		}
	})
	rep, err := Measure(t.Context(), log.Func(t.Logf), tp, rev, route, Options{
		Samples: 3, Dial: onlyLoopback, Now: clk.Now, Poll: 50 * time.Millisecond, Settle: time.Second, ScaleToZeroTimeout: time.Second,
	})
	if err == nil || !strings.Contains(err.Error(), "cold start sample 3 of 3") {
		t.Fatalf("got %v, want sample 3 to fail", err)
	}
	if rep == nil || len(rep.Samples) != 2 || rep.FirstWithPull == nil || rep.Cold.N != 1 || rep.Cold.Median != float64(k.total().Milliseconds()) {
		t.Errorf("the two samples taken are not summarised: %+v", rep)
	}
}

// A request answered by a pod that is still draining is not a cold start.
func TestIntegrationDrainingPodIsNotAColdStart(t *testing.T) {
	env := testenv.Shared(t)
	cs := kubernetes.NewForConfigOrDie(env.Config)
	ctx := t.Context()
	rev := revision(t, cs, "measure-draining", 0)
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "hello-00001-deployment-old", Namespace: rev.Namespace, Labels: map[string]string{serving.RevisionLabelKey: rev.Name}, Finalizers: []string{"test.knative-preview/draining"}},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "user-container", Image: "registry.invalid/hello"}}},
	}
	if _, err := cs.CoreV1().Pods(rev.Namespace).Create(ctx, pod, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := cs.CoreV1().Pods(rev.Namespace).Delete(ctx, pod.Name, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		p, err := cs.CoreV1().Pods(rev.Namespace).Get(context.Background(), pod.Name, metav1.GetOptions{})
		if err == nil {
			p.Finalizers = nil
			_, _ = cs.CoreV1().Pods(rev.Namespace).Update(context.Background(), p, metav1.UpdateOptions{})
		}
	})
	route := ingress(t, func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("hello from the old pod")) })
	rep, err := Measure(ctx, log.Func(t.Logf), cs, rev, route, Options{Samples: 1, Dial: onlyLoopback, Poll: 50 * time.Millisecond, Settle: 300 * time.Millisecond})
	if err == nil || !strings.Contains(err.Error(), "none of the 1 samples was a cold start") {
		t.Fatalf("got %v, want the run to fail for lack of a cold start", err)
	}
	s := rep.Samples[0]
	if s.Verdict != VerdictDiscarded || !strings.Contains(s.Reason, "a pod that already existed, still draining, answered") {
		t.Errorf("sample: %+v", s)
	}
	if rep.Cold.N != 0 {
		t.Errorf("a discarded sample was counted: %+v", rep.Cold)
	}
}

func TestIntegrationScaleToZeroThatNeverHappens(t *testing.T) {
	env := testenv.Shared(t)
	cs := kubernetes.NewForConfigOrDie(env.Config)
	rev := revision(t, cs, "measure-never-zero", 1)
	route := ingress(t, func(w http.ResponseWriter, r *http.Request) {
		t.Error("a request was sent while the revision was not at zero")
	})
	_, err := Measure(t.Context(), log.Func(t.Logf), cs, rev, route, Options{Samples: 1, ScaleToZeroTimeout: time.Second, Poll: 50 * time.Millisecond, Dial: onlyLoopback})
	for _, want := range []string{"cold start sample 1 of 1", "revision hello-00001 did not scale to zero within 1s", "Deployment wants 1 replicas", "enable-scale-to-zero"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q: %v", want, err)
		}
	}
}

func TestIntegrationThresholdFailsTheRun(t *testing.T) {
	env := testenv.Shared(t)
	cs := kubernetes.NewForConfigOrDie(env.Config)
	rev := revision(t, cs, "measure-threshold", 0)
	clk := &clock{t: time.Unix(1_700_000_000, 0)}
	tp := newTap(cs)
	k := &kubelet{t: t, cs: cs, tap: tp, rev: rev, clock: clk, steps: [4]time.Duration{0, 100 * time.Millisecond, 1400 * time.Millisecond, 500 * time.Millisecond},
		pulled: []string{present}}
	route := ingress(t, func(w http.ResponseWriter, r *http.Request) {
		k.coldStart()
		_, _ = w.Write([]byte("hello"))
	})
	rep, err := Measure(t.Context(), log.Func(t.Logf), tp, rev, route, Options{Samples: 1, MaxMedianMs: 1500, Dial: onlyLoopback, Now: clk.Now, Poll: 50 * time.Millisecond, Settle: 300 * time.Millisecond})
	if err == nil || !strings.Contains(err.Error(), "cold start median 2000 ms is above cold-start-max-ms 1500 ms (samples: 2000 ms)") {
		t.Fatalf("got %v", err)
	}
	if rep.Cold.Median != 2000 {
		t.Errorf("report %+v", rep.Cold)
	}
}

// A redirect is the service's answer: it is not followed, so the time is
// the time of this request, and the status is what the check sees.
func TestRedirectIsNotFollowed(t *testing.T) {
	hits := 0
	route := ingress(t, func(w http.ResponseWriter, r *http.Request) {
		hits++
		http.Redirect(w, r, "https://hello.measure.example.test/", http.StatusFound)
	})
	p, err := newProber(route, 10*time.Second, nil, onlyLoopback)
	if err != nil {
		t.Fatal(err)
	}
	r, err := p.Get(t.Context(), "/")
	if err != nil {
		t.Fatal(err)
	}
	if r.Status != http.StatusFound || hits != 1 {
		t.Errorf("status %d after %d requests, want 302 after 1", r.Status, hits)
	}
	if err := (expect{Status: 200}).Check(r); err == nil || !strings.Contains(err.Error(), "expected status 200, got 302") {
		t.Errorf("check: %v", err)
	}
}
