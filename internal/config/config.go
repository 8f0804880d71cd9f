package config

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/knative-preview/action/internal/baseline"
	"github.com/knative-preview/action/internal/cluster"
	"github.com/knative-preview/action/internal/cluster/gke"
	"github.com/knative-preview/action/internal/cluster/kind"
	"github.com/knative-preview/action/internal/cluster/kubeconfig"
	"github.com/knative-preview/action/internal/deploy"
	"github.com/knative-preview/action/internal/github"
	"github.com/knative-preview/action/internal/history"
	"github.com/knative-preview/action/internal/image"
	"github.com/knative-preview/action/internal/input"
	"github.com/knative-preview/action/internal/install"
	"github.com/knative-preview/action/internal/measure"
	"github.com/knative-preview/action/internal/regression"
	"github.com/knative-preview/action/internal/sweep"
	"github.com/knative-preview/action/internal/userinfo"
)

// Config is the validated configuration of one run.
type Config struct {
	// Cluster is the cluster target.
	Cluster Target
	// Timeout limits the whole run.
	Timeout time.Duration
	// Image is the image reference to deploy, or empty.
	Image string
	// DryRun prints the plan and touches nothing.
	DryRun bool
	// GitHubToken authenticates GitHub API calls, or is empty.
	GitHubToken string
	// Event is the GitHub event the run is for; its PullRequest is nil
	// outside a pull request (and on a laptop).
	Event *github.Event
	// GitHub says whether to keep a comment and a deployment on the pull
	// request.
	GitHub github.Options

	// Kubeconfig, Kind and GKE hold the settings of the cluster target
	// (only the one Cluster names is set).
	Kubeconfig *kubeconfig.Options
	Kind       *kind.Options
	GKE        *gke.Options

	// Install, Deploy and Measure say what each stage does (Deploy, in
	// mode down, what to delete).
	Install install.Options
	Deploy  deploy.Options
	Measure measure.Options

	// History says whether to keep the service's recent runs on the
	// cluster; Baseline what to compare the run with, and Regression how.
	History    history.Options
	Baseline   baseline.Options
	Regression regression.Options

	// Sweep says what mode sweep removes and whom it tells.
	Sweep sweep.Options
	// Now is the clock a sweep measures ages by; nil: time.Now. The
	// caller sets it (Parse does not).
	Now func() time.Time
	// NothingToDo, when set, says why the run has nothing to do: a label
	// other than preview-label was added or removed.
	NothingToDo string

	// Warnings are about values that are accepted but probably not what
	// the user wants.
	Warnings []string

	// byShape are secrets found by their shape: see credentialsByShape.
	byShape []string
	// refused are texts of secret inputs that were refused: they may be
	// secrets, and are masked too.
	refused []string
}

// Measures reports whether the run measures anything (cold starts or warm
// requests): there is an image or an app, the measured Service is
// reachable from outside the cluster
// (a cluster-local Service is neither requested nor measured), and some
// sample or request is asked for.
func (c *Config) Measures() bool {
	return c.Deploy.Deploys() && !c.Deploy.ClusterLocal(c.Deploy.MeasuredService()) && c.Measure.Active()
}

// MeasuresColdStarts reports whether the run takes cold starts.
func (c *Config) MeasuresColdStarts() bool { return c.Measures() && c.Measure.Samples > 0 }

// Secrets lists every value of the configuration that must be masked.
func (c *Config) Secrets() []string {
	var out []string
	if c.GitHubToken != "" {
		out = append(out, c.GitHubToken)
	}
	if c.Kubeconfig != nil {
		out = append(out, c.Kubeconfig.Secrets()...)
	}
	out = append(out, c.Install.Secrets()...)
	out = append(out, c.Deploy.Secrets()...)
	out = append(out, c.refused...)
	return append(out, c.byShape...)
}

// proxyVariables name the proxies of Go's HTTP client (and of curl and
// Docker, which kind passes them to): a proxy's URL may carry a login.
var proxyVariables = []string{"HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"}

// credentialsByShape lists the user information of every URL in the
// inputs' values (a database URL in env, a login in an image reference, a
// kubeconfig's server) and in the proxy variables: secrets by their shape,
// whichever input or variable holds them, masked like the declared ones.
func credentialsByShape(raw input.Values, getenv func(string) string) []string {
	var out []string
	for _, d := range Inputs {
		out = append(out, userinfo.Credentials(raw[d.Name])...)
	}
	if getenv != nil {
		for _, k := range proxyVariables {
			out = append(out, userinfo.Credentials(getenv(k))...)
		}
	}
	return out
}

