package config

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/distribution/reference"

	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/knative-preview/action/internal/cluster/gke"
	"github.com/knative-preview/action/internal/cluster/kind"
	"github.com/knative-preview/action/internal/deploy"
	"github.com/knative-preview/action/internal/inputerr"
	"github.com/knative-preview/action/internal/knconfig"
	"github.com/knative-preview/action/internal/kubecfg"
	"github.com/knative-preview/action/internal/manifests"
	"github.com/knative-preview/action/internal/measure"
	"github.com/knative-preview/action/internal/release"
)

// Config is the validated configuration of one run.
type Config struct {
	// Cluster is the cluster target, one of ClusterTargets.
	Cluster string
	// Kubeconfig is the loaded kubeconfig when Cluster is kubeconfig.
	Kubeconfig *kubecfg.Source
	// Context is the resolved kubeconfig context (never empty when
	// Kubeconfig is set).
	Context string
	// Timeout limits the whole run.
	Timeout time.Duration
	// Image is the image reference to deploy, or empty.
	Image string
	// DryRun prints the plan and touches nothing.
	DryRun bool

	// ServingVersion is the Knative Serving release to install.
	ServingVersion release.Spec
	// Ingress is the networking layer.
	Ingress string
	// Domain is the DNS suffix of service URLs, or empty.
	Domain string
	// ServingConfig overrides Knative's ConfigMaps.
	ServingConfig knconfig.Overrides
	// ManifestsURL replaces GitHub releases as the manifests' source.
	ManifestsURL string
	// GitHubToken authenticates GitHub API calls, or is empty.
	GitHubToken string

	// GKE holds the gke target's settings when Cluster is gke.
	GKE *gke.Options
	// Kind holds the kind target's settings when Cluster is kind.
	Kind *kind.Options

	// Deploy says what to deploy (or delete, in mode down).
	Deploy deploy.Options
	// Measure says how to measure cold starts and check responses.
	Measure Measure
}

// Measure is the configuration of the measure stage.
type Measure struct {
	Samples       int
	Path          string
	Expect        measure.Expect
	MaxMedianMs   float64
	SmokeRequests int
}

// Active reports whether the measure stage has anything to do.
func (m Measure) Active() bool { return m.Samples > 0 || m.SmokeRequests > 0 }

// Secrets lists every value of the configuration that must be masked.
func (c *Config) Secrets() []string {
	var out []string
	if c.GitHubToken != "" {
		out = append(out, c.GitHubToken)
	}
	if c.Kubeconfig != nil {
		out = append(out, c.Kubeconfig.Secrets...)
	}
	out = append(out, manifests.Credentials(c.ManifestsURL)...)
	return append(out, c.Deploy.Secrets()...)
}

// Style says how problems name an input: as an action input or as a flag.
type Style int

const (
	// ActionStyle names inputs as in action.yml: input "timeout".
	ActionStyle Style = iota
	// FlagStyle names inputs as flags: --timeout.
	FlagStyle
)

// InputError is one problem with one input.
type InputError = inputerr.Error

// Values holds the raw, unvalidated input values by name; a missing or
// empty value means "use the default".
type Values map[string]string

