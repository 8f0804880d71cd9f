package kube

import (
	"context"
	"fmt"
	"math"
	"sync"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/apimachinery/pkg/watch"
)

// Watcher passes on the events of a watch that it opens again whenever the
// server ends it, until its context ends or the watch cannot be opened.
// A watch opened without a resourceVersion begins with the objects as they
// are, so a new one misses no state, only the moments between the two.
type Watcher struct {
	events chan watch.Event
	err    error

	mu sync.Mutex
	// gap is the longest time the watch was not open so far, and
	// gapCause what kept it from opening during it (nil: nothing).
	gap      time.Duration
	gapCause error
}

// Watch opens a watch with open, making the request again while it fails
// in a way that may pass (Request), and returns once it is open, or the
// error that kept it from opening. what names what is watched in errors,
// for example "the pods of revision r in namespace n".
func Watch(ctx context.Context, what string, open func(ctx context.Context) (watch.Interface, error)) (*Watcher, error) {
	w, err := openWatch(ctx, what, open)
	if err != nil {
		return nil, err
	}
	wr := &Watcher{events: make(chan watch.Event)}
	go wr.run(ctx, what, w, open)
	return wr, nil
}

// Events gives the watch's events, error events left out. It is closed
// when the context ends or the watch could not be opened again (see Err).
func (wr *Watcher) Events() <-chan watch.Event { return wr.events }

// Err says, once Events is closed, why the watch could not be opened
// again; nil when its context ended.
func (wr *Watcher) Err() error { return wr.err }

// LongestGap is, once Events is closed, the longest time the watch was not
// open between the end of one watch and the opening of the next (the
// server away, as during a control plane upgrade, or ending watches at
// once, when the pause before each new one counts too): changes made then
// came late, as the objects were when it opened again. cause is the last error
// that kept it from opening during that time; nil when none did.
func (wr *Watcher) LongestGap() (gap time.Duration, cause error) {
	wr.mu.Lock()
	defer wr.mu.Unlock()
	return wr.gap, wr.gapCause
}

// gapEnded records a time the watch was not open, from since to now.
func (wr *Watcher) gapEnded(since time.Time, cause error) {
	wr.mu.Lock()
	defer wr.mu.Unlock()
	if d := time.Since(since); d > wr.gap {
		wr.gap, wr.gapCause = d, cause
	}
}

// reopenPause spaces the openings of a watch that the server ends before
// it delivered anything, so that such a server is not asked again and
// again at once.
var reopenPause = wait.Backoff{Duration: 100 * time.Millisecond, Factor: 2, Jitter: 0.2, Steps: math.MaxInt32, Cap: 2 * time.Second}

func (wr *Watcher) run(ctx context.Context, what string, w watch.Interface, open func(context.Context) (watch.Interface, error)) {
	defer close(wr.events)
	pause := reopenPause.DelayFunc()
	for {
		passed := wr.pass(ctx, w)
		closed := time.Now()
		if passed {
			pause = reopenPause.DelayFunc()
		} else {
			t := time.NewTimer(pause())
			select {
			case <-ctx.Done():
			case <-t.C:
			}
			t.Stop()
		}
		if ctx.Err() != nil {
			return
		}
		var failed error
		var err error
		w, err = openWatch(ctx, what, func(ctx context.Context) (watch.Interface, error) {
			w, err := open(ctx)
			if err != nil {
				failed = err
			}
			return w, err
		})
		wr.gapEnded(closed, failed)
		if err != nil {
			if ctx.Err() == nil {
				wr.err = err
			}
			return
		}
	}
}

// pass passes on w's events until w ends, sends an error event (the server
// ends the watch after one) or ctx ends, then stops w. It reports whether
// it passed on any event.
func (wr *Watcher) pass(ctx context.Context, w watch.Interface) (passed bool) {
	defer w.Stop()
	for {
		select {
		case <-ctx.Done():
			return passed
		case ev, ok := <-w.ResultChan():
			if !ok || ev.Type == watch.Error {
				return passed
			}
			select {
			case <-ctx.Done():
				return passed
			case wr.events <- ev:
				passed = true
			}
		}
	}
}

// openWatch opens a watch as Request makes a request, and says what was
// watched, and what the user can do, when that fails.
func openWatch(ctx context.Context, what string, open func(context.Context) (watch.Interface, error)) (watch.Interface, error) {
	var w watch.Interface
	err := Request(ctx, func(ctx context.Context) (err error) {
		w, err = open(ctx)
		return err
	})
	switch {
	case err == nil:
		return w, nil
	case apierrors.IsForbidden(err):
		return nil, fmt.Errorf("watching %s: %w: the credentials may not watch it; grant them the watch verb on it (RBAC)", what, err)
	case apierrors.IsUnauthorized(err):
		return nil, fmt.Errorf("watching %s: %w: the cluster does not accept the credentials; check the kubeconfig, or renew its token", what, err)
	}
	return nil, fmt.Errorf("watching %s: %w", what, err)
}
