package github

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/knative-preview/action/internal/github/githubtest"
)

// The open pull requests are read page by page, asking GitHub for the
// open ones only; a refusal names the permission.
func TestOpenPullRequests(t *testing.T) {
	fake := githubtest.New(t)
	for n := 1; n <= 7; n++ {
		state := "open"
		if n%3 == 0 {
			state = "closed"
		}
		fake.SeedPullRequest(n, state)
	}
	fake.PageSize(2)
	c := newTestClient(t, fake)
	got, err := c.OpenPullRequests(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(got)
	if fmt.Sprint(got) != "[1 2 4 5 7]" {
		t.Errorf("open pull requests %v, want [1 2 4 5 7]", got)
	}
	var pages int
	for _, r := range fake.Requests() {
		if r.Path == "/repos/"+testRepo+"/pulls" {
			pages++
			if r.Query.Get("state") != "open" {
				t.Errorf("asked for state %q, want open", r.Query.Get("state"))
			}
		}
	}
	if pages != 3 {
		t.Errorf("read %d pages, want 3 (5 open pull requests, 2 a page)", pages)
	}

	fake.AnswerNext(1, http.StatusForbidden, nil, "Resource not accessible by integration")
	_, err = c.OpenPullRequests(t.Context())
	w, ok := MissingPermission(err, PullRequestsPermission)
	if !ok || !strings.Contains(w, "pull-requests: read") || !strings.Contains(w, "sweep") {
		t.Errorf("a refusal: %v, warning %q", err, w)
	}
}

// EditComment edits the action's comment, and makes none where there is
// none.
func TestEditComment(t *testing.T) {
	fake := githubtest.New(t)
	c := newTestClient(t, fake)
	const marker = "<!-- knative-preview:preview -->"
	if url, err := c.EditComment(t.Context(), 5, marker, "removed"); err != nil || url != "" {
		t.Fatalf("no comment to edit: %q, %v", url, err)
	}
	if got := fake.Comments(5); len(got) != 0 {
		t.Fatalf("EditComment made a comment: %+v", got)
	}
	if _, err := c.UpsertComment(t.Context(), 5, marker, "ready"); err != nil {
		t.Fatal(err)
	}
	if url, err := c.EditComment(t.Context(), 5, marker, "removed"); err != nil || url == "" {
		t.Fatalf("editing: %q, %v", url, err)
	}
	if got := fake.Comments(5); len(got) != 1 || got[0].Body != marker+"\nremoved" {
		t.Errorf("comments %+v, want the one edited", got)
	}
}
