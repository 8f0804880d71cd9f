package kube

import (
	"context"
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
// is Transient, for a while, spacing the tries from 100 ms up to Cap. It is
// for requests that are safe to make again: reads, server-side apply,
// deletes of a named object, updates that read the object afresh in each
// try, and creates whose caller takes AlreadyExists as "made by an earlier
// try" (and reads it back). The zero Requester retries for 2 minutes, up
// to 2 s apart.
type Requester struct {
	// For bounds how long the request is made again (default 2m).
	For time.Duration
	// Cap is the longest wait between two tries (default 2s).
	Cap time.Duration
	// Retrying, when set, is told the error before the first retry.
	Retrying func(err error)
}

// Do makes the request. Its error wraps the last one the request met, so
// callers test it with apierrors as before: as it is when it may not pass,
// and saying so when the retries ran out or ctx ended.
func (q Requester) Do(ctx context.Context, request func(ctx context.Context) error) error {
	retryFor, limit := q.For, q.Cap
	if retryFor <= 0 {
		retryFor = 2 * time.Minute
	}
	if limit <= 0 {
		limit = 2 * time.Second
	}
	backoff := wait.Backoff{Duration: 100 * time.Millisecond, Factor: 2, Jitter: 0.2, Steps: math.MaxInt32, Cap: limit}
	deadline := time.Now().Add(retryFor)
	var last, final error
	err := Retry(ctx, backoff, func(ctx context.Context) (bool, error) {
		err := request(ctx)
		switch {
		case err == nil:
			return true, nil
		case !Transient(err):
			final = err
		case CutShort(ctx, err):
			final = fmt.Errorf("%w (stopped retrying: %v)", err, context.Cause(ctx))
		case time.Now().After(deadline):
			final = fmt.Errorf("gave up after retrying for %s: %w", retryFor, err)
		case last == nil && q.Retrying != nil:
			q.Retrying(err)
		}
		last = err
		return false, final
	})
	if err != nil && final == nil && last != nil {
		// ctx ended while waiting to try again: the last try says more.
		return fmt.Errorf("%w (stopped retrying: %v)", last, context.Cause(ctx))
	}
	return err
}

// Request makes a request with the zero Requester.
func Request(ctx context.Context, request func(ctx context.Context) error) error {
	return Requester{}.Do(ctx, request)
}
