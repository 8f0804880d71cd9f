package app

import (
	"time"

	"github.com/knative-preview/action/internal/cluster"
	"github.com/knative-preview/action/internal/cluster/gke"
	"github.com/knative-preview/action/internal/cluster/kind"
	"github.com/knative-preview/action/internal/cluster/kubeconfig"
	"github.com/knative-preview/action/internal/compare"
	"github.com/knative-preview/action/internal/config"
	"github.com/knative-preview/action/internal/console"
	"github.com/knative-preview/action/internal/deploy"
	"github.com/knative-preview/action/internal/github"
	"github.com/knative-preview/action/internal/install"
	"github.com/knative-preview/action/internal/manifests"
	"github.com/knative-preview/action/internal/measure"
	"github.com/knative-preview/action/internal/outputs"
	"github.com/knative-preview/action/internal/pipeline"
	"github.com/knative-preview/action/internal/reachable"
	"github.com/knative-preview/action/internal/report"
	"github.com/knative-preview/action/internal/sweep"
)

// runState is one run: its configuration and the stages it runs, each of
// which keeps what it found for the stages after it and for the report.
type runState struct {
	cfg    *config.Config
	con    *console.Console
	out    *outputs.Writer
	getenv func(string) string
	// started is when the run began.
	started time.Time

	// The stages; those the configuration does not ask for are nil.
	cluster *cluster.Stage
	install *install.Stage
	deploy  *deploy.Stage
	measure *measure.Stage
	compare *compare.Stage
	sweep   *sweep.Stage
}

// buildStages returns the stages the configuration asks for, in order.
// Building them contacts nothing.
func buildStages(s *runState) []pipeline.Stage {
	cfg := s.cfg
	s.cluster = &cluster.Stage{
		Target:       newTarget(cfg, s.con),
		ExistingOnly: cfg.Deploy.Mode == deploy.ModeDown || cfg.Deploy.Mode == deploy.ModeSweep,
		SaveState:    s.saveState,
		Mask:         s.con.Mask,
	}
	stages := []pipeline.Stage{s.cluster}
	switch cfg.Deploy.Mode {
	case deploy.ModeDown:
		s.deploy = deploy.NewStage(cfg.Deploy, s.cluster)
		return append(stages, s.deploy)
	case deploy.ModeSweep:
		s.sweep = s.sweepStage()
		return append(stages, s.sweep)
	}
	s.install = install.NewStage(s.installOptions(), s.cluster)
	stages = append(stages, s.install)
	if !cfg.Deploy.Deploys() {
		return stages // Knative only: the user deploys with their own tools
	}
	d := cfg.Deploy
	if cfg.MeasuresColdStarts() {
		d = d.WithMeasuredAnnotations(measure.RevisionAnnotations)
	}
	s.deploy = deploy.NewStage(d, s.cluster)
	stages = append(stages, s.deploy)
	if !cfg.Measures() {
		return stages
	}
	s.measure = measure.NewStage(cfg.Measure, s.cluster, s.subject)
	stages = append(stages, s.measure)
	c := compare.Options{History: cfg.History, Baseline: cfg.Baseline, Regression: cfg.Regression, Namespace: cfg.Deploy.Namespace, Name: cfg.Deploy.HistoryName()}
	if c.Active() {
		s.compare = compare.NewStage(c, s.cluster, s.figures)
		stages = append(stages, s.compare)
	}
	return stages
}

// sweepStage is the sweep stage, with a GitHub client of the run's
// repository (building it contacts nothing).
func (s *runState) sweepStage() *sweep.Stage {
	o := s.cfg.Sweep
	o.RunURL = github.RunURL(s.getenv)
	o.Environment = func(n int) string { return s.cfg.GitHub.EnvironmentFor(&github.PullRequest{Number: n}) }
	client, err := github.NewClient(s.getenv, s.cfg.GitHubToken)
	var st *sweep.Stage
	if err != nil {
		st = sweep.NewStage(o, s.cluster, nil, err)
	} else {
		st = sweep.NewStage(o, s.cluster, client, nil)
	}
	st.Now = s.cfg.Now
	return st
}

