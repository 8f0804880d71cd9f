// Package compare is the compare stage: it keeps a run's figures in the
// service's history on the cluster and compares them with a baseline (a
// report file, or the history of the runs before), deciding what a missing
// baseline means and whether a slower run fails the job.
package compare

import (
	"cmp"
	"context"
	"errors"
	"fmt"

	"k8s.io/client-go/kubernetes"

	"github.com/knative-preview/action/internal/baseline"
	"github.com/knative-preview/action/internal/cluster"
	"github.com/knative-preview/action/internal/history"
	"github.com/knative-preview/action/internal/log"
	"github.com/knative-preview/action/internal/regression"
	"github.com/knative-preview/action/internal/report"
)

// Options say what to keep and what to compare with.
type Options struct {
	History    history.Options
	Baseline   baseline.Options
	Regression regression.Options
	// Namespace holds the history; Name is whose it is (the preview's
	// name: a tag's figures are its own).
	Namespace, Name string
}

// Active reports whether there is anything to keep or compare.
func (o Options) Active() bool { return o.Baseline.Active() || o.History.Mode != history.ModeOff }

// Stage keeps and compares the run's figures.
type Stage struct {
	o   Options
	src cluster.Source
	// figures is what the run measured, under its commit; nil when nothing
	// was measured.
	figures func() *report.Report

	comparison *report.Comparison
	trend      []report.Point
}

// NewStage returns the compare stage for o, on the cluster src reaches,
// comparing what figures returns.
func NewStage(o Options, src cluster.Source, figures func() *report.Report) *Stage {
	return &Stage{o: o, src: src, figures: figures}
}

// Name is the stage's name.
func (s *Stage) Name() string { return "compare" }

// Plan says what Run will do.
func (s *Stage) Plan() []string {
	var out []string
	o := s.o
	if b := o.Baseline; b.Active() {
		what := "the report file " + b.File
		if b.History {
			what = fmt.Sprintf("the recent runs of %s in the cluster's history", cmp.Or(b.Service, o.Name))
		}
		out = append(out, fmt.Sprintf("compare the cold-start median and p95, the time to Ready and the warm p50 with %s: slower or faster only when the change is above %g%% and %g ms and a rank test finds it clear", what, o.Regression.MaxRegressionPercent, o.Regression.FloorMs))
	}
	switch o.History.Mode {
	case history.ModeOff:
	case history.ModeAuto:
		out = append(out, fmt.Sprintf("keep this run's figures with the last %d runs' in ConfigMap %s/%s, unless the cluster goes with the job (history auto)", o.History.Size, o.Namespace, history.ConfigMapName(o.Name)))
	default:
		out = append(out, fmt.Sprintf("keep this run's figures with the last %d runs' in ConfigMap %s/%s (history %s)", o.History.Size, o.Namespace, history.ConfigMapName(o.Name), o.History.Mode))
	}
	return out
}

// AfterFailure says a run whose smoke check failed is kept in the history
// and compared too (it is the drift a history is for), when anything was
// measured.
func (s *Stage) AfterFailure() bool { return s.figures() != nil }

// Run reads the baseline, keeps the run in the history and compares.
func (s *Stage) Run(ctx context.Context, l log.Logger) error {
	now := s.figures()
	if now == nil {
		return nil // an earlier stage failed before anything was measured
	}
	cl := s.src.Cluster()
	cs, err := kubernetes.NewForConfig(cl.REST)
	if err != nil {
		return fmt.Errorf("building a Kubernetes client: %w", err)
	}
	// Read before this run is recorded: a run is not its own baseline.
	base, source, err := s.baseline(ctx, l, cs)
	if err != nil {
		return err
	}
	if s.o.History.On(cl.Ephemeral()) {
		s.record(ctx, l, cs, now)
	}
	if source == "" {
		return nil
	}
	c := regression.Compare(regression.SamplesOf(now), base, s.o.Regression)
	c.Baseline = source
	s.comparison = &c
	l.Infof("compared with %s: %s", source, c.Verdict)
	return s.o.Regression.Failure(c)
}

// baseline reads the baseline and says where it came from ("": none). A
// baseline that cannot be read is a warning, unless fail-on-regression is
// on: then the run cannot pass without it.
func (s *Stage) baseline(ctx context.Context, l log.Logger, cs kubernetes.Interface) (regression.Samples, string, error) {
	if !s.o.Baseline.Active() {
		return regression.Samples{}, "", nil
	}
	base, source, err := baseline.Load(ctx, s.o.Baseline, cs, s.o.Namespace, s.o.Name)
	switch {
	case errors.Is(err, baseline.ErrNone):
		l.Warnf("no comparison: %v", err)
		return base, "", nil
	case err != nil && s.o.Regression.FailOnRegression:
		return base, "", fmt.Errorf("reading the baseline (fail-on-regression is on, so the run cannot pass without it): %w", err)
	case err != nil:
		l.Warnf("no comparison: reading the baseline: %v", err)
		return base, "", nil
	}
	return base, source, nil
}

// record keeps the run in the history; a history that cannot be written
// is a warning.
func (s *Stage) record(ctx context.Context, l log.Logger, cs kubernetes.Interface, now *report.Report) {
	trend, err := history.Record(ctx, cs, s.o.Namespace, s.o.Name, history.PointOf(now), s.o.History.Size)
	if err != nil {
		l.Warnf("keeping this run in the history: %v", err)
		return
	}
	l.Infof("the history of %s/%s holds %d run(s)", s.o.Namespace, s.o.Name, len(trend))
	s.trend = trend
}

// Comparison is the run against its baseline; nil when there was none.
func (s *Stage) Comparison() *report.Comparison { return s.comparison }

// Trend is the service's recent runs, this one last; nil when no history
// was kept.
func (s *Stage) Trend() []report.Point { return s.trend }
