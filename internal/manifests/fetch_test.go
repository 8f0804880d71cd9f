package manifests

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/util/wait"

	"github.com/knative-preview/action/internal/log"
	"github.com/knative-preview/action/internal/release"
)

const coreYAML = "# Copyright 2026 The Knative Authors\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: knative-serving\n"

// server is a fake download host: answer decides each response from the
// request's path and its 1-based number; every request is recorded.
type server struct {
	*httptest.Server
	answer func(w http.ResponseWriter, r *http.Request, n int)

	mu    sync.Mutex
	paths []string
}

func newServer(t *testing.T, answer func(w http.ResponseWriter, r *http.Request, n int)) *server {
	t.Helper()
	s := &server{answer: answer}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.paths = append(s.paths, r.URL.Path)
		n := len(s.paths)
		s.mu.Unlock()
		s.answer(w, r, n)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *server) requests() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.paths)
}

// serveFiles answers with files[path], 404 for any other path.
func serveFiles(files map[string]string) func(http.ResponseWriter, *http.Request, int) {
	return func(w http.ResponseWriter, r *http.Request, _ int) {
		body, ok := files[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		fmt.Fprint(w, body)
	}
}

// hangUp closes the connection without an answer.
func hangUp(t *testing.T, w http.ResponseWriter) {
	conn, _, err := w.(http.Hijacker).Hijack()
	if err != nil {
		t.Error(err)
		return
	}
	conn.Close()
}

// progressLines records what a Fetcher tells its logger.
type progressLines []string

func (p *progressLines) Infof(format string, args ...any) {
	*p = append(*p, fmt.Sprintf(format, args...))
}
func (p *progressLines) Warnf(format string, args ...any) { p.Infof("warning: "+format, args...) }

// testFetcher returns a Fetcher that waits milliseconds between attempts
// (1 ms doubling up to 8 ms; a Retry-After up to 20 ms) and records its
// progress lines. waits returns the delays those lines announced.
func testFetcher(t *testing.T, source, github string) (f *Fetcher, waits func() []time.Duration, lines *progressLines) {
	t.Helper()
	var logged progressLines
	f = &Fetcher{
		Source:        source,
		GitHubURL:     github,
		CacheDir:      t.TempDir(),
		Client:        &http.Client{},
		Backoff:       wait.Backoff{Duration: time.Millisecond, Factor: 2, Steps: math.MaxInt32, Cap: 8 * time.Millisecond},
		MaxRetryAfter: 20 * time.Millisecond,
	}
	waits = func() []time.Duration {
		t.Helper()
		var out []time.Duration
		for _, l := range logged {
			m := retryingInRE.FindStringSubmatch(l)
			if m == nil {
				continue
			}
			d, err := time.ParseDuration(m[1])
			if err != nil {
				t.Fatalf("progress line %q: %v", l, err)
			}
			out = append(out, d)
		}
		return out
	}
	return f, waits, &logged
}

var retryingInRE = regexp.MustCompile(`; retrying in (\S+)$`)

// cacheFiles lists every file under dir, temporary ones included.
func cacheFiles(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			out = append(out, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestFetchDownloadsOnceThenUsesTheCache(t *testing.T) {
	const path = "/knative/serving/releases/download/knative-v1.23.0/serving-core.yaml"
	srv := newServer(t, serveFiles(map[string]string{path: coreYAML}))
	f, _, lines := testFetcher(t, "", srv.URL)

	got, err := f.Fetch(context.Background(), lines, release.Serving, "1.23.0", "serving-core.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != coreYAML {
		t.Errorf("Fetch = %q, want %q", got, coreYAML)
	}
	if want := []string{path}; !slices.Equal(srv.requests(), want) {
		t.Fatalf("requests %q, want %q", srv.requests(), want)
	}
	if files := cacheFiles(t, f.CacheDir); !slices.Equal(files, []string{"serving/1.23.0/serving-core.yaml"}) {
		t.Errorf("cache holds %q", files)
	}

	// A second run (a new Fetcher on the same cache) makes no request.
	again := &Fetcher{GitHubURL: srv.URL, CacheDir: f.CacheDir}
	got, err = again.Fetch(context.Background(), lines, release.Serving, "1.23.0", "serving-core.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != coreYAML {
		t.Errorf("cached Fetch = %q", got)
	}
	if n := len(srv.requests()); n != 1 {
		t.Errorf("%d requests after a cache hit, want still 1", n)
	}
	if last := (*lines)[len(*lines)-1]; !strings.Contains(last, "Using cached serving 1.23.0 serving-core.yaml") {
		t.Errorf("last progress line %q does not say the cache was used", last)
	}

	// Another version is another cache entry.
	if _, err := again.Fetch(context.Background(), lines, release.Serving, "1.23.1", "serving-core.yaml"); err == nil {
		t.Error("Fetch of a version the server does not have: want an error")
	}
	if n := len(srv.requests()); n != 2 {
		t.Errorf("%d requests, want 2", n)
	}
}

func TestFetchRedownloadsABadCacheEntry(t *testing.T) {
	srv := newServer(t, serveFiles(map[string]string{"/net-kourier/1.23.2/kourier.yaml": coreYAML}))
	f, _, lines := testFetcher(t, srv.URL, "")
	p := filepath.Join(f.CacheDir, "net-kourier", "1.23.2", "kourier.yaml")
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := f.Fetch(context.Background(), lines, release.NetKourier, "1.23.2", "kourier.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != coreYAML || len(srv.requests()) != 1 {
		t.Errorf("Fetch = %q after %d requests; want the download", got, len(srv.requests()))
	}
	if b, _ := os.ReadFile(p); string(b) != coreYAML {
		t.Errorf("cache entry %q not replaced", b)
	}
}

func TestFetchRetries(t *testing.T) {
	const path = "/serving/1.23.0/serving-crds.yaml"
	tests := []struct {
		name      string
		attempts  int
		answer    func(t *testing.T, w http.ResponseWriter, n int)
		wantReqs  int
		wantWaits []time.Duration
		wantErr   []string // nil: success
	}{
		{
			name: "503 twice then success",
			answer: func(t *testing.T, w http.ResponseWriter, n int) {
				if n <= 2 {
					http.Error(w, "busy", http.StatusServiceUnavailable)
					return
				}
				fmt.Fprint(w, coreYAML)
			},
			wantReqs:  3,
			wantWaits: []time.Duration{time.Millisecond, 2 * time.Millisecond},
		},
		{
			name: "connection dropped then success",
			answer: func(t *testing.T, w http.ResponseWriter, n int) {
				if n == 1 {
					hangUp(t, w)
					return
				}
				fmt.Fprint(w, coreYAML)
			},
			wantReqs:  2,
			wantWaits: []time.Duration{time.Millisecond},
		},
		{
			name: "429 waits as long as Retry-After says, up to MaxRetryAfter",
			answer: func(t *testing.T, w http.ResponseWriter, n int) {
				if n == 1 {
					w.Header().Set("Retry-After", "7")
					http.Error(w, "slow down", http.StatusTooManyRequests)
					return
				}
				fmt.Fprint(w, coreYAML)
			},
			wantReqs:  2,
			wantWaits: []time.Duration{20 * time.Millisecond},
		},
		{
			name:     "gives up after the attempts, with backoff doubling up to the cap",
			attempts: 7,
			answer: func(t *testing.T, w http.ResponseWriter, n int) {
				http.Error(w, "down", http.StatusBadGateway)
			},
			wantReqs:  7,
			wantWaits: []time.Duration{time.Millisecond, 2 * time.Millisecond, 4 * time.Millisecond, 8 * time.Millisecond, 8 * time.Millisecond, 8 * time.Millisecond},
			wantErr:   []string{"downloading serving 1.23.0 serving-crds.yaml from http://127.0.0.1:", "gave up after 7 attempts, the last one: 502 Bad Gateway", "check manifests-url, or run again later"},
		},
		{
			name: "truncated body is retried, then given up",
			answer: func(t *testing.T, w http.ResponseWriter, n int) {
				w.Header().Set("Content-Length", "1000")
				fmt.Fprint(w, "apiVersion: v1\nkind: Nam")
				w.(http.Flusher).Flush()
				hangUp(t, w)
			},
			wantReqs:  5,
			wantWaits: []time.Duration{time.Millisecond, 2 * time.Millisecond, 4 * time.Millisecond, 8 * time.Millisecond},
			wantErr:   []string{"gave up after 5 attempts", "unexpected EOF"},
		},
		{
			name: "403 is not retried",
			answer: func(t *testing.T, w http.ResponseWriter, n int) {
				http.Error(w, "no", http.StatusForbidden)
			},
			wantReqs: 1,
			wantErr:  []string{"403 Forbidden", "check manifests-url"},
		},
		{
			name: "an HTML page is not a manifest and is not retried",
			answer: func(t *testing.T, w http.ResponseWriter, n int) {
				fmt.Fprint(w, "<!DOCTYPE html>\n<html><body>Sign in to the proxy</body></html>")
			},
			wantReqs: 1,
			wantErr:  []string{"does not look like YAML", `"<!DOCTYPE html>"`},
		},
		{
			name: "an empty answer is not a manifest",
			answer: func(t *testing.T, w http.ResponseWriter, n int) {
				w.WriteHeader(http.StatusOK)
			},
			wantReqs: 1,
			wantErr:  []string{"is empty"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
				if r.URL.Path != path {
					t.Errorf("request for %s, want %s", r.URL.Path, path)
				}
				tt.answer(t, w, n)
			})
			f, waits, lines := testFetcher(t, srv.URL+"/", "")
			f.Attempts = tt.attempts
			got, err := f.Fetch(context.Background(), lines, release.Serving, "1.23.0", "serving-crds.yaml")
			if n := len(srv.requests()); n != tt.wantReqs {
				t.Errorf("%d requests, want %d", n, tt.wantReqs)
			}
			if got := waits(); !slices.Equal(got, tt.wantWaits) {
				t.Errorf("waits %v, want %v", got, tt.wantWaits)
			}
			retries := 0
			for _, l := range *lines {
				if strings.Contains(l, "retrying in") {
					retries++
				}
			}
			if retries != len(tt.wantWaits) {
				t.Errorf("%d progress lines about retrying, want %d: %q", retries, len(tt.wantWaits), *lines)
			}
			if tt.wantErr == nil {
				if err != nil {
					t.Fatal(err)
				}
				if string(got) != coreYAML {
					t.Errorf("Fetch = %q", got)
				}
				if files := cacheFiles(t, f.CacheDir); !slices.Equal(files, []string{"serving/1.23.0/serving-crds.yaml"}) {
					t.Errorf("cache holds %q", files)
				}
				return
			}
			if err == nil {
				t.Fatal("Fetch succeeded, want an error")
			}
			for _, s := range tt.wantErr {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not contain %q", err, s)
				}
			}
			// A failed download leaves nothing in the cache, not even a
			// temporary file.
			if files := cacheFiles(t, f.CacheDir); len(files) != 0 {
				t.Errorf("cache holds %q after a failed download", files)
			}
		})
	}
}