// Parse validates raw values and returns the configuration. It reports every
// problem at once, one *InputError per problem, joined with errors.Join. It
// makes no network call: a kubeconfig is read and parsed, never contacted.
func Parse(raw Values, style Style, getenv kubecfg.Getenv) (*Config, error) {
	var errs []error
	bad := func(input, value, problem, accepted string) {
		errs = append(errs, &InputError{Flag: style == FlagStyle, Input: input, Value: value, Problem: problem, Accepted: accepted})
	}
	// badAll takes the problems another package found with its inputs,
	// naming them in this style; an error of another kind is a problem of
	// the input otherwise.
	badAll := func(otherwise string, problems ...error) {
		for _, p := range problems {
			for _, e := range inputerr.List(p) {
				var ie *inputerr.Error
				if errors.As(e, &ie) {
					bad(ie.Input, ie.Value, ie.Problem, ie.Accepted)
				} else {
					bad(otherwise, "", e.Error(), "")
				}
			}
		}
	}
	val := func(n string) string {
		in, ok := Lookup(n)
		if !ok {
			panic("config: unknown input " + n)
		}
		if v := strings.TrimSpace(raw[n]); v != "" {
			return v
		}
		return in.Default
	}
	for _, in := range Inputs {
		if in.Required && val(in.Name) == "" {
			bad(in.Name, "", "is required", "")
		}
	}

	cfg := &Config{}

	cfg.Cluster = val("cluster")
	if !slices.Contains(ClusterTargets, cfg.Cluster) {
		bad("cluster", cfg.Cluster, "is not a cluster target", strings.Join(ClusterTargets, ", "))
	} else {
		// An input of another target would be ignored without a word.
		for _, in := range Inputs {
			targets := targetInputs[in.Name]
			v := strings.TrimSpace(raw[in.Name])
			if len(targets) == 0 || v == "" || v == in.Default || slices.Contains(targets, cfg.Cluster) {
				continue
			}
			shown := v
			if in.Name == "kubeconfig" {
				shown = "" // may be a kubeconfig's content
			}
			bad(in.Name, shown, fmt.Sprintf("applies to cluster %s only, and cluster is %s", strings.Join(targets, " and "), cfg.Cluster),
				"leave it out, or set cluster to "+strings.Join(targets, " or "))
		}
	}

	if t := val("timeout"); t != "" {
		d, err := time.ParseDuration(t)
		switch {
		case err != nil:
			bad("timeout", t, "is not a duration", "a Go duration such as 90s, 20m, 1h30m")
		case d <= 0:
			bad("timeout", t, "must be positive", "a Go duration such as 90s, 20m, 1h30m")
		default:
			cfg.Timeout = d
		}
	}

	if img := val("image"); img != "" {
		if _, err := reference.ParseNormalizedNamed(img); err != nil {
			bad("image", img, "is not an image reference ("+err.Error()+")", "[registry/]repository[:tag][@sha256:digest], e.g. ghcr.io/org/app:v1")
		}
		cfg.Image = img
	}

	if v := val("dry-run"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			bad("dry-run", v, "is not a boolean", "true, false")
		}
		cfg.DryRun = b
	}

	if v := val("serving-version"); v != "" {
		spec, err := release.ParseSpec(v)
		if err != nil {
			badAll("serving-version", err)
		}
		cfg.ServingVersion = spec
	}

	cfg.Ingress = val("ingress")
	if !slices.Contains(release.Ingresses(), cfg.Ingress) {
		bad("ingress", cfg.Ingress, "is not a supported networking layer", strings.Join(release.Ingresses(), ", "))
	}

	if d := strings.TrimSuffix(val("domain"), "."); d != "" {
		if problems := validation.IsDNS1123Subdomain(d); len(problems) > 0 {
			bad("domain", d, "is not a DNS suffix: "+strings.Join(problems, "; "), "a lower-case DNS name such as preview.example.com")
		}
		cfg.Domain = d
	}

	if sc := raw["serving-config"]; strings.TrimSpace(sc) != "" {
		o, err := knconfig.Parse(sc)
		if err != nil {
			for _, e := range inputerr.List(err) {
				bad("serving-config", "", e.Error(), "")
			}
		}
		cfg.ServingConfig = o
	}

	if u := val("manifests-url"); u != "" {
		if err := manifests.ValidateSource(u); err != nil {
			shown := u
			if !manifests.IsFolder(u) {
				shown = manifests.Redact(u)
			}
			bad("manifests-url", shown, err.Error(), manifests.SourceAccepted)
		}
		cfg.ManifestsURL = u
	}

	cfg.GitHubToken = val("github-token")
	if cfg.GitHubToken == "" && getenv != nil {
		cfg.GitHubToken = strings.TrimSpace(getenv("GITHUB_TOKEN"))
	}

	deployRaw := map[string]string{"image": cfg.Image}
	for _, n := range deploy.InputNames {
		deployRaw[n] = val(n)
	}
	repo := ""
	if getenv != nil {
		repo = getenv("GITHUB_REPOSITORY")
	}
	if repo == "" && style == FlagStyle {
		// On a laptop the service is named after the folder one works in.
		if wd, err := os.Getwd(); err == nil {
			repo = "local/" + filepath.Base(wd)
		}
	}
	d, problems := deploy.ParseOptions(deployRaw, repo)
	badAll("image", problems...)
	cfg.Deploy = d

	cfg.Measure = parseMeasure(val, bad)
	if cfg.Image != "" && cfg.Measure.Samples > 0 {
		if d.MinScale != nil && *d.MinScale > 0 {
			bad("min-scale", val("min-scale"), "keeps pods running, so there is no cold start to measure", "0 or empty with cold-start-samples above 0, or cold-start-samples: 0")
		}
		for _, k := range []string{"autoscaling.knative.dev/min-scale", "autoscaling.knative.dev/minScale"} {
			if v, ok := d.Annotations[k]; ok && strings.TrimSpace(v) != "0" {
				bad("annotations", k+"="+v, "keeps pods running, so there is no cold start to measure", "no minimum scale above 0 with cold-start-samples above 0, or cold-start-samples: 0")
			}
		}
	}

	down := d.Mode == deploy.ModeDown
	if down && val("reuse-cluster") == "recreate" && cfg.Cluster != ClusterKubeconfig {
		bad("reuse-cluster", "recreate", "would delete and create the cluster only to delete a Service in it (mode down)", "true or false with mode down: it uses the cluster if it exists and creates nothing")
	}

	if cfg.Cluster == ClusterGKE {
		o, problems := gke.FromInputs(val, getenv)
		o.ExistingOnly = down
		badAll("cluster", problems...)
		cfg.GKE = &o
	}

	if cfg.Cluster == ClusterKind {
		o := kind.Options{
			ClusterName:       val("cluster-name"),
			KubernetesVersion: val("kubernetes-version"),
			Reuse:             val("reuse-cluster"),
			LoadImages:        kind.ParseImageList(val("load-images")),
			KindConfig:        val("kind-config"),
			Image:             cfg.Image,
			Workspace:         workspace(getenv),
			Getenv:            getenv,
		}
		if p, err := kind.ParseHostPort(val("host-port")); err != nil {
			badAll("host-port", err)
		} else {
			o.HostPort = p
			badAll("cluster", kind.Validate(o)...)
		}
		if down {
			o.ExistingOnly, o.Image, o.LoadImages = true, "", nil
		}
		cfg.Kind = &o
	}

	if cfg.Cluster == ClusterKubeconfig {
		src, err := kubecfg.Load(raw["kubeconfig"], getenv)
		if err != nil {
			bad("kubeconfig", "", err.Error(), "")
		} else {
			cfg.Kubeconfig = src
			ctxName, err := src.ResolveContext(val("context"))
			if err != nil {
				bad("context", "", err.Error(), "")
			} else if _, err := src.RESTConfig(ctxName); err != nil {
				bad("context", "", err.Error(), "")
			} else {
				cfg.Context = ctxName
			}
		}
	}

	if len(errs) > 0 {
		return cfg, errors.Join(errs...)
	}
	return cfg, nil
}

