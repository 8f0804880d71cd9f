package app

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/version"
	"k8s.io/client-go/kubernetes"

	"github.com/knative-preview/action/internal/cluster"
	"github.com/knative-preview/action/internal/deploy"
	"github.com/knative-preview/action/internal/measure"
	"github.com/knative-preview/action/internal/outputs"
	"github.com/knative-preview/action/internal/report"
	"github.com/knative-preview/action/internal/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

type result struct {
	code           int
	stdout, stderr string
}

func runMain(ctx context.Context, args []string, env map[string]string) result {
	return runProgram(ctx, "", args, env)
}

// runProgram runs Main as the binary started under the name program (""
// for its own) with args, in the environment env.
func runProgram(ctx context.Context, program string, args []string, env map[string]string) result {
	var stdout, stderr bytes.Buffer
	code := Main(ctx, Env{
		Program: program,
		Args:    args,
		Getenv:  func(k string) string { return env[k] },
		Environ: func() []string {
			var out []string
			for k, v := range env {
				out = append(out, k+"="+v)
			}
			return out
		},
		Stdout: &stdout,
		Stderr: &stderr,
	})
	return result{code, stdout.String(), stderr.String()}
}

// countingServer is an API server stand-in that counts every request, to
// show that a run made none.
func countingServer(t *testing.T) (*httptest.Server, *atomic.Int32) {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		_, _ = w.Write([]byte(`{"major":"1","minor":"34","gitVersion":"v1.34.3"}`))
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

const secretToken = "kc-token-that-must-never-be-printed"

func writeKubeconfig(t *testing.T, server, token string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "kubeconfig")
	kc := fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
- name: c
  cluster: {server: %q}
users:
- name: u
  user: {token: %q}
contexts:
- name: dev
  context: {cluster: c, user: u}
current-context: dev
`, server, token)
	if err := os.WriteFile(path, []byte(kc), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func closedPort(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return "https://" + addr
}

func TestBadInputIsRejectedBeforeAnyClusterCall(t *testing.T) {
	srv, calls := countingServer(t)
	good := writeKubeconfig(t, srv.URL, secretToken)
	broken := filepath.Join(t.TempDir(), "broken")
	if err := os.WriteFile(broken, []byte("clusters: [ {name: a\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		want []string // one per expected error line
	}{
		{"unknown cluster target", []string{"--cluster", "nope", "--kubeconfig", good}, []string{`error: --cluster: "nope" is not a cluster target (accepted: kind, kubeconfig, gke (in any case))`}},
		{"timeout that is not a duration", []string{"--timeout", "5 parsecs", "--kubeconfig", good}, []string{`error: --timeout: "5 parsecs" is not a duration`}},
		{"unquoted timeout", []string{"--timeout", "5", "parsecs", "--kubeconfig", good}, []string{`error: unexpected argument "parsecs"`, `error: --timeout: "5" is not a duration`}},
		{"kubeconfig that does not parse", []string{"--kubeconfig", broken}, []string{`error: --kubeconfig: kubeconfig file ` + broken + ` is not a valid kubeconfig`}},
		{"context that does not exist", []string{"--kubeconfig", good, "--context", "prod"}, []string{`error: --context: context "prod" is not in the kubeconfig (contexts: dev)`}},
		{"output format", []string{"--kubeconfig", good, "--output", "yaml"}, []string{`error: --output: "yaml" is not an output format (accepted: text, json)`}},
		{"all at once", []string{"--cluster", "nope", "--timeout", "soon", "--image", "UPPER/Case", "--kubeconfig", good}, []string{`--cluster: "nope"`, `--timeout: "soon"`, `--image: "UPPER/Case"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runMain(context.Background(), append([]string{"up", "--cluster", "kubeconfig"}, tt.args...), nil)
			if r.code != exitFailed {
				t.Errorf("exit code %d, want %d", r.code, exitFailed)
			}
			lines := strings.Split(strings.TrimSpace(r.stderr), "\n")
			if len(lines) != len(tt.want) {
				t.Errorf("want %d lines, one per problem, got:\n%s", len(tt.want), r.stderr)
			}
			for i, w := range tt.want {
				if i < len(lines) && !strings.Contains(lines[i], w) {
					t.Errorf("line %d: %q lacks %q", i+1, lines[i], w)
				}
			}
			if r.stdout != "" {
				t.Errorf("stdout must stay empty on bad input, got %q", r.stdout)
			}
		})
	}
	if n := calls.Load(); n != 0 {
		t.Errorf("bad input led to %d requests to the cluster", n)
	}
}

