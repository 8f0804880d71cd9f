package measure

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"
	"knative.dev/serving/pkg/apis/serving"

	"github.com/knative-preview/action/internal/kube"
	"github.com/knative-preview/action/internal/log"
)

// Verdicts of a sample.
const (
	VerdictCold      = "cold"
	VerdictDiscarded = "discarded"
)

// What the pod's events say about the image.
const (
	ImagePulled  = "pulled"
	ImagePresent = "present"
	imageUnknown = "unknown"
)

// readyLag is how much later than the first byte a serving pod's
// readiness may reach this client: the activator forwards as soon as its
// own probe passes, before the kubelet's status update arrives here.
const readyLag = 2 * time.Second

// maxWatchGap is the longest a watch of a sample may be closed (the API
// server away, as during a control plane upgrade) for the steps it saw to
// still tell the time they came: longer, and a readiness seen on reopening
// may have come any time in between.
const maxWatchGap = readyLag

// Breakdown gives, in milliseconds after the request was sent, when each
// step was seen by this client's watches; nil when it was not seen.
type Breakdown struct {
	Scaled    *float64 `json:"scaled-ms"`
	Scheduled *float64 `json:"scheduled-ms"`
	Started   *float64 `json:"started-ms"`
	Ready     *float64 `json:"ready-ms"`
	FirstByte float64  `json:"first-byte-ms"`
}

// Sample is one cold start attempt.
type Sample struct {
	Index   int    `json:"sample"`
	Verdict string `json:"verdict"`
	// Reason says why a sample was discarded.
	Reason  string  `json:"reason,omitempty"`
	TotalMs float64 `json:"total-ms"`
	TTFBMs  float64 `json:"ttfb-ms"`
	Status  int     `json:"status"`
	// Pod is the new pod that served the request.
	Pod         string    `json:"pod,omitempty"`
	Image       string    `json:"image"`
	PullMessage string    `json:"pull,omitempty"`
	Breakdown   Breakdown `json:"breakdown"`
	// CheckFailed says how the response differed from what was expected.
	CheckFailed string `json:"check-failed,omitempty"`
}

// observations are what one sample is judged on: the response, and what
// the watches saw of the revision while it was served. Nothing in them
// talks to the cluster.
type observations struct {
	// revision names the revision, for the reasons.
	revision string
	index    int
	// sent is when the request was on the wire; ttfb and total run from it
	// to the first and the last byte.
	sent        time.Time
	ttfb, total time.Duration
	status      int
	// checkFailed says how the response differed from what was expected.
	checkFailed string
	// gap is the longest time one of the watches was not open during the
	// sample, and gapCause what kept it from opening (nil: nothing).
	gap      time.Duration
	gapCause error
	watched
}

// watched is what the watches saw, each step at its arrival on this
// client's clock.
type watched struct {
	// before holds the pods that existed before the request: none of them
	// is a new pod.
	before map[types.UID]bool
	// scaled is when the Deployment was first seen wanting a replica.
	scaled time.Time
	pods   map[types.UID]*podSteps
	// pulled holds each pod's Pulled event message; pulling the pods that
	// had a Pulling event.
	pulled  map[string]string
	pulling map[string]bool
}

type podSteps struct {
	name                               string
	created, scheduled, started, ready time.Time
}

// served returns the new pod that became ready first: the one that served
// the request, if a new pod did. Nil when no new pod became ready.
func (w *watched) served() *podSteps {
	var first *podSteps
	for uid, p := range w.pods {
		if w.before[uid] || p.ready.IsZero() {
			continue
		}
		if first == nil || p.ready.Before(first.ready) {
			first = p
		}
	}
	return first
}

// settled reports whether the watches have seen what a sample is judged
// on: a new pod ready, and the kubelet's word on the image.
func (w *watched) settled() bool {
	return w.served() != nil && len(w.pulled) > 0
}

// image returns what the pod's events say about its image, and the
// Pulled event's message.
func (w *watched) image(pod string) (image, message string) {
	if msg, ok := w.pulled[pod]; ok {
		if strings.Contains(msg, "already present") {
			return ImagePresent, msg
		}
		return ImagePulled, msg
	}
	if w.pulling[pod] {
		return ImagePulled, ""
	}
	return imageUnknown, ""
}

