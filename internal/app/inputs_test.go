package app

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
)

// What the runner hands the step is checked before anything is done: an
// input the action does not have is named with the closest one it has, a
// plain-HTTP mirror is warned about, and an output or summary file that
// cannot be written stops the run before any stage.
func TestActionChecksWhatTheRunnerHandsIt(t *testing.T) {
	srv, calls := countingServer(t)
	kc := writeKubeconfig(t, srv.URL, secretToken)
	dir := t.TempDir()
	base := map[string]string{
		"GITHUB_ACTIONS":   "true",
		"GITHUB_WORKSPACE": dir,
		"GITHUB_OUTPUT":    filepath.Join(dir, "output"),
		"INPUT_CLUSTER":    "kubeconfig",
		"INPUT_KUBECONFIG": kc,
		"INPUT_DRY-RUN":    "true",
	}
	with := func(extra map[string]string) map[string]string {
		m := map[string]string{}
		for k, v := range base {
			m[k] = v
		}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	tests := []struct {
		name     string
		env      map[string]string
		wantCode int
		want     []string
	}{
		{"a typo in an input's name", with(map[string]string{"INPUT_SERVING_VERSION": "1.22"}), exitOK,
			[]string{"::warning::INPUT_SERVING_VERSION is not an input of this action: it is ignored (did you mean serving-version?)"}},
		{"a plain-HTTP mirror", with(map[string]string{"INPUT_MANIFESTS-URL": "http://mirror.example/knative"}), exitOK,
			[]string{`::warning::input "manifests-url": is plain HTTP`}},
		{"an output file that cannot be written", with(map[string]string{"INPUT_DRY-RUN": "false", "GITHUB_OUTPUT": filepath.Join(dir, "no", "such", "folder", "output")}), exitFailed,
			[]string{"::error::the output file GITHUB_OUTPUT: cannot be written", "nothing was done"}},
		{"a summary file that cannot be written", with(map[string]string{"INPUT_DRY-RUN": "false", "GITHUB_STEP_SUMMARY": filepath.Join(dir, "no", "summary")}), exitFailed,
			[]string{"::error::the job summary file GITHUB_STEP_SUMMARY: cannot be written"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := calls.Load()
			r := runMain(context.Background(), nil, tt.env)
			if r.code != tt.wantCode {
				t.Errorf("exit %d, want %d:\n%s", r.code, tt.wantCode, r.stdout)
			}
			for _, w := range tt.want {
				if !strings.Contains(r.stdout, w) {
					t.Errorf("the log lacks %q:\n%s", w, r.stdout)
				}
			}
			if tt.wantCode != exitOK && calls.Load() != before {
				t.Errorf("the cluster was contacted %d times although the run could not report", calls.Load()-before)
			}
		})
	}
}

// down writes no report: asking for one is refused, not ignored.
func TestReportJSONIsForUp(t *testing.T) {
	srv, calls := countingServer(t)
	kc := writeKubeconfig(t, srv.URL, secretToken)
	r := runMain(context.Background(), []string{"down", "--cluster", "kubeconfig", "--kubeconfig", kc, "--service", "app", "--report-json", "report.json"}, nil)
	if r.code != exitFailed || !strings.Contains(r.stderr, `--report-json: "report.json" is for up: down writes no report`) {
		t.Errorf("exit %d:\n%s", r.code, r.stderr)
	}
	if calls.Load() != 0 {
		t.Errorf("the cluster was contacted %d times", calls.Load())
	}
}