func TestFetchRequestTimeoutIsRetried(t *testing.T) {
	release1 := make(chan struct{})
	t.Cleanup(func() { close(release1) })
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
		if n == 1 {
			select {
			case <-r.Context().Done():
			case <-release1:
			}
			return
		}
		fmt.Fprint(w, coreYAML)
	})
	f, waits, lines := testFetcher(t, srv.URL, "")
	f.RequestTimeout = 50 * time.Millisecond
	got, err := f.Fetch(context.Background(), lines, release.Serving, "1.22.0", "serving-core.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != coreYAML || len(waits()) != 1 {
		t.Errorf("Fetch = %q with waits %v; want success after one retry", got, waits())
	}
}

func TestFetchStopsWhenCancelled(t *testing.T) {
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
		http.Error(w, "busy", http.StatusServiceUnavailable)
	})
	f, _, _ := testFetcher(t, srv.URL, "")
	// A wait long enough that only the cancellation ends it; the run is
	// cancelled as the retry is announced, before the wait starts.
	f.Backoff = wait.Backoff{Duration: time.Hour}
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	stop := errors.New("the run was cancelled")
	cancelOnRetry := log.Func(func(format string, args ...any) {
		if strings.Contains(format, "retrying in") {
			cancel(stop)
		}
	})
	_, err := f.Fetch(ctx, cancelOnRetry, release.Serving, "1.22.0", "serving-core.yaml")
	if !errors.Is(err, stop) || !strings.Contains(err.Error(), "stopped while waiting to retry: the run was cancelled") {
		t.Errorf("Fetch = %v, want the cancellation while waiting", err)
	}
	if n := len(srv.requests()); n != 1 {
		t.Errorf("%d requests, want 1", n)
	}
}

