// Package pipeline runs the named stages of one run in order, each in its
// own log group and timed, under the run's context, and renders the plan
// (for --dry-run).
package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/knative-preview/action/internal/console"
	"github.com/knative-preview/action/internal/log"
)

// Stage is one named step of the run. Every stage has this one shape, as
// each of kind's create actions does: it says what it will do from the
// options it was built with, and does it, telling the user through the
// logger it is given.
type Stage interface {
	// Name is short and stable: cluster, install, deploy, measure, compare.
	Name() string
	// Plan says, one line each, what Run will do. It must not touch
	// anything.
	Plan() []string
	// Run does the work. It must return when ctx is done.
	Run(ctx context.Context, l log.Logger) error
}

// LeavesBehind is a stage that changes something: LeftBehind says what a
// Run that was cut short, or that ran before the run was stopped, may
// leave behind and how to finish or undo it.
type LeavesBehind interface {
	LeftBehind() string
}

// Keeper is a stage that runs also after an earlier stage failed (not when
// the run was stopped or timed out), when AfterFailure says there is
// something for it to keep, such as a failed smoke check's figures. It is
// asked only then.
type Keeper interface {
	AfterFailure() bool
}

// Result is what one stage did.
type Result struct {
	Name     string
	Duration time.Duration
	Err      error
	// Ran is false for stages after a failed one.
	Ran bool
}

// Runner runs stages.
type Runner struct {
	Console *console.Console
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// stageError says which stage failed; it unwraps to the stage's error.
type stageError struct {
	Stage string
	Err   error
}

func (e *stageError) Error() string { return fmt.Sprintf("stage %s: %v", e.Stage, e.Err) }
func (e *stageError) Unwrap() error { return e.Err }

// Run runs stages in order until one fails or ctx is done, and returns a
// result for every stage, run or not; after a failure it still runs the
// stages marked AfterFailure. The error is the first failure, a
// *stageError.
func (r *Runner) Run(ctx context.Context, stages []Stage) ([]Result, error) {
	now := r.Now
	if now == nil {
		now = time.Now
	}
	results := make([]Result, len(stages))
	for i, s := range stages {
		results[i].Name = s.Name()
	}
	var failed *stageError
	for i, s := range stages {
		if err := ctx.Err(); err != nil {
			if failed != nil {
				return results, failed
			}
			return results, &stageError{Stage: s.Name(), Err: fmt.Errorf("not started: %w", cause(ctx))}
		}
		if k, ok := s.(Keeper); failed != nil && (!ok || !k.AfterFailure()) {
			continue
		}
		end := r.Console.Group(s.Name())
		start := now()
		err := s.Run(ctx, r.Console)
		// An error that only wraps context.Canceled does not say why (a
		// signal, the run's timeout): add the cause.
		if err != nil && ctx.Err() != nil && !errors.Is(err, context.Cause(ctx)) {
			err = fmt.Errorf("%w (%v)", err, cause(ctx))
		}
		d := now().Sub(start)
		results[i] = Result{Name: s.Name(), Duration: d, Err: err, Ran: true}
		switch {
		case err != nil && failed != nil:
			// The run failed already, and says so; this is one more thing.
			r.Console.Warnf("%s, run after stage %s failed, failed too after %s: %v", s.Name(), failed.Stage, round(d), err)
		case err != nil:
			r.Console.Infof("%s failed after %s", s.Name(), round(d))
			failed = &stageError{Stage: s.Name(), Err: err}
		default:
			r.Console.Infof("%s done in %s", s.Name(), round(d))
		}
		end()
	}
	if failed != nil {
		return results, failed
	}
	return results, nil
}

// cause is why ctx ended, in the words of whoever cancelled it.
func cause(ctx context.Context) error {
	if c := context.Cause(ctx); c != nil {
		return c
	}
	return ctx.Err()
}

// Note is a part of a plan that is no stage: what the run changes besides
// the cluster (the pull request's comment and deployment), said after the
// stages.
type Note struct {
	// Title says where: "on GitHub".
	Title string
	Lines []string
}

// What a dry run touches, as its plan's heading says it.
const (
	// Untouched: nothing is contacted.
	Untouched = "nothing is contacted or changed"
	// ReadOnly: what is removed is read first (a sweep's dry run).
	ReadOnly = "the cluster and GitHub are read, nothing is changed"
)

// WritePlan writes the plan of stages, then the notes, for people, under a
// heading that says what the dry run touches (Untouched or ReadOnly).
func WritePlan(w io.Writer, touches string, stages []Stage, notes ...Note) error {
	var b strings.Builder
	fmt.Fprintf(&b, "Plan (dry run: %s):\n", touches)
	for i, s := range stages {
		fmt.Fprintf(&b, "%d. %s\n", i+1, s.Name())
		for _, l := range s.Plan() {
			fmt.Fprintf(&b, "   - %s\n", l)
		}
	}
	for _, n := range notes {
		if len(n.Lines) == 0 {
			continue
		}
		fmt.Fprintf(&b, "And %s:\n", n.Title)
		for _, l := range n.Lines {
			fmt.Fprintf(&b, "   - %s\n", l)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// planJSON is the plan in a form for machines.
type planJSON struct {
	DryRun bool        `json:"dry-run"`
	Stages []planStage `json:"stages"`
	// Also are the notes, by title.
	Also []planStage `json:"also,omitempty"`
}

// planStage is one stage, or note, of planJSON.
type planStage struct {
	Name string   `json:"name"`
	Plan []string `json:"plan"`
}

// ToJSON returns the plan of stages and notes for JSON encoding.
func ToJSON(stages []Stage, notes ...Note) planJSON {
	p := planJSON{DryRun: true, Stages: []planStage{}}
	for _, s := range stages {
		p.Stages = append(p.Stages, planStage{Name: s.Name(), Plan: append([]string{}, s.Plan()...)})
	}
	for _, n := range notes {
		if len(n.Lines) > 0 {
			p.Also = append(p.Also, planStage{Name: n.Title, Plan: append([]string{}, n.Lines...)})
		}
	}
	return p
}

func round(d time.Duration) time.Duration {
	if d < time.Second {
		return d.Round(time.Millisecond)
	}
	return d.Round(100 * time.Millisecond)
}
