package app

import (
	"bytes"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/knative-preview/action/internal/github"
	"github.com/knative-preview/action/internal/github/githubtest"
)

// GitHub's API down, slow (30 s an answer) or answering 500 to everything:
// the run ends as it does when GitHub answers, with the same exit code and
// the same outputs (the comment's address aside), one warning about what
// the pull request was not told, and the time past the stages' end within
// GitHub's budget. Each case is a pull request of its own, so each run
// makes the first revision of its own Service.
func TestIntegrationGitHubTroubleIsAWarning(t *testing.T) {
	const ns = "gh-trouble"
	cases := []struct {
		name   string
		number int
		api    func(t *testing.T) string // GITHUB_API_URL
	}{
		{"answering", 1, func(t *testing.T) string { return githubtest.New(t).URL() }},
		{"down", 2, func(t *testing.T) string { return closedPort(t) + "/" }},
		{"slow", 3, func(t *testing.T) string { f := githubtest.New(t); f.Delay(30 * time.Second); return f.URL() }},
		{"answering 500", 4, func(t *testing.T) string {
			f := githubtest.New(t)
			f.AnswerNext(1<<30, http.StatusInternalServerError, nil, "Server Error")
			return f.URL()
		}},
	}
	var services []string
	for _, c := range cases {
		services = append(services, fmt.Sprintf("app-pr-%d", c.number))
	}
	_, _, kc, dir := servingBed(t, ns, services...)
	kubeconfig, err := os.ReadFile(kc)
	if err != nil {
		t.Fatal(err)
	}

	type run struct {
		code     int
		outputs  map[string]string
		log      string
		overrun  time.Duration
		warnings int
	}
	do := func(t *testing.T, number int, api string) run {
		work := t.TempDir()
		outFile := filepath.Join(work, "output")
		env := map[string]string{
			"GITHUB_ACTIONS": "true", "GITHUB_OUTPUT": outFile, "GITHUB_STEP_SUMMARY": filepath.Join(work, "summary.md"), "GITHUB_WORKSPACE": dir,
			"GITHUB_REPOSITORY": "o/app", "GITHUB_API_URL": api, "GITHUB_RUN_ID": "99",
			"GITHUB_EVENT_NAME": "pull_request", "GITHUB_EVENT_PATH": pullRequestEvent(t, "opened", number, fmt.Sprintf("%040d", number), false),
			"INPUT_CLUSTER": "kubeconfig", "INPUT_KUBECONFIG": string(kubeconfig), "INPUT_MANIFESTS-URL": dir,
			"INPUT_SERVING-VERSION": "1.23", "INPUT_NAMESPACE": ns, "INPUT_TIMEOUT": "3m",
			"INPUT_IMAGE": "ghcr.io/o/app:v1", "INPUT_COLD-START-SAMPLES": "1", "INPUT_SMOKE-REQUESTS": "1", "INPUT_GITHUB-TOKEN": "ghs_budget_token_0123456789",
		}
		log := &stampedLog{}
		code := Main(t.Context(), Env{Getenv: func(k string) string { return env[k] }, Stdout: log, Stderr: log})
		ended := time.Now()
		outs, _ := os.ReadFile(outFile)
		r := run{code: code, outputs: parseOutputs(string(outs)), log: log.String()}
		r.overrun = ended.Sub(log.last("::endgroup::"))
		// The loopback API server's warning is the test bed's (this machine
		// runs no Docker to say whether the action's container reaches
		// the runner's loopback), not GitHub's: it is not counted.
		r.warnings = strings.Count(r.log, "::warning::") - strings.Count(r.log, "::warning::the API server https://127.0.0.1:")
		return r
	}

	var clean run
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := do(t, c.number, c.api(t))
			t.Logf("%s: exit %d, %s past the stages' end (budget %s)", c.name, got.code, got.overrun.Round(time.Millisecond), github.Budget)
			if got.code != exitOK {
				t.Fatalf("exit %d, want %d:\n%s", got.code, exitOK, got.log)
			}
			if c.number == 1 {
				if got.outputs["comment-url"] == "" || got.warnings != 0 {
					t.Fatalf("GitHub answering: comment-url %q, %d warnings:\n%s", got.outputs["comment-url"], got.warnings, got.log)
				}
				clean = got
				return
			}
			if clean.outputs == nil {
				t.Fatal("no clean run to compare with")
			}
			if got.overrun > github.Budget+5*time.Second {
				t.Errorf("the run went on %s past the stages' end; GitHub's budget is %s", got.overrun, github.Budget)
			}
			for _, l := range strings.Split(got.log, "\n") {
				if strings.HasPrefix(l, "::warning::") {
					t.Logf("%s: %s", c.name, l)
				}
			}
			if got.warnings != 1 || !strings.Contains(got.log, fmt.Sprintf("pull request #%d was not told everything (the run's own outcome stands)", c.number)) {
				t.Errorf("want one warning about the pull request, got %d:\n%s", got.warnings, got.log)
			}
			if _, ok := got.outputs["comment-url"]; ok {
				t.Errorf("comment-url %q with no comment written", got.outputs["comment-url"])
			}
			svc, cleanSvc := fmt.Sprintf("app-pr-%d", c.number), "app-pr-1"
			for name, want := range clean.outputs {
				switch name {
				case "comment-url", "install-seconds", "ready-seconds", "cold-start-ms", "cold-start-p95-ms", "cold-start-first-ms", "cold-start-samples-json", "warm-p50-ms":
					// Not GitHub's: the measured times differ from run to run.
					if name != "comment-url" && got.outputs[name] == "" {
						t.Errorf("output %s is missing", name)
					}
					continue
				}
				if want = strings.ReplaceAll(want, cleanSvc, svc); got.outputs[name] != want {
					t.Errorf("output %s = %q, want %q as when GitHub answers", name, got.outputs[name], want)
				}
			}
			for name := range got.outputs {
				if _, ok := clean.outputs[name]; !ok {
					t.Errorf("output %s = %q is set only when GitHub is in trouble", name, got.outputs[name])
				}
			}
		})
	}
}

// stampedLog keeps what a run writes and when each line ended.
type stampedLog struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	lines []stampedLine
}

type stampedLine struct {
	at   time.Time
	text string
}

func (l *stampedLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf.Write(p)
	now := time.Now()
	for _, line := range strings.SplitAfter(string(p), "\n") {
		if line != "" {
			l.lines = append(l.lines, stampedLine{now, strings.TrimSuffix(line, "\n")})
		}
	}
	return len(p), nil
}

// last is when the last line that begins with prefix was written.
func (l *stampedLog) last(prefix string) time.Time {
	l.mu.Lock()
	defer l.mu.Unlock()
	for i := len(l.lines) - 1; i >= 0; i-- {
		if strings.HasPrefix(l.lines[i].text, prefix) {
			return l.lines[i].at
		}
	}
	return time.Time{}
}

func (l *stampedLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}
