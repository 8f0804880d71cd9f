// Package app wires one run together: it reads the configuration (from
// GitHub Actions inputs or from the command line), builds the stages for it,
// runs them under the run's timeout and reports the outcome.
package app

import (
	"context"
	"errors"
	"io"
	"time"

	"github.com/knative-preview/action/internal/buildinfo"
)

// Exit codes.
const (
	exitOK          = 0
	exitFailed      = 1 // bad input, or a stage failed
	ExitInterrupted = 130
)

// postProgram is the name the Dockerfile links to the binary for the
// action's post-entrypoint: the post step runs in a new container with the
// same inputs, so only the name it is started as tells it apart.
const postProgram = buildinfo.Name + "-post"

// ErrInterrupted is the cause main gives the run's context when a signal
// (Ctrl-C, SIGTERM) stops it.
var ErrInterrupted = errors.New("interrupted")

// Env is everything a run reads from its process.
type Env struct {
	// Program is the base name the binary was started as; PostProgram
	// starts the action's post step.
	Program string
	Args    []string // without the program name
	Getenv  func(string) string
	// Environ lists the environment as KEY=VALUE (nil: unknown), to tell
	// about inputs the action does not have.
	Environ func() []string
	Stdout  io.Writer
	Stderr  io.Writer
	// Now is the clock a sweep measures the previews' ages by; nil:
	// time.Now.
	Now func() time.Time
}

// Main runs the action inside GitHub Actions (no arguments and
// GITHUB_ACTIONS=true) or the CLI otherwise, and returns the exit code.
func Main(ctx context.Context, env Env) int {
	if env.Program == postProgram {
		return runPost(ctx, env)
	}
	if len(env.Args) == 0 && env.Getenv("GITHUB_ACTIONS") == "true" {
		return runAction(ctx, env)
	}
	return runCLI(ctx, env)
}