// Cancelled during an attempt, Fetch names the cancellation first and what
// the attempt was doing when it was cut short.
func TestFetchStopsDuringAnAttempt(t *testing.T) {
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	stop := errors.New("the run was cancelled")
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
		cancel(stop)
		<-r.Context().Done()
	})
	f, waits, lines := testFetcher(t, srv.URL, "")
	_, err := f.Fetch(ctx, lines, release.Serving, "1.22.0", "serving-core.yaml")
	if !errors.Is(err, stop) || !strings.Contains(err.Error(), "stopped: the run was cancelled (while: ") {
		t.Errorf("Fetch = %v, want the cancellation during the attempt", err)
	}
	if n := len(srv.requests()); n != 1 || len(waits()) != 0 {
		t.Errorf("%d requests and waits %v, want 1 and none", n, waits())
	}
}

func TestFetchNotFound(t *testing.T) {
	srv := newServer(t, serveFiles(nil))
	tests := []struct {
		name, source, github string
		want                 string
	}{
		{
			name: "GitHub release", github: srv.URL,
			want: "net-kourier 1.23.7 has no release asset kourier.yaml (404 from " + srv.URL + "/knative/net-kourier/releases/download/knative-v1.23.7/kourier.yaml): check serving-version",
		},
		{
			name: "mirror", source: srv.URL + "/mirror",
			want: "net-kourier 1.23.7 has no kourier.yaml at manifests-url (404 from " + srv.URL + "/mirror/net-kourier/1.23.7/kourier.yaml): check serving-version, and that manifests-url holds net-kourier/1.23.7/kourier.yaml",
		},
		{
			name: "mirror with credentials", source: strings.Replace(srv.URL, "http://", "http://user:hunter2@", 1),
			want: "(404 from " + strings.Replace(srv.URL, "http://", "http://***@", 1) + "/net-kourier/1.23.7/kourier.yaml)",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := len(srv.requests())
			f, waits, lines := testFetcher(t, tt.source, tt.github)
			_, err := f.Fetch(context.Background(), lines, release.NetKourier, "1.23.7", "kourier.yaml")
			var nf *notFoundError
			if !errors.As(err, &nf) {
				t.Fatalf("Fetch = %v, want a *NotFoundError", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error\n%s\ndoes not contain\n%s", err, tt.want)
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Errorf("error %q shows the password", err)
			}
			if n := len(srv.requests()) - before; n != 1 || len(waits()) != 0 {
				t.Errorf("%d requests and waits %v; a 404 is not retried", n, waits())
			}
		})
	}
}

