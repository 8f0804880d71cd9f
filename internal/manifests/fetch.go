package manifests

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"

	"k8s.io/apimachinery/pkg/util/wait"

	"github.com/knative-preview/action/internal/buildinfo"
	"github.com/knative-preview/action/internal/kube"
	"github.com/knative-preview/action/internal/log"
	"github.com/knative-preview/action/internal/release"
	"github.com/knative-preview/action/internal/userinfo"
	"github.com/knative-preview/action/internal/workspace"
)

// Defaults of a Fetcher's zero fields.
const (
	defaultRequestTimeout = 2 * time.Minute
	defaultAttempts       = 5
	defaultFirstBackoff   = time.Second
	defaultMaxBackoff     = 30 * time.Second
	defaultMaxRetryAfter  = 2 * defaultMaxBackoff
)

// maxSize bounds a manifest (the largest, istio.yaml, is a few MiB).
const maxSize = 256 << 20

// Fetcher gets release manifests, from the cache when it has them. Its zero
// value downloads from GitHub releases without caching.
type Fetcher struct {
	// Source is the manifests-url input: empty for GitHub release
	// downloads, or an http(s) base URL or a local folder, both laid out
	// as <base>/<component>/<version>/<file>. Local files are not cached.
	Source string
	// CacheDir keeps downloads as <CacheDir>/<component>/<version>/<file>;
	// empty disables the cache. See DefaultCacheDir.
	CacheDir string
	// Client makes the requests; nil means http.DefaultClient. Each
	// attempt is bounded by RequestTimeout whatever the client's timeout.
	Client *http.Client
	// RequestTimeout bounds one attempt, body included; 0 means
	// DefaultRequestTimeout.
	RequestTimeout time.Duration
	// Attempts is how many times a download is tried when it fails in a
	// way that may pass (5xx, 429, connection reset, timeout); 0 means
	// DefaultAttempts.
	Attempts int
	// Backoff spaces the attempts; its zero value means DefaultFirstBackoff
	// doubling up to DefaultMaxBackoff. A Retry-After answer may ask more.
	Backoff wait.Backoff
	// MaxRetryAfter caps the delay a Retry-After answer may ask, so that a
	// server cannot hold the run for hours; 0 means DefaultMaxRetryAfter.
	MaxRetryAfter time.Duration
	// GitHubURL replaces DefaultGitHubURL (tests, GitHub Enterprise).
	GitHubURL string
}

// manifest is one fetched asset.
type manifest struct {
	Ref
	Version string
	Data    []byte
}

// FetchAll fetches Files(ingress) in order, serving's at v.Serving and the
// networking layer's at v.Ingress.
// It tells l of every download, cache hit and retry.
func (f *Fetcher) FetchAll(ctx context.Context, l log.Logger, ingress string, v release.Versions) ([]manifest, error) {
	refs, err := Files(ingress)
	if err != nil {
		return nil, err
	}
	out := make([]manifest, 0, len(refs))
	for _, r := range refs {
		ver := v.Ingress
		if r.Component == release.Serving {
			ver = v.Serving
		}
		data, err := f.Fetch(ctx, l, r.Component, ver, r.File)
		if err != nil {
			return nil, err
		}
		out = append(out, manifest{Ref: r, Version: ver, Data: data})
	}
	return out, nil
}

// notFoundError is an asset that does not exist at the source: usually a
// version without a release.
type notFoundError struct {
	Component, Version, File string
	// Location is the URL (without credentials) or path that was tried.
	Location string
	// GitHub is true for GitHub release downloads, Local for a folder.
	GitHub, Local bool
}

func (e *notFoundError) Error() string {
	layout := e.Component + "/" + e.Version + "/" + e.File
	switch {
	case e.GitHub:
		return fmt.Sprintf("%s %s has no release asset %s (404 from %s): check serving-version", e.Component, e.Version, e.File, e.Location)
	case e.Local:
		return fmt.Sprintf("%s %s has no %s in the manifests-url folder (%s does not exist): check serving-version, and that the folder holds %s", e.Component, e.Version, e.File, e.Location, layout)
	}
	return fmt.Sprintf("%s %s has no %s at manifests-url (404 from %s): check serving-version, and that manifests-url holds %s", e.Component, e.Version, e.File, e.Location, layout)
}

var versionRE = regexp.MustCompile(`^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$`)

