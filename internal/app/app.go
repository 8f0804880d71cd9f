// Package app wires one run together: it reads the configuration (from
// GitHub Actions inputs or from the command line), builds the stages for it,
// runs them under the run's timeout and reports the outcome.
package app

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"k8s.io/client-go/kubernetes"

	"github.com/knative-preview/action/internal/cluster"
	"github.com/knative-preview/action/internal/cluster/gke"
	"github.com/knative-preview/action/internal/cluster/kind"
	"github.com/knative-preview/action/internal/cluster/kubeconfig"
	"github.com/knative-preview/action/internal/config"
	"github.com/knative-preview/action/internal/console"
	"github.com/knative-preview/action/internal/deploy"
	"github.com/knative-preview/action/internal/input"
	"github.com/knative-preview/action/internal/install"
	"github.com/knative-preview/action/internal/knconfig"
	"github.com/knative-preview/action/internal/manifests"
	"github.com/knative-preview/action/internal/measure"
	"github.com/knative-preview/action/internal/outputs"
	"github.com/knative-preview/action/internal/pipeline"
)

// Version is the release of this binary, set at build time with
// -ldflags "-X github.com/knative-preview/action/internal/app.Version=v1.2.3".
var Version = "dev"

// Exit codes.
const (
	ExitOK          = 0
	ExitFailed      = 1 // bad input, or a stage failed
	ExitInterrupted = 130
)

// PostProgram is the name the Dockerfile links to the binary for the
// action's post-entrypoint: the post step runs in a new container with the
// same inputs, so only the name it is started as tells it apart.
const PostProgram = "knative-preview-post"

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
	Stdout  io.Writer
	Stderr  io.Writer
}

// Main runs the action inside GitHub Actions (no arguments and
// GITHUB_ACTIONS=true) or the CLI otherwise, and returns the exit code.
func Main(ctx context.Context, env Env) int {
	if env.Program == PostProgram {
		return runPost(ctx, env)
	}
	if len(env.Args) == 0 && env.Getenv("GITHUB_ACTIONS") == "true" {
		return runAction(ctx, env)
	}
	return runCLI(ctx, env)
}

const usage = `knative-preview: a Knative environment for a pull request, a smoke check or a laptop.

Usage:
  knative-preview up [flags]     bring up Knative on the cluster target, deploy, measure, report
  knative-preview down [flags]   delete the Knative Service (same flags)
  knative-preview version        print the version
  knative-preview help           show this help

Inside GitHub Actions the container runs with no arguments and reads its
inputs (the flags below, by the same names) from the step's "with:".

Flags of up:
`

func runCLI(ctx context.Context, env Env) int {
	verb := ""
	args := env.Args
	if len(args) > 0 {
		verb, args = args[0], args[1:]
	}
	switch verb {
	case "up", "down":
	case "version", "--version":
		fmt.Fprintln(env.Stdout, "knative-preview", Version)
		return ExitOK
	case "help", "-h", "--help", "":
		fs, _, _ := upFlags(env.Stderr)
		fmt.Fprint(env.Stderr, usage)
		fs.PrintDefaults()
		if verb == "" {
			return ExitFailed
		}
		return ExitOK
	default:
		fmt.Fprintf(env.Stderr, "error: unknown command %q (commands: up, down, version, help)\n", verb)
		return ExitFailed
	}

	fs, raw, format := upFlags(env.Stderr)
	// Flags may come after a stray argument (--timeout 5 parsecs): parse
	// them all and report the strays with the other problems.
	var strays []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return ExitOK
			}
			return ExitFailed // the flag package has printed the problem and the usage
		}
		if fs.NArg() == 0 {
			break
		}
		strays = append(strays, fs.Arg(0))
		args = fs.Args()[1:]
	}
	con := console.NewLocal(env.Stderr)
	var problems []error
	for _, a := range strays {
		problems = append(problems, fmt.Errorf("unexpected argument %q: every setting is a flag (quote values that contain spaces)", a))
	}
	if m := raw["mode"]; m != "" && m != verb {
		problems = append(problems, &input.Error{Flag: true, Input: "mode", Value: m, Problem: "contradicts the command " + verb, Accepted: "leave --mode out: the command says it"})
	}
	raw["mode"] = verb
	if !slices.Contains([]string{string(outputs.Text), string(outputs.JSON)}, *format) {
		problems = append(problems, &input.Error{Flag: true, Input: "output", Value: *format, Problem: "is not an output format", Accepted: "text, json"})
	}
	cfg, err := config.Parse(raw, input.FlagStyle, env.Getenv)
	con.Mask(cfg.Secrets()...)
	if err != nil {
		problems = append(problems, err)
	}
	if len(problems) > 0 {
		reportProblems(con, errors.Join(problems...))
		return ExitFailed
	}
	out := outputs.NewLocal(outputs.Format(*format), env.Stdout, env.Stderr)
	out.Redact = con.Redact
	return run(ctx, cfg, con, out, env.Stdout, outputs.Format(*format), env.Getenv)
}

