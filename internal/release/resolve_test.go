package release

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/knative-preview/action/internal/log"
)

// rel is one release in the fake GitHub.
type rel struct {
	tag               string
	draft, prerelease bool
}

// fakeGitHub serves GET /repos/{owner}/{repo}/releases from repos, pageSize
// releases a page with a Link header, and records every request.
type fakeGitHub struct {
	repos    map[string][]rel
	pageSize int
	// status, when set, answers every request with this status and headers.
	status  int
	headers map[string]string
	// block makes every request wait until the client gives up.
	block bool
	// foreignNext points the next-page link at another host.
	foreignNext bool

	mu       sync.Mutex
	requests []*http.Request
}

func (f *fakeGitHub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.requests = append(f.requests, r.Clone(context.Background()))
	f.mu.Unlock()
	if f.block {
		<-r.Context().Done()
		return
	}
	if f.status != 0 {
		for k, v := range f.headers {
			w.Header().Set(k, v)
		}
		w.WriteHeader(f.status)
		fmt.Fprint(w, `{"message":"API rate limit exceeded for 127.0.0.1."}`)
		return
	}
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	if r.Method != http.MethodGet || len(parts) != 4 || parts[0] != "repos" || parts[3] != "releases" {
		http.Error(w, `{"message":"Not Found"}`, http.StatusNotFound)
		return
	}
	if r.URL.Query().Get("per_page") != "100" {
		http.Error(w, `{"message":"want per_page=100"}`, http.StatusBadRequest)
		return
	}
	repo := parts[1] + "/" + parts[2]
	all, ok := f.repos[repo]
	if !ok {
		http.Error(w, `{"message":"Not Found"}`, http.StatusNotFound)
		return
	}
	page := 1
	if p := r.URL.Query().Get("page"); p != "" {
		page, _ = strconv.Atoi(p)
	}
	size := f.pageSize
	if size == 0 {
		size = 100
	}
	lo, hi := min((page-1)*size, len(all)), min(page*size, len(all))
	if hi < len(all) {
		host := "http://" + r.Host
		if f.foreignNext {
			host = "http://attacker.invalid"
		}
		w.Header().Set("Link", fmt.Sprintf(`<%s/repos/%s/releases?per_page=100&page=%d>; rel="next", <%s/repos/%s/releases?per_page=100&page=%d>; rel="last"`,
			host, repo, page+1, host, repo, (len(all)+size-1)/size))
	}
	type out struct {
		TagName    string `json:"tag_name"`
		Name       string `json:"name"`
		Draft      bool   `json:"draft"`
		Prerelease bool   `json:"prerelease"`
	}
	var body []out
	for _, r := range all[lo:hi] {
		body = append(body, out{TagName: r.tag, Name: "Knative " + r.tag, Draft: r.draft, Prerelease: r.prerelease})
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(body)
}

// paths returns the requests' paths and queries, the query's keys sorted.
func (f *fakeGitHub) paths() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, r := range f.requests {
		out = append(out, r.URL.Path+"?"+r.URL.Query().Encode())
	}
	return out
}

// releases in GitHub's order: newest created first.
func servingReleases() []rel {
	return []rel{
		{tag: "knative-v1.24.0-rc.1", prerelease: true},
		{tag: "knative-v1.24.0", prerelease: true},
		{tag: "knative-v1.23.9", draft: true},
		{tag: "knative-v1.22.3"},
		{tag: "knative-v1.23.3"},
		{tag: "knative-v1.23.1"},
		{tag: "knative-v1.22.2"},
		{tag: "knative-v1.23.0"},
		{tag: "knative-v1.22.1"},
		{tag: "knative-v1.21.4"},
		{tag: "knative-v1.22.0"},
		{tag: "v0.26.0"},
	}
}

func kourierReleases() []rel {
	return []rel{
		{tag: "knative-v1.23.5", prerelease: true},
		{tag: "knative-v1.22.1"},
		{tag: "knative-v1.23.2"},
		{tag: "knative-v1.23.0"},
		{tag: "knative-v1.22.0"},
	}
}