// Fetch returns the asset file of component at version (X.Y.Z). A cached
// copy is used without any network request; otherwise it is read from the
// Source, checked to look like YAML and cached. It tells l of every
// download, cache hit and retry.
func (f *Fetcher) Fetch(ctx context.Context, l log.Logger, component, version, file string) ([]byte, error) {
	repo, err := release.Repo(component)
	if err != nil {
		return nil, fmt.Errorf("fetching %s: %w", file, err)
	}
	if !versionRE.MatchString(version) {
		return nil, fmt.Errorf("fetching %s %s: version %q is not X.Y.Z (resolve it first)", component, file, version)
	}
	if file == "" || file == "." || file == ".." || strings.ContainsAny(file, `/\`) {
		return nil, fmt.Errorf("fetching %s %s: %q is not a file name", component, version, file)
	}
	what := fmt.Sprintf("%s %s %s", component, version, file)

	if IsFolder(f.Source) {
		return f.readLocal(l, component, version, file, what)
	}

	cachePath := ""
	if f.CacheDir != "" {
		cachePath = filepath.Join(f.CacheDir, component, version, file)
		data, err := os.ReadFile(cachePath)
		switch {
		case err == nil && checkYAML(data) == nil:
			l.Infof("Using cached %s (%s)", what, cachePath)
			return data, nil
		case err == nil:
			l.Infof("Cached %s at %s is not a manifest (%v); downloading it again", what, cachePath, checkYAML(data))
		case !errors.Is(err, fs.ErrNotExist):
			l.Infof("Cannot read cached %s (%v); downloading it again", what, err)
		}
	}

	u, github, err := f.assetURL(repo, component, version, file)
	if err != nil {
		return nil, fmt.Errorf("fetching %s: %w", what, err)
	}
	shown := Redact(u)
	l.Infof("Downloading %s from %s", what, shown)
	data, err := f.download(ctx, l, u, shown)
	if err != nil {
		var st *statusError
		if errors.As(err, &st) && st.code == http.StatusNotFound {
			return nil, &notFoundError{Component: component, Version: version, File: file, Location: shown, GitHub: github}
		}
		advice := "check the network, or run again later"
		if !github {
			advice = "check manifests-url, or run again later"
		}
		return nil, fmt.Errorf("downloading %s from %s: %w: %s", what, shown, err, advice)
	}
	if err := checkYAML(data); err != nil {
		advice := "a proxy may have answered instead of GitHub"
		if !github {
			advice = "check that manifests-url serves the release files as they are"
		}
		return nil, fmt.Errorf("downloaded %s from %s, but it %v: %s", what, shown, err, advice)
	}
	if cachePath != "" {
		// The cache only saves time: failing to write it is not fatal.
		if err := workspace.WriteFile(cachePath, data, 0o644); err != nil {
			l.Infof("Not caching %s: %v", what, err)
		}
	}
	return data, nil
}

func (f *Fetcher) readLocal(l log.Logger, component, version, file, what string) ([]byte, error) {
	p := filepath.Join(f.Source, component, version, file)
	data, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, &notFoundError{Component: component, Version: version, File: file, Location: p, Local: true}
	}
	if err != nil {
		return nil, fmt.Errorf("reading %s from the manifests-url folder: %w", what, err)
	}
	if err := checkYAML(data); err != nil {
		// A local file's start is not quoted: it may be any file.
		return nil, fmt.Errorf("reading %s from the manifests-url folder: %s does not look like YAML", what, p)
	}
	l.Infof("Using %s from %s", what, p)
	return data, nil
}

// assetURL returns where the asset is downloaded from, and whether that is
// GitHub releases.
func (f *Fetcher) assetURL(repo, component, version, file string) (string, bool, error) {
	if f.Source == "" {
		base := f.GitHubURL
		if base == "" {
			base = defaultGitHubURL
		}
		u, err := url.JoinPath(base, repo, "releases", "download", release.TagPrefix+version, file)
		return u, true, err
	}
	u, err := url.JoinPath(f.Source, component, version, file)
	if err != nil {
		return "", false, fmt.Errorf("manifests-url %q: %w", Redact(f.Source), err)
	}
	return u, false, nil
}

// statusError is an HTTP answer other than 200.
type statusError struct {
	code       int
	status     string
	retryAfter time.Duration
}

func (e *statusError) Error() string { return e.status }

// download gets u, making the request again with kube.Requester while it
// fails in a way that may pass, up to Attempts times. The waits between
// attempts follow the Fetcher's Backoff, or a Retry-After when that is
// longer (up to MaxRetryAfter); each is announced.
func (f *Fetcher) download(ctx context.Context, l log.Logger, u, shown string) ([]byte, error) {
	attempts := f.Attempts
	if attempts <= 0 {
		attempts = defaultAttempts
	}
	maxRetryAfter := f.MaxRetryAfter
	if maxRetryAfter <= 0 {
		maxRetryAfter = defaultMaxRetryAfter
	}
	timeout := f.RequestTimeout
	if timeout <= 0 {
		timeout = defaultRequestTimeout
	}
	backoff := f.backoff()
	step := backoff.DelayFunc()
	var (
		data    []byte
		attempt int
		last    error // the last attempt's own error
		waiting bool  // whether an attempt failed and the next is due
	)
	q := kube.Requester{
		// The attempts bound the retries; the time is only a backstop
		// that lets all of them run.
		For: time.Duration(attempts) * (timeout + max(backoff.Cap, backoff.Duration, maxRetryAfter)),
		// The Fetcher's own schedule decides each wait, passed on as the
		// wait asked for; the Requester's own is the least it can be.
		First: time.Nanosecond,
		Cap:   time.Nanosecond,
		Classify: func(err error) (time.Duration, bool) {
			if ctx.Err() != nil || !retryable(err) || attempt >= attempts {
				return 0, false
			}
			next := retryDelay(step(), err, maxRetryAfter)
			waiting = true
			l.Infof("Downloading from %s failed (attempt %d of %d: %v); retrying in %s", shown, attempt, attempts, err, next)
			return next, true
		},
	}
	err := q.Do(ctx, func(ctx context.Context) error {
		attempt++
		waiting = false
		data, last = f.get(ctx, u)
		return last
	})
	switch {
	case err == nil:
		return data, nil
	case ctx.Err() != nil && waiting:
		return nil, fmt.Errorf("stopped while waiting to retry: %w", context.Cause(ctx))
	case ctx.Err() != nil:
		return nil, fmt.Errorf("stopped: %w (while: %v)", context.Cause(ctx), last)
	case retryable(last) && attempt >= attempts:
		return nil, fmt.Errorf("gave up after %d attempts, the last one: %w", attempts, last)
	}
	return nil, err
}

// backoff returns f.Backoff, or the default schedule when it is zero.
func (f *Fetcher) backoff() wait.Backoff {
	if f.Backoff == (wait.Backoff{}) {
		return wait.Backoff{Duration: defaultFirstBackoff, Factor: 2, Steps: math.MaxInt32, Cap: defaultMaxBackoff}
	}
	return f.Backoff
}

// retryDelay is the wait after a failed attempt: the backoff's next step,
// or what the server's Retry-After asks when that is longer, up to limit.
func retryDelay(step time.Duration, err error, limit time.Duration) time.Duration {
	var st *statusError
	if errors.As(err, &st) && st.retryAfter > step {
		return max(step, min(st.retryAfter, limit))
	}
	return step
}

// get makes one attempt, bounded by the request timeout.
func (f *Fetcher) get(ctx context.Context, u string) ([]byte, error) {
	timeout := f.RequestTimeout
	if timeout <= 0 {
		timeout = defaultRequestTimeout
	}
	actx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	data, err := f.getOnce(actx, u)
	if err != nil && actx.Err() != nil && ctx.Err() == nil {
		return nil, fmt.Errorf("no complete answer within %s: %w", timeout, err)
	}
	return data, err
}

func (f *Fetcher) getOnce(ctx context.Context, u string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("User-Agent", buildinfo.UserAgent())
	client := f.Client
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			// The URL is already named by the caller, without credentials.
			return nil, ue.Err
		}
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		st := &statusError{code: resp.StatusCode, status: resp.Status}
		if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && s > 0 {
			st.retryAfter = time.Duration(s) * time.Second
		}
		return nil, st
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxSize+1))
	if err != nil {
		return nil, fmt.Errorf("reading the answer: %w", err)
	}
	if len(data) > maxSize {
		return nil, fmt.Errorf("the answer is larger than %d MiB, too large for a manifest", maxSize>>20)
	}
	return data, nil
}

// retryable reports whether a failed attempt may succeed when repeated:
// an HTTP answer of 429 or 5xx, or what kube.Transient says of network
// errors, except a refused connection: nothing listens at a download
// address (a mirror's wrong port), and waiting does not change that.
func retryable(err error) bool {
	var st *statusError
	if errors.As(err, &st) {
		return st.code == http.StatusTooManyRequests || st.code >= 500
	}
	if errors.Is(err, syscall.ECONNREFUSED) {
		return false
	}
	return kube.Transient(err)
}

// Redact removes credentials from a URL for messages: the user information
// (a token is often the user name), as userinfo hides it everywhere, and
// the query (which may carry a signature).
func Redact(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return "(a URL that does not parse)"
	}
	if p.RawQuery != "" {
		p.RawQuery = "***"
	}
	return userinfo.Redact(p.String())
}

var yamlKeyRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_.-]*:(\s|$)`)

// checkYAML says why data does not look like a Kubernetes YAML manifest:
// it must start (after blank lines) with ---, a comment, a directive or a
// mapping key such as apiVersion:.
func checkYAML(data []byte) error {
	rest := bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	rest = bytes.TrimLeft(rest, " \t\r\n")
	if len(rest) == 0 {
		return errors.New("is empty")
	}
	first, _, _ := bytes.Cut(rest, []byte("\n"))
	first = bytes.TrimRight(first, "\r")
	switch {
	case bytes.HasPrefix(first, []byte("---")), bytes.HasPrefix(first, []byte("#")), bytes.HasPrefix(first, []byte("%YAML")):
		return nil
	case yamlKeyRE.Match(first):
		return nil
	}
	if len(first) > 60 {
		first = append(first[:60:60], "..."...)
	}
	return fmt.Errorf("does not look like YAML (it starts with %q)", first)
}
