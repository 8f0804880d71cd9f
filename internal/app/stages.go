package app

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"k8s.io/client-go/kubernetes"

	"github.com/knative-preview/action/internal/baseline"
	"github.com/knative-preview/action/internal/cluster"
	"github.com/knative-preview/action/internal/cluster/gke"
	"github.com/knative-preview/action/internal/cluster/kind"
	"github.com/knative-preview/action/internal/cluster/kubeconfig"
	"github.com/knative-preview/action/internal/config"
	"github.com/knative-preview/action/internal/console"
	"github.com/knative-preview/action/internal/deploy"
	"github.com/knative-preview/action/internal/history"
	"github.com/knative-preview/action/internal/ingress"
	"github.com/knative-preview/action/internal/install"
	"github.com/knative-preview/action/internal/manifests"
	"github.com/knative-preview/action/internal/measure"
	"github.com/knative-preview/action/internal/outputs"
	"github.com/knative-preview/action/internal/pipeline"
	"github.com/knative-preview/action/internal/regression"
	"github.com/knative-preview/action/internal/report"
)

// runState is what the stages of one run share: each stage reads what the
// stages before it found.
type runState struct {
	cfg    *config.Config
	con    *console.Console
	out    *outputs.Writer
	getenv func(string) string
	// cluster is the cluster the cluster stage reached; nil in mode down
	// when there is none.
	cluster *cluster.Cluster
	// installed is what the install stage installed.
	installed *install.Result
	// deployed is what the deploy stage deployed.
	deployed *deploy.Result
	// measured is what the measure stage measured, also when a check failed.
	measured *measure.Report
	// compared is this run against its baseline; trend the service's
	// recent runs, this one last.
	compared *report.Comparison
	trend    []report.Point
	// started is when the run began.
	started time.Time
}

// stage is one step of a run over its state.
type stage interface {
	// Plan says what Run will do; it touches nothing.
	Plan() []string
	Run(ctx context.Context) error
}

// leaver is a stage that changes something: it says what an interrupted
// run leaves behind once the stage has begun.
type leaver interface {
	leftBehind() string
}

// afterFailure is a stage that runs also after an earlier stage failed,
// when it says there is something for it to do.
type afterFailure interface {
	afterFailure() bool
}

// buildStages returns the stages the configuration asks for, each with its
// plan. Building them contacts nothing.
func buildStages(s *runState) []pipeline.Stage {
	named := func(name string, st stage) pipeline.Stage {
		ps := pipeline.Stage{Name: name, Plan: st.Plan(), Run: st.Run}
		if a, ok := st.(afterFailure); ok {
			ps.AfterFailure = a.afterFailure
		}
		if l, ok := st.(leaver); ok {
			ps.LeftBehind = l.leftBehind
		}
		return ps
	}
	stages := []pipeline.Stage{named("cluster", &clusterStage{runState: s, target: newTarget(s.cfg, s.con)})}
	if s.cfg.Deploy.Mode == deploy.ModeDown {
		return append(stages, named("deploy", downStage{s}))
	}
	stages = append(stages, named("install", installStage{runState: s, opts: installOptions(s.cfg, s.con, s.getenv)}))
	if s.cfg.Image == "" {
		return stages // Knative only: the user deploys with their own tools
	}
	stages = append(stages, named("deploy", newDeployStage(s)))
	if !s.cfg.Measures() {
		return stages
	}
	stages = append(stages, named("measure", measureStage{s}))
	if s.cfg.Baseline.Active() || s.cfg.History.Mode != history.ModeOff {
		stages = append(stages, named("compare", compareStage{s}))
	}
	return stages
}

// newTarget returns the cluster target the configuration names.
func newTarget(cfg *config.Config, con *console.Console) cluster.Target {
	switch cfg.Cluster {
	case config.ClusterKind:
		o := *cfg.Kind
		o.Log = con
		return kind.New(o)
	case config.ClusterGKE:
		o := *cfg.GKE
		o.Log = con
		return gke.New(o)
	}
	o := *cfg.Kubeconfig
	o.Log = con
	return kubeconfig.New(o)
}

