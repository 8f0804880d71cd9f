package kube

import (
	"context"
	"errors"
	"io"
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
	if !errors.Is(err, io.EOF) || calls != 1 {
		t.Errorf("Request = %v after %d calls, want the EOF after 1", err, calls)
	}
}
