package kube

import (
	"context"

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