// Parse validates raw values and returns the configuration. It reports every
// problem at once, one *input.Error per problem, joined with errors.Join. It
// makes no network call: a kubeconfig is read and parsed, never contacted.
// The configuration is returned with the problems too, so that its secrets
// can be masked before they are reported.
func Parse(raw input.Values, style input.Style, getenv func(string) string) (*Config, error) {
	r := input.NewReader(Inputs, raw, style, getenv)
	cfg := &Config{byShape: credentialsByShape(raw, getenv)}
	cfg.Cluster = Target(r.OneOf("cluster", "is not a cluster target", clusterTargets...))
	refuseOtherTargets(r, raw, string(cfg.Cluster))
	cfg.Timeout = r.Duration("timeout")
	cfg.Image = r.String("image")
	if cfg.Image != "" {
		if err := image.Check(cfg.Image); err != nil {
			r.Bad("image", cfg.Image, err.Error(), image.Accepted)
		}
	}
	cfg.DryRun = r.Bool("dry-run")
	cfg.GitHubToken = r.String("github-token")
	if cfg.GitHubToken == "" {
		cfg.GitHubToken = strings.TrimSpace(r.Getenv("GITHUB_TOKEN"))
	}

	ev, err := github.ReadEvent(r.Getenv)
	if err != nil {
		r.BadSetting(github.EventPathVariable, err.Error(), "")
		ev = &github.Event{}
	}
	cfg.Event = ev
	cfg.GitHub = github.Parse(r)

	cfg.Install = install.Parse(r, cfg.GitHubToken)
	cfg.Deploy = deploy.Parse(r, cfg.Image, cfg.GitHubToken, pullRequest(ev, cfg.GitHub))
	if _, unchanged := cfg.GitHub.Gate(ev.PullRequest); unchanged {
		cfg.NothingToDo = fmt.Sprintf("pull request #%d: label %q was %s, not preview-label %q: nothing to do", ev.PullRequest.Number, ev.PullRequest.Label, ev.PullRequest.Action, cfg.GitHub.PreviewLabel)
	}
	cfg.Measure = measure.Parse(r)
	refuseUnmeasurable(r, cfg)
	cfg.History = history.Parse(r)
	cfg.Deploy.KeepsHistory = cfg.History.Mode != history.ModeOff
	cfg.Baseline = baseline.Parse(r)
	cfg.Regression = regression.Parse(r)
	warnUncompared(r, cfg)
	cfg.Sweep = parseSweep(r, cfg)

	down := cfg.Deploy.Mode == deploy.ModeDown || cfg.Deploy.Mode == deploy.ModeSweep
	if down && cluster.Reuse(r.String("reuse-cluster")) == cluster.ReuseRecreate && cfg.Cluster != clusterKubeconfig {
		r.Bad("reuse-cluster", string(cluster.ReuseRecreate), "would delete and create the cluster only to delete Services in it (mode "+string(cfg.Deploy.Mode)+")", "true or false with mode down or sweep: it uses the cluster if it exists and creates nothing")
	}
	switch cfg.Cluster {
	case ClusterGKE:
		o := gke.Parse(r)
		o.ExistingOnly = down
		cfg.GKE = &o
	case ClusterKind:
		o := kind.Parse(r, cfg.Image)
		if app := cfg.Deploy.App; app != nil {
			o.AppImages = app.Images()
		}
		if down {
			o.ExistingOnly, o.Image, o.LoadImages, o.AppImages = true, "", nil, nil
		}
		cfg.Kind = &o
	case clusterKubeconfig:
		o := kubeconfig.Parse(r)
		cfg.Kubeconfig = &o
	}
	cfg.Warnings = r.Warnings()
	cfg.refused = r.Masks()
	return cfg, r.Err()
}

// refuseOtherTargets refuses an input of another cluster target than
// target: it would be ignored without a word.
func refuseOtherTargets(r *input.Reader, raw input.Values, target string) {
	if target == "" || !slices.Contains(clusterTargets, target) {
		return
	}
	for _, d := range Inputs {
		targets := targetsOf[d.Name]
		v := strings.TrimSpace(raw[d.Name])
		if len(targets) == 0 || v == "" || v == d.Default || slices.Contains(targets, target) {
			continue
		}
		shown := v
		if d.Secret || d.Multiline {
			shown = "" // may be content with credentials, as a kubeconfig is
		}
		r.Bad(d.Name, shown, fmt.Sprintf("applies to cluster %s only, and cluster is %s", strings.Join(targets, " and "), target),
			"leave it out, or set cluster to "+strings.Join(targets, " or "))
	}
}