func newResolver(t *testing.T, f *fakeGitHub, token string) (*Resolver, *[]string) {
	t.Helper()
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	var lines []string
	return &Resolver{
		BaseURL: srv.URL,
		Token:   token,
		Client:  &http.Client{Timeout: 5 * time.Second},
		Log:     log.Func(func(format string, args ...any) { lines = append(lines, fmt.Sprintf(format, args...)) }),
	}, &lines
}

func mustSpec(t *testing.T, s string) Spec {
	t.Helper()
	spec, err := ParseSpec(s)
	if err != nil {
		t.Fatal(err)
	}
	return spec
}

func TestResolve(t *testing.T) {
	rateLimited := map[string]string{"X-Ratelimit-Remaining": "0", "X-Ratelimit-Limit": "60", "X-Ratelimit-Reset": "1790000000"}
	tests := []struct {
		name     string
		fake     *fakeGitHub
		token    string
		spec     string
		ingress  string
		want     Versions
		notes    []string // substrings, one per note, in order
		wantErr  []string // substrings
		requests int      // how many requests the fake must see
	}{
		{
			name: "X.Y is the newest patch across pages, drafts and prereleases ignored",
			fake: &fakeGitHub{pageSize: 3, repos: map[string][]rel{
				"knative/serving": servingReleases(), "knative/net-kourier": kourierReleases(),
			}},
			spec: "1.23", ingress: "kourier",
			want:     Versions{Serving: "1.23.3", Ingress: "1.23.2"},
			requests: 4 + 2,
		},
		{
			name: "older minor",
			fake: &fakeGitHub{pageSize: 3, repos: map[string][]rel{
				"knative/serving": servingReleases(), "knative/net-kourier": kourierReleases(),
			}},
			spec: "1.22", ingress: "kourier",
			want:     Versions{Serving: "1.22.3", Ingress: "1.22.1"},
			requests: 4 + 2,
		},
		{
			name: "X.Y.Z as given, ingress newest patch of its minor",
			fake: &fakeGitHub{repos: map[string][]rel{
				"knative/serving": servingReleases(), "knative/net-istio": {{tag: "knative-v1.22.7"}, {tag: "knative-v1.22.4"}, {tag: "knative-v1.23.0"}},
			}},
			spec: "1.22.1", ingress: "istio",
			want:     Versions{Serving: "1.22.1", Ingress: "1.22.7"},
			requests: 1,
		},
		{
			name: "latest is the newest published release",
			fake: &fakeGitHub{pageSize: 5, repos: map[string][]rel{
				"knative/serving": servingReleases(), "knative/net-contour": {{tag: "knative-v1.23.1"}, {tag: "knative-v1.23.0"}},
			}},
			spec: "latest", ingress: "contour",
			want:     Versions{Serving: "1.23.3", Ingress: "1.23.1"},
			requests: 3 + 1,
		},
		{
			name: "latest steps back to a minor the ingress layer has",
			fake: &fakeGitHub{repos: map[string][]rel{
				"knative/serving":     append([]rel{{tag: "knative-v1.24.0"}}, servingReleases()...),
				"knative/net-kourier": kourierReleases(),
			}},
			spec: "latest", ingress: "kourier",
			want:     Versions{Serving: "1.23.3", Ingress: "1.23.2"},
			notes:    []string{"net-kourier has no 1.24 release yet; using Knative 1.23.3"},
			requests: 2,
		},
		{
			name: "latest when the ingress releases cannot be listed",
			fake: &fakeGitHub{repos: map[string][]rel{"knative/serving": servingReleases()}},
			spec: "latest", ingress: "kourier",
			want:     Versions{Serving: "1.23.3", Ingress: "1.23.0"},
			notes:    []string{"net-kourier: could not list the releases of knative/net-kourier (GitHub API has no repository knative/net-kourier (404 Not Found)); using 1.23.0"},
			requests: 2,
		},
		{
			name: "missing minor names the newest release",
			fake: &fakeGitHub{repos: map[string][]rel{"knative/serving": servingReleases()}},
			spec: "1.99", ingress: "kourier",
			wantErr:  []string{"Knative Serving 1.99 has no release", "the newest is 1.23.3"},
			requests: 1,
		},
		{
			name: "ingress without the serving minor",
			fake: &fakeGitHub{repos: map[string][]rel{
				"knative/serving": servingReleases(), "knative/net-kourier": kourierReleases(),
			}},
			spec: "1.21.4", ingress: "kourier",
			wantErr:  []string{"net-kourier 1.21 has no release", "the newest is 1.23.2"},
			requests: 1,
		},
		{
			name: "rate limited: X.Y falls back to X.Y.0 with a note, one request",
			fake: &fakeGitHub{status: http.StatusForbidden, headers: rateLimited},
			spec: "1.23", ingress: "kourier",
			want: Versions{Serving: "1.23.0", Ingress: "1.23.0"},
			notes: []string{
				"serving-version 1.23: could not list the releases of knative/serving (GitHub API rate limit reached (it resets at ",
				"net-kourier: could not list the releases of knative/net-kourier (GitHub API rate limit reached",
			},
			requests: 1,
		},
		{
			name: "rate limited 429 with a token",
			fake: &fakeGitHub{status: http.StatusTooManyRequests, headers: map[string]string{"X-Ratelimit-Remaining": "0"}},
			spec: "1.22.2", ingress: "istio", token: "t0ken",
			want:     Versions{Serving: "1.22.2", Ingress: "1.22.0"},
			notes:    []string{"net-istio: could not list the releases of knative/net-istio (GitHub API rate limit reached for the given github-token); using 1.22.0"},
			requests: 1,
		},
		{
			name: "rate limited: latest is an error asking to pin",
			fake: &fakeGitHub{status: http.StatusForbidden, headers: rateLimited},
			spec: "latest", ingress: "kourier",
			wantErr:  []string{"resolving serving-version latest", "GitHub API rate limit reached", "pass github-token", "pin serving-version to X.Y.Z (e.g. 1.23.0)"},
			requests: 1,
		},
		{
			name: "forbidden without rate limit headers is not called a rate limit",
			fake: &fakeGitHub{status: http.StatusForbidden},
			spec: "1.23", ingress: "kourier",
			want:     Versions{Serving: "1.23.0", Ingress: "1.23.0"},
			notes:    []string{"GitHub API answered 403 Forbidden for knative/serving releases: API rate limit exceeded", "using 1.23.0"},
			requests: 1,
		},
		{
			name: "bad token",
			fake: &fakeGitHub{status: http.StatusUnauthorized},
			spec: "1.23", ingress: "kourier", token: "expired",
			want:     Versions{Serving: "1.23.0", Ingress: "1.23.0"},
			notes:    []string{"GitHub rejected github-token (401 Unauthorized)", "using 1.23.0"},
			requests: 1,
		},
		{
			name: "server error",
			fake: &fakeGitHub{status: http.StatusBadGateway},
			spec: "1.21", ingress: "contour",
			want:     Versions{Serving: "1.21.0", Ingress: "1.21.0"},
			notes:    []string{"GitHub API answered 502 Bad Gateway", "using 1.21.0"},
			requests: 1,
		},
		{
			name: "ingress listing fails after serving resolved",
			fake: &fakeGitHub{repos: map[string][]rel{"knative/serving": servingReleases()}},
			spec: "1.23", ingress: "kourier",
			want:     Versions{Serving: "1.23.3", Ingress: "1.23.0"},
			notes:    []string{"net-kourier: could not list the releases of knative/net-kourier (GitHub API has no repository knative/net-kourier (404 Not Found)); using 1.23.0"},
			requests: 2,
		},
		{
			name: "a next page named on another host is asked of the API",
			fake: &fakeGitHub{pageSize: 2, foreignNext: true, repos: map[string][]rel{
				"knative/serving": servingReleases(), "knative/net-kourier": kourierReleases(),
			}},
			spec: "1.23", ingress: "kourier", token: "t0ken",
			want:     Versions{Serving: "1.23.3", Ingress: "1.23.2"},
			requests: 6 + 3,
		},
		{
			name: "unknown ingress",
			fake: &fakeGitHub{},
			spec: "1.23", ingress: "gloo",
			wantErr:  []string{`"gloo" is not an ingress`},
			requests: 0,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, _ := newResolver(t, tt.fake, tt.token)
			got, err := r.Resolve(context.Background(), mustSpec(t, tt.spec), tt.ingress)
			if n := len(tt.fake.paths()); n != tt.requests {
				t.Errorf("%d requests, want %d: %q", n, tt.requests, tt.fake.paths())
			}
			if tt.wantErr != nil {
				if err == nil {
					t.Fatalf("Resolve = %+v, want an error", got)
				}
				for _, s := range tt.wantErr {
					if !strings.Contains(err.Error(), s) {
						t.Errorf("error %q does not contain %q", err, s)
					}
				}
				return
			}
			if err != nil {
				t.Fatalf("Resolve: %v", err)
			}
			if got.Serving != tt.want.Serving || got.Ingress != tt.want.Ingress {
				t.Errorf("Resolve = serving %s, ingress %s; want %s, %s", got.Serving, got.Ingress, tt.want.Serving, tt.want.Ingress)
			}
			if len(got.Notes) != len(tt.notes) {
				t.Fatalf("notes %q, want %d matching %q", got.Notes, len(tt.notes), tt.notes)
			}
			for i, s := range tt.notes {
				if !strings.Contains(got.Notes[i], s) {
					t.Errorf("note %q does not contain %q", got.Notes[i], s)
				}
			}
			if tt.token != "" {
				for _, n := range got.Notes {
					if strings.Contains(n, tt.token) {
						t.Errorf("note %q contains the token", n)
					}
				}
			}
		})
	}
}

