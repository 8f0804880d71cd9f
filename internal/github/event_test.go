package github

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// env is a fake environment: a key the test did not set reads empty.
func env(kv map[string]string) func(string) string {
	return func(k string) string { return kv[k] }
}

func TestReadEventFixtures(t *testing.T) {
	const (
		head1 = "ec26c3e57ca3a959ca5aad62de7213c562f8c821"
		head2 = "b3c1e7f24dba2d4e0f1c9a8e5a3f8d7c6b5a4e3d"
		fork  = "0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c"
		base  = "octo-org/hello-app"
	)
	cases := []struct {
		file, name string
		want       *PullRequest
		closed     bool
	}{
		{"pull_request-opened.json", "pull_request", &PullRequest{Number: 12, Action: "opened", HeadSHA: head1, HeadRepo: base, BaseRepo: base}, false},
		{"pull_request-synchronize.json", "pull_request", &PullRequest{Number: 12, Action: "synchronize", HeadSHA: head2, HeadRepo: base, BaseRepo: base}, false},
		{"pull_request-labeled.json", "pull_request", &PullRequest{Number: 12, Action: "labeled", HeadSHA: head2, HeadRepo: base, BaseRepo: base, Labels: []string{"preview"}, Label: "preview"}, false},
		{"pull_request-unlabeled.json", "pull_request", &PullRequest{Number: 12, Action: "unlabeled", HeadSHA: head2, HeadRepo: base, BaseRepo: base, Label: "preview"}, false},
		{"pull_request-closed-merged.json", "pull_request", &PullRequest{Number: 12, Action: "closed", HeadSHA: head2, HeadRepo: base, BaseRepo: base}, true},
		{"pull_request-opened-fork.json", "pull_request", &PullRequest{Number: 13, Action: "opened", HeadSHA: fork, HeadRepo: "contributor/hello-app", BaseRepo: base, Fork: true}, false},
		{"pull_request-closed-fork.json", "pull_request", &PullRequest{Number: 13, Action: "closed", HeadSHA: fork, HeadRepo: "contributor/hello-app", BaseRepo: base, Fork: true}, true},
		{"pull_request-closed-deleted-fork.json", "pull_request", &PullRequest{Number: 14, Action: "closed", HeadSHA: fork, BaseRepo: base, Fork: true}, true},
		{"pull_request_target-opened-fork.json", "pull_request_target", &PullRequest{Number: 13, Action: "opened", HeadSHA: fork, HeadRepo: "contributor/hello-app", BaseRepo: base, Fork: true}, false},
		{"push.json", "push", nil, false},
		{"schedule.json", "schedule", nil, false},
		{"workflow_dispatch.json", "workflow_dispatch", nil, false},
		// A payload of another event under a pull request's name is still
		// JSON GitHub could write; it has no pull request to act on.
		{"push.json", "pull_request", nil, false},
	}
	for _, c := range cases {
		t.Run(c.name+"/"+c.file, func(t *testing.T) {
			e, err := ReadEvent(env(map[string]string{
				"GITHUB_ACTIONS":    "true",
				"GITHUB_EVENT_NAME": c.name,
				"GITHUB_EVENT_PATH": filepath.Join("testdata", "events", c.file),
			}))
			if c.want == nil && c.name == "pull_request" {
				if err == nil {
					t.Fatalf("a push payload read as a pull_request event gave %+v, want an error", e.PullRequest)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if e.Name != c.name {
				t.Errorf("Name = %q, want %q", e.Name, c.name)
			}
			if !reflect.DeepEqual(e.PullRequest, c.want) {
				t.Errorf("PullRequest = %+v, want %+v", e.PullRequest, c.want)
			}
			if c.want != nil && e.PullRequest.Closed() != c.closed {
				t.Errorf("Closed() = %v, want %v", e.PullRequest.Closed(), c.closed)
			}
		})
	}
}

func TestReadEventProblems(t *testing.T) {
	dir := t.TempDir()
	secret := "ghp_notquoted0123456789"
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	truncated := write("truncated.json", `{"action": "opened", "number": 3, "pull_request": {"title": "`+secret)
	wrongType := write("wrong-type.json", `{"action": "opened", "number": "`+secret+`", "pull_request": {}}`)
	noHead := write("no-head.json", `{"action": "opened", "number": 3, "pull_request": {"number": 3, "title": "`+secret+`"}}`)
	missing := filepath.Join(dir, "missing.json")

	cases := []struct {
		name string
		env  map[string]string
		// wantErr: "" for no error (and no pull request).
		wantErr string
	}{
		{"outside Actions, no event", map[string]string{}, ""},
		{"outside Actions, pull_request without a path", map[string]string{"GITHUB_EVENT_NAME": "pull_request"}, ""},
		{"outside Actions, a missing file", map[string]string{"GITHUB_EVENT_NAME": "pull_request", "GITHUB_EVENT_PATH": missing}, ""},
		{"push with a broken file is not read", map[string]string{"GITHUB_ACTIONS": "true", "GITHUB_EVENT_NAME": "push", "GITHUB_EVENT_PATH": truncated}, ""},
		{"in Actions, pull_request without a path", map[string]string{"GITHUB_ACTIONS": "true", "GITHUB_EVENT_NAME": "pull_request"}, "is not set, and the event (GITHUB_EVENT_NAME) is pull_request"},
		{"in Actions, a missing file", map[string]string{"GITHUB_ACTIONS": "true", "GITHUB_EVENT_NAME": "pull_request", "GITHUB_EVENT_PATH": missing}, "no such file"},
		{"truncated JSON", map[string]string{"GITHUB_ACTIONS": "true", "GITHUB_EVENT_NAME": "pull_request", "GITHUB_EVENT_PATH": truncated}, "is not JSON"},
		{"a field of the wrong type", map[string]string{"GITHUB_ACTIONS": "true", "GITHUB_EVENT_NAME": "pull_request_target", "GITHUB_EVENT_PATH": wrongType}, "not a pull_request_target payload (field number"},
		{"no head", map[string]string{"GITHUB_ACTIONS": "true", "GITHUB_EVENT_NAME": "pull_request", "GITHUB_EVENT_PATH": noHead}, "no pull_request with head and base"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e, err := ReadEvent(env(c.env))
			if c.wantErr == "" {
				if err != nil {
					t.Fatalf("error %v, want none", err)
				}
				if e.PullRequest != nil {
					t.Fatalf("PullRequest = %+v, want none", e.PullRequest)
				}
				return
			}
			if err == nil {
				t.Fatalf("no error, want one with %q", c.wantErr)
			}
			msg := err.Error()
			// The caller names GITHUB_EVENT_PATH; the error names the file.
			if path := c.env["GITHUB_EVENT_PATH"]; !strings.Contains(msg, c.wantErr) || !strings.Contains(msg, path) {
				t.Errorf("error %q does not name the file %q and say %q", msg, path, c.wantErr)
			}
			if strings.Contains(msg, secret) {
				t.Errorf("error %q quotes the file", msg)
			}
		})
	}
}

// A field of another type than go-github expects, elsewhere in the payload
// (another GitHub Enterprise Server version), does not stop a pull request
// from being read; one the action needs that is missing still does.
func TestReadEventToleratesOtherFieldTypes(t *testing.T) {
	write := func(payload string) string {
		p := filepath.Join(t.TempDir(), "event.json")
		if err := os.WriteFile(p, []byte(payload), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	const pr = `"pull_request": {"number": 3, "locked": "no", "head": {"sha": "abc123", "repo": {"full_name": "o/r"}}, "base": {"repo": {"full_name": "o/r"}}}`
	e, err := ReadEvent(env(map[string]string{"GITHUB_ACTIONS": "true", "GITHUB_EVENT_NAME": "pull_request",
		"GITHUB_EVENT_PATH": write(`{"action": "opened", "number": 3, ` + pr + `}`)}))
	if err != nil || e.PullRequest == nil || e.PullRequest.Number != 3 || e.PullRequest.HeadSHA != "abc123" {
		t.Fatalf("ReadEvent = %+v, %v; want pull request 3 at abc123", e, err)
	}
	if _, err := ReadEvent(env(map[string]string{"GITHUB_ACTIONS": "true", "GITHUB_EVENT_NAME": "pull_request",
		"GITHUB_EVENT_PATH": write(`{"action": "opened", "number": "3"}`)})); err == nil {
		t.Error("a payload without its pull request was read")
	}
}
