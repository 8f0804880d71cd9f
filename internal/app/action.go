package app

import (
	"context"
	"fmt"

	"github.com/knative-preview/action/internal/cluster"
	"github.com/knative-preview/action/internal/config"
	"github.com/knative-preview/action/internal/console"
	"github.com/knative-preview/action/internal/input"
	"github.com/knative-preview/action/internal/outputs"
	"github.com/knative-preview/action/internal/report"
	"github.com/knative-preview/action/internal/summary"
	"github.com/knative-preview/action/internal/workspace"
)

func runAction(ctx context.Context, env Env) int {
	con := console.NewActions(env.Stdout, env.Getenv)
	routeClientLogs(con)
	cfg, err := config.Parse(input.FromAction(config.Inputs, env.Getenv), input.ActionStyle, env.Getenv)
	con.Mask(cfg.Secrets()...) // before anything is printed, problems included
	if env.Environ != nil {
		for _, w := range input.Unknown(config.Inputs, env.Environ()) {
			con.Warnf("%s", w)
		}
	}
	for _, w := range cfg.Warnings {
		con.Warnf("%s", w)
	}
	if err != nil {
		reportProblems(con, err)
		_ = con.Summary(summary.InvalidInputs(err))
		return exitFailed
	}
	out, err := outputs.NewActions(env.Getenv)
	if err == nil && env.Getenv("GITHUB_STEP_SUMMARY") != "" {
		if serr := outputs.Appendable(env.Getenv("GITHUB_STEP_SUMMARY")); serr != nil {
			err = fmt.Errorf("the job summary file GITHUB_STEP_SUMMARY: %w", serr)
		}
	}
	if err != nil {
		con.Errorf("%v; nothing was done", err)
		return exitFailed
	}
	out.Redact = con.Redact
	keep := func(data []byte) (string, error) {
		return workspace.Leave(env.Getenv("GITHUB_WORKSPACE"), report.FileName, data, 0o644, con)
	}
	cfg.Now = env.Now
	return run(ctx, cfg, con, out, env.Stdout, outputs.Text, env.Getenv, keep)
}

// reportProblems writes one line per problem.
func reportProblems(con *console.Console, err error) {
	for _, e := range input.List(err) {
		con.Errorf("%v", e)
	}
}

// runPost is the action's post step: it runs after the job's other steps,
// also when they failed, and cleans up what the main step asked the cluster
// target to clean up (gke: a cluster this run created, with delete-cluster:
// on-exit).
func runPost(ctx context.Context, env Env) int {
	con := console.NewActions(env.Stdout, env.Getenv)
	routeClientLogs(con)
	cfg, err := config.Parse(input.FromAction(config.Inputs, env.Getenv), input.ActionStyle, env.Getenv)
	con.Mask(cfg.Secrets()...)
	if err != nil {
		// The main step reported the inputs; it created nothing.
		con.Infof("post step: nothing to clean up (the inputs were not valid)")
		return exitOK
	}
	if cfg.DryRun {
		return exitOK
	}
	cleaner, ok := newTarget(cfg, con).(cluster.Cleaner)
	if !ok {
		return exitOK
	}
	ctx, cancel := context.WithTimeoutCause(ctx, cfg.Timeout, fmt.Errorf("the run's timeout of %s passed while cleaning up", cfg.Timeout))
	defer cancel()
	end := con.Group("cleanup")
	defer end()
	if err := cleaner.Cleanup(ctx, func(name string) string { return env.Getenv("STATE_" + name) }); err != nil {
		con.Errorf("cleaning up: %v", err)
		return exitFailed
	}
	return exitOK
}
