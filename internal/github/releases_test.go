package github

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	gh "github.com/google/go-github/v75/github"

	"github.com/knative-preview/action/internal/buildinfo"
	"github.com/knative-preview/action/internal/github/githubtest"
)

// knativeReleases is n published releases, newest first, with a draft and
// a pre-release on top as GitHub lists them while a release is being cut.
func knativeReleases(n int) ([]githubtest.Release, []string) {
	rels := []githubtest.Release{
		{Tag: fmt.Sprintf("knative-v1.%d.0", n), Draft: true},
		{Tag: fmt.Sprintf("knative-v1.%d.0-rc.1", n), Prerelease: true},
	}
	var tags []string
	for i := n - 1; i >= 0; i-- {
		tag := fmt.Sprintf("knative-v1.%d.0", i)
		rels = append(rels, githubtest.Release{Tag: tag})
		tags = append(tags, tag)
	}
	return rels, tags
}

func TestReleaseTags(t *testing.T) {
	resetsAt := time.Date(2030, 1, 2, 15, 4, 0, 0, time.UTC)
	cases := []struct {
		name     string
		seed     int // published releases of knative/serving
		token    string
		repo     string
		setup    func(*githubtest.Server)
		wantErr  []string
		errAs    any
		requests int
	}{
		{name: "one page", seed: 12, repo: "knative/serving", requests: 1},
		{name: "every page, drafts and pre-releases left out", seed: 250, repo: "knative/serving", requests: 3},
		{name: "with a token", seed: 3, token: "ghs_releases", repo: "knative/serving", requests: 1},
		{name: "no such repository", seed: 3, repo: "knative/net-nothing", wantErr: []string{"GitHub API has no repository knative/net-nothing (404 Not Found)"}, requests: 1},
		{name: "more pages than are read", seed: 100*maxPages + 1, repo: "knative/serving", wantErr: []string{"more than 20 pages of releases for knative/serving"}, requests: maxPages},
		{
			name: "rate limited without a token: fail at once, saying what lifts it", seed: 3, repo: "knative/serving",
			setup:    func(s *githubtest.Server) { s.LimitNext(1, resetsAt) },
			wantErr:  []string{"GitHub API rate limit reached (it resets at 15:04 UTC); pass github-token"},
			errAs:    new(*gh.RateLimitError),
			requests: 1,
		},
		{
			name: "rate limited with a token", seed: 3, token: "ghs_releases", repo: "knative/serving",
			setup:    func(s *githubtest.Server) { s.LimitNext(1, resetsAt) },
			wantErr:  []string{"GitHub API rate limit reached for the given github-token (it resets at 15:04 UTC)"},
			requests: 1,
		},
		{
			name: "a secondary rate limit is not waited for", seed: 3, repo: "knative/serving",
			setup:    func(s *githubtest.Server) { s.ThrottleNext(1, time.Minute) },
			wantErr:  []string{"GitHub API secondary rate limit reached (403 Forbidden): You have exceeded a secondary rate limit"},
			errAs:    new(*gh.AbuseRateLimitError),
			requests: 1,
		},
		{
			name: "a server error is not retried", seed: 3, repo: "knative/serving",
			setup:    func(s *githubtest.Server) { s.FailNext(1) },
			wantErr:  []string{"GitHub API answered 502 Bad Gateway for knative/serving releases: Server Error"},
			errAs:    new(*gh.ErrorResponse),
			requests: 1,
		},
		{name: "not a repository", repo: "knative", wantErr: []string{`"knative" is not a repository owner/name`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			fake := githubtest.New(t)
			rels, want := knativeReleases(c.seed)
			fake.SeedReleases("knative/serving", rels...)
			if c.setup != nil {
				c.setup(fake)
			}
			r, err := NewReleases(fake.URL(), c.token, fake.URL(), nil)
			if err != nil {
				t.Fatal(err)
			}
			got, err := r.Tags(context.Background(), c.repo)

			reqs := fake.Requests()
			if len(reqs) != c.requests {
				t.Errorf("%d requests, want %d", len(reqs), c.requests)
			}
			for _, req := range reqs {
				wantAuth := ""
				if c.token != "" {
					wantAuth = "Bearer " + c.token
				}
				if req.Query.Get("per_page") != "100" || req.Authorization != wantAuth || req.UserAgent != buildinfo.UserAgent() {
					t.Errorf("request %s?%s with Authorization %q and User-Agent %q, want per_page=100, %q and %q",
						req.Path, req.Query.Encode(), req.Authorization, req.UserAgent, wantAuth, buildinfo.UserAgent())
				}
			}
			if c.wantErr != nil {
				if err == nil {
					t.Fatalf("Tags = %d tags, want an error", len(got))
				}
				for _, s := range c.wantErr {
					if !strings.Contains(err.Error(), s) {
						t.Errorf("error %q does not say %q", err, s)
					}
				}
				if c.token != "" && strings.Contains(err.Error(), c.token) {
					t.Errorf("error %q holds the token", err)
				}
				if c.errAs != nil && !errors.As(err, c.errAs) {
					t.Errorf("error %v does not keep go-github's %T", err, c.errAs)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, want) {
				t.Errorf("Tags = %q, want %q", got, want)
			}
		})
	}
}

func TestNewReleases(t *testing.T) {
	cases := []struct {
		base, want, wantErr string
	}{
		{base: "", want: defaultAPIURL},
		{base: "https://ghe.example.com/api/v3", want: "https://ghe.example.com/api/v3/"},
		{base: "https://ghe.example.com/api/v3/", want: "https://ghe.example.com/api/v3/"},
		{base: "ghe.example.com", wantErr: `the GitHub API URL "ghe.example.com" is not an http(s) URL`},
		{base: "ftp://ghe.example.com/", wantErr: "not an http(s) URL"},
	}
	for _, c := range cases {
		t.Run(c.base, func(t *testing.T) {
			r, err := NewReleases(c.base, "", "", &http.Client{Timeout: time.Second})
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("error %v, want one saying %q", err, c.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := r.api.BaseURL.String(); got != c.want {
				t.Errorf("API URL %s, want %s", got, c.want)
			}
		})
	}
}

// The job's token goes to the host of the API it belongs to and nowhere
// else: not with a redirect to another host, and not to another API
// (github.com's, from GitHub Enterprise Server) at all.
func TestTokenStaysOnItsAPIsHost(t *testing.T) {
	const token = "ghs_job_token_0123456789"
	var mu sync.Mutex
	seen := map[string][]string{} // server -> Authorization of each request
	record := func(name string, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		seen[name] = append(seen[name], r.Header.Get("Authorization"))
	}
	elsewhere := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		record("elsewhere", r)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`[{"tag_name":"knative-v1.23.0"}]`))
	}))
	t.Cleanup(elsewhere.Close)
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		record("api", r)
		http.Redirect(w, r, elsewhere.URL+r.URL.Path, http.StatusFound)
	}))
	t.Cleanup(api.Close)

	// Redirected by the token's own API to another host.
	r, err := NewReleases(api.URL, token, api.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	if tags, err := r.Tags(context.Background(), "knative/serving"); err != nil || !slices.Equal(tags, []string{"knative-v1.23.0"}) {
		t.Fatalf("Tags = %q, %v", tags, err)
	}
	// Another API than the token's.
	r, err = NewReleases(elsewhere.URL, token, api.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Tags(context.Background(), "knative/serving"); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if got := seen["api"]; len(got) != 1 || got[0] != "Bearer "+token {
		t.Errorf("the token's API got Authorization %q, want the token once", got)
	}
	if got := seen["elsewhere"]; len(got) != 2 || got[0] != "" || got[1] != "" {
		t.Errorf("another host got Authorization %q, want none", got)
	}
}
