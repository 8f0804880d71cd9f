package deploy

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"
	"knative.dev/pkg/apis"
	servingv1 "knative.dev/serving/pkg/apis/serving/v1"

	"github.com/knative-preview/action/internal/kube"
	"github.com/knative-preview/action/internal/log"
)

// waiter waits for one deploy's Service to be Ready.
type waiter struct {
	d        *Deployer
	t        timings
	c        *clients
	ns, name string
	deployID string
	// revision is the new revision's name: chosen up front for a tag,
	// otherwise found by its deploy ID.
	revision string
	// port is what the revision's container must listen on, for the
	// warning about a readiness probe that keeps failing.
	port int32
	log  log.Logger
	// probes follows the revision's failing readiness probes.
	probes *probeWatch
}

// state is one look at the Service and its new revision.
type state struct {
	svc      *servingv1.Service
	revision string
	rev      *servingv1.Revision
	pods     []corev1.Pod
	events   []corev1.Event
	failure  *failure
	// notes say what could not be read; they go into the diagnosis.
	notes []string
}

func (s *state) observed() bool { return s.svc.Status.ObservedGeneration == s.svc.Generation }

func (s *state) ready() *apis.Condition { return s.svc.Status.GetCondition(apis.ConditionReady) }

// wait returns the Ready Service and its new revision's name. It ends
// early with a *Failure, and on its timeout with a diagnosis.
func (w *waiter) wait(ctx context.Context, generation int64) (*servingv1.Service, string, error) {
	what := fmt.Sprintf("the Knative Service %s/%s", w.ns, w.name)
	w.log.Infof("waiting up to %s for %s to be Ready (generation %d), watching the new revision's pods and events for failures", w.t.Ready, what, generation)
	wctx, cancel := context.WithTimeout(ctx, w.t.Ready)
	kick := make(chan struct{}, 1)
	var wg sync.WaitGroup
	defer func() {
		cancel()
		wg.Wait()
	}()
	failed := w.watchAll(wctx, &wg, kick)
	p := &waitProgress{what: what}
	w.probes = newProbeWatch(fmt.Sprintf(portHint, w.portText()))
	for {
		s, err := w.look(wctx)
		if v := w.judge(wctx, p, s, err); v.done {
			return v.svc, v.revision, v.err
		}
		timer := time.NewTimer(p.next(w))
		select {
		case <-wctx.Done():
			timer.Stop()
			return nil, "", w.timeout(ctx, what, p.last, p.lastErr)
		case err := <-failed:
			timer.Stop()
			return nil, "", fmt.Errorf("waiting for %s to be Ready: %w", what, err)
		case <-kick:
		case <-timer.C:
		}
		timer.Stop()
	}
}

// waitProgress is what a wait has seen so far.
type waitProgress struct {
	what string
	// last is the last state read, lastErr the last read's error when it
	// failed since.
	last    *state
	lastErr error
	// falseSince is when Ready=False was first seen, without a change
	// since; zero when it is not False.
	falseSince time.Time
	// said is the last line told.
	said string
}

// verdict is whether a look ended the wait, and how.
type verdict struct {
	done     bool
	svc      *servingv1.Service
	revision string
	err      error
}

// judge decides what one look (s, or err) means for the wait.
func (w *waiter) judge(ctx context.Context, p *waitProgress, s *state, err error) verdict {
	fail := func(err error) verdict { return verdict{done: true, err: err} }
	switch {
	case kube.CutShort(ctx, err):
		// The look was cut short by the deadline: the one before says
		// more, when the wait times out.
		return verdict{}
	case apierrors.IsNotFound(err):
		return fail(fmt.Errorf("%s was deleted while waiting for it to be Ready", p.what))
	case kube.Denied(err):
		return fail(fmt.Errorf("reading %s while waiting for it: %w", p.what, err))
	case err != nil:
		p.lastErr = err // may pass: try again
		return verdict{}
	}
	p.last, p.lastErr = s, nil
	if id := s.svc.Spec.Template.Annotations[deployIDKey]; id != "" && id != w.deployID {
		return fail(&conflictError{Namespace: w.ns, Name: w.name, Generation: s.svc.Generation})
	}
	if s.observed() && s.ready().IsTrue() {
		rev := s.revision
		if rev == "" {
			rev = s.svc.Status.LatestReadyRevisionName
		}
		return verdict{done: true, svc: s.svc, revision: rev}
	}
	if s.failure != nil {
		return fail(s.failure)
	}
	if c := s.ready(); s.observed() && c.IsFalse() {
		if p.falseSince.IsZero() {
			p.falseSince = w.d.now()
		}
		if w.d.now().Sub(p.falseSince) >= w.t.ErrorWindow {
			return fail(w.withProbe(ctx, &failure{Reason: c.Reason, Message: c.Message, Revision: s.revision}))
		}
	} else {
		p.falseSince = time.Time{}
	}
	for _, warning := range w.probes.observe(w.d.now(), s.pods, s.events) {
		w.log.Warnf("Knative Service %s/%s: %s", w.ns, w.name, warning)
	}
	if line := s.summary(); line != p.said {
		w.log.Infof("%s", line)
		p.said = line
	}
	return verdict{}
}

