package app

import (
	"context"
	"flag"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

var updatePlans = flag.Bool("update-plans", false, "rewrite testdata/plans.golden from the dry runs of the README's examples")

// readmeStep is one step of a README example that uses the action.
type readmeStep struct {
	// Where says which example and step it is, for messages; Title the
	// same without the line, for the golden file.
	Where, Title string
	// With is the step's with: block, expressions evaluated.
	With map[string]string
}

// readmeExpressions are the values the README's examples' ${{ }}
// expressions take in the tests: a pull request's run. An expression not
// listed fails the test, so a new example is given a value on purpose.
var readmeExpressions = map[string]string{
	"github.event.number":              "7",
	"github.event.pull_request.number": "7",
	"github.sha":                       "0123456789abcdef0123456789abcdef01234567",
	"github.token":                     "ghs_readme_example_token_0123456789",
	"env.IMAGE":                        "ghcr.io/acme/app:pr-7",
	"secrets.KUBECONFIG":               readmeKubeconfig,
	"github.event_name == 'pull_request' && 'baseline/report.json' || ''": "baseline/report.json",
}

// readmeKubeconfig is the content the examples' secrets.KUBECONFIG holds.
const readmeKubeconfig = `apiVersion: v1
kind: Config
clusters:
- name: prod
  cluster: {server: "https://cluster.example:6443"}
users:
- name: ci
  user: {token: "readme-kubeconfig-token-0123456789"}
contexts:
- name: prod
  context: {cluster: prod, user: ci}
current-context: prod
`

var expression = regexp.MustCompile(`\$\{\{\s*(.*?)\s*\}\}`)

// readmeSteps returns every step of README.md's YAML examples that uses
// the action, in order, with its expressions evaluated.
func readmeSteps(t *testing.T) []readmeStep {
	t.Helper()
	data, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	var out []readmeStep
	example := 0
	lines := strings.Split(string(data), "\n")
	for i := 0; i < len(lines); i++ {
		if strings.TrimSpace(lines[i]) != "```yaml" {
			continue
		}
		start := i + 1
		var block []string
		for i++; i < len(lines) && strings.TrimSpace(lines[i]) != "```"; i++ {
			block = append(block, lines[i])
		}
		text := strings.Join(block, "\n")
		if !strings.Contains(text, "uses: knative-preview/action@") {
			continue
		}
		example++
		for n, with := range actionSteps(t, text) {
			evaluated := map[string]string{}
			for k, v := range with {
				evaluated[k] = expression.ReplaceAllStringFunc(v, func(m string) string {
					e := expression.FindStringSubmatch(m)[1]
					val, ok := readmeExpressions[e]
					if !ok {
						t.Fatalf("README.md line %d: the expression %q has no value in readmeExpressions", start, e)
					}
					return val
				})
			}
			out = append(out, readmeStep{Where: fmt.Sprintf("README.md example %d (line %d), step %d", example, start, n+1), With: evaluated, Title: fmt.Sprintf("README.md example %d, step %d", example, n+1)})
		}
	}
	if len(out) == 0 {
		t.Fatal("README.md has no example that uses the action")
	}
	return out
}

// actionSteps returns the with: blocks of the steps in a workflow (or a
// list of steps) that use the action.
func actionSteps(t *testing.T, text string) []map[string]string {
	t.Helper()
	type step struct {
		Uses string            `json:"uses"`
		With map[string]string `json:"with"`
	}
	var steps []step
	var wf struct {
		Jobs map[string]struct {
			Steps []step `json:"steps"`
		} `json:"jobs"`
	}
	if strings.HasPrefix(strings.TrimSpace(text), "- ") || !strings.Contains(text, "jobs:") {
		if err := yaml.Unmarshal([]byte(dedent(text)), &steps); err != nil {
			t.Fatalf("README example %q: %v", text, err)
		}
	} else {
		if err := yaml.Unmarshal([]byte(text), &wf); err != nil {
			t.Fatalf("README example %q: %v", text, err)
		}
		for _, name := range sortedJobs(wf.Jobs) {
			steps = append(steps, wf.Jobs[name].Steps...)
		}
	}
	var out []map[string]string
	for _, s := range steps {
		if strings.HasPrefix(s.Uses, "knative-preview/action@") {
			if s.With == nil {
				s.With = map[string]string{}
			}
			out = append(out, s.With)
		}
	}
	return out
}

func sortedJobs[V any](m map[string]V) []string {
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	slices.Sort(names)
	return names
}

// dedent removes the indentation the first line has from every line.
func dedent(text string) string {
	lines := strings.Split(text, "\n")
	indent := len(lines[0]) - len(strings.TrimLeft(lines[0], " "))
	for i, l := range lines {
		if len(l) >= indent && strings.TrimSpace(l[:indent]) == "" {
			lines[i] = l[indent:]
		}
	}
	return strings.Join(lines, "\n")
}

// planCase is one dry run whose plan is kept in the golden file.
type planCase struct {
	name  string
	with  map[string]string
	event string // pull request action; "" for a push
}

// The dry-run plan of every README example, and of the modes the examples
// do not show, is kept byte for byte: a change of the code's shape must not
// change what a user is told it will do.
func TestPlansOfTheREADMEExamples(t *testing.T) {
	var cases []planCase
	for _, s := range readmeSteps(t) {
		cases = append(cases, planCase{name: s.Title, with: s.With, event: "synchronize"})
	}
	cases = append(cases,
		planCase{name: "closed pull request, Service per pull request", with: map[string]string{"cluster": "kubeconfig", "kubeconfig": readmeKubeconfig, "image": "ghcr.io/acme/app:pr-7", "history": "cluster"}, event: "closed"},
		planCase{name: "closed pull request, tag auto", with: map[string]string{"cluster": "kubeconfig", "kubeconfig": readmeKubeconfig, "image": "ghcr.io/acme/app:pr-7", "tag": "auto"}, event: "closed"},
		planCase{name: "push: mode down on kind", with: map[string]string{"mode": "down", "service": "hello"}},
		planCase{name: "push: everything set", with: map[string]string{
			"cluster": "kubeconfig", "kubeconfig": readmeKubeconfig, "image": "ghcr.io/acme/app@sha256:" + strings.Repeat("a", 64),
			"ingress": "istio", "serving-version": "1.22.1", "domain": "apps.example.com", "serving-config": "config-autoscaler: {stable-window: 20s}",
			"manifests-url": "https://mirror.example/knative", "namespace": "smoke", "service": "hello", "env": "A=1\nB=2", "secret-env": "TOKEN=s3cr3t-value",
			"port": "3000", "container-args": "--verbose", "min-scale": "0", "max-scale": "3", "concurrency": "10", "request-timeout": "30s",
			"annotations": "team=web", "labels": "tier=front", "service-account": "runner",
			"registry-username": "robot", "registry-password": "registry-password-0123",
			"cold-start-samples": "5", "path": "/health", "expect-status": "204", "expect-body": "ok", "cold-start-max-ms": "3000", "smoke-requests": "2",
			"history": "cluster", "history-size": "20", "baseline": "history", "max-regression": "30%", "regression-floor-ms": "150", "fail-on-regression": "true",
		}},
		planCase{name: "push: cluster-local Service", with: map[string]string{"cluster": "kubeconfig", "kubeconfig": readmeKubeconfig, "image": "ghcr.io/acme/app:1", "visibility": "cluster-local"}},
		planCase{name: "pull request without preview-label: its preview removed", with: map[string]string{"cluster": "kubeconfig", "kubeconfig": readmeKubeconfig, "image": "ghcr.io/acme/app:pr-7", "preview-label": "preview"}, event: "synchronize"},
		planCase{name: "push: knative only on GKE", with: map[string]string{"cluster": "gke", "gke-project": "acme-knative", "gke-location": "europe-west1-b", "cluster-name": "knative"}},
	)

	// The post step of every README example starts as the runner starts
	// it, and on a dry run has nothing to clean up.
	for _, step := range readmeSteps(t) {
		with := maps.Clone(step.With)
		with["dry-run"] = "true"
		r := runStep(context.Background(), t, runnerInvocation(t, readActionYAML(t), "post", with, defaultJob()), nil)
		if r.code != exitOK || strings.Contains(r.stdout, "::error::") {
			t.Errorf("%s: the post step exits %d:\n%s", step.Where, r.code, r.stdout)
		}
	}

	var b strings.Builder
	for _, c := range cases {
		code, log := dryRun(t, c)
		fmt.Fprintf(&b, "### %s (exit %d)\n%s\n", c.name, code, log)
	}
	golden := filepath.Join("testdata", "plans.golden")
	if *updatePlans {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(golden, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (go test ./internal/app -run TestPlansOfTheREADMEExamples -update-plans writes it)", err)
	}
	if got := b.String(); got != string(want) {
		t.Errorf("the dry-run plans differ from %s (rewrite it with -update-plans only for a change of what the run does):\n%s", golden, lineDiff(string(want), got))
	}
}

// dryRun runs c with dry-run set as the runner starts the step (the
// runner model), and returns the exit code and the log.
func dryRun(t *testing.T, c planCase) (int, string) {
	t.Helper()
	job := defaultJob()
	job.env["GOOGLE_CLOUD_PROJECT"] = "acme-project"
	files := map[string]string{job.workspace + "/baseline/.keep": ""}
	maps.Copy(files, shopFiles(t, job.workspace+"/deploy")) // the app the README's whole-app example names
	if c.event != "" {
		payload, err := os.ReadFile(pullRequestEvent(t, c.event, 7, readmeExpressions["github.sha"], false))
		if err != nil {
			t.Fatal(err)
		}
		job.event = "pull_request"
		files[job.temp+"/_github_workflow/event.json"] = string(payload)
	}
	with := map[string]string{"dry-run": "true"}
	for k, v := range c.with {
		with[k] = v
	}
	ctx := context.Background()
	if c.with["mode"] == "sweep" {
		// A sweep's dry run reads the cluster after printing its plan:
		// the plan is what is kept, so the run is stopped there, before it
		// contacts anything.
		cancelled, cancel := context.WithCancel(ctx)
		cancel()
		ctx = cancelled
	}
	r := runStep(ctx, t, runnerInvocation(t, readActionYAML(t), "main", with, job), files)
	// Whether the test runs in a container is the machine's, not the
	// plan's: the kind package's plan test holds both lines.
	return r.code, inContainer.ReplaceAllString(r.stdout, "$1<in a container or not, as the machine is>")
}

var inContainer = regexp.MustCompile(`(?m)^(   - )(in a container \(.*|not in a container: .*)$`)

// lineDiff shows the lines of got that differ from want, with their numbers.
func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b strings.Builder
	shown := 0
	for i := 0; i < max(len(w), len(g)) && shown < 40; i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			fmt.Fprintf(&b, "line %d\n  want: %s\n  got:  %s\n", i+1, wl, gl)
			shown++
		}
	}
	return b.String()
}

