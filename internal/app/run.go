package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/knative-preview/action/internal/config"
	"github.com/knative-preview/action/internal/console"
	"github.com/knative-preview/action/internal/deploy"
	"github.com/knative-preview/action/internal/outputs"
	"github.com/knative-preview/action/internal/pipeline"
	"github.com/knative-preview/action/internal/report"
	"github.com/knative-preview/action/internal/summary"
)

// keepReport stores the encoded report of an `up` and returns where, as the
// report output gives it ("": no output).
type keepReport func(data []byte) (string, error)

// run executes (or, for a dry run, plans) the stages for cfg; an `up` that
// ran hands its report to keep (nil: none). Its callers have masked cfg's
// secrets.
func run(ctx context.Context, cfg *config.Config, con *console.Console, out *outputs.Writer, stdout io.Writer, format outputs.Format, getenv func(string) string, keep keepReport) int {
	state := &runState{cfg: cfg, con: con, out: out, getenv: getenv, started: time.Now()}
	stages := buildStages(state)

	if cfg.NothingToDo != "" {
		con.Infof("%s", cfg.NothingToDo)
		return exitOK
	}
	sweepDryRun := cfg.DryRun && cfg.Deploy.Mode == deploy.ModeSweep
	if sweepDryRun && format != outputs.JSON {
		// A sweep's dry run reads the cluster and GitHub to list what it
		// would remove; the outputs carry the list.
		var b strings.Builder
		_ = pipeline.WritePlan(&b, pipeline.ReadOnly, stages)
		fmt.Fprint(stdout, con.Safe(b.String()))
	}
	if cfg.DryRun && !sweepDryRun {
		if format == outputs.JSON {
			b, err := json.Marshal(pipeline.ToJSON(stages, githubPlan(cfg)))
			if err == nil {
				b, err = con.SafeJSON(b)
			}
			if err != nil {
				con.Errorf("writing the plan: %v", err)
				return exitFailed
			}
			fmt.Fprintln(stdout, string(b))
			return exitOK
		}
		var b strings.Builder
		_ = pipeline.WritePlan(&b, pipeline.Untouched, stages, githubPlan(cfg))
		fmt.Fprint(stdout, con.Safe(b.String()))
		return exitOK
	}

	ctx, cancel := context.WithTimeoutCause(ctx, cfg.Timeout, fmt.Errorf("the run's timeout of %s passed (raise the timeout input if the cluster is slow)", cfg.Timeout))
	defer cancel()

	runner := &pipeline.Runner{Console: con}
	pr := newPullRequest(cfg, con, getenv)
	pr.start(ctx)
	results, err := runner.Run(ctx, stages)
	if oerr := state.setOutputs(results); oerr != nil {
		err = errors.Join(err, oerr)
	}
	stopped := errors.Is(context.Cause(ctx), ErrInterrupted)
	rep := state.report(state.found(), results, err)
	if keep != nil && cfg.Deploy.Mode == deploy.ModeUp {
		saveReport(rep, keep, con, out)
	}
	if url := pr.finish(rep, err, stopped); url != "" {
		if serr := out.Set("comment-url", url); serr != nil {
			con.Warnf("%v", serr)
		}
	}
	if serr := con.Summary(summary.Job(rep, out.Values())); serr != nil {
		con.Warnf("%v", serr)
	}
	if err != nil {
		con.Errorf("%v", err)
		// What was found before the failure still reaches the caller.
		if ferr := out.FlushFailed(err.Error()); ferr != nil {
			con.Errorf("%v", ferr)
		}
		if stopped {
			con.Errorf("%s", interruptedMessage(stages, results))
			return ExitInterrupted
		}
		return exitFailed
	}
	if err := out.Flush(); err != nil {
		con.Errorf("%v", err)
		return exitFailed
	}
	return exitOK
}

// interruptedMessage says which stage a signal stopped and what the run
// leaves behind: the stage it cut short, or the last one that ran.
func interruptedMessage(stages []pipeline.Stage, results []pipeline.Result) string {
	last := -1
	for i, r := range results {
		if r.Ran {
			last = i
		}
	}
	if last < 0 {
		return "interrupted before any stage began: nothing was changed"
	}
	doing := "during"
	if results[last].Err == nil {
		doing = "after"
	}
	msg := fmt.Sprintf("interrupted %s stage %s", doing, results[last].Name)
	// The latest stage that changes something says the most.
	for i := last; i >= 0; i-- {
		if l, ok := stages[i].(pipeline.LeavesBehind); ok {
			return msg + ": " + l.LeftBehind()
		}
	}
	return msg + ": nothing on the cluster was changed"
}

// saveReport hands the encoded report to keep and sets the report output;
// a report that cannot be written is a warning: the run's own outcome
// stands.
func saveReport(r *report.Report, keep keepReport, con *console.Console, out *outputs.Writer) {
	data, err := report.Encode(r)
	if err == nil {
		var where string
		if where, err = keep(data); err == nil && where != "" {
			err = out.Set("report", where)
		}
	}
	if err != nil {
		con.Warnf("writing the run's report: %v", err)
	}
}