// next is how long to wait before the next look: the poll interval, or
// less when a Ready=False's error window ends sooner.
func (p *waitProgress) next(w *waiter) time.Duration {
	next := w.t.Poll
	if !p.falseSince.IsZero() {
		if left := w.t.ErrorWindow - w.d.now().Sub(p.falseSince); left < next {
			next = max(left, time.Millisecond)
		}
	}
	return next
}

// timeout explains a wait that ran out: what was waited for, for how
// long, and what the last look showed.
func (w *waiter) timeout(ctx context.Context, what string, last *state, lastErr error) error {
	diag := "nothing could be read"
	if last != nil {
		diag = last.diagnose()
	}
	if said := w.probes.lastSaid(); said != "" {
		diag += "; " + said
	}
	if lastErr != nil {
		diag += "; last error reading it: " + lastErr.Error()
	}
	if ctx.Err() != nil {
		return fmt.Errorf("stopped waiting for %s to be Ready: %w; %s", what, context.Cause(ctx), diag)
	}
	return fmt.Errorf("%s was not Ready within %s: %s: %w", what, w.t.Ready, diag, context.DeadlineExceeded)
}

// watchAll starts watches that kick the wait when the Service, its
// revisions, their pods or warning events change. They are opened again
// when the server ends them and stop with ctx; the poll covers any gap. A
// watch that cannot be opened (the credentials may not watch, or the
// server kept failing) is sent on the channel returned, which has room for
// all of them.
func (w *waiter) watchAll(ctx context.Context, wg *sync.WaitGroup, kick chan<- struct{}) <-chan error {
	bySvc := metav1.ListOptions{LabelSelector: serviceLabel + "=" + w.name}
	svc := fmt.Sprintf("the Knative Service %s/%s", w.ns, w.name)
	watches := []struct {
		what string
		open func(context.Context) (watch.Interface, error)
	}{
		{svc, func(ctx context.Context) (watch.Interface, error) {
			return w.c.serving.Services(w.ns).Watch(ctx, metav1.ListOptions{FieldSelector: "metadata.name=" + w.name})
		}},
		{"the revisions of " + svc, func(ctx context.Context) (watch.Interface, error) {
			return w.c.serving.Revisions(w.ns).Watch(ctx, bySvc)
		}},
		{"the pods of " + svc, func(ctx context.Context) (watch.Interface, error) {
			return w.c.kube.CoreV1().Pods(w.ns).Watch(ctx, bySvc)
		}},
		{"the warning events in namespace " + w.ns, func(ctx context.Context) (watch.Interface, error) {
			return w.c.kube.CoreV1().Events(w.ns).Watch(ctx, metav1.ListOptions{FieldSelector: "type=" + corev1.EventTypeWarning})
		}},
	}
	failed := make(chan error, len(watches))
	for _, wa := range watches {
		wg.Add(1)
		go func() {
			defer wg.Done()
			wr, err := kube.Watch(ctx, wa.what, wa.open)
			if err == nil {
				for range wr.Events() {
					select {
					case kick <- struct{}{}:
					default:
					}
				}
				err = wr.Err()
			}
			if err != nil && ctx.Err() == nil {
				failed <- err
			}
		}()
	}
	return failed
}

