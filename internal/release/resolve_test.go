package release

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/knative-preview/action/internal/github/githubtest"
	"github.com/knative-preview/action/internal/log"
)

type rel = githubtest.Release

// releases in GitHub's order: newest created first.
func servingReleases() []rel {
	return []rel{
		{Tag: "knative-v1.24.0-rc.1", Prerelease: true},
		{Tag: "knative-v1.24.0", Prerelease: true},
		{Tag: "knative-v1.23.9", Draft: true},
		{Tag: "knative-v1.22.3"},
		{Tag: "knative-v1.23.3"},
		{Tag: "knative-v1.23.1"},
		{Tag: "knative-v1.22.2"},
		{Tag: "knative-v1.23.0"},
		{Tag: "knative-v1.22.1"},
		{Tag: "knative-v1.21.4"},
		{Tag: "knative-v1.22.0"},
		{Tag: "v0.26.0"},
	}
}

func kourierReleases() []rel {
	return []rel{
		{Tag: "knative-v1.23.5", Prerelease: true},
		{Tag: "knative-v1.22.1"},
		{Tag: "knative-v1.23.2"},
		{Tag: "knative-v1.23.0"},
		{Tag: "knative-v1.22.0"},
	}
}

// newFake starts a fake GitHub with repos' releases, pageSize (0: 100)
// releases a page.
func newFake(t *testing.T, repos map[string][]rel, pageSize int) *githubtest.Server {
	t.Helper()
	fake := githubtest.New(t)
	for repo, rels := range repos {
		fake.SeedReleases(repo, rels...)
	}
	fake.PageSize(pageSize)
	return fake
}

// paths returns the paths and queries of the requests fake received, the
// query's keys sorted.
func paths(fake *githubtest.Server) []string {
	var out []string
	for _, r := range fake.Requests() {
		out = append(out, r.Path+"?"+r.Query.Encode())
	}
	return out
}

// serve starts h on 127.0.0.1 for the test.
func serve(t *testing.T, h http.Handler) string {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}

// proxy passes requests on to fake, telling it they were made to host,
// the host its Link headers then name.
func proxy(t *testing.T, fake *githubtest.Server, host string) http.Handler {
	t.Helper()
	target, err := url.Parse(fake.URL())
	if err != nil {
		t.Fatal(err)
	}
	return &httputil.ReverseProxy{Rewrite: func(pr *httputil.ProxyRequest) {
		pr.SetURL(target)
		if host != "" {
			pr.Out.Host = host
		}
	}}
}

// blocking answers nothing until the client gives up.
var blocking = http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) { <-r.Context().Done() })

// progressLines records what Resolve tells its logger.
type progressLines []string

func (p *progressLines) Infof(format string, args ...any) {
	*p = append(*p, fmt.Sprintf(format, args...))
}
func (p *progressLines) Warnf(format string, args ...any) { p.Infof("warning: "+format, args...) }