func TestResolveFollowsPagesInOrder(t *testing.T) {
	f := &fakeGitHub{pageSize: 5, repos: map[string][]rel{
		"knative/serving": servingReleases(), "knative/net-kourier": kourierReleases(),
	}}
	r, lines := newResolver(t, f, "")
	if _, err := r.Resolve(context.Background(), mustSpec(t, "1.23"), "kourier"); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"/repos/knative/serving/releases?per_page=100",
		"/repos/knative/serving/releases?page=2&per_page=100",
		"/repos/knative/serving/releases?page=3&per_page=100",
		"/repos/knative/net-kourier/releases?per_page=100",
	}
	if got := f.paths(); !slices.Equal(got, want) {
		t.Errorf("requests %q, want %q", got, want)
	}
	if len(*lines) == 0 || !strings.Contains((*lines)[len(*lines)-1], "Knative Serving 1.23.3, net-kourier 1.23.2") {
		t.Errorf("progress %q does not end with the result", *lines)
	}
}

func TestResolveSendsToken(t *testing.T) {
	for _, token := range []string{"", "ghs_secret"} {
		t.Run("token="+token, func(t *testing.T) {
			f := &fakeGitHub{repos: map[string][]rel{
				"knative/serving": servingReleases(), "knative/net-kourier": kourierReleases(),
			}}
			r, lines := newResolver(t, f, token)
			if _, err := r.Resolve(context.Background(), mustSpec(t, "1.23"), "kourier"); err != nil {
				t.Fatal(err)
			}
			want := ""
			if token != "" {
				want = "Bearer " + token
			}
			f.mu.Lock()
			defer f.mu.Unlock()
			if len(f.requests) != 2 {
				t.Fatalf("%d requests, want 2", len(f.requests))
			}
			for _, req := range f.requests {
				if got := req.Header.Get("Authorization"); got != want {
					t.Errorf("Authorization %q, want %q", got, want)
				}
				if got := req.Header.Get("Accept"); !slices.Contains([]string{"application/vnd.github+json", "application/vnd.github.v3+json"}, got) {
					t.Errorf("Accept %q, want GitHub's JSON", got)
				}
			}
			for _, l := range *lines {
				if token != "" && strings.Contains(l, token) {
					t.Errorf("progress line %q contains the token", l)
				}
			}
		})
	}
}