// clusterStage reaches the cluster: created, reused or existing.
type clusterStage struct {
	*runState
	target cluster.Target
}

func (c *clusterStage) Plan() []string { return c.target.Plan() }

func (c *clusterStage) Run(ctx context.Context) error {
	if st, ok := c.target.(cluster.Stateful); ok {
		st.KeepState(func(name, value string) {
			if err := c.con.SaveState(name, value); err != nil {
				c.con.Warnf("%v", err)
			}
		})
	}
	cl, err := c.target.Connect(ctx)
	if h, ok := c.target.(cluster.SecretHolder); ok {
		// Known once the target has read them, which may be before a
		// later check fails; a later step may print the file they are in.
		c.con.Mask(h.Secrets()...)
	}
	if c.cfg.Deploy.Mode == deploy.ModeDown && errors.Is(err, cluster.ErrNoCluster) {
		c.con.Infof("nothing to delete: %v", err)
		return nil
	}
	if err != nil {
		return err
	}
	c.cluster = cl
	var extra map[string]string
	if p, ok := c.target.(cluster.OutputsProvider); ok {
		extra = p.Outputs()
	}
	return clusterOutputs(c.out, cl, extra)
}

func (c *clusterStage) leftBehind() string {
	switch c.cfg.Cluster {
	case config.ClusterKind:
		n := c.cfg.Kind.ClusterName
		return fmt.Sprintf("the kind cluster %s may be partly created; run again to finish it, or delete it with: kind delete cluster --name %s", n, n)
	case config.ClusterGKE:
		g := c.cfg.GKE
		return fmt.Sprintf("GKE may be creating the cluster %s (location %s); when this run asked for it, the state the post step needs to delete it is saved (delete-cluster: %s), else: gcloud container clusters delete %s --location %s", g.ClusterName, g.Location, g.DeleteCluster, g.ClusterName, g.Location)
	}
	return "nothing on the cluster was changed"
}

// installStage installs Knative Serving and its networking layer.
type installStage struct {
	*runState
	opts install.Options
}

func (i installStage) Plan() []string { return install.Plan(i.opts) }

func (i installStage) Run(ctx context.Context) error {
	start := time.Now()
	o := i.opts
	if i.cluster.Created && i.cfg.MeasuresColdStarts() {
		sc, err := measure.ClusterSettings(o.ServingConfig)
		if err != nil {
			return err
		}
		o.ServingConfig = sc
	}
	res, err := install.Run(ctx, i.cluster, o)
	if err != nil {
		return err
	}
	i.installed = res
	return errors.Join(
		i.out.Set("knative-version", res.Versions.Serving),
		i.out.Set("ingress", res.Ingress),
		i.out.Set("ingress-version", res.Versions.Ingress),
		i.out.Set("domain", res.Domain),
		i.out.Set("install-seconds", strconv.FormatFloat(time.Since(start).Seconds(), 'f', 1, 64)),
	)
}

func (i installStage) leftBehind() string {
	ns := []string{"knative-serving"}
	if g, err := ingress.GatewayOf(i.opts.Ingress); err == nil {
		ns = append(ns, g.Namespaces...)
	}
	return fmt.Sprintf("Knative Serving may be partly applied; run again to finish, or delete namespace %s", strings.Join(ns, ", "))
}

// installOptions are the install stage's settings with this run's console
// and manifest cache.
func installOptions(cfg *config.Config, con *console.Console, getenv func(string) string) install.Options {
	o := cfg.Install
	cache, err := manifests.DefaultCacheDir(getenv)
	if err != nil {
		con.Debugf("no cache for release manifests: %v", err)
		cache = ""
	}
	resolver, fetcher := *o.Resolver, *o.Fetcher
	resolver.Log = con
	fetcher.CacheDir, fetcher.Log = cache, con
	o.Resolver, o.Fetcher = &resolver, &fetcher
	o.Log = con
	return o
}

// deployStage runs the image as a Knative Service.
type deployStage struct {
	*runState
	opts deploy.Options
}