// judge gives the verdict of a sample: cold when a new pod served the
// request, discarded when a pod that already existed did.
func judge(o observations) Sample {
	s := Sample{
		Index:       o.index,
		TotalMs:     millis(o.total),
		TTFBMs:      millis(o.ttfb),
		Status:      o.status,
		Image:       imageUnknown,
		CheckFailed: o.checkFailed,
	}
	s.Breakdown.FirstByte = s.TTFBMs
	if o.gap > maxWatchGap {
		s.Verdict = VerdictDiscarded
		why := "the API server kept ending them, and they were opened again after a pause between tries"
		if o.gapCause != nil {
			why = fmt.Sprintf("the API server could not be reached: %v", o.gapCause)
		}
		s.Reason = fmt.Sprintf("the watches of revision %s were closed for %s while the request was served (%s): the steps of this start were not seen as they came, so it is not counted", o.revision, o.gap.Round(100*time.Millisecond), why)
		return s
	}
	s.Breakdown.Scaled = o.at(o.scaled)
	served := o.served()
	if served == nil {
		s.Verdict = VerdictDiscarded
		s.Reason = fmt.Sprintf("no new pod of revision %s became ready while the request was served (first byte after %s): a pod that already existed, still draining, answered, so this was not a cold start", o.revision, ms(s.TTFBMs))
		return s
	}
	if lag := served.ready.Sub(o.sent.Add(o.ttfb)); lag > readyLag {
		s.Verdict = VerdictDiscarded
		s.Reason = fmt.Sprintf("the response came %s before new pod %s was seen ready: a pod that already existed answered, so this was not a cold start", ms(millis(lag)), served.name)
		return s
	}
	s.Verdict = VerdictCold
	s.Pod = served.name
	s.Breakdown.Scheduled = o.at(served.scheduled)
	s.Breakdown.Started = o.at(served.started)
	s.Breakdown.Ready = o.at(served.ready)
	s.Image, s.PullMessage = o.image(served.name)
	return s
}

// at returns when t was, in milliseconds after the request was sent; nil
// when t was not seen.
func (o *observations) at(t time.Time) *float64 {
	if t.IsZero() {
		return nil
	}
	v := millis(t.Sub(o.sent))
	return &v
}

// recorder keeps what the watches see, at the client-side arrival time of
// each step of a cold start.
type recorder struct {
	mu  sync.Mutex
	now func() time.Time
	w   watched
}

func newRecorder(now func() time.Time, before map[types.UID]bool) *recorder {
	return &recorder{now: now, w: watched{before: before, pods: map[types.UID]*podSteps{}, pulled: map[string]string{}, pulling: map[string]bool{}}}
}

func (r *recorder) deployment(d *appsv1.Deployment) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.w.scaled.IsZero() && d.Spec.Replicas != nil && *d.Spec.Replicas > 0 {
		r.w.scaled = r.now()
	}
}

func (r *recorder) pod(p *corev1.Pod) {
	r.mu.Lock()
	defer r.mu.Unlock()
	t := r.now()
	s := r.w.pods[p.UID]
	if s == nil {
		s = &podSteps{name: p.Name, created: t}
		r.w.pods[p.UID] = s
	}
	for _, c := range p.Status.Conditions {
		if c.Status != corev1.ConditionTrue {
			continue
		}
		switch c.Type {
		case corev1.PodScheduled:
			setOnce(&s.scheduled, t)
		case corev1.PodReady:
			setOnce(&s.ready, t)
		}
	}
	if n := len(p.Status.ContainerStatuses); n > 0 {
		running := 0
		for _, c := range p.Status.ContainerStatuses {
			if c.State.Running != nil {
				running++
			}
		}
		if running == n {
			setOnce(&s.started, t)
		}
	}
}

func (r *recorder) event(e *corev1.Event) {
	if e.InvolvedObject.Kind != "Pod" {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	switch e.Reason {
	case "Pulled":
		r.w.pulled[e.InvolvedObject.Name] = e.Message
	case "Pulling":
		r.w.pulling[e.InvolvedObject.Name] = true
	}
}

func setOnce(t *time.Time, v time.Time) {
	if t.IsZero() {
		*t = v
	}
}

func (r *recorder) settled() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.w.settled()
}

