package github

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode"
)

// payloadSentinel is planted in every payload the fuzz target reads: no
// error may show it.
const payloadSentinel = "pAyL0adS3NT1NEL"

// fuzzEvents are the event names the fuzz target reads payloads as.
var fuzzEvents = []string{eventPullRequest, eventPullRequestTarget, "push"}

// ReadEvent on any payload, with the sentinel planted in it, under each
// event name: an error is one line that does not quote the payload; a pull
// request read has a positive number, an action, a head SHA and a base
// repository, and is closed exactly when its action is; a push's payload
// is not read at all.
func FuzzReadEvent(f *testing.F) {
	files, err := filepath.Glob(filepath.Join("testdata", "events", "*.json"))
	if err != nil || len(files) == 0 {
		f.Fatalf("no event payloads in testdata/events (%v)", err)
	}
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		payload := string(b)
		for event := range fuzzEvents {
			// The sentinel in a string, as the action and as a number.
			for _, at := range []string{`"title": "`, `"action": "`, `"sha": "`, `"number": `, `"full_name": "`} {
				if i := strings.Index(payload, at); i >= 0 {
					f.Add(uint8(event), payload[:i+len(at)], payload[i+len(at):])
				}
			}
			f.Add(uint8(event), payload, "")
		}
	}
	for _, s := range [][2]string{
		{`{"action": "opened", "number": 3, "pull_request": {"title": "`, ``},
		{`{"action": "opened", "number": "`, `", "pull_request": {}}`},
		{`{"action": "closed", "number": 3, "pull_request": {"number": 3, "title": "`, `"}}`},
		{`{"action": "closed", "number": 1, "pull_request": {"head": {"sha": "a", "repo": null}, "base": {"sha": "b", "repo": {"full_name": "`, `"}}}}`},
		{`{"action": "`, `", "number": 1, "pull_request": {"head": {"sha": "a"}, "base": {"repo": {"full_name": "o/r"}}}}`},
		{`{"`, `": 1}`},
		{`[`, `]`},
		{``, ``},
	} {
		f.Add(uint8(0), s[0], s[1])
		f.Add(uint8(1), s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, event uint8, before, after string) {
		if strings.Contains(before+after, payloadSentinel) {
			return
		}
		name := fuzzEvents[int(event)%len(fuzzEvents)]
		path := filepath.Join(t.TempDir(), "event.json")
		if err := os.WriteFile(path, []byte(before+payloadSentinel+after), 0o600); err != nil {
			t.Fatal(err)
		}
		e, err := ReadEvent(env(map[string]string{"GITHUB_ACTIONS": "true", "GITHUB_EVENT_NAME": name, "GITHUB_EVENT_PATH": path}))
		if err != nil {
			msg := err.Error()
			if strings.Contains(msg, payloadSentinel) {
				t.Fatalf("%s: error %q quotes the payload", name, msg)
			}
			if i := strings.IndexFunc(msg, unicode.IsControl); i >= 0 {
				t.Fatalf("%s: error %q has a control character at byte %d", name, msg, i)
			}
			if name == "push" {
				t.Fatalf("push: the payload was read: %v", err)
			}
			return
		}
		if e.Name != name {
			t.Fatalf("event %q read as %q", name, e.Name)
		}
		pr := e.PullRequest
		if pr == nil {
			if name != "push" {
				t.Fatalf("%s: neither a pull request nor an error", name)
			}
			return
		}
		if name == "push" {
			t.Fatalf("push: read a pull request %+v", pr)
		}
		if pr.Number <= 0 || pr.Action == "" || pr.HeadSHA == "" || pr.BaseRepo == "" {
			t.Fatalf("%s: pull request %+v lacks a positive number, an action, a head SHA or a base repository", name, pr)
		}
		if pr.Closed() != (pr.Action == "closed") {
			t.Fatalf("%s: action %q, Closed() = %v", name, pr.Action, pr.Closed())
		}
	})
}