// GitHub Enterprise Server's API is under /api/v3.
func TestResolveEnterpriseServer(t *testing.T) {
	f := &fakeGitHub{pageSize: 5, repos: map[string][]rel{
		"knative/serving": servingReleases(), "knative/net-kourier": kourierReleases(),
	}}
	srv := httptest.NewServer(http.StripPrefix("/api/v3", f))
	t.Cleanup(srv.Close)
	for _, base := range []string{srv.URL + "/api/v3", srv.URL + "/api/v3/"} {
		t.Run(base, func(t *testing.T) {
			r := &Resolver{BaseURL: base, Client: &http.Client{Timeout: 5 * time.Second}}
			got, err := r.Resolve(context.Background(), mustSpec(t, "1.23"), "kourier")
			if err != nil {
				t.Fatal(err)
			}
			if got.Serving != "1.23.3" || got.Ingress != "1.23.2" || len(got.Notes) != 0 {
				t.Errorf("Resolve = %+v, want serving 1.23.3, net-kourier 1.23.2 and no notes", got)
			}
		})
	}
	if n := len(f.paths()); n != 2*(3+1) {
		t.Errorf("%d requests reached /api/v3, want 8: %q", n, f.paths())
	}
}

func TestResolveUnreachable(t *testing.T) {
	// A port where nothing listens: take one, then close it.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	r := &Resolver{BaseURL: "http://" + addr, Client: &http.Client{Timeout: 5 * time.Second}}
	got, err := r.Resolve(context.Background(), mustSpec(t, "1.22"), "kourier")
	if err != nil {
		t.Fatal(err)
	}
	if got.Serving != "1.22.0" || got.Ingress != "1.22.0" {
		t.Errorf("Resolve = %+v, want 1.22.0 for both", got)
	}
	if len(got.Notes) != 2 || !strings.Contains(got.Notes[0], "could not reach the GitHub API") {
		t.Errorf("notes %q, want two saying GitHub could not be reached", got.Notes)
	}
}

