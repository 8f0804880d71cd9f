package github

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/knative-preview/action/internal/input"
)

func TestParse(t *testing.T) {
	cases := []struct {
		name    string
		raw     input.Values
		want    Options
		wantErr []string
	}{
		{name: "defaults", raw: input.Values{}, want: Options{Comment: "auto", Deployment: "auto"}},
		{name: "any case", raw: input.Values{"comment": "ALWAYS", "deployment": "Never", "environment": "preview"},
			want: Options{Comment: "always", Deployment: "never", Environment: "preview"}},
		{name: "environment of 255 characters", raw: input.Values{"environment": strings.Repeat("é", 255)},
			want: Options{Comment: "auto", Deployment: "auto", Environment: strings.Repeat("é", 255)}},
		{name: "unknown modes", raw: input.Values{"comment": "sometimes", "deployment": "always"},
			want:    Options{Environment: ""},
			wantErr: []string{`input "comment": "sometimes" is not a comment mode (accepted: auto, always, never`, `input "deployment": "always" is not a deployment mode (accepted: auto, never`}},
		{name: "environment too long", raw: input.Values{"environment": strings.Repeat("x", 256)},
			want:    Options{Comment: "auto", Deployment: "auto"},
			wantErr: []string{`input "environment": is 256 characters long (accepted: at most 255 characters`}},
		{name: "environment with a control character", raw: input.Values{"environment": "pr\x1b[31m"},
			want:    Options{Comment: "auto", Deployment: "auto"},
			wantErr: []string{`input "environment": has a control character`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := input.NewReader(Inputs, c.raw, input.ActionStyle, nil)
			got := Parse(r)
			if got != c.want {
				t.Errorf("Parse = %+v, want %+v", got, c.want)
			}
			problems := input.List(r.Err())
			if len(problems) != len(c.wantErr) {
				t.Fatalf("problems %v, want %d", problems, len(c.wantErr))
			}
			for i, want := range c.wantErr {
				if !strings.Contains(problems[i].Error(), want) {
					t.Errorf("problem %q, want %q", problems[i], want)
				}
			}
		})
	}
}

// Which events get a comment and a deployment, mode by mode.
func TestCommentsAndDeploys(t *testing.T) {
	read := func(name, file string) *Event {
		t.Helper()
		e, err := ReadEvent(env(map[string]string{"GITHUB_ACTIONS": "true", "GITHUB_EVENT_NAME": name, "GITHUB_EVENT_PATH": filepath.Join("testdata", "events", file)}))
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	type want struct{ auto, always, never bool }
	type deploy struct{ auto, never bool }
	cases := []struct {
		name, file string
		comment    want
		deploy     deploy
	}{
		{"pull_request", "pull_request-opened.json", want{true, true, false}, deploy{true, false}},
		{"pull_request", "pull_request-synchronize.json", want{true, true, false}, deploy{true, false}},
		{"pull_request", "pull_request-closed-merged.json", want{true, true, false}, deploy{true, false}},
		{"pull_request", "pull_request-labeled.json", want{false, true, false}, deploy{false, false}},
		// A fork's token is tried: its refusal is the warning users see.
		{"pull_request", "pull_request-opened-fork.json", want{true, true, false}, deploy{true, false}},
		{"pull_request", "pull_request-closed-fork.json", want{true, true, false}, deploy{true, false}},
		{"pull_request_target", "pull_request_target-opened-fork.json", want{true, true, false}, deploy{true, false}},
		{"push", "push.json", want{}, deploy{}},
		{"schedule", "schedule.json", want{}, deploy{}},
		{"workflow_dispatch", "workflow_dispatch.json", want{}, deploy{}},
	}
	for _, c := range cases {
		t.Run(c.name+"/"+c.file, func(t *testing.T) {
			e := read(c.name, c.file)
			for mode, w := range map[string]bool{ModeAuto: c.comment.auto, modeAlways: c.comment.always, ModeNever: c.comment.never} {
				if got := (Options{Comment: mode}).Comments(e); got != w {
					t.Errorf("comment %s: Comments = %v, want %v", mode, got, w)
				}
			}
			for mode, w := range map[string]bool{ModeAuto: c.deploy.auto, ModeNever: c.deploy.never} {
				if got := (Options{Deployment: mode}).Deploys(e); got != w {
					t.Errorf("deployment %s: Deploys = %v, want %v", mode, got, w)
				}
			}
		})
	}
	if got := (Options{Comment: modeAlways}).Comments(&Event{Name: "push"}); got {
		t.Error("comment always outside a pull request: Comments = true")
	}
}

func TestEnvironmentFor(t *testing.T) {
	pr := &PullRequest{Number: 12}
	if got := (Options{}).EnvironmentFor(pr); got != "pr-12" {
		t.Errorf("default environment %q, want pr-12", got)
	}
	if got := (Options{Environment: "preview"}).EnvironmentFor(pr); got != "preview" {
		t.Errorf("environment %q, want preview", got)
	}
}

// The preview label: a pull request gets a preview only while it carries
// the label; another label's event changes nothing; the label's own
// events are ones auto comments and deploys on.
func TestGate(t *testing.T) {
	pr := func(action, label string, labels ...string) *PullRequest {
		return &PullRequest{Number: 3, Action: action, Label: label, Labels: labels}
	}
	tests := []struct {
		name            string
		label           string
		pr              *PullRequest
		want, unchanged bool
		usual           bool
	}{
		{"no gate", "", pr("opened", ""), true, false, true},
		{"no gate, a label added", "", pr("labeled", "bug", "bug"), true, false, false},
		{"opened with the label", "preview", pr("opened", "", "preview"), true, false, true},
		{"opened without it", "preview", pr("opened", "", "bug"), false, false, true},
		{"pushed to without it", "preview", pr("synchronize", ""), false, false, true},
		{"the label added", "preview", pr("labeled", "preview", "preview"), true, false, true},
		{"the label removed", "preview", pr("unlabeled", "preview", "bug"), false, false, true},
		{"another label added while it carries the label", "preview", pr("labeled", "bug", "bug", "preview"), true, true, false},
		{"another label removed without it", "preview", pr("unlabeled", "bug"), false, true, false},
		// GitHub's label names are one label in any case.
		{"opened with the label in another case", "preview", pr("opened", "", "Preview"), true, false, true},
		{"the label added in another case", "Preview", pr("labeled", "preview", "preview"), true, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := Options{Comment: ModeAuto, Deployment: ModeAuto, PreviewLabel: tt.label}
			want, unchanged := o.Gate(tt.pr)
			if want != tt.want || unchanged != tt.unchanged {
				t.Errorf("Gate = want %v, unchanged %v; want %v, %v", want, unchanged, tt.want, tt.unchanged)
			}
			e := &Event{Name: "pull_request", PullRequest: tt.pr}
			if o.Comments(e) != tt.usual || o.Deploys(e) != tt.usual {
				t.Errorf("comments %v, deploys %v; want both %v", o.Comments(e), o.Deploys(e), tt.usual)
			}
		})
	}
}
