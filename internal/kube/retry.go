package kube

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"k8s.io/apimachinery/pkg/util/wait"
)

// Retry calls try at once, then again after each delay of backoff, until
// try reports done, returns an error, or ctx ends (then it returns
// ctx.Err()). Each delay starts when try returns. Unlike
// wait.ExponentialBackoffWithContext, it does not stop when the delay
// reaches backoff.Cap: it goes on waiting Cap; bound it with ctx.
func Retry(ctx context.Context, backoff wait.Backoff, try func(ctx context.Context) (done bool, err error)) error {
	return backoff.DelayFunc().Until(ctx, true, true, try)
}

// Requester makes one API request again while it fails with an error that
// may pass, for a while, spacing the tries from First up to Cap, or longer
// when the server asks to wait longer. It is for requests that are safe to
// make again: reads, server-side apply, deletes of a named object, updates
// that read the object afresh in each try, and creates whose caller takes
// AlreadyExists as "made by an earlier try" (and reads it back). The zero
// Requester retries what is Transient for 2 minutes, from 100 ms up to 2 s
// apart.
type Requester struct {
	// For bounds how long the request is made again (default 2m).
	For time.Duration
	// First is the first wait between two tries (default 100ms); each
	// next one doubles, up to Cap.
	First time.Duration
	// Cap is the longest wait between two tries (default 2s), unless the
	// server asks for longer.
	Cap time.Duration
	// Classify says whether err may pass when the request is made again,
	// and how long the server asks to wait first (0: no time named).
	// Nil: Transient, with no time named.
	Classify func(err error) (asked time.Duration, retry bool)
	// Retrying, when set, is told the error before the first retry.
	Retrying func(err error)
}

// Do makes the request. Its error wraps the last one the request met, so
// callers test it with apierrors as before: as it is when it may not pass,
// and saying so when the retries ran out, the server asked to wait past
// them, or ctx ended (whose cause it wraps too).
func (q Requester) Do(ctx context.Context, request func(ctx context.Context) error) error {
	retryFor, first, limit, classify := q.For, q.First, q.Cap, q.Classify
	if retryFor <= 0 {
		retryFor = 2 * time.Minute
	}
	if limit <= 0 {
		limit = 2 * time.Second
	}
	if first <= 0 {
		first = 100 * time.Millisecond
	}
	if classify == nil {
		classify = func(err error) (time.Duration, bool) { return 0, Transient(err) }
	}
	step := wait.Backoff{Duration: min(first, limit), Factor: 2, Jitter: 0.2, Steps: math.MaxInt32, Cap: limit}.DelayFunc()
	deadline := time.Now().Add(retryFor)
	var (
		next        time.Duration
		last, final error
	)
	err := wait.DelayFunc(func() time.Duration { return next }).Until(ctx, true, true, func(ctx context.Context) (bool, error) {
		err := request(ctx)
		if err == nil {
			return true, nil
		}
		asked, retry := classify(err)
		switch left := time.Until(deadline); {
		case !retry:
			final = err
		case cutShort(ctx, err):
			final = stopped(ctx, err)
		case left < 0:
			final = fmt.Errorf("gave up after retrying for %s: %w", retryFor, err)
		case asked > left:
			final = fmt.Errorf("the server asks to wait %s before trying again, beyond the %s this request is retried for: %w", asked.Round(time.Second), retryFor, err)
		case asked > untilDeadline(ctx):
			// Waiting would only use up the caller's time.
			final = fmt.Errorf("the server asks to wait %s before trying again, beyond the time left (%s): %w", asked.Round(time.Second), untilDeadline(ctx).Round(time.Second), err)
		case last == nil && q.Retrying != nil:
			q.Retrying(err)
		}
		last, next = err, max(step(), asked)
		return false, final
	})
	if err != nil && final == nil && last != nil {
		// ctx ended while waiting to try again: the last try says more.
		return stopped(ctx, last)
	}
	return err
}

// untilDeadline is the time left before ctx's deadline; without one, as
// long as a Duration lasts.
func untilDeadline(ctx context.Context) time.Duration {
	if d, ok := ctx.Deadline(); ok {
		return time.Until(d)
	}
	return math.MaxInt64
}

// cutShort reports whether err ended a request because ctx, or the rate
// limiter foreseeing ctx's deadline, gave it no more time. A request's own
// timeout, with ctx alive, is not: another try may get an answer in time.
func cutShort(ctx context.Context, err error) bool {
	return CutShort(ctx, err) && (ctx.Err() != nil || !errors.Is(err, context.DeadlineExceeded))
}

// stopped says that ctx stopped the retries of a request that failed with
// err, and wraps ctx's cause, when it has ended, beside err.
func stopped(ctx context.Context, err error) error {
	if cause := context.Cause(ctx); cause != nil {
		return fmt.Errorf("%w (stopped retrying: %w)", err, cause)
	}
	return fmt.Errorf("%w (stopped retrying)", err)
}

// Request makes a request with the zero Requester.
func Request(ctx context.Context, request func(ctx context.Context) error) error {
	return Requester{}.Do(ctx, request)
}

// Get makes a request that answers with a value (a Get, a List, a write's
// answer) with the zero Requester, and returns the last try's answer.
func Get[T any](ctx context.Context, request func(ctx context.Context) (T, error)) (T, error) {
	var out T
	err := Request(ctx, func(ctx context.Context) (err error) {
		out, err = request(ctx)
		return err
	})
	return out, err
}
