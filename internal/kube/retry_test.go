package kube

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/wait"
)

// Retry goes on past the cap, where wait.ExponentialBackoffWithContext
// would stop, and returns what try returns.
func TestRetryGoesOnPastTheCap(t *testing.T) {
	b := wait.Backoff{Duration: time.Millisecond, Factor: 2, Steps: 1 << 30, Cap: 2 * time.Millisecond}
	calls := 0
	err := Retry(t.Context(), b, func(context.Context) (bool, error) {
		calls++
		return calls == 6, nil
	})
	if err != nil || calls != 6 {
		t.Errorf("Retry = %v after %d calls, want success after 6", err, calls)
	}

	stop := errors.New("stop")
	calls = 0
	err = Retry(t.Context(), b, func(context.Context) (bool, error) { calls++; return false, stop })
	if !errors.Is(err, stop) || calls != 1 {
		t.Errorf("Retry = %v after %d calls, want the error of the first", err, calls)
	}

	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	calls = 0
	err = Retry(ctx, b, func(context.Context) (bool, error) { calls++; return false, nil })
	if !errors.Is(err, context.Canceled) || calls != 1 {
		t.Errorf("Retry = %v after %d calls, want one try then the cancellation", err, calls)
	}
}

// Request makes a request again while it fails with a transient error,
// stops at the first other error, and keeps the last error when ctx ends.
func TestRequestRetriesOnlyTransientErrors(t *testing.T) {
	calls := 0
	err := Request(t.Context(), func(context.Context) error {
		calls++
		if calls < 3 {
			return apierrors.NewInternalError(errors.New("injected"))
		}
		return nil
	})
	if err != nil || calls != 3 {
		t.Errorf("Request = %v after %d calls, want success after 3", err, calls)
	}
	calls = 0
	notFound := apierrors.NewNotFound(schema.GroupResource{Resource: "services"}, "x")
	err = Request(t.Context(), func(context.Context) error { calls++; return notFound })
	if !apierrors.IsNotFound(err) || calls != 1 {
		t.Errorf("Request = %v after %d calls, want NotFound after 1", err, calls)
	}
	ctx, cancel := context.WithCancel(t.Context())
	calls = 0
	err = Request(ctx, func(context.Context) error {
		calls++
		cancel()
		return io.EOF
	})
	if !errors.Is(err, io.EOF) || !errors.Is(err, context.Canceled) || calls != 1 {
		t.Errorf("Request = %v after %d calls, want the EOF and the cancellation after 1", err, calls)
	}
}

// A Requester makes a request again as its Classify says, waits at least
// what the server asks, and says why it stopped.
func TestRequesterDo(t *testing.T) {
	busy := errors.New("busy")
	refused := errors.New("refused")
	ownTimeout := fmt.Errorf("the request's own timeout: %w", context.DeadlineExceeded)
	limiter := errors.New("client rate limiter Wait returned an error: rate: Wait(n=1) would exceed context deadline")
	classify := func(asked time.Duration) func(error) (time.Duration, bool) {
		return func(err error) (time.Duration, bool) {
			if errors.Is(err, refused) {
				return 0, false
			}
			return asked, true
		}
	}
	cases := []struct {
		name      string
		q         Requester
		errs      []error // one per try; the last repeats
		ctxFor    time.Duration
		wantTries int // 0: any number
		wantErr   []string
		wantIs    []error
		// wantAtLeast is the least time the tries take, waits included.
		wantAtLeast time.Duration
	}{
		{name: "what may pass, until it does", q: Requester{Classify: classify(0)},
			errs: []error{busy, busy, nil}, wantTries: 3},
		{name: "what may not pass, at once and as it is", q: Requester{Classify: classify(0)},
			errs: []error{busy, refused}, wantTries: 2, wantErr: []string{"refused"}, wantIs: []error{refused}},
		{name: "until the retries run out", q: Requester{For: 20 * time.Millisecond, First: time.Millisecond, Classify: classify(0)},
			errs: []error{busy}, wantErr: []string{"gave up after retrying for 20ms", "busy"}, wantIs: []error{busy}},
		{name: "a server asking to wait past the retries stops them at once", q: Requester{For: time.Minute, Classify: classify(time.Hour)},
			errs: []error{busy}, wantTries: 1, wantErr: []string{"the server asks to wait 1h0m0s", "1m0s", "busy"}, wantIs: []error{busy}},
		{name: "the wait the server asks is longer than the backoff", q: Requester{For: 2 * time.Hour, First: time.Millisecond, Classify: classify(30 * time.Millisecond)},
			errs: []error{busy, busy, nil}, ctxFor: time.Minute, wantTries: 3, wantAtLeast: 60 * time.Millisecond},
		{name: "a server asking to wait past ctx's deadline stops them at once", q: Requester{For: 2 * time.Hour, First: time.Millisecond, Classify: classify(time.Hour)},
			errs: []error{busy}, ctxFor: 20 * time.Second, wantTries: 1,
			wantErr: []string{"the server asks to wait 1h0m0s before trying again, beyond the time left (20s)", "busy"}, wantIs: []error{busy}},
		{name: "a request's own timeout may pass", q: Requester{First: time.Millisecond},
			errs: []error{ownTimeout, nil}, wantTries: 2},
		{name: "the rate limiter refusing for ctx's deadline stops them", q: Requester{First: time.Millisecond},
			errs: []error{limiter}, wantTries: 1, wantErr: []string{"would exceed context deadline (stopped retrying)"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ctx := t.Context()
			if c.ctxFor > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, c.ctxFor)
				defer cancel()
			}
			tries := 0
			began := time.Now()
			err := c.q.Do(ctx, func(context.Context) error {
				err := c.errs[min(tries, len(c.errs)-1)]
				tries++
				return err
			})
			if took := time.Since(began); took < c.wantAtLeast {
				t.Errorf("the tries took %s, less than the %s the server asked to wait", took, c.wantAtLeast)
			}
			if c.wantTries != 0 && tries != c.wantTries {
				t.Errorf("%d tries, want %d", tries, c.wantTries)
			}
			if len(c.wantErr) == 0 && err != nil {
				t.Fatalf("Do = %v, want success", err)
			}
			for _, w := range c.wantErr {
				if err == nil || !strings.Contains(err.Error(), w) {
					t.Errorf("Do = %v, want an error saying %q", err, w)
				}
			}
			for _, w := range c.wantIs {
				if !errors.Is(err, w) {
					t.Errorf("Do = %v, want it to wrap %v", err, w)
				}
			}
		})
	}
}