func TestFetchLocalFolder(t *testing.T) {
	src := t.TempDir()
	p := filepath.Join(src, "net-istio", "1.23.1", "istio.yaml")
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(coreYAML), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(src, "net-istio", "1.23.1", "net-istio.yaml"), []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	f, _, lines := testFetcher(t, src, "")
	f.Client = &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		t.Errorf("network request to %s for a local source", r.URL)
		return nil, errors.New("no network")
	})}

	got, err := f.Fetch(context.Background(), lines, release.NetIstio, "1.23.1", "istio.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != coreYAML {
		t.Errorf("Fetch = %q", got)
	}
	if files := cacheFiles(t, f.CacheDir); len(files) != 0 {
		t.Errorf("local files were cached: %q", files)
	}

	_, err = f.Fetch(context.Background(), lines, release.NetIstio, "1.23.2", "istio.yaml")
	var nf *notFoundError
	if !errors.As(err, &nf) || !nf.Local {
		t.Fatalf("Fetch of a missing file = %v, want a local *NotFoundError", err)
	}
	missing := filepath.Join(src, "net-istio", "1.23.2", "istio.yaml")
	for _, s := range []string{"net-istio 1.23.2 has no istio.yaml in the manifests-url folder", missing + " does not exist", "the folder holds net-istio/1.23.2/istio.yaml"} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error %q does not contain %q", err, s)
		}
	}

	_, err = f.Fetch(context.Background(), lines, release.NetIstio, "1.23.1", "net-istio.yaml")
	if err == nil || !strings.Contains(err.Error(), "does not look like YAML") {
		t.Errorf("Fetch of a JSON file = %v, want a does-not-look-like-YAML error", err)
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestFetchCacheWriteFailureIsNotFatal(t *testing.T) {
	srv := newServer(t, serveFiles(map[string]string{"/serving/1.23.0/serving-core.yaml": coreYAML}))
	f, _, lines := testFetcher(t, srv.URL, "")
	// A folder where the cached file should go makes the rename fail.
	blocker := filepath.Join(f.CacheDir, "serving", "1.23.0", "serving-core.yaml")
	if err := os.MkdirAll(filepath.Join(blocker, "x"), 0o755); err != nil {
		t.Fatal(err)
	}
	got, err := f.Fetch(context.Background(), lines, release.Serving, "1.23.0", "serving-core.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != coreYAML {
		t.Errorf("Fetch = %q", got)
	}
	if !slices.ContainsFunc(*lines, func(l string) bool { return strings.Contains(l, "Not caching serving 1.23.0 serving-core.yaml") }) {
		t.Errorf("progress %q does not say the cache write failed", *lines)
	}
	entries, err := os.ReadDir(filepath.Dir(blocker))
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Name() != "serving-core.yaml" || !entries[0].IsDir() {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("cache folder holds %q; the temporary file was left behind", names)
	}
}

func TestFetchRejectsBadArguments(t *testing.T) {
	f := &Fetcher{Client: &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		t.Errorf("network request to %s", r.URL)
		return nil, errors.New("no network")
	})}}
	for _, tt := range []struct{ component, version, file, want string }{
		{"eventing", "1.23.0", "eventing.yaml", `"eventing" is not a Knative component`},
		{release.Serving, "1.23", "serving-core.yaml", `version "1.23" is not X.Y.Z`},
		{release.Serving, "latest", "serving-core.yaml", "is not X.Y.Z"},
		{release.Serving, "1.23.0/../..", "serving-core.yaml", "is not X.Y.Z"},
		{release.Serving, "1.23.0", "../serving-core.yaml", "is not a file name"},
		{release.Serving, "1.23.0", "", "is not a file name"},
	} {
		_, err := f.Fetch(context.Background(), log.Discard, tt.component, tt.version, tt.file)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Fetch(%q, %q, %q) = %v, want an error containing %q", tt.component, tt.version, tt.file, err, tt.want)
		}
	}
}

