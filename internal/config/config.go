package config

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/distribution/reference"

	"github.com/knative-preview/action/internal/kubecfg"
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
}

// Secrets lists every value of the configuration that must be masked.
func (c *Config) Secrets() []string {
	if c.Kubeconfig == nil {
		return nil
	}
	return c.Kubeconfig.Secrets
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
type InputError struct {
	Style    Style
	Input    string
	Value    string // shown quoted; empty for problems with no value
	Problem  string
	Accepted string // the accepted values, or empty
}

func (e *InputError) Error() string {
	var b strings.Builder
	if e.Style == FlagStyle {
		fmt.Fprintf(&b, "--%s", e.Input)
	} else {
		fmt.Fprintf(&b, "input %q", e.Input)
	}
	if e.Value != "" {
		fmt.Fprintf(&b, ": %q %s", e.Value, e.Problem)
	} else {
		fmt.Fprintf(&b, ": %s", e.Problem)
	}
	if e.Accepted != "" {
		fmt.Fprintf(&b, " (accepted: %s)", e.Accepted)
	}
	return b.String()
}

// Values holds the raw, unvalidated input values by name; a missing or
// empty value means "use the default".
type Values map[string]string

// Parse validates raw values and returns the configuration. It reports every
// problem at once, one *InputError per problem, joined with errors.Join. It
// makes no network call: a kubeconfig is read and parsed, never contacted.
func Parse(raw Values, style Style, getenv kubecfg.Getenv) (*Config, error) {
	var errs []error
	bad := func(input, value, problem, accepted string) {
		errs = append(errs, &InputError{Style: style, Input: input, Value: value, Problem: problem, Accepted: accepted})
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
	for n := range raw {
		if _, ok := Lookup(n); !ok {
			bad(n, "", "is not an input of this action", strings.Join(names(), ", "))
		}
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

func names() []string {
	out := make([]string, len(Inputs))
	for i, in := range Inputs {
		out[i] = in.Name
	}
	return out
}