func TestResolveTimeout(t *testing.T) {
	f := &fakeGitHub{block: true}
	r, _ := newResolver(t, f, "")
	r.Client = &http.Client{Timeout: 50 * time.Millisecond}
	got, err := r.Resolve(context.Background(), mustSpec(t, "1.23"), "kourier")
	if err != nil {
		t.Fatal(err)
	}
	if got.Serving != "1.23.0" || len(got.Notes) == 0 || !strings.Contains(got.Notes[0], "GitHub API did not answer in time") {
		t.Errorf("Resolve = %+v, want 1.23.0 with a note about the timeout", got)
	}
}

func TestResolveCancelled(t *testing.T) {
	f := &fakeGitHub{block: true}
	r, _ := newResolver(t, f, "")
	ctx, cancel := context.WithCancel(context.Background())
	r.Log = log.Func(func(string, ...any) { cancel() })
	_, err := r.Resolve(ctx, mustSpec(t, "1.23"), "kourier")
	if err == nil || !strings.Contains(err.Error(), "context canceled") {
		t.Errorf("Resolve after cancel: %v, want the cancellation (no fallback)", err)
	}
}

// A local folder of manifests (manifests-url) is also the list of releases:
// GitHub is not asked.
func TestResolveFromFolder(t *testing.T) {
	dir := t.TempDir()
	for _, d := range []string{"serving/1.23.0", "serving/1.23.2", "serving/1.22.9", "net-kourier/1.23.1", "net-kourier/1.23.0", "net-kourier/notes"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	r := &Resolver{Folder: dir, BaseURL: "http://127.0.0.1:1"} // a GitHub request would fail
	spec, _ := ParseSpec("1.23")
	v, err := r.Resolve(context.Background(), spec, IngressKourier)
	if err != nil {
		t.Fatal(err)
	}
	if v.Serving != "1.23.2" || v.Ingress != "1.23.1" || len(v.Notes) != 0 {
		t.Errorf("got %+v, want serving 1.23.2, net-kourier 1.23.1 and no notes", v)
	}
	spec, _ = ParseSpec("1.24")
	if _, err := r.Resolve(context.Background(), spec, IngressKourier); err == nil || !strings.Contains(err.Error(), "1.24") {
		t.Errorf("a minor missing from the folder: got %v", err)
	}
}