func upFlags(stderr io.Writer) (*flag.FlagSet, input.Values, *string) {
	fs := flag.NewFlagSet("knative-preview up", flag.ContinueOnError)
	fs.SetOutput(stderr)
	raw := input.Flags(fs, config.Inputs)
	format := fs.String("output", string(outputs.Text), "How to show the results: text (a summary on stderr) or json (one object on stdout).")
	return fs, raw, format
}

func runAction(ctx context.Context, env Env) int {
	con := console.NewActions(env.Stdout, env.Getenv)
	cfg, err := config.Parse(input.FromAction(config.Inputs, env.Getenv), input.ActionStyle, env.Getenv)
	con.Mask(cfg.Secrets()...) // before anything is printed, problems included
	if err != nil {
		reportProblems(con, err)
		_ = con.Summary("### knative-preview\n\nThe inputs are not valid; nothing was created.\n\n```\n" + err.Error() + "\n```\n")
		return ExitFailed
	}
	out, err := outputs.NewActions(env.Getenv)
	if err != nil {
		con.Errorf("%v", err)
		return ExitFailed
	}
	out.Redact = con.Redact
	return run(ctx, cfg, con, out, env.Stdout, outputs.Text, env.Getenv)
}

// reportProblems writes one line per problem.
func reportProblems(con *console.Console, err error) {
	for _, e := range input.List(err) {
		con.Errorf("%v", e)
	}
}

// run executes (or, for a dry run, plans) the stages for cfg.
// Its callers have masked cfg's secrets.
func run(ctx context.Context, cfg *config.Config, con *console.Console, out *outputs.Writer, stdout io.Writer, format outputs.Format, getenv func(string) string) int {
	var extra strings.Builder // stages' own sections of the job summary
	stages := buildStages(cfg, con, out, getenv, &extra)

	if cfg.DryRun {
		if format == outputs.JSON {
			b, err := json.MarshalIndent(pipeline.ToJSON(stages), "", "  ")
			if err != nil {
				con.Errorf("writing the plan: %v", err)
				return ExitFailed
			}
			fmt.Fprintln(stdout, con.Redact(string(b)))
			return ExitOK
		}
		var b strings.Builder
		_ = pipeline.WritePlan(&b, stages)
		fmt.Fprint(stdout, con.Redact(b.String()))
		return ExitOK
	}

	ctx, cancel := context.WithTimeoutCause(ctx, cfg.Timeout, fmt.Errorf("the run's timeout of %s passed (raise the timeout input if the cluster is slow)", cfg.Timeout))
	defer cancel()

	runner := &pipeline.Runner{Console: con}
	results, err := runner.Run(ctx, stages)
	summary := pipeline.Summary("knative-preview", results, err) + extra.String()
	if err == nil {
		summary += outputsMarkdown(out.Values())
	}
	if serr := con.Summary(summary); serr != nil {
		con.Warnf("%v", serr)
	}
	if err != nil {
		con.Errorf("%v", err)
		// What was found before the failure still reaches the caller.
		if ferr := out.FlushFailed(con.Redact(err.Error())); ferr != nil {
			con.Errorf("%v", ferr)
		}
		if errors.Is(context.Cause(ctx), ErrInterrupted) {
			return ExitInterrupted
		}
		return ExitFailed
	}
	if err := out.Flush(); err != nil {
		con.Errorf("%v", err)
		return ExitFailed
	}
	return ExitOK
}

