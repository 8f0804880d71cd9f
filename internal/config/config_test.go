package config

import (
	"encoding/base64"
	"errors"
	"flag"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/knative-preview/action/internal/deploy"
	"github.com/knative-preview/action/internal/input"
)

const fixture = "../../testdata/kubeconfig-two-contexts.yaml"

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestParseDefaults(t *testing.T) {
	abs, _ := filepath.Abs(fixture)
	cfg, err := Parse(input.Values{}, input.ActionStyle, env(map[string]string{"GITHUB_WORKSPACE": "/github/workspace"}))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if cfg.Cluster != "kind" || cfg.Kind == nil || cfg.Kind.ClusterName != "knative" || cfg.Kind.HostPort != 80 || cfg.Kind.Reuse != "true" || cfg.Kind.Workspace != "/github/workspace" {
		t.Errorf("kind is the default target, with its defaults: cluster %q, %+v", cfg.Cluster, cfg.Kind)
	}
	cfg, err = Parse(input.Values{"cluster": "kubeconfig"}, input.ActionStyle, env(map[string]string{"KUBECONFIG": abs}))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if cfg.Timeout != 20*time.Minute || cfg.Image != "" || cfg.DryRun {
		t.Errorf("defaults: got cluster=%q timeout=%s image=%q dry-run=%v", cfg.Cluster, cfg.Timeout, cfg.Image, cfg.DryRun)
	}
	if cfg.Kubeconfig.Context != "blue" {
		t.Errorf("context: got %q, want the current-context blue", cfg.Kubeconfig.Context)
	}
	if cfg.Install.Spec.String() != "1.23" || cfg.Install.Ingress != "kourier" || cfg.Install.Domain != "" || cfg.Install.ServingConfig != nil || cfg.Install.Fetcher.Source != "" || cfg.GitHubToken != "" {
		t.Errorf("install defaults: %+v", cfg)
	}
	if !strings.Contains(cfg.Kubeconfig.Source.Origin, "KUBECONFIG") {
		t.Errorf("origin %q should say the kubeconfig came from $KUBECONFIG", cfg.Kubeconfig.Source.Origin)
	}
}

