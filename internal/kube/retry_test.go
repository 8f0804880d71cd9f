package kube

import (
	"context"
	"errors"
	"testing"
	"time"

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