// settleTick is how often the wait after a response looks at what the
// watches saw.
const settleTick = 50 * time.Millisecond

// settle waits, after the response, for the watches to report the serving
// pod's readiness and the kubelet its image events, which may come a
// little after the response: until they have (settled), or until the
// clock now reaches deadline, looking at every tick. It returns the error
// of a watch that failed, or the context's.
func (r *recorder) settle(ctx context.Context, now func() time.Time, deadline time.Time, tick <-chan time.Time, failed <-chan error) error {
	for now().Before(deadline) && !r.settled() {
		select {
		case <-ctx.Done():
			return context.Cause(ctx)
		case err := <-failed:
			return err
		case <-tick:
		}
	}
	return nil
}

// takeSample waits for the revision to be at zero, sends one request while
// watching the revision, and judges whether a new pod served it.
func takeSample(ctx context.Context, l log.Logger, cs kubernetes.Interface, rev Revision, prober *prober, opts Options, index int) (*Sample, error) {
	before, err := waitForZero(ctx, l, cs, rev, opts)
	if err != nil {
		return nil, err
	}
	rec := newRecorder(opts.Now, before)
	wctx, stop := context.WithCancel(ctx)
	defer stop()
	var wg sync.WaitGroup
	watchers, failed, err := startWatches(wctx, cs, rev, rec, &wg)
	if err != nil {
		return nil, err
	}
	// A watch that failed missed what the sample is judged on.
	watchFailed := func(err error) error {
		return fmt.Errorf("following revision %s's cold start: %w", rev.Name, err)
	}

	resp, err := prober.Get(ctx, opts.Path)
	if err != nil {
		return nil, fmt.Errorf("the request of the cold start failed: %w", err)
	}
	tick := time.NewTicker(settleTick)
	defer tick.Stop()
	if err := rec.settle(ctx, opts.Now, opts.Now().Add(opts.Settle), tick.C, failed); err != nil {
		if ctx.Err() != nil {
			return nil, err // the run ends: its cause, as it is
		}
		return nil, watchFailed(err)
	}
	stop()
	wg.Wait()
	select {
	case err := <-failed:
		return nil, watchFailed(err)
	default:
	}

	o := observations{revision: rev.Name, index: index, sent: resp.Sent, ttfb: resp.TTFB, total: resp.Total, status: resp.Status, watched: rec.w}
	for _, wr := range watchers {
		if gap, cause := wr.LongestGap(); gap > o.gap {
			o.gap, o.gapCause = gap, cause
		}
	}
	if err := opts.Expect.Check(resp); err != nil {
		o.checkFailed = err.Error()
	}
	s := judge(o)
	return &s, nil
}

// atZero judges the revision's state for the wait before a sample: whether
// its Deployment d wants no replica and none of its pods is running that
// is not terminating. It returns the UIDs of the pods that exist, which
// cannot count as new pods of the sample, and the state in words.
func atZero(d *appsv1.Deployment, pods []corev1.Pod) (zero bool, before map[types.UID]bool, state string) {
	replicas := int32(1)
	if d.Spec.Replicas != nil {
		replicas = *d.Spec.Replicas
	}
	before = map[types.UID]bool{}
	var live []string
	for _, p := range pods {
		before[p.UID] = true
		if p.DeletionTimestamp == nil {
			live = append(live, fmt.Sprintf("%s (%s)", p.Name, p.Status.Phase))
		}
	}
	state = fmt.Sprintf("Deployment wants %d replicas; pods not terminating: %d", replicas, len(live))
	if len(live) > 0 {
		state += " [" + strings.Join(live, ", ") + "]"
	}
	return replicas == 0 && len(live) == 0, before, state
}

