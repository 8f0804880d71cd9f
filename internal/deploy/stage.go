package deploy

import (
	"context"
	"fmt"
	"strings"

	"github.com/knative-preview/action/internal/cluster"
	"github.com/knative-preview/action/internal/log"
)

// Stage is the deploy stage: in mode up it deploys the preview and waits
// until it answers, in mode down it removes it, on the cluster an earlier
// stage reached.
type Stage struct {
	// Deployer holds the clock, timings and network the stage uses; its
	// zero value uses real ones.
	Deployer Deployer
	o        Options
	src      cluster.Source
	result   *Result
}

// NewStage returns the deploy stage for o, on the cluster src reaches.
func NewStage(o Options, src cluster.Source) *Stage { return &Stage{o: o, src: src} }

// Name is the stage's name.
func (s *Stage) Name() string { return "deploy" }

// Plan says what Run will do.
func (s *Stage) Plan() []string { return s.o.Plan() }

// Run deploys or removes the preview. In mode down, a run that found no
// cluster has nothing to remove.
func (s *Stage) Run(ctx context.Context, l log.Logger) error {
	cl := s.src.Cluster()
	if s.o.Mode == ModeDown {
		if cl == nil {
			return nil // no cluster, so no Service
		}
		return s.Deployer.Down(ctx, l, cl, s.o)
	}
	res, err := s.Deployer.Up(ctx, l, cl, s.o)
	s.result = res
	return err
}

// Result is what Run deployed, as far as it got (nil in mode down, or
// before the Service was Ready).
func (s *Stage) Result() *Result { return s.result }

// LeftBehind says what a cut-short Run may leave behind.
func (s *Stage) LeftBehind() string {
	svc := fmt.Sprintf("the Knative Service %s/%s", s.o.Namespace, s.o.Service)
	if s.o.App != nil {
		svc = fmt.Sprintf("the app's Knative Services (%s) and objects in namespace %s", strings.Join(s.o.App.Names(), ", "), s.o.Namespace)
	}
	switch {
	case s.o.Derived.OwnNamespace && s.o.Mode == ModeUp:
		return fmt.Sprintf("namespace %s, the pull request's own, exists and what is in it may not be Ready; mode: down (knative-preview down) deletes it", s.o.Namespace)
	case s.o.Derived.OwnNamespace:
		return fmt.Sprintf("namespace %s may not be deleted yet; run mode: down again", s.o.Namespace)
	case s.o.Mode == ModeUp:
		return svc + " exists and may not be Ready; mode: down (knative-preview down) deletes it"
	case s.o.Tag != "":
		return fmt.Sprintf("tag %s of %s may not be removed yet; run mode: down again", s.o.Tag, svc)
	}
	return svc + " may not be deleted yet; run mode: down again"
}
