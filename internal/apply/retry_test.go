package apply

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/knative-preview/action/internal/log"
)

func TestRetry(t *testing.T) {
	busy := apierrors.NewServiceUnavailable("starting")
	invalid := apierrors.NewInvalid(schema.GroupKind{Kind: "ConfigMap"}, "x", nil)
	tests := []struct {
		name      string
		retryFor  time.Duration
		errs      []error // one per try; the last repeats
		cancel    bool
		wantTries int
		wantErr   string // "" : success
	}{
		{name: "success after two errors that pass", retryFor: time.Minute, errs: []error{busy, busy, nil}, wantTries: 3},
		{name: "an error that will not pass ends at once", retryFor: time.Minute, errs: []error{invalid}, wantTries: 1, wantErr: "is invalid"},
		{name: "gives up after retryFor", retryFor: 300 * time.Millisecond, errs: []error{busy}, wantErr: "gave up after retrying for 300ms"},
		{name: "stops with the context", retryFor: time.Hour, errs: []error{busy}, cancel: true, wantErr: "(stopped retrying: context canceled)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var lines []string
			a := &Applier{retryFor: tt.retryFor, log: log.Func(func(f string, _ ...any) { lines = append(lines, f) })}
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			tries := 0
			err := a.retry(ctx, "applying ConfigMap x", func(context.Context) error {
				err := tt.errs[min(tries, len(tt.errs)-1)]
				tries++
				if tt.cancel && tries == 2 {
					cancel()
				}
				return err
			})
			if tt.wantTries != 0 && tries != tt.wantTries {
				t.Errorf("%d tries, want %d", tries, tt.wantTries)
			}
			if tt.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
			} else if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("retry = %v, want an error containing %q", err, tt.wantErr)
			}
			if errors.Is(err, invalid) != (tt.wantErr == "is invalid") {
				t.Errorf("retry = %v: the error that will not pass is not returned as it is", err)
			}
			if want := min(1, tries-1); len(lines) != want {
				t.Errorf("%d progress lines %q, want %d", len(lines), lines, want)
			}
		})
	}
}