// pullRequest is what deploy needs of the event's pull request; nil
// outside one.
func pullRequest(ev *github.Event, o github.Options) *deploy.PullRequest {
	if ev.PullRequest == nil {
		return nil
	}
	pr := ev.PullRequest
	want, _ := o.Gate(pr)
	return &deploy.PullRequest{Number: pr.Number, HeadSHA: pr.HeadSHA, Closed: pr.Closed(), Unwanted: !want}
}

// parseSweep reads what mode sweep needs, and refuses what it cannot do:
// it deploys nothing, asks GitHub about the repository's pull requests,
// and deactivates each pull request's own environment.
func parseSweep(r *input.Reader, cfg *Config) sweep.Options {
	o := sweep.Options{
		Namespace: cfg.Deploy.Namespace, MaxAge: sweep.ParseMaxAge(r), KeepsHistory: cfg.Deploy.KeepsHistory, DryRun: cfg.DryRun,
		Repository: r.Getenv("GITHUB_REPOSITORY"),
		Comments:   cfg.GitHub.Comment != github.ModeNever, Deployments: cfg.GitHub.Deployment != github.ModeNever,
	}
	if cfg.Deploy.Mode != deploy.ModeSweep {
		if o.MaxAge > 0 {
			r.Warn("max-age", "applies to mode sweep only, and mode is %s", cfg.Deploy.Mode)
		}
		return o
	}
	const accept = "empty with mode sweep"
	if cfg.Image != "" {
		r.Bad("image", cfg.Image, "is not deployed by mode sweep: a sweep only removes previews", accept)
	}
	if cfg.GitHub.Environment != "" {
		r.Bad("environment", cfg.GitHub.Environment, "names one environment, and a sweep sets each pull request's own pr-<number> inactive", accept)
	}
	if cfg.GitHubToken == "" {
		r.Bad("github-token", "", "is empty: a sweep asks GitHub which pull requests are open", "a token that may read pull requests, in a workflow ${{ github.token }}")
	}
	if o.Repository == "" {
		r.Bad("mode", "sweep", "needs GITHUB_REPOSITORY (owner/name) to ask which pull requests are open", "run it in a workflow, or set GITHUB_REPOSITORY")
	}
	return o
}

// warnUncompared warns about a comparison asked for that cannot happen:
// nothing is measured, or there is nothing to compare with.
func warnUncompared(r *input.Reader, cfg *Config) {
	switch {
	case cfg.Baseline.Active() && !cfg.Measures():
		r.Warn("baseline", "nothing is measured (no image, visibility cluster-local, or cold-start-samples and smoke-requests 0), so there is nothing to compare")
	case cfg.Deploy.Deploys() && !cfg.Measures() && cfg.Measure.MaxMedianMs > 0:
		r.Warn("cold-start-max-ms", "nothing is measured (visibility cluster-local, or cold-start-samples and smoke-requests 0), so it holds nothing to it")
	case cfg.Regression.FailOnRegression && !cfg.Baseline.Active():
		r.Warn("fail-on-regression", "without baseline there is nothing to compare with, so it never fails the job; set baseline to a report file or history")
	}
}

// refuseUnmeasurable refuses a minimum scale above zero when cold starts
// are to be measured: no cold start would ever come.
func refuseUnmeasurable(r *input.Reader, cfg *Config) {
	if !cfg.MeasuresColdStarts() {
		return
	}
	d := cfg.Deploy
	if d.MinScale != nil && *d.MinScale > 0 {
		r.Bad("min-scale", r.String("min-scale"), "keeps pods running, so there is no cold start to measure", "0 or empty with cold-start-samples above 0, or cold-start-samples: 0")
	}
	for _, k := range []string{"autoscaling.knative.dev/min-scale", "autoscaling.knative.dev/minScale"} {
		if v, ok := d.Annotations[k]; ok && strings.TrimSpace(v) != "0" {
			r.Bad("annotations", k+"="+v, "keeps pods running, so there is no cold start to measure", "no minimum scale above 0 with cold-start-samples above 0, or cold-start-samples: 0")
		}
	}
	if d.MinScale != nil || d.App == nil {
		return // the input wins over the file
	}
	if s := d.App.Service(d.MeasuredService()); s != nil {
		for _, k := range []string{"autoscaling.knative.dev/min-scale", "autoscaling.knative.dev/minScale"} {
			if v, ok := s.Spec.Template.Annotations[k]; ok && strings.TrimSpace(v) != "0" && d.Annotations[k] == "" {
				r.Bad("service-file", "", fmt.Sprintf("Service %s, the one measured, has %s=%s, which keeps pods running, so there is no cold start to measure", s.Name, k, v),
					"min-scale: 0 (the input wins over the file), measure-service naming another Service, or cold-start-samples: 0")
			}
		}
	}
}