func outputsMarkdown(values map[string]string) string {
	if len(values) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString("\n| output | value |\n| --- | --- |\n")
	for _, o := range outputs.Outputs {
		if v, ok := values[o.Name]; ok && o.Name != "cold-start-samples" { // shown as the cold start table
			fmt.Fprintf(&b, "| %s | `%s` |\n", o.Name, v)
		}
	}
	return b.String()
}

// buildStages returns the stages the configuration asks for, each with its
// plan. Building them contacts nothing.
func buildStages(cfg *config.Config, con *console.Console, out *outputs.Writer, getenv func(string) string, extra *strings.Builder) []pipeline.Stage {
	var target cluster.Target
	afterConnect := func() {}
	var kindTarget *kind.Target
	switch cfg.Cluster {
	case config.ClusterKind:
		o := *cfg.Kind
		o.Progress = con.Infof
		kindTarget = kind.New(o)
		target = kindTarget
	case config.ClusterKubeconfig:
		target = kubeconfig.New(*cfg.Kubeconfig, kubeconfig.WithProgress(con.Infof))
	case config.ClusterGKE:
		save := func(s gke.State) {
			if err := con.SaveState(gke.StateName, s.Encode()); err != nil {
				con.Warnf("%v", err)
			}
		}
		o := gkeOptions(cfg, con, getenv)
		o.Created = save // as soon as GKE accepts the create: the main step may be killed while it waits
		t := gke.New(o)
		target = t
		// Saved again whether or not Connect succeeds: a cluster whose
		// creation failed half-way must still be deleted by the post step.
		afterConnect = func() { save(t.State()) }
	}
	var cl *cluster.Cluster
	down := cfg.Deploy.Mode == deploy.ModeDown
	stages := []pipeline.Stage{{
		Name: "cluster",
		Plan: target.Plan(),
		Run: func(ctx context.Context) error {
			c, err := target.Connect(ctx)
			afterConnect()
			if kindTarget != nil {
				// Known once kind's kubeconfig is read, which may be before
				// a later check fails; a later step may print that file.
				con.Mask(kindTarget.Secrets()...)
			}
			if down && errors.Is(err, cluster.ErrNoCluster) {
				con.Infof("nothing to delete: %v", err)
				return nil
			}
			if err != nil {
				return err
			}
			cl = c
			kubeconfigPath := ""
			if kindTarget != nil {
				kubeconfigPath = kindTarget.KubeconfigPath()
			}
			return clusterOutputs(out, c, kubeconfigPath)
		},
	}}

	if down {
		return append(stages, pipeline.Stage{
			Name: "deploy",
			Plan: []string{fmt.Sprintf("delete the Knative Service %s/%s (and the namespace if this action created it and nothing else is in it)", cfg.Deploy.Namespace, cfg.Deploy.Service)},
			Run: func(ctx context.Context) error {
				if cl == nil {
					return nil // no cluster, so no Service
				}
				return deploy.Down(ctx, cl, cfg.Deploy, con.Infof)
			},
		})
	}

	opts := installOptions(cfg, con, getenv)
	stages = append(stages, pipeline.Stage{
		Name: "install",
		Plan: install.Plan(opts),
		Run: func(ctx context.Context) error {
			start := time.Now()
			o := opts
			if cl.Created && cfg.Image != "" && cfg.Measure.Samples > 0 {
				o.ServingConfig = withFastScaleToZero(o.ServingConfig)
				if err := knconfig.Validate("config-autoscaler", o.ServingConfig["config-autoscaler"]); err != nil {
					return fmt.Errorf("shortening scale-to-zero for measuring: %w", err)
				}
			}
			res, err := install.Run(ctx, cl, o)
			if err != nil {
				return err
			}
			return errors.Join(
				out.Set("knative-version", res.Versions.Serving),
				out.Set("ingress", res.Ingress),
				out.Set("ingress-version", res.Versions.Ingress),
				out.Set("domain", res.Domain),
				out.Set("install-seconds", strconv.FormatFloat(time.Since(start).Seconds(), 'f', 1, 64)),
			)
		},
	})
	if cfg.Image == "" {
		return stages // Knative only: the user deploys with their own tools
	}

	d := cfg.Deploy
	if cfg.Measure.Samples > 0 {
		d.Annotations = withDefaults(d.Annotations, measure.Annotations)
	}
	var deployed *deploy.Result
	stages = append(stages, pipeline.Stage{
		Name: "deploy",
		Plan: []string{
			fmt.Sprintf("create or update the Knative Service %s/%s running %s (a new revision every run)", d.Namespace, d.Service, d.Image),
			"wait until it is Ready, ending early with the reason when its pods cannot pull the image, crash, lack configuration or cannot be scheduled",
			"request its URL (directly, else through the ingress with its Host header) until it answers",
		},
		Run: func(ctx context.Context) error {
			res, err := deploy.Up(ctx, cl, d, con.Infof)
			if res != nil {
				deployed = res
				if werr := deployOutputs(out, res, cl); werr != nil {
					err = errors.Join(err, werr)
				}
			}
			return err
		},
	})
	if !cfg.Measure.Active() || d.Visibility == deploy.VisibilityClusterLocal {
		return stages
	}
	m := cfg.Measure
	m.Progress = con.Infof
	stages = append(stages, pipeline.Stage{
		Name: "measure",
		Plan: []string{
			fmt.Sprintf("take %d cold start(s) of GET %s: wait until the revision is at zero, send one request, count it only if a new pod served it", m.Samples, m.Path),
			fmt.Sprintf("then %d warm request(s); every response must have status %d%s", m.SmokeRequests, m.Expect.Status, bodyPlan(m.Expect)),
		},
		Run: func(ctx context.Context) error {
			cs, err := kubernetes.NewForConfig(cluster.ForWaits(cl.REST))
			if err != nil {
				return fmt.Errorf("building a Kubernetes client: %w", err)
			}
			rep, err := measure.Measure(ctx, cs,
				measure.Revision{Namespace: deployed.Namespace, Name: deployed.Revision},
				measure.Route{URL: deployed.URL, Address: deployed.Address},
				m)
			if rep != nil {
				extra.WriteString(rep.Markdown())
				if werr := measureOutputs(out, rep); werr != nil {
					err = errors.Join(err, werr)
				}
			}
			return err
		},
	})
	return stages
}