// publicImages are images anyone can pull, which an example that must pass
// as copied may use.
var publicImages = []string{"ghcr.io/knative/helloworld-go:latest"}

// The README's first example is the pull-request preview, complete, and it
// passes as copied: its images are public, and it runs on the runner's own
// cluster, with no secret.
func TestREADMEStartsWithThePreview(t *testing.T) {
	first := readmeSteps(t)[0]
	if !strings.HasPrefix(first.Title, "README.md example 1,") {
		t.Fatalf("the first step that uses the action is %s", first.Title)
	}
	if img := first.With["image"]; !slices.Contains(publicImages, img) {
		t.Errorf("the first example runs %q, which is not a public image (%v)", img, publicImages)
	}
	if c := first.With["cluster"]; c != "" && c != "kind" {
		t.Errorf("the first example runs on cluster %q: it must need no cloud", c)
	}
	data, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	block := strings.SplitN(strings.SplitN(string(data), "```yaml\n", 2)[1], "```", 2)[0]
	for _, want := range []string{"pull_request:", "types: [opened, synchronize, reopened, closed]", "pull-requests: write", "deployments: write", "uses: knative-preview/action@v1"} {
		if !strings.Contains(block, want) {
			t.Errorf("the README's first YAML block lacks %q: it must be the complete preview workflow", want)
		}
	}
	if strings.Contains(block, "secrets.") {
		t.Error("the README's first YAML block needs a secret")
	}
}