func TestFetchAll(t *testing.T) {
	srv := newServer(t, serveFiles(map[string]string{
		"/serving/1.23.3/serving-crds.yaml":    "---\n# crds\n",
		"/serving/1.23.3/serving-core.yaml":    coreYAML,
		"/net-istio/1.23.1/istio.yaml":         "apiVersion: v1\nkind: Namespace\nmetadata: {name: istio-system}\n",
		"/net-istio/1.23.1/net-istio.yaml":     "# net-istio\napiVersion: v1\n",
		"/net-kourier/1.23.1/kourier.yaml":     "apiVersion: v1\n",
		"/serving/1.23.1/serving-core.yaml":    coreYAML,
		"/net-contour/1.23.1/contour.yaml":     "apiVersion: v1\n",
		"/net-contour/1.23.1/net-contour.yaml": "apiVersion: v1\n",
	}))
	f, _, lines := testFetcher(t, srv.URL, "")
	got, err := f.FetchAll(context.Background(), lines, "istio", release.Versions{Serving: "1.23.3", Ingress: "1.23.1"})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, m := range got {
		names = append(names, m.Component+"@"+m.Version+"/"+m.File)
		if len(m.Data) == 0 {
			t.Errorf("%s has no data", m.Ref)
		}
	}
	want := []string{"serving@1.23.3/serving-crds.yaml", "serving@1.23.3/serving-core.yaml", "net-istio@1.23.1/istio.yaml", "net-istio@1.23.1/net-istio.yaml"}
	if !slices.Equal(names, want) {
		t.Errorf("FetchAll = %q, want %q", names, want)
	}

	if _, err := f.FetchAll(context.Background(), lines, "gloo", release.Versions{Serving: "1.23.3", Ingress: "1.23.1"}); err == nil || !strings.Contains(err.Error(), "is not an ingress") {
		t.Errorf("FetchAll(gloo) = %v, want an unknown ingress error", err)
	}
}

func TestFiles(t *testing.T) {
	for _, tt := range []struct {
		ingress string
		want    []string
	}{
		{"kourier", []string{"serving/serving-crds.yaml", "serving/serving-core.yaml", "net-kourier/kourier.yaml"}},
		{"istio", []string{"serving/serving-crds.yaml", "serving/serving-core.yaml", "net-istio/istio.yaml", "net-istio/net-istio.yaml"}},
		{"contour", []string{"serving/serving-crds.yaml", "serving/serving-core.yaml", "net-contour/contour.yaml", "net-contour/net-contour.yaml"}},
	} {
		refs, err := Files(tt.ingress)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, r := range refs {
			got = append(got, r.String())
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("Files(%q) = %q, want %q", tt.ingress, got, tt.want)
		}
	}
	if _, err := Files("nginx"); err == nil {
		t.Error("Files(nginx): want an error")
	}
}

