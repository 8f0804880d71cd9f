package github

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	gh "github.com/google/go-github/v75/github"

	"github.com/knative-preview/action/internal/buildinfo"
	"github.com/knative-preview/action/internal/kube"
)

// defaultAPIURL is GitHub's REST API, used when GITHUB_API_URL is empty.
const defaultAPIURL = "https://api.github.com/"

const (
	// requestTimeout bounds one request, its answer included.
	requestTimeout = 30 * time.Second
	// retryFor bounds how long a call is tried again.
	retryFor = 2 * time.Minute
	// secondaryWait is how long GitHub asks to wait after a secondary rate
	// limit that names no time.
	secondaryWait = time.Minute
)

// Client writes to one repository's pull requests and deployments. Every
// call retries, for a while, what may pass by itself: server errors and
// rate limits (waiting as long as GitHub asks, when that fits).
type Client struct {
	api         *gh.Client
	owner, repo string
	// runURL is the workflow run's page: the deployments' log_url.
	runURL string

	// retry makes each call again while it fails in a way that may pass.
	retry kube.Requester
}

// NewClient returns a client of the repository GITHUB_REPOSITORY names, on
// the API at GITHUB_API_URL (GitHub Enterprise Server's differs), that
// authenticates with token.
func NewClient(getenv func(string) string, token string) (*Client, error) {
	if token == "" {
		return nil, errors.New("no GitHub token: pass github-token (in a workflow its default is the job's token, ${{ github.token }})")
	}
	repository := getenv("GITHUB_REPOSITORY")
	owner, repo, ok := strings.Cut(repository, "/")
	if !ok || owner == "" || repo == "" || strings.Contains(repo, "/") {
		return nil, fmt.Errorf("GITHUB_REPOSITORY is %q, not owner/name: run this in a workflow job, or set it", repository)
	}
	base := getenv("GITHUB_API_URL")
	api, ok := newAPI(base, token, nil)
	if !ok {
		return nil, fmt.Errorf("GITHUB_API_URL is %q, not an http(s) URL: unset it for api.github.com", base)
	}
	c := &Client{
		api:   api,
		owner: owner,
		repo:  repo,
		retry: kube.Requester{For: retryFor, First: time.Second, Cap: 15 * time.Second, Classify: retryAfter},
	}
	c.runURL = RunURL(getenv)
	return c, nil
}

// RunURL is the workflow run's page ($GITHUB_SERVER_URL/owner/name/
// actions/runs/$GITHUB_RUN_ID), or empty outside a workflow run.
func RunURL(getenv func(string) string) string {
	repository, run := getenv("GITHUB_REPOSITORY"), getenv("GITHUB_RUN_ID")
	if repository == "" || run == "" {
		return ""
	}
	server := strings.TrimSuffix(getenv("GITHUB_SERVER_URL"), "/")
	if server == "" {
		server = "https://github.com"
	}
	return server + "/" + repository + "/actions/runs/" + run
}

// newAPI returns a go-github client of the API at base (empty:
// api.github.com, GitHub Enterprise Server's is https://HOST/api/v3) that
// sends the action's user agent, and token when there is one, to that API's
// host only (see tokenTransport). hc makes the requests; nil: one that
// gives each up after requestTimeout. ok is false when base is not an
// http(s) URL.
func newAPI(base, token string, hc *http.Client) (api *gh.Client, ok bool) {
	u, ok := apiURL(base)
	if !ok {
		return nil, false
	}
	if hc == nil {
		hc = &http.Client{Timeout: requestTimeout}
	}
	if token != "" {
		c := *hc
		c.Transport = &tokenTransport{api: u, token: token, next: hc.Transport}
		hc = &c
	}
	api = gh.NewClient(hc)
	api.BaseURL = u
	api.UserAgent = buildinfo.UserAgent()
	return api, true
}

// apiURL parses base, a GitHub API's URL (empty: api.github.com), with a
// trailing slash as go-github wants it; ok is false when it is not an
// http(s) URL.
func apiURL(base string) (u *url.URL, ok bool) {
	if base == "" {
		base = defaultAPIURL
	}
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, false
	}
	if !strings.HasSuffix(u.Path, "/") {
		u.Path += "/"
	}
	return u, true
}

// sameHost reports whether a and b have the same scheme and host (with
// its port): a token for one may go to the other.
func sameHost(a, b *url.URL) bool {
	return strings.EqualFold(a.Scheme, b.Scheme) && strings.EqualFold(a.Host, b.Host)
}

// tokenTransport authenticates the requests to one API's host with token
// and sends any other request (a redirect to another host, say) without
// it: the job's token belongs to the API at GITHUB_API_URL, and goes
// nowhere else. go-github's WithAuthToken would add it to every request
// its client makes, redirects included.
type tokenTransport struct {
	api   *url.URL
	token string
	// next makes the requests; nil: http.DefaultTransport.
	next http.RoundTripper
}

func (t *tokenTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	next := t.next
	if next == nil {
		next = http.DefaultTransport
	}
	if sameHost(req.URL, t.api) {
		req = req.Clone(req.Context())
		req.Header.Set("Authorization", "Bearer "+t.token)
	}
	return next.RoundTrip(req)
}

// repository is owner/name.
func (c *Client) repository() string { return c.owner + "/" + c.repo }

// retryAfter reports whether err may pass when the request is made again,
// and how long GitHub asks to wait first (0: no time named).
func retryAfter(err error) (time.Duration, bool) {
	var abuse *gh.AbuseRateLimitError
	var limit *gh.RateLimitError
	var resp *gh.ErrorResponse
	switch {
	case errors.As(err, &abuse):
		if abuse.RetryAfter != nil {
			return *abuse.RetryAfter, true
		}
		return secondaryWait, true
	case errors.As(err, &limit):
		return max(0, time.Until(limit.Rate.Reset.Time)), true
	case errors.As(err, &resp):
		if resp.Response == nil {
			return 0, false
		}
		switch code := resp.Response.StatusCode; {
		case code == http.StatusTooManyRequests:
			return askedWait(resp.Response.Header), true
		case code >= 500:
			return 0, true
		}
		return 0, false
	}
	return 0, kube.Transient(err)
}

// askedWait is the wait a 429 answer asks for: Retry-After seconds, else
// until x-ratelimit-reset, else a minute.
func askedWait(h http.Header) time.Duration {
	if s, err := strconv.Atoi(h.Get("Retry-After")); err == nil && s >= 0 {
		return time.Duration(s) * time.Second
	}
	if h.Get("X-RateLimit-Remaining") == "0" {
		if reset := resetAt(h); !reset.IsZero() {
			return max(0, time.Until(reset))
		}
	}
	return secondaryWait
}

// statusText is an answer's status as HTTP spells it: "404 Not Found".
func statusText(resp *http.Response) string {
	if resp == nil {
		return "no answer"
	}
	return strings.TrimSpace(fmt.Sprintf("%d %s", resp.StatusCode, http.StatusText(resp.StatusCode)))
}

// messageSuffix is ": message", cut to 200 bytes, or "" without one.
func messageSuffix(m string) string {
	if m == "" {
		return ""
	}
	if len(m) > 200 {
		m = strings.ToValidUTF8(m[:200], "") + "..."
	}
	return ": " + m
}