// targetInputs lists the inputs that only some cluster targets read.
var targetInputs = map[string][]string{
	"kubeconfig":          {ClusterKubeconfig},
	"context":             {ClusterKubeconfig},
	"host-port":           {ClusterKind},
	"load-images":         {ClusterKind},
	"kind-config":         {ClusterKind},
	"cluster-name":        {ClusterKind, ClusterGKE},
	"reuse-cluster":       {ClusterKind, ClusterGKE},
	"kubernetes-version":  {ClusterKind, ClusterGKE},
	"gke-project":         {ClusterGKE},
	"gke-location":        {ClusterGKE},
	"gke-machine-type":    {ClusterGKE},
	"gke-nodes":           {ClusterGKE},
	"gke-spot":            {ClusterGKE},
	"gke-release-channel": {ClusterGKE},
	"delete-cluster":      {ClusterGKE},
}

// parseMeasure reads the inputs of the measure stage.
func parseMeasure(val func(string) string, bad func(input, value, problem, accepted string)) Measure {
	m := Measure{Path: val("path")}
	count := func(name string) int {
		v := val(name)
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > 1000 {
			bad(name, v, "is not a count", "a whole number from 0 to 1000")
			return 0
		}
		return n
	}
	m.Samples = count("cold-start-samples")
	m.SmokeRequests = count("smoke-requests")
	if !strings.HasPrefix(m.Path, "/") {
		bad("path", m.Path, "is not a URL path", "a path starting with /, e.g. /healthz")
	}
	if v := val("expect-status"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 100 || n > 599 {
			bad("expect-status", v, "is not an HTTP status", "100 to 599")
		}
		m.Expect.Status = n
	}
	if v := val("expect-body"); v != "" {
		re, err := regexp.Compile(v)
		if err != nil {
			bad("expect-body", v, "is not a regular expression: "+err.Error(), "Go regular expression syntax, e.g. ^Hello")
		}
		m.Expect.Body = re
	}
	if v := val("cold-start-max-ms"); v != "" {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || !(f > 0) || math.IsInf(f, 0) {
			bad("cold-start-max-ms", v, "is not a positive number of milliseconds", "e.g. 2000")
		}
		m.MaxMedianMs = f
	}
	return m
}

// workspace is where files for later steps go: GITHUB_WORKSPACE inside
// Actions, else the current directory.
func workspace(getenv kubecfg.Getenv) string {
	if getenv != nil {
		if ws := getenv("GITHUB_WORKSPACE"); ws != "" {
			return ws
		}
	}
	wd, _ := os.Getwd()
	return wd
}