// A Backoff of the caller's replaces the default schedule; it stays at its
// cap once there.
func TestFetchBackoff(t *testing.T) {
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
		http.Error(w, "busy", http.StatusServiceUnavailable)
	})
	f, waits, lines := testFetcher(t, srv.URL, "")
	f.Attempts = 6
	f.Backoff = wait.Backoff{Duration: time.Millisecond, Factor: 3, Steps: 100, Cap: 5 * time.Millisecond}
	if _, err := f.Fetch(context.Background(), lines, release.Serving, "1.23.0", "serving-core.yaml"); err == nil {
		t.Fatal("Fetch succeeded against a server that is always busy")
	}
	want := []time.Duration{time.Millisecond, 3 * time.Millisecond, 5 * time.Millisecond, 5 * time.Millisecond, 5 * time.Millisecond}
	if got := waits(); !slices.Equal(got, want) {
		t.Errorf("waits %v, want %v", got, want)
	}
}

// Without a Backoff, attempts are a second apart, doubling up to 30 s.
func TestFetchDefaultBackoff(t *testing.T) {
	delay := (&Fetcher{}).backoff().DelayFunc()
	var got []time.Duration
	for range 7 {
		got = append(got, delay())
	}
	want := []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 16 * time.Second, 30 * time.Second, 30 * time.Second}
	if !slices.Equal(got, want) {
		t.Errorf("delays %v, want %v", got, want)
	}
}

func TestRetryDelay(t *testing.T) {
	busy := func(retryAfter time.Duration) error {
		return fmt.Errorf("getting: %w", &statusError{code: http.StatusTooManyRequests, status: "429 Too Many Requests", retryAfter: retryAfter})
	}
	for _, tt := range []struct {
		name        string
		step        time.Duration
		err         error
		limit, want time.Duration
	}{
		{name: "no Retry-After", step: 2 * time.Second, err: busy(0), limit: defaultMaxRetryAfter, want: 2 * time.Second},
		{name: "not an HTTP answer", step: 2 * time.Second, err: errors.New("connection reset"), limit: defaultMaxRetryAfter, want: 2 * time.Second},
		{name: "Retry-After longer", step: time.Second, err: busy(7 * time.Second), limit: defaultMaxRetryAfter, want: 7 * time.Second},
		{name: "Retry-After shorter", step: 8 * time.Second, err: busy(7 * time.Second), limit: defaultMaxRetryAfter, want: 8 * time.Second},
		{name: "Retry-After capped", step: time.Second, err: busy(time.Hour), limit: defaultMaxRetryAfter, want: time.Minute},
		{name: "cap below the step", step: 8 * time.Second, err: busy(time.Hour), limit: time.Second, want: 8 * time.Second},
	} {
		if got := retryDelay(tt.step, tt.err, tt.limit); got != tt.want {
			t.Errorf("%s: retryDelay = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestCheckYAML(t *testing.T) {
	for _, tt := range []struct {
		in, wantErr string
	}{
		{in: "---\napiVersion: v1\n"},
		{in: "\n\n# comment\n"},
		{in: "\xef\xbb\xbfapiVersion: v1\n"},
		{in: "apiVersion: v1\r\nkind: List\r\n"},
		{in: "kind:\n"},
		{in: "%YAML 1.2\n---\n"},
		{in: "", wantErr: "is empty"},
		{in: " \n\t\n", wantErr: "is empty"},
		{in: "<html>", wantErr: `starts with "<html>"`},
		{in: `{"kind":"List"}`, wantErr: "does not look like YAML"},
		{in: "Not Found", wantErr: "does not look like YAML"},
		{in: "apiVersion:v1", wantErr: "does not look like YAML"},
		{in: strings.Repeat("x", 100), wantErr: `..."`},
	} {
		err := checkYAML([]byte(tt.in))
		if tt.wantErr == "" && err != nil {
			t.Errorf("checkYAML(%q) = %v", tt.in, err)
		}
		if tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
			t.Errorf("checkYAML(%q) = %v, want an error containing %q", tt.in, err, tt.wantErr)
		}
	}
}