// withFastScaleToZero adds, on clusters this run created, the autoscaler
// setting that lets measured revisions reach zero sooner, unless the user
// set it.
func withFastScaleToZero(o knconfig.Overrides) knconfig.Overrides {
	out := maps.Clone(o)
	if out == nil {
		out = knconfig.Overrides{}
	}
	out["config-autoscaler"] = withDefaults(out["config-autoscaler"], measure.ClusterConfig)
	return out
}

// withDefaults returns a copy of m with defaults added where m has no value.
func withDefaults(m, defaults map[string]string) map[string]string {
	out := make(map[string]string, len(m)+len(defaults))
	maps.Copy(out, defaults)
	maps.Copy(out, m)
	return out
}

func bodyPlan(e measure.Expect) string {
	if e.Body == nil {
		return ""
	}
	return fmt.Sprintf(" and a body matching /%s/", e.Body)
}

// deployOutputs writes what the deploy stage reports; host-url is written
// where the cluster target gives the runner's host a way to the ingress.
func deployOutputs(out *outputs.Writer, res *deploy.Result, cl *cluster.Cluster) error {
	errs := []error{
		out.Set("service", res.Service),
		out.Set("namespace", res.Namespace),
	}
	if res.URL != "" {
		errs = append(errs, out.Set("url", res.URL))
		if h := hostURL(res.URL, cl); h != "" {
			errs = append(errs, out.Set("host-url", h))
		}
	}
	if res.Revision != "" {
		errs = append(errs, out.Set("revision", res.Revision), out.Set("ready-seconds", strconv.FormatFloat(res.ReadySeconds, 'f', 1, 64)))
	}
	return errors.Join(errs...)
}