func newDeployStage(s *runState) deployStage {
	d := s.cfg.Deploy
	d.Log = s.con
	if s.cfg.MeasuresColdStarts() {
		d.Annotations = measure.RevisionAnnotations(d.Annotations)
	}
	return deployStage{runState: s, opts: d}
}

func (d deployStage) Plan() []string { return d.opts.Plan() }

func (d deployStage) Run(ctx context.Context) error {
	res, err := deploy.Up(ctx, d.cluster, d.opts)
	if res != nil {
		d.deployed = res
		if werr := deployOutputs(d.out, res, d.cluster); werr != nil {
			err = errors.Join(err, werr)
		}
	}
	return err
}

func (d deployStage) leftBehind() string {
	return fmt.Sprintf("the Knative Service %s/%s exists and may not be Ready; mode: down (knative-preview down) deletes it", d.opts.Namespace, d.opts.Service)
}

// downStage deletes the Service (mode down).
type downStage struct{ *runState }

func (d downStage) Plan() []string { return d.cfg.Deploy.Plan() }

func (d downStage) Run(ctx context.Context) error {
	if d.cluster == nil {
		return nil // no cluster, so no Service
	}
	o := d.cfg.Deploy
	o.Log = d.con
	// A closed pull request's own preview leaves no history behind; the
	// history goes first, so that the namespace may go after the Service.
	// A smoke check's (or a shared Service's) history outlives its Service.
	if o.PullRequestsOwn() && d.cfg.History.Mode != history.ModeOff {
		cs, err := kubernetes.NewForConfig(d.cluster.REST)
		if err != nil {
			return fmt.Errorf("building a Kubernetes client: %w", err)
		}
		if err := history.Forget(ctx, cs, o.Namespace, d.historyName()); err != nil {
			// Only figures are left over; the preview itself goes below.
			d.con.Warnf("the preview's history is not removed: %v", err)
		}
	}
	return deploy.Down(ctx, d.cluster, o)
}

func (d downStage) leftBehind() string {
	what := fmt.Sprintf("the Knative Service %s/%s may not be deleted yet", d.cfg.Deploy.Namespace, d.cfg.Deploy.Service)
	if t := d.cfg.Deploy.Tag; t != "" {
		what = fmt.Sprintf("tag %s of the Knative Service %s/%s may not be removed yet", t, d.cfg.Deploy.Namespace, d.cfg.Deploy.Service)
	}
	return what + "; run mode: down again"
}

// measureStage takes cold starts and smoke requests of what was deployed.
type measureStage struct{ *runState }

func (m measureStage) Plan() []string {
	o := m.cfg.Measure
	body := ""
	if o.Expect.Body != nil {
		body = fmt.Sprintf(" and a body matching /%s/", o.Expect.Body)
	}
	return []string{
		fmt.Sprintf("take %d cold start(s) of GET %s: wait until the revision is at zero, send one request, count it only if a new pod served it", o.Samples, o.Path),
		fmt.Sprintf("then %d warm request(s); every response must have status %d%s", o.SmokeRequests, o.Expect.Status, body),
	}
}

func (m measureStage) leftBehind() string {
	rev := ""
	if m.deployed != nil {
		rev = " (revision " + m.deployed.Revision + ")"
	}
	return fmt.Sprintf("the Knative Service %s/%s stays deployed%s and may be scaled up; the cold starts taken so far are in the outputs; mode: down (knative-preview down) deletes it", m.cfg.Deploy.Namespace, m.cfg.Deploy.Service, rev)
}

func (m measureStage) Run(ctx context.Context) error {
	cs, err := kubernetes.NewForConfig(cluster.ForWaits(m.cluster.REST))
	if err != nil {
		return fmt.Errorf("building a Kubernetes client: %w", err)
	}
	rep, err := measure.Measure(ctx, m.con, cs,
		measure.Revision{Namespace: m.deployed.Namespace, Name: m.deployed.Revision},
		measure.Route{URL: m.deployed.URL, Address: m.deployed.Address}, m.cfg.Measure)
	if rep != nil {
		m.measured = rep
		if werr := measureOutputs(m.out, rep); werr != nil {
			err = errors.Join(err, werr)
		}
	}
	return err
}