func TestActionBadInputAnnotatesAndSummarises(t *testing.T) {
	dir := t.TempDir()
	summary := filepath.Join(dir, "summary.md")
	r := runMain(context.Background(), nil, map[string]string{
		"GITHUB_ACTIONS":      "true",
		"GITHUB_OUTPUT":       filepath.Join(dir, "out"),
		"GITHUB_STEP_SUMMARY": summary,
		"INPUT_CLUSTER":       "gke-autopilot",
		"INPUT_TIMEOUT":       "```forever",
	})
	if r.code != exitFailed {
		t.Errorf("exit code %d", r.code)
	}
	for _, want := range []string{
		`::error::input "cluster": "gke-autopilot" is not a cluster target (accepted: kind, kubeconfig, gke (in any case))`,
		"::error::input \"timeout\": \"```forever\" is not a duration",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, r.stdout)
		}
	}
	s, _ := os.ReadFile(summary)
	if !strings.Contains(string(s), "nothing was created") {
		t.Errorf("job summary does not say the inputs were refused: %q", s)
	}
	// The value's backticks cannot close the block the problems are in.
	if !strings.Contains(string(s), "````\n") {
		t.Errorf("the problems are not in a fence longer than the value's backticks: %q", s)
	}
}

func TestDryRunTouchesNothing(t *testing.T) {
	srv, calls := countingServer(t)
	kc := writeKubeconfig(t, srv.URL, secretToken)

	r := runMain(context.Background(), []string{"up", "--cluster", "kubeconfig", "--kubeconfig", kc, "--image", "app", "--dry-run"}, nil)
	if r.code != exitOK {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	for _, want := range []string{"Plan (dry run", "1. cluster", `use context "dev" from ` + kc, srv.URL} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("plan lacks %q:\n%s", want, r.stdout)
		}
	}

	r = runMain(context.Background(), []string{"up", "--cluster", "kubeconfig", "--kubeconfig", kc, "--dry-run", "--output", "json"}, nil)
	var plan struct {
		DryRun bool `json:"dry-run"`
		Stages []struct {
			Name string   `json:"name"`
			Plan []string `json:"plan"`
		} `json:"stages"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &plan); err != nil {
		t.Fatalf("json plan: %v\n%s", err, r.stdout)
	}
	if !plan.DryRun || len(plan.Stages) != 2 || plan.Stages[0].Name != "cluster" || plan.Stages[1].Name != "install" {
		t.Errorf("json plan: %+v", plan)
	}
	if n := calls.Load(); n != 0 {
		t.Errorf("a dry run made %d requests to the cluster", n)
	}
}

func TestTimeoutSaysWhatWasWaitedFor(t *testing.T) {
	kc := writeKubeconfig(t, closedPort(t), secretToken)
	r := runMain(context.Background(), []string{"up", "--cluster", "kubeconfig", "--kubeconfig", kc, "--timeout", "2s"}, nil)
	if r.code != exitFailed {
		t.Fatalf("exit %d", r.code)
	}
	for _, want := range []string{"stage cluster:", "waiting for the API server", "the run's timeout of 2s passed", "connection refused"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
		}
	}
}

func TestInterruptStopsTheRun(t *testing.T) {
	kc := writeKubeconfig(t, closedPort(t), secretToken)
	ctx, cancel := context.WithCancelCause(context.Background())
	time.AfterFunc(500*time.Millisecond, func() { cancel(fmt.Errorf("%w by interrupt", ErrInterrupted)) })
	r := runMain(ctx, []string{"up", "--cluster", "kubeconfig", "--kubeconfig", kc}, nil)
	if r.code != ExitInterrupted {
		t.Fatalf("exit %d, want %d:\n%s", r.code, ExitInterrupted, r.stderr)
	}
	for _, want := range []string{"interrupted by interrupt", "interrupted during stage cluster: nothing on the cluster was changed"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
		}
	}
}

func TestCommands(t *testing.T) {
	r := runMain(context.Background(), []string{"version"}, nil)
	if r.code != exitOK || !strings.HasPrefix(r.stdout, "knative-preview ") {
		t.Errorf("version: %+v", r)
	}
	r = runMain(context.Background(), []string{"help"}, nil)
	if r.code != exitOK || !strings.Contains(r.stderr, "-kubeconfig") || !strings.Contains(r.stderr, "knative-preview up [flags]") {
		t.Errorf("help: %+v", r)
	}
	r = runMain(context.Background(), []string{"deploy"}, nil)
	if r.code != exitFailed || !strings.Contains(r.stderr, `unknown command "deploy" (commands: up, down, sweep, version, help)`) {
		t.Errorf("unknown verb: %+v", r)
	}
}

// knativeBed is the shared API server with Knative's missing controllers
// played, and release manifests in a local folder.
func knativeBed(t *testing.T) (*testenv.Env, string) {
	env := testenv.Shared(t)
	testenv.PlayKnative(t, kubernetes.NewForConfigOrDie(env.Config))
	dir := t.TempDir()
	testenv.WriteReleaseManifests(t, dir, "1.23.0")
	return env, dir
}

func TestIntegrationUpReportsServerVersion(t *testing.T) {
	env, manifests := knativeBed(t)
	kc := filepath.Join(t.TempDir(), "kubeconfig")
	if err := os.WriteFile(kc, env.Kubeconfig("test-bed"), 0o600); err != nil {
		t.Fatal(err)
	}
	r := runMain(t.Context(), []string{"up", "--cluster", "kubeconfig", "--kubeconfig", kc, "--output", "json",
		"--manifests-url", manifests, "--domain", "preview.test"}, nil)
	if r.code != exitOK {
		t.Fatalf("exit %d:\n%s", r.code, r.stderr)
	}
	var got map[string]string
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
		t.Fatalf("stdout is not one JSON object: %v\n%s", err, r.stdout)
	}
	if got["kubernetes-version"] != testenv.KubeVersion || got["context"] != "test-bed" || got["knative-version"] != "1.23.0" ||
		got["ingress"] != "kourier" || got["ingress-version"] != "1.23.0" || got["domain"] != "preview.test" || got["install-seconds"] == "" {
		t.Errorf("outputs %v", got)
	}
	if !strings.Contains(r.stderr, "Kubernetes "+testenv.KubeVersion) {
		t.Errorf("the log does not report the server version:\n%s", r.stderr)
	}
	if strings.Contains(r.stdout+r.stderr, env.Token) {
		t.Error("the kubeconfig's token was printed")
	}
}

// Inside Actions: inputs from INPUT_*, every declared output written to
// GITHUB_OUTPUT, a job summary, and the kubeconfig's token never printed
// except to tell the runner to mask it.
func TestIntegrationActionWritesEveryOutput(t *testing.T) {
	env, manifests := knativeBed(t)
	// The mirror folder is in the workspace: a container action reads no
	// file outside it.
	dir := filepath.Dir(manifests)
	outFile := filepath.Join(t.TempDir(), "output")
	summary := filepath.Join(filepath.Dir(outFile), "summary.md")
	r := runMain(t.Context(), nil, map[string]string{
		"GITHUB_ACTIONS":        "true",
		"GITHUB_OUTPUT":         outFile,
		"GITHUB_STEP_SUMMARY":   summary,
		"GITHUB_WORKSPACE":      dir,
		"INPUT_CLUSTER":         "kubeconfig",
		"INPUT_KUBECONFIG":      string(env.Kubeconfig("from-secret")),
		"INPUT_TIMEOUT":         "2m",
		"INPUT_DRY-RUN":         "false",
		"INPUT_MANIFESTS-URL":   manifests,
		"INPUT_SERVING-VERSION": "1.23",
		"INPUT_INGRESS":         "kourier",
		"INPUT_DOMAIN":          "preview.test",
		"INPUT_SERVING-CONFIG":  "config-features: {kubernetes.podspec-affinity: enabled}",
		"INPUT_GITHUB-TOKEN":    "ghs_input_token_to_mask",
	})
	if r.code != exitOK {
		t.Fatalf("exit %d:\n%s", r.code, r.stdout)
	}
	data, err := os.ReadFile(outFile)
	if err != nil {
		t.Fatal(err)
	}
	// Outputs only other cluster targets write, and the test that shows it.
	elsewhere := map[string]string{"kubeconfig-path": "TestClusterOutputs", "regression": "TestIntegrationHistoryTrend", "regression-figures": "TestIntegrationHistoryTrend", "comment-url": "TestIntegrationPullRequestPreview",
		"reachable": "TestIntegrationPullRequestPreview", "reachable-why": "TestIntegrationPullRequestPreview", "removed": "TestIntegrationSweep"}
	for _, o := range []string{"url", "urls", "host-url", "service", "namespace", "revision", "ready-seconds"} {
		elsewhere[o] = "TestDeployOutputs"
	}
	for _, o := range []string{"cold-start-ms", "cold-start-p95-ms", "cold-start-first-ms", "cold-start-samples-json", "warm-p50-ms"} {
		elsewhere[o] = "TestMeasureOutputs"
	}
	for _, o := range outputs.Outputs {
		if elsewhere[o.Name] != "" {
			continue
		}
		if !strings.Contains(string(data), o.Name+"<<") {
			t.Errorf("output %q was not written to GITHUB_OUTPUT:\n%s", o.Name, data)
		}
	}
	// The report output names the report in the workspace.
	if !strings.Contains(string(data), "report<<") || !strings.Contains(string(data), "\n.knative-preview/report.json\n") {
		t.Errorf("the report output is not .knative-preview/report.json:\n%s", data)
	} else if rep, err := os.ReadFile(filepath.Join(dir, ".knative-preview", "report.json")); err != nil || !strings.Contains(string(rep), `"serving-version": "1.23.0"`) {
		t.Errorf("the report is not in the workspace, or lacks the release installed (%v):\n%s", err, rep)
	}
	if !strings.Contains(string(data), "kubernetes-version<<") || !strings.Contains(string(data), "\n"+testenv.KubeVersion+"\n") {
		t.Errorf("kubernetes-version is not %s:\n%s", testenv.KubeVersion, data)
	}
	if !strings.Contains(r.stdout, "::group::cluster") || !strings.Contains(r.stdout, "::endgroup::") {
		t.Errorf("the stage is not in a log group:\n%s", r.stdout)
	}
	for _, line := range strings.Split(r.stdout, "\n") {
		for _, secret := range []string{env.Token, "ghs_input_token_to_mask"} {
			if strings.Contains(line, secret) && line != "::add-mask::"+secret {
				t.Errorf("secret printed: %q", line)
			}
		}
	}
	for _, secret := range []string{env.Token, "ghs_input_token_to_mask"} {
		if !strings.Contains(r.stdout, "::add-mask::"+secret) {
			t.Errorf("the runner was not told to mask %.8s...", secret)
		}
	}
	s, err := os.ReadFile(summary)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"| cluster | ok |", "| kubernetes-version | `" + testenv.KubeVersion + "` |"} {
		if !strings.Contains(string(s), want) {
			t.Errorf("summary lacks %q:\n%s", want, s)
		}
	}
}

func TestPostStep(t *testing.T) {
	base := map[string]string{
		"GITHUB_ACTIONS":     "true",
		"INPUT_CLUSTER":      "gke",
		"INPUT_GKE-PROJECT":  "my-project",
		"INPUT_GKE-LOCATION": "europe-west1-b",
	}
	with := func(extra map[string]string) map[string]string {
		m := maps.Clone(base)
		maps.Copy(m, extra)
		return m
	}
	run := func(env map[string]string) result {
		var stdout, stderr bytes.Buffer
		code := Main(context.Background(), Env{Program: postProgram, Getenv: func(k string) string { return env[k] }, Stdout: &stdout, Stderr: &stderr})
		return result{code, stdout.String(), stderr.String()}
	}
	tests := []struct {
		name string
		env  map[string]string
		want string
	}{
		{"main saved no cluster", with(nil), "the main step recorded no GKE cluster: nothing to delete"},
		{"a reused cluster is kept", with(map[string]string{"STATE_gke_cluster": `{"project":"my-project","location":"europe-west1-b","name":"knative","created":false,"deleteOnExit":true}`}), "keeping"},
		{"invalid inputs: main created nothing", with(map[string]string{"INPUT_CLUSTER": "nope"}), "nothing to clean up"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := run(tt.env)
			if r.code != exitOK || !strings.Contains(r.stdout, tt.want) {
				t.Errorf("exit %d, stdout:\n%s\nwant %q", r.code, r.stdout, tt.want)
			}
		})
	}
}

func TestGKEDryRunMakesNoCall(t *testing.T) {
	r := runMain(context.Background(), []string{"up", "--cluster", "gke", "--gke-project", "my-project", "--gke-location", "europe-west1-b", "--gke-spot", "--dry-run"}, map[string]string{})
	if r.code != exitOK {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	for _, want := range []string{"1. cluster", "my-project", "europe-west1-b", "e2-standard-4", "2. install"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("plan lacks %q:\n%s", want, r.stdout)
		}
	}
}

// The kind target writes a kubeconfig for later steps; its path (relative
// to the workspace) is an output.
func TestClusterOutputs(t *testing.T) {
	out := outputs.NewLocal(outputs.JSON, &bytes.Buffer{}, &bytes.Buffer{})
	c := &cluster.Cluster{Context: "kind-knative", Version: &version.Info{GitVersion: "v1.37.0"}}
	if err := clusterOutputs(out, c, map[string]string{"kubeconfig-path": ".knative-preview/kubeconfig"}); err != nil {
		t.Fatal(err)
	}
	got := out.Values()
	if got["kubeconfig-path"] != ".knative-preview/kubeconfig" || got["context"] != "kind-knative" || got["kubernetes-version"] != "v1.37.0" {
		t.Errorf("outputs %v", got)
	}
	out = outputs.NewLocal(outputs.JSON, &bytes.Buffer{}, &bytes.Buffer{})
	_ = clusterOutputs(out, c, nil)
	if _, ok := out.Values()["kubeconfig-path"]; ok {
		t.Error("a target without a kubeconfig file wrote the kubeconfig output")
	}
}

func TestDeployOutputs(t *testing.T) {
	tests := []struct {
		name, url, base, wantHost string
	}{
		{"kind on port 80", "http://hello.previews.127.0.0.1.sslip.io", "http://127.0.0.1", "http://hello.previews.127.0.0.1.sslip.io"},
		{"kind on another port, tagged", "http://pr-7-hello.previews.127.0.0.1.sslip.io", "http://127.0.0.1:8080", "http://pr-7-hello.previews.127.0.0.1.sslip.io:8080"},
		{"no way from the host", "http://hello.previews.203.0.113.7.sslip.io", "", ""},
		{"kind with a domain input elsewhere", "http://hello.previews.preview.example.com", "http://127.0.0.1", ""},
		{"kind, cluster-local", "http://hello.previews.svc.cluster.local", "http://127.0.0.1", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := outputs.NewLocal(outputs.JSON, &bytes.Buffer{}, &bytes.Buffer{})
			res := &deploy.Result{URL: tt.url, Service: "hello", Namespace: "previews", Revision: "hello-00003", ReadySeconds: 4.26}
			res.Services = []deploy.Result{*res, {URL: "http://api.previews.svc.cluster.local", Service: "api"}}
			if err := deployOutputs(out, res, &cluster.Cluster{HostURLBase: tt.base, Domain: "127.0.0.1.sslip.io"}); err != nil {
				t.Fatal(err)
			}
			got := out.Values()
			want := map[string]string{"url": tt.url, "service": "hello", "namespace": "previews", "revision": "hello-00003", "ready-seconds": "4.3",
				"urls": `{"api":"http://api.previews.svc.cluster.local","hello":"` + tt.url + `"}`}
			if tt.wantHost != "" {
				want["host-url"] = tt.wantHost
			}
			if len(got) != len(want) {
				t.Errorf("got %v, want %v", got, want)
			}
			for k, v := range want {
				if got[k] != v {
					t.Errorf("%s = %q, want %q", k, got[k], v)
				}
			}
		})
	}
}

func TestMeasureOutputs(t *testing.T) {
	ready := 950.0
	rep := &measure.Report{
		Samples: []measure.Sample{
			{Index: 1, Verdict: measure.VerdictCold, TotalMs: 4200, Image: measure.ImagePulled},
			{Index: 2, Verdict: measure.VerdictCold, TotalMs: 1100, Image: measure.ImagePresent, Breakdown: measure.Breakdown{Ready: &ready}},
			{Index: 3, Verdict: measure.VerdictDiscarded, TotalMs: 40, Reason: "no new pod"},
		},
		Cold: measure.Summarise([]float64{1100}),
		Warm: measure.Summarise([]float64{3.2, 2.8, 3.0}),
	}
	rep.FirstWithPull = &rep.Samples[0]
	out := outputs.NewLocal(outputs.JSON, &bytes.Buffer{}, &bytes.Buffer{})
	if err := measureOutputs(out, rep); err != nil {
		t.Fatal(err)
	}
	got := out.Values()
	for k, v := range map[string]string{"cold-start-ms": "1100", "cold-start-p95-ms": "1100", "cold-start-first-ms": "4200", "warm-p50-ms": "3"} {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
	var samples []measure.Sample
	if err := json.Unmarshal([]byte(got["cold-start-samples-json"]), &samples); err != nil || len(samples) != 3 || samples[2].Verdict != "discarded" || *samples[1].Breakdown.Ready != 950 {
		t.Errorf("cold-start-samples-json %s (%v)", got["cold-start-samples-json"], err)
	}
}

// With --output json, a failed run still prints one JSON object: what was
// found before the failure, and the failure.
func TestFailedRunStillPrintsJSON(t *testing.T) {
	kc := writeKubeconfig(t, closedPort(t), secretToken)
	reportFile := filepath.Join(t.TempDir(), "report.json")
	r := runMain(context.Background(), []string{"up", "--cluster", "kubeconfig", "--kubeconfig", kc, "--timeout", "1s", "--output", "json", "--report-json", reportFile}, nil)
	if r.code != exitFailed {
		t.Fatalf("exit %d", r.code)
	}
	var got map[string]string
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
		t.Fatalf("stdout is not one JSON object: %v\n%s", err, r.stdout)
	}
	if !strings.Contains(got["error"], "stage cluster") {
		t.Errorf("the object does not carry the failure: %v", got)
	}
	// The report is written for a failed run too, saying where it failed.
	data, err := os.ReadFile(reportFile)
	var rep report.Report
	if err != nil || json.Unmarshal(data, &rep) != nil || rep.OK || !strings.Contains(rep.Error, "stage cluster") ||
		len(rep.Stages) == 0 || rep.Stages[0].Name != "cluster" || rep.Stages[0].Error == "" {
		t.Errorf("the failed run's report (%v):\n%s", err, data)
	}
	if strings.Contains(string(data), secretToken) {
		t.Errorf("the report holds the kubeconfig's token:\n%s", data)
	}
}

// Secrets among the inputs are masked before anything is printed, even
// when the inputs are refused.
func TestSecretsAreMaskedBeforeProblems(t *testing.T) {
	r := runMain(context.Background(), nil, map[string]string{
		"GITHUB_ACTIONS":      "true",
		"GITHUB_OUTPUT":       filepath.Join(t.TempDir(), "out"),
		"INPUT_GITHUB-TOKEN":  "ghs_secret_token_value",
		"INPUT_MANIFESTS-URL": "https://bob:pa55word-secret@bad host/knative", // does not parse
		"INPUT_TIMEOUT":       "soon",
	})
	if r.code != exitFailed {
		t.Fatalf("exit %d", r.code)
	}
	mask := strings.Index(r.stdout, "::add-mask::ghs_secret_token_value")
	firstError := strings.Index(r.stdout, "::error::")
	if mask < 0 || firstError < 0 || mask > firstError {
		t.Errorf("the token was not masked before the first problem was printed:\n%s", r.stdout)
	}
	if !strings.Contains(r.stdout, "::add-mask::pa55word-secret\n") {
		t.Errorf("the mirror's password was not masked:\n%s", r.stdout)
	}
	if strings.Contains(strings.ReplaceAll(r.stdout, "::add-mask::pa55word-secret", ""), "pa55word-secret") {
		t.Errorf("the mirror's password was printed:\n%s", r.stdout)
	}
}