// hostURL is the service URL with the scheme and port of the cluster's
// HostURLBase, the host's way to the ingress (kind: http://127.0.0.1:<port>).
// It exists only when the URL's host is under the cluster target's own
// domain (kind: 127.0.0.1.sslip.io, which resolves to the runner): not for
// a cluster-local service, nor for a domain input that points elsewhere.
func hostURL(serviceURL string, cl *cluster.Cluster) string {
	if cl.HostURLBase == "" || cl.Domain == "" {
		return ""
	}
	s, err := url.Parse(serviceURL)
	if err != nil || !strings.HasSuffix(s.Hostname(), "."+cl.Domain) {
		return ""
	}
	b, err := url.Parse(cl.HostURLBase)
	if err != nil {
		return ""
	}
	host := s.Hostname()
	if p := b.Port(); p != "" && !(b.Scheme == "http" && p == "80") && !(b.Scheme == "https" && p == "443") {
		host += ":" + p
	}
	return (&url.URL{Scheme: b.Scheme, Host: host, Path: s.Path}).String()
}

// measureOutputs writes what the measure stage reports.
func measureOutputs(out *outputs.Writer, rep *measure.Report) error {
	f := func(v float64) string { return strconv.FormatFloat(v, 'f', 0, 64) }
	samples, err := json.Marshal(rep.Samples)
	if err != nil {
		return fmt.Errorf("encoding the samples: %w", err)
	}
	errs := []error{out.Set("cold-start-samples", string(samples))}
	if rep.Cold.N > 0 {
		errs = append(errs, out.Set("cold-start-ms", f(rep.Cold.Median)), out.Set("cold-start-p95-ms", f(rep.Cold.P95)))
	}
	if rep.FirstWithPull != nil {
		errs = append(errs, out.Set("cold-start-first-ms", f(rep.FirstWithPull.TotalMs)))
	}
	if rep.Warm.N > 0 {
		errs = append(errs, out.Set("warm-p50-ms", f(rep.Warm.Median)))
	}
	return errors.Join(errs...)
}

// clusterOutputs writes what the cluster stage reports; kubeconfigPath is
// the workspace-relative kubeconfig a target wrote for later steps, if any.
func clusterOutputs(out *outputs.Writer, c *cluster.Cluster, kubeconfigPath string) error {
	errs := []error{
		out.Set("kubernetes-version", c.Version.GitVersion),
		out.Set("context", c.Context),
	}
	if kubeconfigPath != "" {
		errs = append(errs, out.Set("kubeconfig", kubeconfigPath))
	}
	return errors.Join(errs...)
}

func installOptions(cfg *config.Config, con *console.Console, getenv func(string) string) install.Options {
	o := cfg.Install
	cache, err := manifests.DefaultCacheDir(getenv)
	if err != nil {
		con.Debugf("no cache for release manifests: %v", err)
		cache = ""
	}
	resolver, fetcher := *o.Resolver, *o.Fetcher
	resolver.Progress = con.Infof
	fetcher.CacheDir, fetcher.Progress = cache, con.Infof
	o.Resolver, o.Fetcher = &resolver, &fetcher
	o.Progress, o.Warn = con.Infof, con.Warnf
	return o
}

// gkeOptions are the gke target's settings with this run's console and
// environment.
func gkeOptions(cfg *config.Config, con *console.Console, getenv func(string) string) gke.Options {
	o := *cfg.GKE
	o.Progress = con.Infof
	o.Getenv = getenv
	return o
}

// runPost is the action's post step: it runs after the job's other steps,
// also when they failed, and cleans up what the main step asked to clean
// up (a GKE cluster this run created, with delete-cluster: on-exit).
func runPost(ctx context.Context, env Env) int {
	con := console.NewActions(env.Stdout, env.Getenv)
	cfg, err := config.Parse(input.FromAction(config.Inputs, env.Getenv), input.ActionStyle, env.Getenv)
	con.Mask(cfg.Secrets()...)
	if err != nil {
		// The main step reported the inputs; it created nothing.
		con.Infof("post step: nothing to clean up (the inputs were not valid)")
		return ExitOK
	}
	if cfg.Cluster != config.ClusterGKE || cfg.DryRun {
		return ExitOK
	}
	ctx, cancel := context.WithTimeoutCause(ctx, cfg.Timeout, fmt.Errorf("the run's timeout of %s passed while cleaning up", cfg.Timeout))
	defer cancel()
	end := con.Group("cleanup")
	defer end()
	if err := gke.New(gkeOptions(cfg, con, env.Getenv)).Cleanup(ctx, env.Getenv("STATE_"+gke.StateName)); err != nil {
		con.Errorf("cleaning up: %v", err)
		return ExitFailed
	}
	return ExitOK
}