// compareStage keeps the run's figures in the service's history on the
// cluster and compares them with the baseline: a report file, or the
// history of the runs before this one.
type compareStage struct{ *runState }

func (c compareStage) Plan() []string {
	var out []string
	if b := c.cfg.Baseline; b.Active() {
		what := "the report file " + b.File
		if b.History {
			what = fmt.Sprintf("the recent runs of %s in the cluster's history", cmp.Or(b.Service, c.historyName()))
		}
		out = append(out, fmt.Sprintf("compare the cold-start median and p95, the time to Ready and the warm p50 with %s: slower or faster only when the change is above %g%% and %g ms and a rank test finds it clear", what, c.cfg.Regression.MaxRegressionPercent, c.cfg.Regression.FloorMs))
	}
	if c.cfg.History.Mode != history.ModeOff {
		out = append(out, fmt.Sprintf("keep this run's figures with the last %d runs' in ConfigMap %s/%s (history %s: not on a kind cluster this run created)", c.cfg.History.Size, c.cfg.Deploy.Namespace, history.ConfigMapName(c.historyName()), c.cfg.History.Mode))
	}
	return out
}

// afterFailure: a run whose smoke check failed is kept in the history and
// compared too (it is the drift a history is for), when anything was
// measured.
func (c compareStage) afterFailure() bool { return c.measured != nil && c.deployed != nil }

func (c compareStage) Run(ctx context.Context) error {
	if c.measured == nil || c.deployed == nil {
		return nil // an earlier stage failed before anything was measured
	}
	cs, err := kubernetes.NewForConfig(c.cluster.REST)
	if err != nil {
		return fmt.Errorf("building a Kubernetes client: %w", err)
	}
	ns, svc := c.deployed.Namespace, c.historyName()
	// What the run's report says so far: its figures, under its commit.
	now := c.rawReport(nil, nil)

	var base regression.Samples
	source := ""
	if c.cfg.Baseline.Active() {
		// Read before this run is recorded: a run is not its own baseline.
		base, source, err = baseline.Load(ctx, c.cfg.Baseline, cs, ns, svc)
		switch {
		case errors.Is(err, baseline.ErrNone):
			c.con.Warnf("no comparison: %v", err)
			source = ""
		case err != nil && c.cfg.Regression.FailOnRegression:
			return fmt.Errorf("reading the baseline (fail-on-regression is on, so the run cannot pass without it): %w", err)
		case err != nil:
			c.con.Warnf("no comparison: reading the baseline: %v", err)
			source = ""
		}
	}

	if c.cfg.History.On(c.cfg.Cluster == config.ClusterKind && c.cluster.Created) {
		trend, err := history.Record(ctx, cs, ns, svc, history.PointOf(now), c.cfg.History.Size)
		if err != nil {
			c.con.Warnf("keeping this run in the history: %v", err)
		} else {
			c.con.Infof("the history of %s/%s holds %d run(s)", ns, svc, len(trend))
		}
		c.trend = trend
	}

	if source == "" {
		return nil
	}
	comparison := regression.Compare(regression.SamplesOf(now), base, c.cfg.Regression)
	comparison.Baseline = source
	c.compared = &comparison
	c.con.Infof("compared with %s: %s", source, comparison.Verdict)
	figures, err := json.Marshal(comparison.Figures)
	if err != nil {
		return fmt.Errorf("encoding the compared figures: %w", err)
	}
	if err := errors.Join(c.out.Set("regression", comparison.Verdict), c.out.Set("regression-figures", string(figures))); err != nil {
		return err
	}
	return c.cfg.Regression.Failure(comparison)
}

// historyName is whose history the run keeps: its preview's, so that
// the tags of one Service do not mix their figures with each other's or
// the main route's.
func (s *runState) historyName() string { return s.cfg.Deploy.Preview() }

// serviceReport is what the report says of the deployed Service; nil
// before the deploy stage.
func (s *runState) serviceReport() *report.Service {
	d := s.deployed
	if d == nil {
		return nil
	}
	return &report.Service{Name: d.Service, Namespace: d.Namespace, Revision: d.Revision, URL: d.URL, ReadySeconds: d.ReadySeconds}
}
