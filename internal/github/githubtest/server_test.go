package githubtest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// Pages are cut as GitHub cuts them (per_page defaults to 30, at most
// 100) and linked with its Link header.
func TestPagination(t *testing.T) {
	s := New(t)
	s.SeedComments(1, 75)
	cases := []struct {
		query     string
		wantCount int
		wantRels  []string
	}{
		{"", 30, []string{`rel="next"`, `rel="last"`}},
		{"?page=2", 30, []string{`rel="prev"`, `rel="next"`, `rel="last"`, `rel="first"`}},
		{"?page=3", 15, []string{`rel="prev"`, `rel="first"`}},
		{"?per_page=500", 75, nil},
		{"?per_page=100&page=2", 0, []string{`rel="prev"`, `rel="first"`}},
	}
	for _, c := range cases {
		resp, err := http.Get(s.URL() + "repos/o/r/issues/1/comments" + c.query)
		if err != nil {
			t.Fatal(err)
		}
		var got []map[string]any
		err = json.NewDecoder(resp.Body).Decode(&got)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != c.wantCount {
			t.Errorf("%s: %d comments, want %d", c.query, len(got), c.wantCount)
		}
		link := resp.Header.Get("Link")
		if n := strings.Count(link, "rel="); n != len(c.wantRels) {
			t.Errorf("%s: Link %q, want %v", c.query, link, c.wantRels)
		}
		for _, rel := range c.wantRels {
			if !strings.Contains(link, rel) {
				t.Errorf("%s: Link %q lacks %s", c.query, link, rel)
			}
		}
	}
}

// A deployment request without required_contexts is refused, as GitHub
// refuses it while a check of the ref is pending.
func TestDeploymentWithoutRequiredContexts(t *testing.T) {
	s := New(t)
	req, _ := http.NewRequest(http.MethodPost, s.URL()+"repos/o/r/deployments", strings.NewReader(`{"ref":"main"}`))
	req.Header.Set("Authorization", "Bearer x")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusConflict || len(s.Deployments()) != 0 {
		t.Errorf("status %d with %d deployments, want 409 and none", resp.StatusCode, len(s.Deployments()))
	}
}

// Every release has its own id, on whatever page it is listed.
func TestReleaseIDsAcrossPages(t *testing.T) {
	s := New(t)
	var rels []Release
	for i := range 5 {
		rels = append(rels, Release{Tag: fmt.Sprintf("v1.%d.0", 4-i)})
	}
	s.SeedReleases("o/r", rels...)
	seen := map[float64]string{}
	for p := 1; p <= 3; p++ {
		resp, err := http.Get(fmt.Sprintf("%srepos/o/r/releases?per_page=2&page=%d", s.URL(), p))
		if err != nil {
			t.Fatal(err)
		}
		var got []map[string]any
		err = json.NewDecoder(resp.Body).Decode(&got)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		for _, rel := range got {
			id, _ := rel["id"].(float64)
			if prev, ok := seen[id]; ok {
				t.Errorf("id %v of %v was already given to %v", id, rel["tag_name"], prev)
			}
			seen[id] = rel["tag_name"].(string)
		}
	}
	if len(seen) != len(rels) {
		t.Errorf("%d distinct ids, want %d: %v", len(seen), len(rels), seen)
	}
}

// PageSize cuts pages below what per_page asks; AnswerNext answers as told
// for the next n requests only.
func TestPageSizeAndAnswerNext(t *testing.T) {
	s := New(t)
	s.SeedReleases("o/r", Release{Tag: "v3"}, Release{Tag: "v2"}, Release{Tag: "v1"})
	s.PageSize(2)
	s.AnswerNext(1, http.StatusUnauthorized, http.Header{"X-Test": {"yes"}}, "Bad credentials")
	cases := []struct {
		code    int
		header  string
		message string
		count   int
	}{
		{http.StatusUnauthorized, "yes", "Bad credentials", 0},
		{http.StatusOK, "", "", 2},
	}
	for i, c := range cases {
		resp, err := http.Get(s.URL() + "repos/o/r/releases?per_page=100")
		if err != nil {
			t.Fatal(err)
		}
		var body json.RawMessage
		err = json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != c.code || resp.Header.Get("X-Test") != c.header {
			t.Errorf("request %d: %d with X-Test %q, want %d with %q", i, resp.StatusCode, resp.Header.Get("X-Test"), c.code, c.header)
		}
		var msg struct{ Message string }
		var list []any
		if c.code == http.StatusOK {
			if err := json.Unmarshal(body, &list); err != nil || len(list) != c.count || !strings.Contains(resp.Header.Get("Link"), `rel="next"`) {
				t.Errorf("request %d: %s with Link %q, want %d releases and a next page", i, body, resp.Header.Get("Link"), c.count)
			}
		} else if err := json.Unmarshal(body, &msg); err != nil || msg.Message != c.message {
			t.Errorf("request %d: body %s, want message %q", i, body, c.message)
		}
	}
}
