package github

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
)

// GitHub's budget: the calls that tell a pull request (its comment, its
// deployment) never take the cluster stages' time, and hold a job for
// seconds at most, however GitHub answers (not at all, slowly, with
// errors). The in-progress deployment is recorded beside the stages,
// within StartBudget, so that the pull request shows it while the run goes
// on; what is told after the stages is told within Budget of their end,
// or BudgetStopped when the job is being cancelled and has only seconds
// left.
const (
	StartBudget   = 15 * time.Second
	Budget        = 20 * time.Second
	BudgetStopped = 5 * time.Second
)

// AfterStages returns the context of what is told after the stages: ctx's
// values without its end, bounded by Budget, or BudgetStopped when the job
// is being cancelled (stopped).
func AfterStages(ctx context.Context, stopped bool) (context.Context, context.CancelFunc) {
	budget := Budget
	if stopped {
		budget = BudgetStopped
	}
	return context.WithTimeout(context.WithoutCancel(ctx), budget)
}

// Untold collects what GitHub was not told, each sentence once, for the
// one warning that says it; safe for concurrent use.
type Untold struct {
	mu   sync.Mutex
	said []string
}

// Add keeps why doing failed: the permission the job lacks (see
// MissingPermission), the budget that ran out, or the error.
func (u *Untold) Add(err error, permission, doing string) {
	msg := fmt.Sprintf("%s: %v", doing, err)
	switch w, ok := MissingPermission(err, permission); {
	case ok:
		msg = w
	case errors.Is(err, context.DeadlineExceeded):
		msg = fmt.Sprintf("%s: given up when the budget of GitHub's calls ran out (%v)", doing, err)
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	if !slices.Contains(u.said, msg) {
		u.said = append(u.said, msg)
	}
}

// String is what was not told, in the order it was added; empty when
// everything was.
func (u *Untold) String() string {
	u.mu.Lock()
	defer u.mu.Unlock()
	return strings.Join(u.said, "; ")
}