// Every input in the table is read: each case sets one input to a value other
// than its default, through the environment GitHub gives a container action
// and through the CLI flag of the same name, and checks the field it fills.
func TestEveryInputIsRead(t *testing.T) {
	content, err := os.ReadFile(fixture)
	if err != nil {
		t.Fatal(err)
	}
	kc := map[string]string{"cluster": "kubeconfig"}
	repo := map[string]string{"service": "hello"}
	kindBase := map[string]string{"cluster": "kind"}
	shop := map[string]string{"service-file": "../../testdata/shop/services.yaml", "image": "ghcr.io/acme/shop-web:pr-7", "images": "ghcr.io/acme/shop-api=ghcr.io/acme/shop-api:pr-7"}
	// host-workspace maps the host path of the fixture's folder to the
	// container's workspace, GITHUB_WORKSPACE (the fixture's folder).
	fixtureAbs, _ := filepath.Abs(fixture)
	fixtureDir := filepath.Dir(fixtureAbs)
	hostWorkspace := map[string]string{"cluster": "kubeconfig", "kubeconfig": "/home/runner/work/app/app/" + filepath.Base(fixture)}
	gkeBase := map[string]string{"cluster": "gke", "gke-project": "proj-1", "gke-location": "europe-west1-b"}
	cases := map[string]struct {
		value string
		check func(*Config) bool
		with  map[string]string // other inputs the case needs
	}{
		"cluster":         {"kubeconfig", func(c *Config) bool { return c.Cluster == "kubeconfig" }, nil},
		"kubeconfig":      {string(content), func(c *Config) bool { return c.Kubeconfig.Source.Origin == "inline content" }, kc},
		"context":         {"green", func(c *Config) bool { return c.Kubeconfig.Context == "green" }, kc},
		"timeout":         {"90s", func(c *Config) bool { return c.Timeout == 90*time.Second }, nil},
		"image":           {"ghcr.io/org/app:v1", func(c *Config) bool { return c.Image == "ghcr.io/org/app:v1" && c.Deploy.Image == c.Image }, repo},
		"dry-run":         {"true", func(c *Config) bool { return c.DryRun }, nil},
		"serving-version": {"1.22.3", func(c *Config) bool { return c.Install.Spec.String() == "1.22.3" }, nil},
		"ingress":         {"contour", func(c *Config) bool { return c.Install.Ingress == "contour" }, nil},
		"domain":          {"preview.example.com", func(c *Config) bool { return c.Install.Domain == "preview.example.com" }, nil},
		"serving-config": {"config-features: {kubernetes.podspec-affinity: enabled}", func(c *Config) bool {
			return c.Install.ServingConfig["config-features"]["kubernetes.podspec-affinity"] == "enabled"
		}, nil},
		"manifests-url": {"https://mirror.example/knative", func(c *Config) bool { return c.Install.Fetcher.Source == "https://mirror.example/knative" }, nil},
		"github-token": {"ghs_token_from_input", func(c *Config) bool {
			return c.GitHubToken == "ghs_token_from_input" && c.Secrets()[0] == "ghs_token_from_input"
		}, nil},
		"cluster-name":        {"pr-42", func(c *Config) bool { return c.GKE.ClusterName == "pr-42" }, gkeBase},
		"reuse-cluster":       {"recreate", func(c *Config) bool { return c.GKE.Reuse == "recreate" }, gkeBase},
		"kubernetes-version":  {"1.34", func(c *Config) bool { return c.GKE.KubernetesVersion == "1.34" }, gkeBase},
		"gke-project":         {"other-project", func(c *Config) bool { return c.GKE.Project == "other-project" }, map[string]string{"cluster": "gke", "gke-location": "us-central1"}},
		"gke-location":        {"us-east1", func(c *Config) bool { return c.GKE.Location == "us-east1" }, map[string]string{"cluster": "gke", "gke-project": "project-1"}},
		"gke-machine-type":    {"e2-standard-8", func(c *Config) bool { return c.GKE.MachineType == "e2-standard-8" }, gkeBase},
		"gke-nodes":           {"3", func(c *Config) bool { return c.GKE.Nodes == 3 }, gkeBase},
		"gke-spot":            {"true", func(c *Config) bool { return c.GKE.Spot }, gkeBase},
		"gke-release-channel": {"rapid", func(c *Config) bool { return c.GKE.ReleaseChannel == "rapid" }, gkeBase},
		"delete-cluster":      {"on-exit", func(c *Config) bool { return c.GKE.DeleteCluster == "on-exit" }, gkeBase},
		"mode":                {"down", func(c *Config) bool { return c.Deploy.Mode == "down" }, repo},
		"service":             {"hello", func(c *Config) bool { return c.Deploy.Service == "hello" }, nil},
		"namespace":           {"previews", func(c *Config) bool { return c.Deploy.Namespace == "previews" }, repo},
		"env":                 {"A=1\nB=two words", func(c *Config) bool { return len(c.Deploy.Env) == 2 && c.Deploy.Env[1].Value == "two words" }, repo},
		"secret-env":          {"TOKEN=s3cr3t-value", func(c *Config) bool { return len(c.Deploy.SecretEnv) == 1 && c.Deploy.Secrets()[0] == "s3cr3t-value" }, repo},
		"port":                {"9000", func(c *Config) bool { return c.Deploy.Port == 9000 }, repo},
		"container-args":      {"--verbose\n--port=9000", func(c *Config) bool { return strings.Join(c.Deploy.Args, " ") == "--verbose --port=9000" }, repo},
		"min-scale":           {"1", func(c *Config) bool { return c.Deploy.MinScale != nil && *c.Deploy.MinScale == 1 }, repo},
		"max-scale":           {"4", func(c *Config) bool { return c.Deploy.MaxScale != nil && *c.Deploy.MaxScale == 4 }, repo},
		"concurrency":         {"10", func(c *Config) bool { return c.Deploy.Concurrency != nil && *c.Deploy.Concurrency == 10 }, repo},
		"request-timeout":     {"90s", func(c *Config) bool { return c.Deploy.RequestTimeout == 90*time.Second }, repo},
		"annotations":         {"team=web", func(c *Config) bool { return c.Deploy.Annotations["team"] == "web" }, repo},
		"labels":              {"app=hello", func(c *Config) bool { return c.Deploy.Labels["app"] == "hello" }, repo},
		"service-account":     {"runner", func(c *Config) bool { return c.Deploy.ServiceAccount == "runner" }, repo},
		"visibility":          {"cluster-local", func(c *Config) bool { return c.Deploy.Visibility == "cluster-local" }, repo},
		"tag":                 {"pr-7", func(c *Config) bool { return c.Deploy.Tag == "pr-7" }, repo},
		"service-file": {"../../testdata/shop/services.yaml", func(c *Config) bool {
			return c.Deploy.App != nil && c.Deploy.Service == "web" && len(c.Deploy.App.Services) == 2
		}, map[string]string{"image": "ghcr.io/acme/shop-web:pr-7"}},
		"images": {"ghcr.io/acme/shop-api=ghcr.io/acme/shop-api:pr-7", func(c *Config) bool {
			return c.Deploy.App.Service("api").Spec.Template.Spec.Containers[0].Image == "ghcr.io/acme/shop-api:pr-7"
		}, shop},
		"objects":             {"../../testdata/shop/objects", func(c *Config) bool { return len(c.Deploy.App.Objects) == 3 }, shop},
		"ready-timeout":       {"90s", func(c *Config) bool { return c.Deploy.ReadyTimeout == 90*time.Second }, repo},
		"measure-service":     {"api", func(c *Config) bool { return c.Deploy.MeasuredService() == "api" }, shop},
		"cold-start-samples":  {"3", func(c *Config) bool { return c.Measure.Samples == 3 }, nil},
		"path":                {"/healthz", func(c *Config) bool { return c.Measure.Path == "/healthz" }, nil},
		"expect-status":       {"204", func(c *Config) bool { return c.Measure.Expect.Status == 204 }, nil},
		"expect-body":         {"^Hello", func(c *Config) bool { return c.Measure.Expect.Body.String() == "^Hello" }, nil},
		"cold-start-max-ms":   {"1500", func(c *Config) bool { return c.Measure.MaxMedianMs == 1500 }, nil},
		"smoke-requests":      {"0", func(c *Config) bool { return c.Measure.SmokeRequests == 0 }, nil},
		"registry-username":   {"bot", func(c *Config) bool { return strings.Contains(strings.Join(c.Deploy.Plan(), "\n"), "(user bot)") }, map[string]string{"service": "hello", "image": "ghcr.io/o/r:v1", "registry-password": "pw"}},
		"registry-password":   {"pw-value", func(c *Config) bool { return slices.Contains(c.Secrets(), "pw-value") }, map[string]string{"service": "hello", "image": "ghcr.io/o/r:v1", "registry-username": "bot"}},
		"history":             {"off", func(c *Config) bool { return c.History.Mode == "off" }, nil},
		"history-size":        {"7", func(c *Config) bool { return c.History.Size == 7 }, nil},
		"baseline":            {"History", func(c *Config) bool { return c.Baseline.History }, nil},
		"baseline-service":    {"hello-main", func(c *Config) bool { return c.Baseline.Service == "hello-main" }, map[string]string{"baseline": "history"}},
		"max-regression":      {"10%", func(c *Config) bool { return c.Regression.MaxRegressionPercent == 10 }, nil},
		"regression-floor-ms": {"50", func(c *Config) bool { return c.Regression.FloorMs == 50 }, nil},
		"fail-on-regression":  {"true", func(c *Config) bool { return c.Regression.FailOnRegression }, nil},
		"comment":             {"never", func(c *Config) bool { return c.GitHub.Comment == "never" }, nil},
		"deployment":          {"Never", func(c *Config) bool { return c.GitHub.Deployment == "never" }, nil},
		"environment":         {"preview", func(c *Config) bool { return c.GitHub.Environment == "preview" }, nil},
		"preview-label":       {"preview", func(c *Config) bool { return c.GitHub.PreviewLabel == "preview" }, nil},
		"max-age":             {"7d", func(c *Config) bool { return c.Sweep.MaxAge == 7*24*time.Hour }, nil},
		"host-port":           {"8080", func(c *Config) bool { return c.Kind.HostPort == 8080 }, kindBase},
		"load-images":         {"app:dev, tools:dev", func(c *Config) bool { return strings.Join(c.Kind.LoadImages, " ") == "app:dev tools:dev" }, kindBase},
		"host-workspace": {`"/home/runner/work/app/app"`, func(c *Config) bool {
			return c.Kubeconfig.Source.Origin == fixtureAbs
		}, hostWorkspace},
		"kind-config": {"kind: Cluster\napiVersion: kind.x-k8s.io/v1alpha4\nnetworking: {disableDefaultCNI: false}\n", func(c *Config) bool { return strings.Contains(c.Kind.KindConfig, "disableDefaultCNI") }, kindBase},
	}
	for _, in := range Inputs {
		c, ok := cases[in.Name]
		if !ok {
			t.Errorf("input %q has no case here showing it is read", in.Name)
			continue
		}
		t.Run(in.Name+"/action", func(t *testing.T) {
			e := map[string]string{"INPUT_" + strings.ToUpper(in.Name): c.value, "KUBECONFIG": fixture}
			if in.Name == input.HostWorkspace.Name {
				e["GITHUB_ACTIONS"], e["GITHUB_WORKSPACE"] = "true", fixtureDir
			}
			for k, v := range c.with {
				if k != in.Name {
					e["INPUT_"+strings.ToUpper(k)] = v
				}
			}
			cfg, err := Parse(input.FromAction(Inputs, env(e)), input.ActionStyle, env(e))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if !c.check(cfg) {
				t.Errorf("INPUT_%s=%.20q was not read into the configuration", strings.ToUpper(in.Name), c.value)
			}
			if in.Secret && !slices.ContainsFunc(cfg.Secrets(), func(s string) bool { return strings.Contains(c.value, s) }) {
				t.Errorf("INPUT_%s is secret, but Secrets() does not return its value to mask", strings.ToUpper(in.Name))
			}
		})
		t.Run(in.Name+"/flag", func(t *testing.T) {
			fs := flag.NewFlagSet("up", flag.ContinueOnError)
			fs.SetOutput(io.Discard)
			raw := input.Flags(fs, Inputs)
			args := []string{"--" + in.Name + "=" + c.value}
			for k, v := range c.with {
				if k != in.Name {
					args = append(args, "--"+k+"="+v)
				}
			}
			err := fs.Parse(args)
			if in.Internal {
				// The action's own input is no flag: the CLI maps no path.
				if err == nil || !strings.Contains(err.Error(), "flag provided but not defined") {
					t.Errorf("--%s is a flag of the CLI: %v", in.Name, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			cfg, err := Parse(raw, input.FlagStyle, env(map[string]string{"KUBECONFIG": fixture}))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if !c.check(cfg) {
				t.Errorf("--%s was not read into the configuration", in.Name)
			}
		})
	}
}

func TestBoolFlagWithoutValue(t *testing.T) {
	fs := flag.NewFlagSet("up", flag.ContinueOnError)
	raw := input.Flags(fs, Inputs)
	if err := fs.Parse([]string{"--dry-run", "--image", "nginx", "--cluster", "kubeconfig"}); err != nil {
		t.Fatal(err)
	}
	cfg, err := Parse(raw, input.FlagStyle, env(map[string]string{"KUBECONFIG": fixture}))
	if err != nil {
		t.Fatal(err)
	}
	if !cfg.DryRun || cfg.Image != "nginx" {
		t.Errorf("got dry-run=%v image=%q", cfg.DryRun, cfg.Image)
	}
}

// Bad input is reported all at once, one line per problem, each naming the
// input, the value and what is accepted.
func TestParseReportsEveryProblem(t *testing.T) {
	notJSON := filepath.Join(t.TempDir(), "event.json")
	if err := os.WriteFile(notJSON, []byte(`{"action": "opened", "number": 3`), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		style input.Style
		raw   input.Values
		env   map[string]string
		want  []string // one substring per expected problem, in order
	}{
		{
			name:  "several at once",
			style: input.FlagStyle,
			raw:   input.Values{"cluster": "nope", "timeout": "5 parsecs", "image": "Not An Image", "dry-run": "maybe"},
			want: []string{
				`--cluster: "nope" is not a cluster target (accepted: kind, kubeconfig, gke (in any case))`,
				`--timeout: "5 parsecs" is not a duration (accepted: a Go duration`,
				`--image: "Not An Image" is not an image reference`,
				`--dry-run: "maybe" is not a boolean (accepted: true, false (in any case))`,
			},
		},
		{
			name:  "install inputs",
			style: input.ActionStyle,
			raw: input.Values{"kubeconfig": fixture, "serving-version": "1.x", "ingress": "nginx", "domain": "Not_A_Domain",
				"serving-config": "config-autoscaler: {stable-window: 1s}", "manifests-url": "ftp://mirror"},
			want: []string{
				`input "serving-version": "1.x" is not a Knative version (accepted: X.Y.Z (e.g. 1.23.2), X.Y`,
				`input "ingress": "nginx" is not a supported networking layer (accepted: kourier, istio, contour (in any case))`,
				`input "domain": "Not_A_Domain" is not a DNS suffix`,
				`input "serving-config": config-autoscaler: Knative rejects this data`,
				`input "manifests-url": "ftp://mirror" is a ftp URL; only http and https are supported`,
			},
		},
		{
			name:  "inputs of another cluster target",
			style: input.FlagStyle,
			raw:   input.Values{"kubeconfig": fixture, "gke-spot": "true", "host-port": "80"},
			want: []string{
				`--kubeconfig: applies to cluster kubeconfig only, and cluster is kind (accepted: leave it out, or set cluster to kubeconfig)`,
				`--gke-spot: "true" applies to cluster gke only, and cluster is kind`,
			},
		},
		{
			name:  "the reason a value is refused is kept",
			style: input.FlagStyle,
			raw:   input.Values{"cluster": "kubeconfig", "kubeconfig": fixture, "serving-version": "0.26", "cold-start-max-ms": "NaN"},
			want: []string{
				`--serving-version: "0.26" is not a Knative version this action installs: releases before 1.0 are not supported (accepted: X.Y.Z`,
				`--cold-start-max-ms: "NaN" is not a positive number (accepted: a positive number of milliseconds`,
			},
		},
		{
			name:  "action style names inputs",
			style: input.ActionStyle,
			raw:   input.Values{"timeout": "-1m", "kubeconfig": fixture},
			want:  []string{`input "timeout": "-1m" must be positive`},
		},
		{
			name: "context that does not exist",
			raw:  input.Values{"cluster": "kubeconfig", "kubeconfig": fixture, "context": "red"},
			want: []string{`input "context": context "red" is not in the kubeconfig (contexts: blue, green)`},
		},
		{
			name: "kubeconfig that does not parse",
			raw:  input.Values{"cluster": "kubeconfig", "kubeconfig": "apiVersion: v1\nclusters: [this is: not]: valid\n"},
			want: []string{`input "kubeconfig": inline content is not a valid kubeconfig`},
		},
		{
			name: "kubeconfig file that does not exist",
			raw:  input.Values{"cluster": "kubeconfig", "kubeconfig": "no/such/kubeconfig"},
			// Its folder does not exist either: it may as well be a
			// credential pasted by mistake, so it is described, not shown.
			want: []string{`input "kubeconfig": the value (18 characters) is neither a file that exists nor kubeconfig content`},
		},
		{
			name: "kubeconfig file missing in a folder that exists",
			raw:  input.Values{"cluster": "kubeconfig", "kubeconfig": "testdata-missing.yaml"},
			want: []string{`input "kubeconfig": kubeconfig file `, `testdata-missing.yaml does not exist`},
		},
		{
			name:  "a pull_request event that is not JSON",
			style: input.ActionStyle,
			raw:   input.Values{"kubeconfig": fixture},
			env:   map[string]string{"GITHUB_ACTIONS": "true", "GITHUB_EVENT_NAME": "pull_request", "GITHUB_EVENT_PATH": notJSON},
			want:  []string{`GITHUB_EVENT_PATH: reading the pull_request event from ` + notJSON + `: the file is not JSON`},
		},
		{
			name:  "a pull_request event without its file",
			style: input.ActionStyle,
			raw:   input.Values{"kubeconfig": fixture},
			env:   map[string]string{"GITHUB_ACTIONS": "true", "GITHUB_EVENT_NAME": "pull_request_target"},
			want:  []string{`GITHUB_EVENT_PATH: is not set, and the event (GITHUB_EVENT_NAME) is pull_request_target`},
		},
		{
			name:  "a secret-env line that is a bare token",
			style: input.ActionStyle,
			raw:   input.Values{"kubeconfig": fixture, "secret-env": "A=1\nc2VjcmV0dG9rZW4="},
			want:  []string{`input "secret-env": line 2: has an empty value: a secret needs one`},
		},
		{
			name: "no kubeconfig anywhere",
			raw:  input.Values{"cluster": "kubeconfig"},
			env:  map[string]string{"HOME": "/nonexistent-home"},
			want: []string{`input "kubeconfig": no kubeconfig given, KUBECONFIG is not set and /nonexistent-home/.kube/config does not exist`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := tt.env
			if e == nil {
				e = map[string]string{}
			}
			_, err := Parse(tt.raw, tt.style, env(e))
			if err == nil {
				t.Fatal("Parse accepted bad input")
			}
			var problems []error
			if j, ok := err.(interface{ Unwrap() []error }); ok {
				problems = j.Unwrap()
			}
			lines := strings.Split(err.Error(), "\n")
			if len(problems) != len(lines) {
				t.Errorf("%d problems but %d lines: each problem must be one line:\n%s", len(problems), len(lines), err)
			}
			joined := err.Error()
			if strings.Contains(joined, `input ""`) {
				t.Errorf("a problem names no input:\n%s", joined)
			}
			for _, w := range tt.want {
				if !strings.Contains(joined, w) {
					t.Errorf("missing %q in:\n%s", w, joined)
				}
			}
			for _, p := range problems {
				var ie *input.Error
				if !errors.As(p, &ie) {
					t.Errorf("problem %q is not an *input.Error", p)
				}
			}
		})
	}
}

func TestKubeconfigForms(t *testing.T) {
	content, err := os.ReadFile(fixture)
	if err != nil {
		t.Fatal(err)
	}
	b64 := base64.StdEncoding.EncodeToString(content)
	home := t.TempDir()
	if err := os.MkdirAll(filepath.Join(home, ".kube"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(home, ".kube", "config"), content, 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, value string
		env         map[string]string
		wantOrigin  string
		wantSecret  string
	}{
		{"path", fixture, nil, "testdata/kubeconfig-two-contexts.yaml", "fixture-token-not-a-secret"},
		{"inline YAML", string(content), nil, "inline content", "fixture-token-not-a-secret"},
		{"base64 of the file, as kept in a secret", b64, nil, "inline base64 content", b64},
		{"base64 wrapped at 76 columns, as base64 writes it", wrap(b64, 76), nil, "inline base64 content", b64},
		{"home directory path", "~/.kube/config", map[string]string{"HOME": home}, filepath.Join(home, ".kube", "config"), "fixture-token-not-a-secret"},
		{"default ~/.kube/config", "", map[string]string{"HOME": home}, filepath.Join(home, ".kube", "config"), "fixture-token-not-a-secret"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := Parse(input.Values{"cluster": "kubeconfig", "kubeconfig": tt.value}, input.ActionStyle, env(tt.env))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if !strings.HasSuffix(cfg.Kubeconfig.Source.Origin, tt.wantOrigin) {
				t.Errorf("origin %q, want it to end in %q", cfg.Kubeconfig.Source.Origin, tt.wantOrigin)
			}
			found := false
			for _, s := range cfg.Secrets() {
				found = found || s == tt.wantSecret
			}
			if !found {
				t.Errorf("secrets %q do not include %q", cfg.Secrets(), tt.wantSecret)
			}
		})
	}
}

// A kubeconfig that fails to parse must not be echoed: it may hold credentials.
func TestBadInlineKubeconfigIsNotEchoed(t *testing.T) {
	bad := "apiVersion: v1\nusers:\n- name: x\n  user: {token: hunter2-very-secret}\ncontexts: [ : \n"
	_, err := Parse(input.Values{"cluster": "kubeconfig", "kubeconfig": bad}, input.ActionStyle, env(nil))
	if err == nil {
		t.Fatal("Parse accepted a broken kubeconfig")
	}
	if strings.Contains(err.Error(), "hunter2-very-secret") {
		t.Fatalf("error echoes the kubeconfig's token: %v", err)
	}
}

func wrap(s string, width int) string {
	var b strings.Builder
	for len(s) > width {
		b.WriteString(s[:width] + "\n")
		s = s[width:]
	}
	return b.String() + s + "\n"
}

// A cluster-local Service is neither requested nor measured: what only a
// measurement needs is not refused, and a check that would never run is
// warned about.
func TestClusterLocalMeasuresNothing(t *testing.T) {
	raw := input.Values{"cluster": "kubeconfig", "kubeconfig": fixture, "image": "ghcr.io/o/app:v1", "service": "app",
		"visibility": "cluster-local", "min-scale": "1", "cold-start-max-ms": "500"}
	cfg, err := Parse(raw, input.ActionStyle, env(nil))
	if err != nil {
		t.Fatalf("min-scale with a cluster-local Service is refused: %v", err)
	}
	if cfg.Measures() || cfg.MeasuresColdStarts() {
		t.Error("a cluster-local Service is said to be measured")
	}
	if !strings.Contains(strings.Join(cfg.Warnings, "\n"), `input "cold-start-max-ms": nothing is measured`) {
		t.Errorf("warnings %q lack one about cold-start-max-ms", cfg.Warnings)
	}
	raw["visibility"] = "external"
	if _, err := Parse(raw, input.ActionStyle, env(nil)); err == nil || !strings.Contains(err.Error(), "min-scale") {
		t.Errorf("min-scale 1 with cold starts to measure: %v, want it refused", err)
	}
}

// The user information of a URL is a secret whichever input or proxy
// variable holds it, and even when the inputs are refused.
func TestSecretsByShape(t *testing.T) {
	raw := input.Values{"env": "DB=postgres://app:s3cret-db@db:5432/x", "image": "https://robot:r0bot-token@registry.example/o/app:v1", "service": "app"}
	cfg, err := Parse(raw, input.ActionStyle, env(map[string]string{"HTTPS_PROXY": "http://proxy-user:pr0xy-pw@proxy:3128"}))
	if err == nil || !strings.Contains(err.Error(), `input "image"`) {
		t.Errorf("an image with a login is taken: %v", err)
	}
	for _, want := range []string{"s3cret-db", "r0bot-token", "proxy-user", "pr0xy-pw"} {
		if !slices.Contains(cfg.Secrets(), want) {
			t.Errorf("%q is not among the secrets %q", want, cfg.Secrets())
		}
	}
	if err != nil && strings.Contains(err.Error(), "r0bot-token") {
		t.Errorf("the problem quotes the login: %v", err)
	}
}

// Mode sweep: what it needs before anything is contacted, and what it
// refuses.
func TestSweepInputs(t *testing.T) {
	base := map[string]string{"GITHUB_REPOSITORY": "o/app", "INPUT_MODE": "sweep", "INPUT_GITHUB-TOKEN": "ghs_t", "INPUT_CLUSTER": "kubeconfig", "KUBECONFIG": fixture}
	tests := []struct {
		name string
		more map[string]string
		bad  []string
	}{
		{"every namespace", map[string]string{"INPUT_NAMESPACE": "*", "INPUT_MAX-AGE": "7d"}, nil},
		{"an image", map[string]string{"INPUT_IMAGE": "ghcr.io/o/app:v1"}, []string{`input "image"`, "not deployed by mode sweep"}},
		{"one environment", map[string]string{"INPUT_ENVIRONMENT": "preview"}, []string{`input "environment"`, "pr-<number>"}},
		{"no token", map[string]string{"INPUT_GITHUB-TOKEN": ""}, []string{`input "github-token"`}},
		{"no repository", map[string]string{"GITHUB_REPOSITORY": ""}, []string{`input "mode"`, "GITHUB_REPOSITORY"}},
		{"every namespace is for a sweep only", map[string]string{"INPUT_MODE": "up", "INPUT_NAMESPACE": "*"}, []string{`input "namespace"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := maps.Clone(base)
			maps.Copy(e, tt.more)
			cfg, err := Parse(input.FromAction(Inputs, env(e)), input.ActionStyle, env(e))
			switch {
			case len(tt.bad) == 0 && err != nil:
				t.Fatalf("Parse: %v", err)
			case len(tt.bad) == 0:
				if cfg.Sweep.Namespace != "*" || cfg.Sweep.MaxAge != 7*24*time.Hour || cfg.Kubeconfig == nil || !cfg.Sweep.Comments || cfg.Sweep.Repository != "o/app" {
					t.Errorf("sweep options %+v", cfg.Sweep)
				}
			case err == nil:
				t.Fatalf("accepted; want a problem with %q", tt.bad)
			}
			for _, want := range tt.bad {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("the problems lack %q:\n%v", want, err)
				}
			}
		})
	}
}

// preview-label decides the mode in a pull request: the label removed
// takes the preview down, another label's event does nothing.
func TestPreviewLabel(t *testing.T) {
	events := filepath.Join("..", "github", "testdata", "events")
	tests := []struct {
		name, event, label string
		mode               deploy.Mode
		nothing            bool
	}{
		{"the label added", "pull_request-labeled.json", "preview", deploy.ModeUp, false},
		{"the label removed", "pull_request-unlabeled.json", "preview", deploy.ModeDown, false},
		{"another label added", "pull_request-labeled.json", "deploy-me", deploy.ModeDown, true},
		{"opened without the label", "pull_request-opened.json", "preview", deploy.ModeDown, false},
		{"no gate", "pull_request-opened.json", "", deploy.ModeUp, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := map[string]string{"GITHUB_ACTIONS": "true", "GITHUB_REPOSITORY": "octo-org/hello-app", "GITHUB_EVENT_NAME": "pull_request",
				"GITHUB_EVENT_PATH": filepath.Join(events, tt.event), "INPUT_PREVIEW-LABEL": tt.label, "INPUT_IMAGE": "ghcr.io/o/app:v1"}
			cfg, err := Parse(input.FromAction(Inputs, env(e)), input.ActionStyle, env(e))
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Deploy.Mode != tt.mode || (cfg.NothingToDo != "") != tt.nothing {
				t.Errorf("mode %s, nothing to do %q; want %s, %v", cfg.Deploy.Mode, cfg.NothingToDo, tt.mode, tt.nothing)
			}
			if tt.mode == deploy.ModeDown && !tt.nothing && (!cfg.Deploy.Derived.Closing || cfg.Deploy.Service != "hello-app-pr-12") {
				t.Errorf("a pull request without the label: only its own preview goes: %+v", cfg.Deploy.Derived)
			}
		})
	}
}

// A secret-env line that is a bare token ending in '=' (base64 padding) is
// refused without being quoted, and is masked all the same: the text
// before its '=' is the secret, not a variable's name.
func TestRefusedSecretEnvIsMasked(t *testing.T) {
	const token = "c2VjcmV0dG9rZW4"
	cfg, err := Parse(input.Values{"kubeconfig": fixture, "secret-env": "API_KEY=kept-secret\n  " + token + "=\nNO_EQUALS_" + token}, input.ActionStyle, env(map[string]string{}))
	if err == nil {
		t.Fatal("Parse accepted a secret-env line with an empty value")
	}
	if strings.Contains(err.Error(), token) {
		t.Errorf("the problem quotes the token: %v", err)
	}
	secrets := cfg.Secrets()
	for _, want := range []string{token, "NO_EQUALS_" + token, "kept-secret"} {
		if !slices.Contains(secrets, want) {
			t.Errorf("Secrets() = %q lacks %q", secrets, want)
		}
	}
}
