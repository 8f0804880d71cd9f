package app

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/knative-preview/action/internal/github/githubtest"
	"github.com/knative-preview/action/internal/history"
	"github.com/knative-preview/action/internal/report"
	"github.com/knative-preview/action/internal/summary"
)

// pullRequestEvent writes a pull_request event payload of GitHub's shape
// and returns its path.
func pullRequestEvent(t *testing.T, action string, number int, sha string, fork bool) string {
	t.Helper()
	head := "o/app"
	if fork {
		head = "someone/app"
	}
	payload := map[string]any{
		"action": action,
		"number": number,
		"pull_request": map[string]any{
			"number": number, "state": map[bool]string{true: "closed", false: "open"}[action == "closed"], "merged": false,
			"head": map[string]any{"ref": "feature", "sha": sha, "repo": map[string]any{"full_name": head, "fork": fork}},
			"base": map[string]any{"ref": "main", "sha": "0000000000000000000000000000000000000000", "repo": map[string]any{"full_name": "o/app", "fork": false}},
		},
		"repository": map[string]any{"full_name": "o/app"},
	}
	data, err := json.Marshal(payload)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "event.json")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// A pull request's life on one cluster, as a workflow with
// `on: pull_request` runs the action: opened, pushed to, and closed, while
// another pull request's preview lives beside it. Each run tells the pull
// request (one comment, edited in place; a deployment per run, inactive
// once removed), and the close removes exactly that pull request's preview:
// its Service, its Secrets, its history.
func TestIntegrationPullRequestPreview(t *testing.T) {
	const ns, token = "previews", "ghs_preview_token_0123456789"
	cs, sv, kc, dir := servingBed(t, ns, "app-pr-7", "app-pr-8")
	ctx := t.Context()
	fake := githubtest.New(t)
	kubeconfig, err := os.ReadFile(kc)
	if err != nil {
		t.Fatal(err)
	}

	step := func(action string, number int, sha string, fork bool) (result, map[string]string, string) {
		t.Helper()
		work := t.TempDir()
		outFile, summaryFile := filepath.Join(work, "output"), filepath.Join(work, "summary.md")
		r := runMain(ctx, nil, map[string]string{
			"GITHUB_ACTIONS": "true", "GITHUB_OUTPUT": outFile, "GITHUB_STEP_SUMMARY": summaryFile, "GITHUB_WORKSPACE": dir,
			"GITHUB_REPOSITORY": "o/app", "GITHUB_ACTOR": "octocat", "GITHUB_API_URL": fake.URL(),
			"GITHUB_SERVER_URL": "https://github.com", "GITHUB_RUN_ID": "99",
			"GITHUB_EVENT_NAME": "pull_request", "GITHUB_EVENT_PATH": pullRequestEvent(t, action, number, sha, fork),
			"INPUT_CLUSTER": "kubeconfig", "INPUT_KUBECONFIG": string(kubeconfig), "INPUT_MANIFESTS-URL": dir,
			"INPUT_SERVING-VERSION": "1.23", "INPUT_NAMESPACE": ns, "INPUT_TIMEOUT": "3m",
			"INPUT_IMAGE":              fmt.Sprintf("ghcr.io/o/app:pr-%d", number),
			"INPUT_COLD-START-SAMPLES": "1", "INPUT_SMOKE-REQUESTS": "1", "INPUT_GITHUB-TOKEN": token,
		})
		outs, _ := os.ReadFile(outFile)
		sum, _ := os.ReadFile(summaryFile)
		for what, text := range map[string]string{"log": r.stdout, "outputs": string(outs), "summary": string(sum)} {
			for _, line := range strings.Split(text, "\n") {
				if strings.Contains(line, token) && line != "::add-mask::"+token {
					t.Errorf("%s %s #%d: the token is in the %s: %q", action, sha, number, what, line)
				}
			}
		}
		return r, parseOutputs(string(outs)), string(sum)
	}
	must := func(r result, what string) {
		t.Helper()
		if r.code != exitOK {
			t.Fatalf("%s: exit %d:\n%s", what, r.code, r.stdout)
		}
	}

	r, out, _ := step("opened", 7, "a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7", false)
	must(r, "#7 opened")
	// The test bed's domain is 127.0.0.1.sslip.io: a kept cluster, but an
	// address only its own machine reaches.
	if out["service"] != "app-pr-7" || out["url"] != "http://app-pr-7.previews.127.0.0.1.sslip.io" || out["comment-url"] == "" ||
		out["reachable"] != "false" || !strings.Contains(out["reachable-why"], "loopback") {
		t.Errorf("#7 opened: outputs %v", out)
	}
	commentURL := out["comment-url"]
	r, _, _ = step("opened", 8, "b8b8b8b8b8b8b8b8b8b8b8b8b8b8b8b8b8b8b8b8", false)
	must(r, "#8 opened")
	r, _, _ = step("synchronize", 7, "c7c7c7c7c7c7c7c7c7c7c7c7c7c7c7c7c7c7c7c7", false)
	must(r, "#7 synchronize")

	ksvc, err := sv.Services(ns).Get(ctx, "app-pr-7", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if ksvc.Labels["knative-preview/pull-request"] != "7" || ksvc.Labels["knative-preview/head-sha"] != "c7c7c7c7c7c7c7c7c7c7c7c7c7c7c7c7c7c7c7c7" {
		t.Errorf("#7's Service labels: %v", ksvc.Labels)
	}
	if ps := ksvc.Spec.Template.Spec.ImagePullSecrets; len(ps) != 1 {
		t.Errorf("#7's image on ghcr.io is pulled with the job's token: imagePullSecrets %v", ps)
	}
	comments := fake.Comments(7)
	if len(comments) != 1 || !strings.Contains(comments[0].Body, summary.Marker) || !strings.Contains(comments[0].Body, "Preview tested") ||
		!strings.Contains(comments[0].Body, "`http://app-pr-7.previews.127.0.0.1.sslip.io`") || !strings.Contains(comments[0].Body, "c7c7c7c") {
		t.Fatalf("#7 after two runs: want one comment, edited to the second run's commit; got %d: %+v", len(comments), comments)
	}

	r, out, _ = step("closed", 7, "c7c7c7c7c7c7c7c7c7c7c7c7c7c7c7c7c7c7c7c7", false)
	must(r, "#7 closed")
	if out["comment-url"] != commentURL {
		t.Errorf("#7 closed: comment-url %q, want the same comment %q", out["comment-url"], commentURL)
	}
	// Twice is fine.
	r, _, _ = step("closed", 7, "c7c7c7c7c7c7c7c7c7c7c7c7c7c7c7c7c7c7c7c7", false)
	must(r, "#7 closed again")

	if _, err := sv.Services(ns).Get(ctx, "app-pr-7", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("#7's Service after the close: %v, want NotFound", err)
	}
	secrets, err := cs.CoreV1().Secrets(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var left, kept []string
	for _, s := range secrets.Items {
		switch {
		case strings.HasPrefix(s.Name, "app-pr-7"):
			left = append(left, s.Name)
		case strings.HasPrefix(s.Name, "app-pr-8"):
			kept = append(kept, s.Name)
		}
	}
	if len(left) > 0 || len(kept) == 0 {
		t.Errorf("Secrets after #7 closed: #7's %v (want none), #8's %v (want its registry login)", left, kept)
	}
	if _, err := cs.CoreV1().ConfigMaps(ns).Get(ctx, history.ConfigMapName("app-pr-7"), metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("#7's history after the close: %v, want NotFound", err)
	}
	if _, err := sv.Services(ns).Get(ctx, "app-pr-8", metav1.GetOptions{}); err != nil {
		t.Errorf("#8's preview did not survive #7's close: %v", err)
	}
	if _, err := cs.CoreV1().ConfigMaps(ns).Get(ctx, history.ConfigMapName("app-pr-8"), metav1.GetOptions{}); err != nil {
		t.Errorf("#8's history did not survive #7's close: %v", err)
	}

	comments = fake.Comments(7)
	if len(comments) != 1 || !strings.Contains(comments[0].Body, "removed") {
		t.Errorf("#7's comment after the close: %+v", comments)
	}
	// #7's deployments: each up in progress then success with its URL; the
	// close sets every one inactive.
	var states []string
	for _, d := range fake.Deployments() {
		if d.Environment != "pr-7" {
			continue
		}
		if !d.Transient || d.Production || len(d.RequiredContexts) != 0 {
			t.Errorf("deployment %+v", d)
		}
		var s []string
		for _, st := range fake.Statuses(d.ID) {
			s = append(s, st.State)
			if st.EnvironmentURL != "" {
				t.Errorf("a status links a preview only its cluster reaches: %+v", st)
			}
		}
		states = append(states, strings.Join(s, ">"))
	}
	// (The second close sets them inactive again, which GitHub takes.)
	if want := "in_progress>success>inactive>inactive"; len(states) != 2 || states[0] != want || states[1] != want {
		t.Errorf("#7's deployments went %v, want two of %s", states, want)
	}
	for _, c := range fake.Comments(8) {
		if strings.Contains(c.Body, "removed") {
			t.Errorf("#8's comment says removed: %s", c.Body)
		}
	}

	// A fork's read-only token: the preview still comes up, and the pull
	// request gets a warning per refusal, not a failure.
	fake.Forbid("/repos/o/app/")
	r, _, _ = step("synchronize", 8, "d8d8d8d8d8d8d8d8d8d8d8d8d8d8d8d8d8d8d8d8", true)
	must(r, "#8 from a fork, read-only token")
	for _, want := range []string{"::warning::", "pull-requests: write", "deployments: write"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("a read-only token: the log lacks %q:\n%s", want, r.stdout)
		}
	}
}

// parseOutputs reads GITHUB_OUTPUT's name<<delimiter blocks.
func parseOutputs(data string) map[string]string {
	out := map[string]string{}
	lines := strings.Split(data, "\n")
	for i := 0; i < len(lines); i++ {
		name, delim, ok := strings.Cut(lines[i], "<<")
		if !ok {
			continue
		}
		var v []string
		for i++; i < len(lines) && lines[i] != delim; i++ {
			v = append(v, lines[i])
		}
		out[name] = strings.Join(v, "\n")
	}
	return out
}

// Scheduled runs of one service on a cluster that keeps history: the
// history ConfigMap holds every run in order, the one whose check failed
// too; each run after the first is compared with the ones before it; and
// the summary shows the trend. (The history's bound, whatever the number
// of runs and samples, is internal/history's TestBoundedWhateverTheSize.)
func TestIntegrationHistoryTrend(t *testing.T) {
	const ns, svc = "smoke", "hello"
	cs, _, kc, dir := servingBed(t, ns, svc)
	ctx := t.Context()
	var last string
	for i := 1; i <= 3; i++ {
		md := filepath.Join(t.TempDir(), "summary.md")
		r := runMain(ctx, []string{"up", "--cluster", "kubeconfig", "--kubeconfig", kc, "--manifests-url", dir,
			"--image", "ghcr.io/org/hello:v1", "--service", svc, "--namespace", ns,
			"--cold-start-samples", "1", "--smoke-requests", "2", "--output", "json", "--timeout", "3m",
			"--baseline", "history", "--summary", md}, map[string]string{"GITHUB_SHA": fmt.Sprintf("%040d", i)})
		if r.code != exitOK {
			t.Fatalf("run %d: exit %d:\n%s", i, r.code, r.stderr)
		}
		var out map[string]string
		if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
			t.Fatalf("run %d: %v\n%s", i, err, r.stdout)
		}
		switch {
		case i == 1 && (out["regression"] != "" || !strings.Contains(r.stderr, "no comparison")):
			t.Errorf("run 1 has no baseline yet: regression %q, log:\n%s", out["regression"], r.stderr)
		case i > 1 && out["regression"] != "inconclusive":
			// One cold start a run: too few samples for a verdict.
			t.Errorf("run %d: regression %q, want inconclusive", i, out["regression"])
		case i > 1:
			var figures []report.Figure
			if err := json.Unmarshal([]byte(out["regression-figures"]), &figures); err != nil || len(figures) == 0 {
				t.Errorf("run %d: regression-figures %q (%v)", i, out["regression-figures"], err)
			}
		}
		data, err := os.ReadFile(md)
		if err != nil {
			t.Fatalf("run %d: --summary wrote nothing: %v", i, err)
		}
		last = string(data)
	}
	// A run whose smoke check fails is remembered too: it is the drift a
	// history is for.
	r := runMain(ctx, []string{"up", "--cluster", "kubeconfig", "--kubeconfig", kc, "--manifests-url", dir,
		"--image", "ghcr.io/org/hello:v1", "--service", svc, "--namespace", ns,
		"--cold-start-samples", "1", "--smoke-requests", "1", "--expect-body", "^not what it says", "--output", "json", "--timeout", "3m",
		"--baseline", "history"}, map[string]string{"GITHUB_SHA": fmt.Sprintf("%040d", 4)})
	if r.code != exitFailed || !strings.Contains(r.stderr, "smoke check failed") {
		t.Fatalf("run 4 with a failing check: exit %d:\n%s", r.code, r.stderr)
	}
	cm, err := cs.CoreV1().ConfigMaps(ns).Get(ctx, history.ConfigMapName(svc), metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var points []report.Point
	for _, v := range cm.Data {
		if err := json.Unmarshal([]byte(v), &points); err != nil {
			t.Fatalf("the history is not a list of runs: %v", err)
		}
	}
	if len(points) != 4 || points[0].Commit != fmt.Sprintf("%040d", 1) || points[3].Commit != fmt.Sprintf("%040d", 4) {
		t.Errorf("the history holds %d runs, want the four in order, the failed one last: %+v", len(points), points)
	}
	for _, want := range []string{"xychart-beta", "line [", "baseline"} {
		if !strings.Contains(last, want) {
			t.Errorf("the third run's summary lacks %q:\n%s", want, last)
		}
	}
	// A check that tears its Service down still remembers: down keeps the
	// history, and the namespace the action created that holds it.
	r = runMain(ctx, []string{"down", "--cluster", "kubeconfig", "--kubeconfig", kc, "--service", svc, "--namespace", ns}, nil)
	if r.code != exitOK {
		t.Fatalf("down: exit %d:\n%s", r.code, r.stderr)
	}
	if _, err := cs.CoreV1().ConfigMaps(ns).Get(ctx, history.ConfigMapName(svc), metav1.GetOptions{}); err != nil {
		t.Errorf("down took the history: %v", err)
	}
	if n, err := cs.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{}); err != nil || n.DeletionTimestamp != nil {
		t.Errorf("down deleted namespace %s, and the history in it (%v):\n%s", ns, err, r.stderr)
	}
}