// look reads the Service, finds its new revision, and looks at that
// revision, its pods and their warning events for a failure.
func (w *waiter) look(ctx context.Context) (*state, error) {
	svc, err := w.c.serving.Services(w.ns).Get(ctx, w.name, metav1.GetOptions{})
	if err != nil {
		return nil, err
	}
	s := &state{svc: svc}
	if w.revision == "" {
		w.revision = w.findRevision(ctx, s)
	}
	s.revision = w.revision
	if s.revision == "" {
		return s, nil
	}

	rev, err := w.c.serving.Revisions(w.ns).Get(ctx, s.revision, metav1.GetOptions{})
	switch {
	case err == nil:
		s.rev = rev
		if f := revisionFailure(rev); f != nil {
			s.failure = w.located(f, s.revision)
		}
	case kube.CutShort(ctx, err):
		return nil, err
	case !apierrors.IsNotFound(err):
		s.notes = append(s.notes, fmt.Sprintf("reading revision %s: %v", s.revision, err))
	}

	pods, err := w.c.kube.CoreV1().Pods(w.ns).List(ctx, metav1.ListOptions{LabelSelector: revisionLabel + "=" + s.revision})
	switch {
	case kube.CutShort(ctx, err):
		return nil, err
	case err != nil:
		s.notes = append(s.notes, fmt.Sprintf("listing the revision's pods: %v", err))
	default:
		s.pods = pods.Items
		sort.Slice(s.pods, func(i, j int) bool { return s.pods[i].Name < s.pods[j].Name })
	}
	for i := range s.pods {
		if s.failure != nil {
			break
		}
		if f := podFailure(&s.pods[i]); f != nil {
			if f.Reason == "CrashLoopBackOff" {
				f.Log, f.LogError = w.logTail(ctx, f.Pod, f.Container)
			}
			s.failure = w.located(f, s.revision)
		}
	}

	events, err := w.c.kube.CoreV1().Events(w.ns).List(ctx, metav1.ListOptions{FieldSelector: "type=" + corev1.EventTypeWarning})
	switch {
	case kube.CutShort(ctx, err):
		return nil, err
	case err != nil:
		s.notes = append(s.notes, fmt.Sprintf("listing warning events: %v", err))
	default:
		s.events = kube.EventsFor(events.Items, []string{s.revision, s.revision + "-deployment"}, []string{s.revision + "-deployment-"})
	}
	if s.failure == nil {
		if f := eventFailure(s.events, s.pods, s.revision); f != nil {
			s.failure = w.located(f, s.revision)
		}
	}
	return s, nil
}

// findRevision finds the revision this deploy made by its deploy ID; when
// revisions cannot be listed, it takes the latest created one once Knative
// has seen the new generation.
func (w *waiter) findRevision(ctx context.Context, s *state) string {
	revs, err := w.c.serving.Revisions(w.ns).List(ctx, metav1.ListOptions{LabelSelector: serviceLabel + "=" + w.name})
	if err != nil {
		s.notes = append(s.notes, fmt.Sprintf("listing revisions: %v", err))
		if s.observed() {
			return s.svc.Status.LatestCreatedRevisionName
		}
		return ""
	}
	for _, r := range revs.Items {
		if r.Annotations[deployIDKey] == w.deployID {
			return r.Name
		}
	}
	return ""
}

// located fills in the revision.
func (w *waiter) located(f *failure, revision string) *failure {
	if f.Revision == "" {
		f.Revision = revision
	}
	return f
}

// logTail reads the end of a container's log: of its previous run when
// it restarted, else of the current one. Without a kubelet to ask (or the
// permission), it says why not.
func (w *waiter) logTail(ctx context.Context, pod, container string) (string, string) {
	return logTail(ctx, w.c.kube, w.ns, pod, container, w.d.LogLines)
}

// logTail reads the last lines (default 20) of a container's log, as
// (*waiter).logTail says.
func logTail(ctx context.Context, cs kubernetes.Interface, ns, pod, container string, lines int64) (string, string) {
	if lines <= 0 {
		lines = 20
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	var first error
	for _, previous := range []bool{true, false} {
		raw, err := cs.CoreV1().Pods(ns).GetLogs(pod, &corev1.PodLogOptions{
			Container:  container,
			Previous:   previous,
			TailLines:  &lines,
			LimitBytes: ptr(int64(32 << 10)),
		}).DoRaw(ctx)
		switch {
		case err == nil && len(strings.TrimSpace(string(raw))) > 0:
			return string(raw), ""
		case err == nil:
			first = nil // the kubelet answered: the log is empty
		case previous:
			first = err
		}
	}
	if first == nil {
		return "", ""
	}
	return "", first.Error()
}

// portText says which port the revision's container must listen on.
func (w *waiter) portText() string {
	if w.port != 0 {
		return fmt.Sprintf("%d, the container's port", w.port)
	}
	return "8080 unless the container's port says otherwise"
}

// withProbe adds to a failure what a readiness probe that kept failing
// said, and the end of that container's log: when Knative gives up on a
// revision whose container runs but is never ready, that is why.
func (w *waiter) withProbe(ctx context.Context, f *failure) *failure {
	pf := w.probes.last()
	if pf == nil {
		return f
	}
	f.Probe = pf.Message
	f.Hint = w.probes.hint
	f.Pod, f.Container = pf.Pod, pf.Container
	f.Log, f.LogError = w.logTail(ctx, pf.Pod, pf.Container)
	return f
}
