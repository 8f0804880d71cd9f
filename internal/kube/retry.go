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

// RequestRetryFor bounds how long Request makes one request again.
const RequestRetryFor = 2 * time.Minute

// requestBackoff spaces the tries of one request: 100 ms growing to 2 s.
var requestBackoff = wait.Backoff{Duration: 100 * time.Millisecond, Factor: 2, Jitter: 0.2, Steps: math.MaxInt32, Cap: 2 * time.Second}

// Request makes one API request, what, with Retry: again while it fails
// with an error that is Transient, for up to RequestRetryFor or until ctx
// ends. It is for requests that are safe to make again: reads, server-side
// apply, deletes and updates of a named object, and creates whose caller
// takes AlreadyExists as "made by an earlier try" (and reads it back).
// The error is the last one the request met, so callers test it with
// apierrors as before.
func Request(ctx context.Context, request func(ctx context.Context) error) error {
	deadline := time.Now().Add(RequestRetryFor)
	var last error
	err := Retry(ctx, requestBackoff, func(ctx context.Context) (bool, error) {
		last = request(ctx)
		switch {
		case last == nil:
			return true, nil
		case !Transient(last), CutShort(ctx, last), time.Now().After(deadline):
			return false, last
		}
		return false, nil
	})
	if err != nil && last != nil && !errors.Is(err, last) {
		// ctx ended between two tries: the last try says more.
		return fmt.Errorf("%w (stopped retrying: %v)", last, context.Cause(ctx))
	}
	return err
}