// waitForZero waits until the revision's Deployment wants no replica and
// no pod of the revision runs that is not terminating; it returns the
// UIDs of the pods that still exist (terminating), which cannot count as
// new pods of the next sample.
func waitForZero(ctx context.Context, l log.Logger, cs kubernetes.Interface, rev Revision, opts Options) (map[types.UID]bool, error) {
	var before map[types.UID]bool
	var state string
	announced := false
	err := wait.PollUntilContextTimeout(ctx, opts.Poll, opts.ScaleToZeroTimeout, true, func(ctx context.Context) (bool, error) {
		d, err := cs.AppsV1().Deployments(rev.Namespace).Get(ctx, rev.deployment(), metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return false, fmt.Errorf("the revision's Deployment %s/%s does not exist: is %s the name of a revision?", rev.Namespace, rev.deployment(), rev.Name)
		}
		if err != nil {
			if state == "" {
				state = err.Error()
			}
			return false, nil
		}
		pods, err := cs.CoreV1().Pods(rev.Namespace).List(ctx, metav1.ListOptions{LabelSelector: serving.RevisionLabelKey + "=" + rev.Name})
		if err != nil {
			if state == "" {
				state = err.Error()
			}
			return false, nil
		}
		var zero bool
		zero, before, state = atZero(d, pods.Items)
		if !zero && !announced {
			l.Infof("waiting up to %s for revision %s to scale to zero (%s)", opts.ScaleToZeroTimeout, rev.Name, state)
			announced = true
		}
		return zero, nil
	})
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("waiting for revision %s to scale to zero: %w (%s)", rev.Name, context.Cause(ctx), state)
		}
		if !wait.Interrupted(err) {
			return nil, err // the condition's own error: the Deployment does not exist
		}
		return nil, fmt.Errorf("revision %s did not scale to zero within %s (%s): check that scale to zero is enabled (config-autoscaler enable-scale-to-zero), that min-scale is 0, and that nothing keeps sending it requests", rev.Name, opts.ScaleToZeroTimeout, state)
	}
	return before, nil
}

// startWatches watches the revision's Deployment, pods and the namespace's
// events, feeding rec until ctx ends, and returns once they are open. The
// caller ends ctx, also when startWatches fails: the watches opened go on
// until then. A watch the server closes is opened again: a new watch
// begins with the objects as they are, which rec takes in without counting
// anything twice. One that cannot be opened again (the credentials may not
// watch, or the server kept failing) is sent on the channel returned,
// which has room for all of them. The watchers tell, once stopped, how
// long each was closed.
func startWatches(ctx context.Context, cs kubernetes.Interface, rev Revision, rec *recorder, wg *sync.WaitGroup) ([]*kube.Watcher, <-chan error, error) {
	watches := []struct {
		what string
		open func(context.Context) (watch.Interface, error)
	}{
		{"the Deployment of revision " + rev.Name, func(ctx context.Context) (watch.Interface, error) {
			return cs.AppsV1().Deployments(rev.Namespace).Watch(ctx, metav1.ListOptions{FieldSelector: fields.OneTermEqualSelector("metadata.name", rev.deployment()).String()})
		}},
		{"the pods of revision " + rev.Name, func(ctx context.Context) (watch.Interface, error) {
			return cs.CoreV1().Pods(rev.Namespace).Watch(ctx, metav1.ListOptions{LabelSelector: serving.RevisionLabelKey + "=" + rev.Name})
		}},
		{"the pod events in namespace " + rev.Namespace, func(ctx context.Context) (watch.Interface, error) {
			return cs.CoreV1().Events(rev.Namespace).Watch(ctx, metav1.ListOptions{FieldSelector: fields.OneTermEqualSelector("involvedObject.kind", "Pod").String()})
		}},
	}
	var open []*kube.Watcher
	for _, wa := range watches {
		wr, err := kube.Watch(ctx, wa.what, wa.open)
		if err != nil {
			return nil, nil, err
		}
		open = append(open, wr)
	}
	failed := make(chan error, len(open))
	wg.Add(len(open))
	for _, wr := range open {
		go func() {
			defer wg.Done()
			for ev := range wr.Events() {
				feed(ev, rec)
			}
			if err := wr.Err(); err != nil {
				failed <- err
			}
		}()
	}
	return open, failed, nil
}

// feed passes a watch event to rec.
func feed(ev watch.Event, rec *recorder) {
	switch o := ev.Object.(type) {
	case *appsv1.Deployment:
		rec.deployment(o)
	case *corev1.Pod:
		if ev.Type != watch.Deleted {
			rec.pod(o)
		}
	case *corev1.Event:
		rec.event(o)
	}
}