// newTarget returns the cluster target the configuration names.
func newTarget(cfg *config.Config, con *console.Console) cluster.Target {
	switch cfg.Cluster {
	case config.ClusterKind:
		return kind.New(*cfg.Kind, con)
	case config.ClusterGKE:
		return gke.New(*cfg.GKE, con)
	}
	return kubeconfig.New(*cfg.Kubeconfig, con)
}

// saveState keeps a value for the action's post step; one that cannot be
// kept is a warning.
func (s *runState) saveState(name, value string) {
	if err := s.con.SaveState(name, value); err != nil {
		s.con.Warnf("%v", err)
	}
}

// installOptions are the install stage's settings with this run's manifest
// cache and, when cold starts are measured, the measure stage's settings
// for a cluster this run creates.
func (s *runState) installOptions() install.Options {
	o := s.cfg.Install
	cache, err := manifests.DefaultCacheDir(s.getenv)
	if err != nil {
		s.con.Debugf("no cache for release manifests: %v", err)
		cache = ""
	}
	fetcher := *o.Fetcher
	fetcher.CacheDir = cache
	o.Fetcher = &fetcher
	if s.cfg.MeasuresColdStarts() {
		o.CreatedClusterSettings = measure.ClusterSettings
	}
	return o
}

// subject is what the measure stage measures: the Service the deploy
// stage deployed, or of an app the one measure-service names.
func (s *runState) subject() *measure.Subject {
	if s.deploy == nil || s.deploy.Result() == nil {
		return nil
	}
	d := s.deploy.Result()
	all := d.Services
	for i := range all {
		if all[i].Service == s.cfg.Deploy.MeasuredService() {
			d = &all[i]
		}
	}
	return &measure.Subject{
		Service:  d.Namespace + "/" + d.Service,
		Revision: measure.Revision{Namespace: d.Namespace, Name: d.Revision},
		Route:    measure.Route{URL: d.URL, Address: d.Address},
	}
}

// figures is what the run measured, under its commit, for the compare
// stage; nil when nothing was.
func (s *runState) figures() *report.Report {
	f := s.found()
	if f.measured == nil || f.deployed == nil {
		return nil
	}
	return s.rawReport(f, nil, nil)
}

// found is what the stages found, nil where a stage did not run or found
// nothing.
type found struct {
	cluster    *cluster.Cluster
	installed  *install.Result
	deployed   *deploy.Result
	measured   *measure.Report
	comparison *report.Comparison
	trend      []report.Point
	// reach says whether a reviewer can reach what was deployed; nil
	// before the deploy stage found a URL.
	reach *reachable.Verdict
}

// found is what the stages have found so far.
func (s *runState) found() found {
	var f found
	if s.cluster != nil {
		f.cluster = s.cluster.Cluster()
	}
	if s.install != nil {
		f.installed = s.install.Result()
	}
	if s.deploy != nil {
		f.deployed = s.deploy.Result()
	}
	if f.cluster != nil && f.deployed != nil && f.deployed.URL != "" {
		v := reachable.Decide(reachable.Facts{
			EphemeralWhy: f.cluster.EphemeralWhy,
			ClusterLocal: f.deployed.ClusterLocal,
			URL:          f.deployed.URL,
		})
		f.reach = &v
	}
	if s.measure != nil {
		f.measured = s.measure.Report()
	}
	if s.compare != nil {
		f.comparison, f.trend = s.compare.Comparison(), s.compare.Trend()
	}
	return f
}

// serviceReport is what the report says of the deployed Service; nil
// before the deploy stage.
func (f found) serviceReport() *report.Service {
	d := f.deployed
	if d == nil {
		return nil
	}
	return serviceOf(d)
}

// servicesReport is what the report says of every Service deployed.
func (f found) servicesReport() []report.Service {
	if f.deployed == nil {
		return nil
	}
	var out []report.Service
	for i := range f.deployed.Services {
		out = append(out, *serviceOf(&f.deployed.Services[i]))
	}
	return out
}

func serviceOf(d *deploy.Result) *report.Service {
	return &report.Service{Name: d.Service, Namespace: d.Namespace, Revision: d.Revision, URL: d.URL, ReadySeconds: d.ReadySeconds, ClusterLocal: d.ClusterLocal}
}
