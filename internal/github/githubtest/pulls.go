package githubtest

import (
	"fmt"
	"net/http"
	"slices"
)

// PullRequest is a pull request of the repository.
type PullRequest struct {
	Number int
	// State is open or closed.
	State  string
	Labels []string
	// HeadSHA is the head commit.
	HeadSHA string
}

// SeedPullRequest adds pull request number in state (open or closed)
// with labels.
func (s *Server) SeedPullRequest(number int, state string, labels ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pulls = append(s.pulls, &PullRequest{Number: number, State: state, Labels: slices.Clone(labels), HeadSHA: fmt.Sprintf("%040x", number)})
}

// pullStates are the values the state parameter takes.
var pullStates = []string{"open", "closed", "all"}

// listPulls answers GET /repos/{owner}/{repo}/pulls as GitHub's REST
// description says (github/rest-api-description,
// descriptions/api.github.com/api.github.com.yaml, the get of
// "/repos/{owner}/{repo}/pulls", operationId pulls/list): state open (the
// default), closed or all, else 422; sorted by creation, newest first (the
// default sort and direction; the numbers stand for the order of
// creation); per_page and page with the Link header; each item of the
// pull-request-simple schema, with the fields a client reads.
func (s *Server) listPulls(w http.ResponseWriter, r *http.Request) {
	state := r.URL.Query().Get("state")
	if state == "" {
		state = "open"
	}
	if !slices.Contains(pullStates, state) {
		invalid(w, "PullRequest", "state", "invalid", "")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var all []*PullRequest
	for _, p := range s.pulls {
		if state == "all" || p.State == state {
			all = append(all, p)
		}
	}
	slices.SortFunc(all, func(a, b *PullRequest) int { return b.Number - a.Number })
	out := []map[string]any{}
	items, _ := page(w, r, all, s.pageSize)
	for _, p := range items {
		out = append(out, pullJSON(r, p))
	}
	writeJSON(w, http.StatusOK, out)
}

// pullJSON is p as a pull-request-simple.
func pullJSON(r *http.Request, p *PullRequest) map[string]any {
	repo := r.PathValue("owner") + "/" + r.PathValue("repo")
	api := fmt.Sprintf("http://%s/repos/%s", r.Host, repo)
	labels := []map[string]any{}
	for i, l := range p.Labels {
		labels = append(labels, map[string]any{"id": 100 + i, "node_id": fmt.Sprintf("LA_%d", i), "url": api + "/labels/" + l, "name": l, "description": "", "color": "ededed", "default": false})
	}
	var closed any
	if p.State == "closed" {
		closed = now()
	}
	ref := map[string]any{"label": "o:feature", "ref": "feature", "sha": p.HeadSHA, "user": user("octocat"), "repo": map[string]any{"full_name": repo}}
	return map[string]any{
		"url":        fmt.Sprintf("%s/pulls/%d", api, p.Number),
		"id":         int64(p.Number) * 1000,
		"node_id":    fmt.Sprintf("PR_kwDO%d", p.Number),
		"html_url":   fmt.Sprintf("https://github.com/%s/pull/%d", repo, p.Number),
		"number":     p.Number,
		"state":      p.State,
		"locked":     false,
		"title":      fmt.Sprintf("Pull request %d", p.Number),
		"user":       user("octocat"),
		"body":       nil,
		"labels":     labels,
		"created_at": now(),
		"updated_at": now(),
		"closed_at":  closed,
		"merged_at":  nil,
		"head":       ref,
		"base":       map[string]any{"label": "o:main", "ref": "main", "sha": fmt.Sprintf("%040d", 0), "user": user("octocat"), "repo": map[string]any{"full_name": repo}},
		"draft":      false,
	}
}

// ClosePullRequest closes pull request number.
func (s *Server) ClosePullRequest(number int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, p := range s.pulls {
		if p.Number == number {
			p.State = "closed"
		}
	}
}
