package cluster

import (
	"context"
	"errors"

	"github.com/knative-preview/action/internal/log"
)

// Source gives a later stage the cluster an earlier one reached: nil until
// then, and in mode down when there is no cluster.
type Source interface {
	Cluster() *Cluster
}

// Stage is the first stage of every run: it reaches the cluster through
// its target.
type Stage struct {
	// Target is the cluster target the run uses.
	Target Target
	// ExistingOnly is set in mode down: when there is no cluster, there is
	// nothing to delete, which is no failure.
	ExistingOnly bool
	// SaveState keeps a Stateful target's state for the action's post
	// step; nil: not kept.
	SaveState SaveState
	// Mask hides the secrets a SecretHolder target read, before anything
	// else is printed; nil: nobody to tell.
	Mask func(secrets ...string)

	reached *Cluster
}

var _ Source = (*Stage)(nil)

// Name is the stage's name.
func (s *Stage) Name() string { return "cluster" }

// Plan says what the target will do.
func (s *Stage) Plan() []string { return s.Target.Plan() }

// Run reaches the cluster.
func (s *Stage) Run(ctx context.Context, l log.Logger) error {
	if st, ok := s.Target.(Stateful); ok && s.SaveState != nil {
		st.KeepState(s.SaveState)
	}
	cl, err := s.Target.Connect(ctx)
	if h, ok := s.Target.(SecretHolder); ok && s.Mask != nil {
		// Known once the target has read them, which may be before a
		// later check fails; a later step may print the file they are in.
		s.Mask(h.Secrets()...)
	}
	if s.ExistingOnly && errors.Is(err, ErrNoCluster) {
		l.Infof("nothing to delete: %v", err)
		return nil
	}
	if err != nil {
		return err
	}
	s.reached = cl
	return nil
}

// Cluster is the cluster Run reached; nil before, or when there is none.
func (s *Stage) Cluster() *Cluster { return s.reached }

// LeftBehind says what a cut-short Connect may leave: the target's own
// words, when it creates something.
func (s *Stage) LeftBehind() string {
	if l, ok := s.Target.(interface{ LeftBehind() string }); ok {
		return l.LeftBehind()
	}
	return "nothing on the cluster was changed"
}