func newResolver(base, token string) (*Resolver, *progressLines) {
	return &Resolver{
		BaseURL:  base,
		Token:    token,
		TokenAPI: base, // the fake stands for the API the token belongs to
		Client:   &http.Client{Timeout: 5 * time.Second},
	}, &progressLines{}
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
	// Every request gets the answer: n exceeds the requests a case makes.
	const n = 10
	rateLimited := func(f *githubtest.Server) { f.LimitNext(n, time.Unix(1790000000, 0)) }
	answer := func(code int, header http.Header, message string) func(*githubtest.Server) {
		return func(f *githubtest.Server) { f.AnswerNext(n, code, header, message) }
	}
	tests := []struct {
		name     string
		repos    map[string][]rel
		pageSize int
		// setup, when set, tells the fake how to answer.
		setup func(*githubtest.Server)
		// foreignNext points the next-page links at another host.
		foreignNext bool
		token       string
		spec        string
		ingress     string
		want        Versions
		notes       []string // substrings, one per note, in order
		wantErr     []string // substrings
		requests    int      // how many requests the fake must see
	}{
		{
			name:     "X.Y is the newest patch across pages, drafts and prereleases ignored",
			pageSize: 3, repos: map[string][]rel{
				"knative/serving": servingReleases(), "knative/net-kourier": kourierReleases(),
			},
			spec: "1.23", ingress: "kourier",
			want:     Versions{Serving: "1.23.3", Ingress: "1.23.2"},
			requests: 4 + 2,
		},
		{
			name:     "older minor",
			pageSize: 3, repos: map[string][]rel{
				"knative/serving": servingReleases(), "knative/net-kourier": kourierReleases(),
			},
			spec: "1.22", ingress: "kourier",
			want:     Versions{Serving: "1.22.3", Ingress: "1.22.1"},
			requests: 4 + 2,
		},
		{
			name: "X.Y.Z as given, ingress newest patch of its minor",
			repos: map[string][]rel{
				"knative/serving": servingReleases(), "knative/net-istio": {{Tag: "knative-v1.22.7"}, {Tag: "knative-v1.22.4"}, {Tag: "knative-v1.23.0"}},
			},
			spec: "1.22.1", ingress: "istio",
			want:     Versions{Serving: "1.22.1", Ingress: "1.22.7"},
			requests: 1,
		},
		{
			name:     "latest is the newest published release",
			pageSize: 5, repos: map[string][]rel{
				"knative/serving": servingReleases(), "knative/net-contour": {{Tag: "knative-v1.23.1"}, {Tag: "knative-v1.23.0"}},
			},
			spec: "latest", ingress: "contour",
			want:     Versions{Serving: "1.23.3", Ingress: "1.23.1"},
			requests: 3 + 1,
		},
		{
			name: "latest steps back to a minor the ingress layer has",
			repos: map[string][]rel{
				"knative/serving":     append([]rel{{Tag: "knative-v1.24.0"}}, servingReleases()...),
				"knative/net-kourier": kourierReleases(),
			},
			spec: "latest", ingress: "kourier",
			want:     Versions{Serving: "1.23.3", Ingress: "1.23.2"},
			notes:    []string{"net-kourier has no 1.24 release yet; using Knative 1.23.3"},
			requests: 2,
		},
		{
			name:  "latest when the ingress releases cannot be listed",
			repos: map[string][]rel{"knative/serving": servingReleases()},
			spec:  "latest", ingress: "kourier",
			want:     Versions{Serving: "1.23.3", Ingress: "1.23.0"},
			notes:    []string{"net-kourier: could not list the releases of knative/net-kourier (GitHub API has no repository knative/net-kourier (404 Not Found)); using 1.23.0"},
			requests: 2,
		},
		{
			name:  "missing minor names the newest release",
			repos: map[string][]rel{"knative/serving": servingReleases()},
			spec:  "1.99", ingress: "kourier",
			wantErr:  []string{"Knative Serving 1.99 has no release", "the newest is 1.23.3"},
			requests: 1,
		},
		{
			name: "ingress without the serving minor",
			repos: map[string][]rel{
				"knative/serving": servingReleases(), "knative/net-kourier": kourierReleases(),
			},
			spec: "1.21.4", ingress: "kourier",
			wantErr:  []string{"net-kourier 1.21 has no release", "the newest is 1.23.2"},
			requests: 1,
		},
		{
			name:  "rate limited: X.Y falls back to X.Y.0 with a note, one request",
			setup: rateLimited,
			spec:  "1.23", ingress: "kourier",
			want: Versions{Serving: "1.23.0", Ingress: "1.23.0"},
			notes: []string{
				"serving-version 1.23: could not list the releases of knative/serving (GitHub API rate limit reached (it resets at ",
				"net-kourier: could not list the releases of knative/net-kourier (GitHub API rate limit reached",
			},
			requests: 1,
		},
		{
			name:  "rate limited 429 with a token",
			setup: answer(http.StatusTooManyRequests, http.Header{"X-Ratelimit-Remaining": {"0"}}, "API rate limit exceeded for 127.0.0.1."),
			spec:  "1.22.2", ingress: "istio", token: "t0ken",
			want:     Versions{Serving: "1.22.2", Ingress: "1.22.0"},
			notes:    []string{"net-istio: could not list the releases of knative/net-istio (GitHub API rate limit reached for the given github-token); using 1.22.0"},
			requests: 1,
		},
		{
			name:  "rate limited: latest is an error asking to pin",
			setup: rateLimited,
			spec:  "latest", ingress: "kourier",
			wantErr:  []string{"resolving serving-version latest", "GitHub API rate limit reached", "pass github-token", "pin serving-version to X.Y.Z (e.g. 1.23.0)"},
			requests: 1,
		},
		{
			name:  "forbidden without rate limit headers is not called a rate limit",
			setup: answer(http.StatusForbidden, nil, "API rate limit exceeded for 127.0.0.1."),
			spec:  "1.23", ingress: "kourier",
			want:     Versions{Serving: "1.23.0", Ingress: "1.23.0"},
			notes:    []string{"GitHub API answered 403 Forbidden for knative/serving releases: API rate limit exceeded", "using 1.23.0"},
			requests: 1,
		},
		{
			name:  "bad token",
			setup: answer(http.StatusUnauthorized, nil, "Bad credentials"),
			spec:  "1.23", ingress: "kourier", token: "expired",
			want:     Versions{Serving: "1.23.0", Ingress: "1.23.0"},
			notes:    []string{"GitHub rejected github-token (401 Unauthorized)", "using 1.23.0"},
			requests: 1,
		},
		{
			name:  "server error",
			setup: func(f *githubtest.Server) { f.FailNext(n) },
			spec:  "1.21", ingress: "contour",
			want:     Versions{Serving: "1.21.0", Ingress: "1.21.0"},
			notes:    []string{"GitHub API answered 502 Bad Gateway", "using 1.21.0"},
			requests: 1,
		},
		{
			name:  "ingress listing fails after serving resolved",
			repos: map[string][]rel{"knative/serving": servingReleases()},
			spec:  "1.23", ingress: "kourier",
			want:     Versions{Serving: "1.23.3", Ingress: "1.23.0"},
			notes:    []string{"net-kourier: could not list the releases of knative/net-kourier (GitHub API has no repository knative/net-kourier (404 Not Found)); using 1.23.0"},
			requests: 2,
		},
		{
			name:     "a next page named on another host is asked of the API",
			pageSize: 2, foreignNext: true, repos: map[string][]rel{
				"knative/serving": servingReleases(), "knative/net-kourier": kourierReleases(),
			},
			spec: "1.23", ingress: "kourier", token: "t0ken",
			want:     Versions{Serving: "1.23.3", Ingress: "1.23.2"},
			requests: 6 + 3,
		},
		{
			name: "unknown ingress",
			spec: "1.23", ingress: "gloo",
			wantErr:  []string{`"gloo" is not an ingress`},
			requests: 0,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := newFake(t, tt.repos, tt.pageSize)
			if tt.setup != nil {
				tt.setup(fake)
			}
			base := fake.URL()
			if tt.foreignNext {
				base = serve(t, proxy(t, fake, "attacker.invalid"))
			}
			r, lines := newResolver(base, tt.token)
			got, err := r.Resolve(context.Background(), lines, mustSpec(t, tt.spec), tt.ingress)
			if n := len(fake.Requests()); n != tt.requests {
				t.Errorf("%d requests, want %d: %q", n, tt.requests, paths(fake))
			}
			for _, req := range fake.Requests() {
				if req.Query.Get("per_page") != "100" {
					t.Errorf("%s asked with per_page=%q, want 100", req.Path, req.Query.Get("per_page"))
				}
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
	fake := newFake(t, map[string][]rel{
		"knative/serving": servingReleases(), "knative/net-kourier": kourierReleases(),
	}, 5)
	r, lines := newResolver(fake.URL(), "")
	if _, err := r.Resolve(context.Background(), lines, mustSpec(t, "1.23"), "kourier"); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"/repos/knative/serving/releases?per_page=100",
		"/repos/knative/serving/releases?page=2&per_page=100",
		"/repos/knative/serving/releases?page=3&per_page=100",
		"/repos/knative/net-kourier/releases?per_page=100",
	}
	if got := paths(fake); !slices.Equal(got, want) {
		t.Errorf("requests %q, want %q", got, want)
	}
	if len(*lines) == 0 || !strings.Contains((*lines)[len(*lines)-1], "Knative Serving 1.23.3, net-kourier 1.23.2") {
		t.Errorf("progress %q does not end with the result", *lines)
	}
}

func TestResolveSendsToken(t *testing.T) {
	for _, token := range []string{"", "ghs_secret"} {
		t.Run("token="+token, func(t *testing.T) {
			fake := newFake(t, map[string][]rel{
				"knative/serving": servingReleases(), "knative/net-kourier": kourierReleases(),
			}, 0)
			r, lines := newResolver(fake.URL(), token)
			if _, err := r.Resolve(context.Background(), lines, mustSpec(t, "1.23"), "kourier"); err != nil {
				t.Fatal(err)
			}
			want := ""
			if token != "" {
				want = "Bearer " + token
			}
			requests := fake.Requests()
			if len(requests) != 2 {
				t.Fatalf("%d requests, want 2", len(requests))
			}
			for _, req := range requests {
				if got := req.Authorization; got != want {
					t.Errorf("Authorization %q, want %q", got, want)
				}
				if got := req.Accept; !slices.Contains([]string{"application/vnd.github+json", "application/vnd.github.v3+json"}, got) {
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
	fake := newFake(t, map[string][]rel{
		"knative/serving": servingReleases(), "knative/net-kourier": kourierReleases(),
	}, 5)
	srv := serve(t, http.StripPrefix("/api/v3", proxy(t, fake, "")))
	for _, base := range []string{srv + "/api/v3", srv + "/api/v3/"} {
		t.Run(base, func(t *testing.T) {
			r := &Resolver{BaseURL: base, Client: &http.Client{Timeout: 5 * time.Second}}
			got, err := r.Resolve(context.Background(), log.Discard, mustSpec(t, "1.23"), "kourier")
			if err != nil {
				t.Fatal(err)
			}
			if got.Serving != "1.23.3" || got.Ingress != "1.23.2" || len(got.Notes) != 0 {
				t.Errorf("Resolve = %+v, want serving 1.23.3, net-kourier 1.23.2 and no notes", got)
			}
		})
	}
	if n := len(fake.Requests()); n != 2*(3+1) {
		t.Errorf("%d requests reached /api/v3, want 8: %q", n, paths(fake))
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
	got, err := r.Resolve(context.Background(), log.Discard, mustSpec(t, "1.22"), "kourier")
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
	r, lines := newResolver(serve(t, blocking), "")
	r.Client = &http.Client{Timeout: 50 * time.Millisecond}
	got, err := r.Resolve(context.Background(), lines, mustSpec(t, "1.23"), "kourier")
	if err != nil {
		t.Fatal(err)
	}
	if got.Serving != "1.23.0" || len(got.Notes) == 0 || !strings.Contains(got.Notes[0], "GitHub API did not answer in time") {
		t.Errorf("Resolve = %+v, want 1.23.0 with a note about the timeout", got)
	}
}

func TestResolveCancelled(t *testing.T) {
	r, _ := newResolver(serve(t, blocking), "")
	ctx, cancel := context.WithCancel(context.Background())
	cancelOnProgress := log.Func(func(string, ...any) { cancel() })
	_, err := r.Resolve(ctx, cancelOnProgress, mustSpec(t, "1.23"), "kourier")
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
	v, err := r.Resolve(context.Background(), log.Discard, spec, IngressKourier)
	if err != nil {
		t.Fatal(err)
	}
	if v.Serving != "1.23.2" || v.Ingress != "1.23.1" || len(v.Notes) != 0 {
		t.Errorf("got %+v, want serving 1.23.2, net-kourier 1.23.1 and no notes", v)
	}
	spec, _ = ParseSpec("1.24")
	if _, err := r.Resolve(context.Background(), log.Discard, spec, IngressKourier); err == nil || !strings.Contains(err.Error(), "1.24") {
		t.Errorf("a minor missing from the folder: got %v", err)
	}
}
