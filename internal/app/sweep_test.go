package app

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	servingv1 "knative.dev/serving/pkg/apis/serving/v1"
	servingtyped "knative.dev/serving/pkg/client/clientset/versioned/typed/serving/v1"

	"github.com/knative-preview/action/internal/github/githubtest"
	"github.com/knative-preview/action/internal/history"
	"github.com/knative-preview/action/internal/sweep"
)

// A nightly sweep of a kept cluster, as a scheduled workflow runs it:
// five previews (#1 and #2 open, #3 and #4 closed, #5 open but deployed
// longer ago than max-age) and a Service of someone else's. Exactly #3, #4
// and #5 go, with their Secrets and histories; their comments say why and
// their deployments turn inactive; a second sweep removes nothing; GitHub
// failing (500, then 403) removes nothing and says why.
func TestIntegrationSweep(t *testing.T) {
	const ns, token = "previews", "ghs_sweep_token_0123456789"
	cs, sv, kc, dir := servingBed(t, ns, "app-pr-1", "app-pr-2", "app-pr-3", "app-pr-4", "app-pr-5")
	ctx := t.Context()
	fake := githubtest.New(t)
	for n, state := range map[int]string{1: "open", 2: "open", 3: "closed", 4: "closed", 5: "open"} {
		fake.SeedPullRequest(n, state)
	}
	kubeconfig, err := os.ReadFile(kc)
	if err != nil {
		t.Fatal(err)
	}
	base := map[string]string{
		"GITHUB_ACTIONS": "true", "GITHUB_WORKSPACE": dir, "GITHUB_REPOSITORY": "o/app", "GITHUB_ACTOR": "octocat",
		"GITHUB_API_URL": fake.URL(), "GITHUB_SERVER_URL": "https://github.com", "GITHUB_RUN_ID": "77",
		"INPUT_CLUSTER": "kubeconfig", "INPUT_KUBECONFIG": string(kubeconfig), "INPUT_NAMESPACE": ns, "INPUT_GITHUB-TOKEN": token,
	}
	step := func(now func() time.Time, more map[string]string) (result, map[string]string) {
		t.Helper()
		env := map[string]string{"GITHUB_OUTPUT": filepath.Join(t.TempDir(), "output"), "GITHUB_STEP_SUMMARY": filepath.Join(t.TempDir(), "summary.md")}
		for _, m := range []map[string]string{base, more} {
			for k, v := range m {
				env[k] = v
			}
		}
		var stdout bytes.Buffer
		code := Main(ctx, Env{Getenv: func(k string) string { return env[k] }, Stdout: &stdout, Stderr: &stdout, Now: now})
		outs, _ := os.ReadFile(env["GITHUB_OUTPUT"])
		return result{code: code, stdout: stdout.String()}, parseOutputs(string(outs))
	}
	up := func(n int) {
		t.Helper()
		r, _ := step(nil, map[string]string{
			"GITHUB_EVENT_NAME": "pull_request", "GITHUB_EVENT_PATH": pullRequestEvent(t, "opened", n, fmt.Sprintf("%040d", n), false),
			"INPUT_MANIFESTS-URL": dir, "INPUT_SERVING-VERSION": "1.23", "INPUT_TIMEOUT": "3m",
			"INPUT_IMAGE": fmt.Sprintf("ghcr.io/o/app:pr-%d", n), "INPUT_COLD-START-SAMPLES": "1", "INPUT_SMOKE-REQUESTS": "1",
		})
		if r.code != exitOK {
			t.Fatalf("#%d opened: exit %d:\n%s", n, r.code, r.stdout)
		}
	}
	// #5 first, a second apart from the others: the sweep's clock then puts
	// it past max-age and them within it.
	up(5)
	deployed5 := newestRevision(t, sv, ns, "app-pr-5")
	time.Sleep(time.Until(deployed5.Add(time.Second)))
	for n := 1; n <= 4; n++ {
		up(n)
	}
	theirs := &servingv1.Service{ObjectMeta: metav1.ObjectMeta{Name: "theirs", Namespace: ns, Labels: map[string]string{"team": "web"}}}
	theirs.Spec.Template.Spec.Containers = []corev1.Container{{Image: "ghcr.io/someone/else:v1"}}
	if _, err := sv.Services(ns).Create(ctx, theirs, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	now := func() time.Time { return deployed5.Add(time.Hour + 500*time.Millisecond) }
	sweepRun := func(more map[string]string) (result, []sweep.Removal) {
		t.Helper()
		in := map[string]string{"GITHUB_EVENT_NAME": "schedule", "INPUT_MODE": "sweep", "INPUT_MAX-AGE": "1h", "INPUT_TIMEOUT": "2m"}
		for k, v := range more {
			in[k] = v
		}
		r, out := step(now, in)
		var removed []sweep.Removal
		if err := json.Unmarshal([]byte(out["removed"]), &removed); err != nil && r.code == exitOK {
			t.Fatalf("output removed %q: %v\n%s", out["removed"], err, r.stdout)
		}
		return r, removed
	}
	names := func(rs []sweep.Removal) string {
		var s []string
		for _, r := range rs {
			s = append(s, fmt.Sprintf("#%d %s %s: %s", r.PullRequest, r.Service, map[bool]string{true: "removed", false: "kept"}[r.Removed], r.Reason))
		}
		return strings.Join(s, "; ")
	}
	const want = "#3 app-pr-3 %[1]s: pull request closed; #4 app-pr-4 %[1]s: pull request closed; #5 app-pr-5 %[1]s: idle for 1 hour"

	// A dry run lists them, and why, and removes nothing.
	r, removed := sweepRun(map[string]string{"INPUT_DRY-RUN": "true"})
	if r.code != exitOK || names(removed) != fmt.Sprintf(want, "kept") || !strings.Contains(r.stdout, "would remove previews/app-pr-3") {
		t.Fatalf("dry run: exit %d, removed %s\n%s", r.code, names(removed), r.stdout)
	}
	previewsLeft(t, sv, ns, "app-pr-1 app-pr-2 app-pr-3 app-pr-4 app-pr-5 theirs")

	writes := len(writesTo(fake))
	r, removed = sweepRun(nil)
	if r.code != exitOK || names(removed) != fmt.Sprintf(want, "removed") {
		t.Fatalf("sweep: exit %d, removed %s\n%s", r.code, names(removed), r.stdout)
	}
	previewsLeft(t, sv, ns, "app-pr-1 app-pr-2 theirs")
	for n := 1; n <= 5; n++ {
		gone := n >= 3
		svc := fmt.Sprintf("app-pr-%d", n)
		secrets, err := cs.CoreV1().Secrets(ns).List(ctx, metav1.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		hasSecret := slices.ContainsFunc(secrets.Items, func(s corev1.Secret) bool { return strings.HasPrefix(s.Name, svc+"-") })
		_, herr := cs.CoreV1().ConfigMaps(ns).Get(ctx, history.ConfigMapName(svc), metav1.GetOptions{})
		if hasSecret == gone || apierrors.IsNotFound(herr) != gone {
			t.Errorf("#%d (removed %v): has a Secret %v, history %v", n, gone, hasSecret, herr)
		}
		comments := fake.Comments(n)
		swept := len(comments) == 1 && strings.Contains(comments[0].Body, "by the scheduled sweep: ")
		if swept != gone {
			t.Errorf("#%d (removed %v): comments %+v", n, gone, comments)
		}
		if inactive := lastStates(fake, fmt.Sprintf("pr-%d", n)) == "inactive"; inactive != gone {
			t.Errorf("#%d (removed %v): its deployment's last status is %q", n, gone, lastStates(fake, fmt.Sprintf("pr-%d", n)))
		}
	}
	if c := fake.Comments(5); len(c) == 1 && !strings.Contains(c[0].Body, "idle for 1 hour") {
		t.Errorf("#5's comment does not say why: %s", c[0].Body)
	}
	if len(writesTo(fake)) == writes {
		t.Error("the sweep wrote nothing to GitHub")
	}

	// Again: nothing left to remove, nothing written.
	writes = len(writesTo(fake))
	r, removed = sweepRun(nil)
	if r.code != exitOK || len(removed) != 0 || len(writesTo(fake)) != writes {
		t.Fatalf("second sweep: exit %d, removed %s, %d writes to GitHub\n%s", r.code, names(removed), len(writesTo(fake))-writes, r.stdout)
	}

	// #2 closes, and GitHub fails: nothing goes.
	fake.ClosePullRequest(2)
	fake.AnswerNext(1000, http.StatusInternalServerError, nil, "Server Error")
	r, _ = sweepRun(map[string]string{"INPUT_TIMEOUT": "15s"})
	fake.AnswerNext(0, 0, nil, "")
	if r.code == exitOK || !strings.Contains(r.stdout, ": 500 Server Error") || !strings.Contains(r.stdout, "nothing was removed") {
		t.Errorf("GitHub answering 500: exit %d\n%s", r.code, r.stdout)
	}
	previewsLeft(t, sv, ns, "app-pr-1 app-pr-2 theirs")
	fake.AnswerNext(1, http.StatusForbidden, nil, "Resource not accessible by integration")
	r, _ = sweepRun(nil)
	if r.code == exitOK || !strings.Contains(r.stdout, "pull-requests: read") || !strings.Contains(r.stdout, "nothing was removed") {
		t.Errorf("GitHub answering 403: exit %d\n%s", r.code, r.stdout)
	}
	previewsLeft(t, sv, ns, "app-pr-1 app-pr-2 theirs")
}

// newestRevision is when the newest revision of Service svc was made.
func newestRevision(t *testing.T, sv servingtyped.ServingV1Interface, ns, svc string) time.Time {
	t.Helper()
	revs, err := sv.Revisions(ns).List(t.Context(), metav1.ListOptions{LabelSelector: "serving.knative.dev/service=" + svc})
	if err != nil || len(revs.Items) == 0 {
		t.Fatalf("the revisions of %s: %v (%d)", svc, err, len(revs.Items))
	}
	var newest time.Time
	for _, r := range revs.Items {
		if r.CreationTimestamp.After(newest) {
			newest = r.CreationTimestamp.Time
		}
	}
	return newest
}

// previewsLeft checks which Knative Services are in ns.
func previewsLeft(t *testing.T, sv servingtyped.ServingV1Interface, ns, want string) {
	t.Helper()
	list, err := sv.Services(ns).List(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, s := range list.Items {
		if s.DeletionTimestamp == nil {
			names = append(names, s.Name)
		}
	}
	slices.Sort(names)
	if got := strings.Join(names, " "); got != want {
		t.Errorf("Services in %s: %s; want %s", ns, got, want)
	}
}

// writesTo are the requests that changed something at the fake GitHub.
func writesTo(fake *githubtest.Server) []githubtest.Request {
	var out []githubtest.Request
	for _, r := range fake.Requests() {
		if r.Method != http.MethodGet {
			out = append(out, r)
		}
	}
	return out
}

// lastStates is the last status of the newest deployment to environment
// env, or "" without one.
func lastStates(fake *githubtest.Server, env string) string {
	last := ""
	for _, d := range fake.Deployments() {
		if d.Environment != env {
			continue
		}
		if st := fake.Statuses(d.ID); len(st) > 0 {
			last = st[len(st)-1].State
		}
	}
	return last
}
