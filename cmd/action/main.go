// Command knative-preview brings up Knative Serving on a cluster and reports
// on it: as a GitHub Action (no arguments) or as a CLI (knative-preview up).
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/knative-preview/action/internal/app"
)

func main() {
	ctx, cancel := context.WithCancelCause(context.Background())
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		s := <-sigs
		cancel(fmt.Errorf("%w by %s", app.ErrInterrupted, s))
		<-sigs // a second signal ends the process at once
		os.Exit(app.ExitInterrupted)
	}()
	os.Exit(app.Main(ctx, app.Env{
		Program: filepath.Base(os.Args[0]),
		Args:    os.Args[1:],
		Getenv:  os.Getenv,
		Environ: os.Environ,
		Stdout:  os.Stdout,
		Stderr:  os.Stderr,
	}))
}
