// Package githubtest fakes, on 127.0.0.1, the parts of GitHub's REST API
// the action uses: issue comments, deployments with their statuses, the
// list of pull requests, and releases, with GitHub's paths, JSON shapes,
// pagination, refusals and rate limits. Each handler follows the
// operation of GitHub's REST description
// (github.com/github/rest-api-description,
// descriptions/api.github.com/api.github.com.yaml) its comment names.
// One refusal is simplified: creating a deployment without
// required_contexts answers 409 always, as GitHub does when a commit
// status of the ref is pending or failing, which this run's own is.
package githubtest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Bot is the login the fake gives the comments and deployments a request
// makes, as GitHub does for the workflow's GITHUB_TOKEN.
const Bot = "github-actions[bot]"

// Request is one request the fake received.
type Request struct {
	Method string
	// Path is the URL's path, Query its query.
	Path  string
	Query url.Values
	// Authorization is the Authorization header.
	Authorization string
	UserAgent     string
	Accept        string
	// Body is the decoded JSON body; nil when there was none. Fields keep
	// JSON's types: an empty list is []any{}, a missing field is absent.
	Body map[string]any
}

// Comment is a comment on an issue or pull request.
type Comment struct {
	ID    int64
	Issue int
	Body  string
	User  string
}

// Deployment is a deployment as it was created.
type Deployment struct {
	ID               int64
	Ref, SHA, Task   string
	Environment      string
	Description      string
	Transient        bool
	Production       bool
	AutoMerge        bool
	RequiredContexts []string
	// Payload is the payload as the request gave it: an object, a
	// string, or nil when it gave none.
	Payload any
}

// Status is a status of a deployment.
type Status struct {
	ID             int64
	State          string
	Description    string
	Environment    string
	EnvironmentURL string
	LogURL         string
}

// Server fakes GitHub's REST API for one repository at a time: the owner
// and name in the paths are whatever the client asks for.
type Server struct {
	srv *httptest.Server

	mu          sync.Mutex
	nextID      int64
	comments    []*Comment
	deployments []*Deployment
	statuses    map[int64][]*Status
	releases    map[string][]Release
	pulls       []*PullRequest
	requests    []Request
	forbidden   []string
	notFound    []string
	failNext    int
	lose        int
	throttle    int
	retryAfter  time.Duration
	limit       int
	limitReset  time.Time
	answers     int
	answer      answer
	pageSize    int
	onRequest   func(Request)
	delay       time.Duration
}

// answer is an answer AnswerNext set.
type answer struct {
	code    int
	header  http.Header
	message string
}

// New starts a fake on 127.0.0.1; it stops when the test ends.
func New(t testing.TB) *Server {
	t.Helper()
	s := &Server{nextID: 1000, statuses: map[int64][]*Status{}, releases: map[string][]Release{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /repos/{owner}/{repo}/issues/{number}/comments", s.listComments)
	mux.HandleFunc("POST /repos/{owner}/{repo}/issues/{number}/comments", s.createComment)
	mux.HandleFunc("PATCH /repos/{owner}/{repo}/issues/comments/{id}", s.updateComment)
	mux.HandleFunc("GET /repos/{owner}/{repo}/deployments", s.listDeployments)
	mux.HandleFunc("POST /repos/{owner}/{repo}/deployments", s.createDeployment)
	mux.HandleFunc("POST /repos/{owner}/{repo}/deployments/{id}/statuses", s.createStatus)
	mux.HandleFunc("GET /repos/{owner}/{repo}/releases", s.listReleases)
	mux.HandleFunc("GET /repos/{owner}/{repo}/pulls", s.listPulls)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeMessage(w, http.StatusNotFound, "Not Found")
	})
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("githubtest: listening on 127.0.0.1: %v", err)
	}
	s.srv = httptest.NewUnstartedServer(s.front(mux))
	s.srv.Listener.Close()
	s.srv.Listener = l
	s.srv.Start()
	t.Cleanup(s.srv.Close)
	return s
}

// URL is the API's base URL, with a trailing slash: GITHUB_API_URL.
func (s *Server) URL() string { return s.srv.URL + "/" }

// Forbid makes writes (POST, PATCH, PUT, DELETE) to paths under prefix
// answer 403 "Resource not accessible by integration", as GitHub answers
// a token without the permission; reads still work.
func (s *Server) Forbid(pathPrefix string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.forbidden = append(s.forbidden, pathPrefix)
}

// NotFound makes every request to a path under prefix answer 404, as
// GitHub answers a token that may not see a private repository.
func (s *Server) NotFound(pathPrefix string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.notFound = append(s.notFound, pathPrefix)
}

// FailNext makes the next n requests answer 502 Bad Gateway.
func (s *Server) FailNext(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failNext = n
}

// LoseNextAnswer makes the next n writes (POST, PATCH, PUT, DELETE) take
// effect and then answer 502 Bad Gateway, as GitHub's front does when the
// API behind it answered too late: the client cannot tell that its write
// was made.
func (s *Server) LoseNextAnswer(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lose = n
}

// ThrottleNext makes the next n requests answer 403 with GitHub's
// secondary rate limit message and a Retry-After of retryAfter (whole
// seconds).
func (s *Server) ThrottleNext(n int, retryAfter time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.throttle, s.retryAfter = n, retryAfter
}

// LimitNext makes the next n requests answer 403 as GitHub answers once
// the primary rate limit is used up: no request remains until reset.
func (s *Server) LimitNext(n int, reset time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.limit, s.limitReset = n, reset
}

// AnswerNext makes the next n requests answer code with header and a
// body of GitHub's shape carrying message: the answers the other knobs do
// not give, such as 401 Bad credentials or a 429 rate limit.
func (s *Server) AnswerNext(n, code int, header http.Header, message string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.answers, s.answer = n, answer{code: code, header: header.Clone(), message: message}
}

// PageSize makes a page hold at most n items, whatever per_page asks, so
// that a few items make several pages; 0 leaves GitHub's 100.
func (s *Server) PageSize(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pageSize = n
}

// Delay makes every request wait d before it is answered, as a GitHub
// that is slow; a client that gives the request up ends the wait.
func (s *Server) Delay(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.delay = d
}

// OnRequest has f called with each request as it arrives, before it is
// answered.
func (s *Server) OnRequest(f func(Request)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.onRequest = f
}

// SeedComments adds n comments by another user to issue number, oldest
// first, so that the action's comment lands behind them.
func (s *Server) SeedComments(number, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range n {
		s.nextID++
		s.comments = append(s.comments, &Comment{ID: s.nextID, Issue: number, Body: fmt.Sprintf("Comment %d", i+1), User: "octocat"})
	}
}

// SeedDeployments adds n deployments of the default branch to
// environment, oldest first, each with a success status.
func (s *Server) SeedDeployments(environment string, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.nextID++
		d := &Deployment{ID: s.nextID, Ref: "main", SHA: fmt.Sprintf("%040x", s.nextID), Task: "deploy", Environment: environment, Transient: true, RequiredContexts: []string{}}
		s.deployments = append(s.deployments, d)
		s.nextID++
		s.statuses[d.ID] = []*Status{{ID: s.nextID, State: "success", Environment: environment}}
	}
}

// Comments returns the comments on issue number, oldest first.
func (s *Server) Comments(number int) []Comment {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Comment
	for _, c := range s.comments {
		if c.Issue == number {
			out = append(out, *c)
		}
	}
	return out
}

// Deployments returns the deployments, oldest first.
func (s *Server) Deployments() []Deployment {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Deployment, 0, len(s.deployments))
	for _, d := range s.deployments {
		c := *d
		c.RequiredContexts = slices.Clone(d.RequiredContexts)
		out = append(out, c)
	}
	return out
}

// Statuses returns the statuses of deployment id, oldest first.
func (s *Server) Statuses(id int64) []Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Status, 0, len(s.statuses[id]))
	for _, st := range s.statuses[id] {
		out = append(out, *st)
	}
	return out
}

// Requests returns the requests received so far, in order.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.requests)
}

// front records each request, then answers it as told (a failure, a
// refusal) or passes it to next.
func (s *Server) front(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, err := io.ReadAll(r.Body)
		if err != nil {
			writeMessage(w, http.StatusBadRequest, "Problems reading the body")
			return
		}
		req := Request{Method: r.Method, Path: r.URL.Path, Query: r.URL.Query(), Authorization: r.Header.Get("Authorization"), UserAgent: r.Header.Get("User-Agent"), Accept: r.Header.Get("Accept")}
		if len(bytes.TrimSpace(raw)) > 0 {
			if err := json.Unmarshal(raw, &req.Body); err != nil {
				writeMessage(w, http.StatusBadRequest, "Problems parsing JSON")
				return
			}
		}
		r.Body = io.NopCloser(bytes.NewReader(raw))
		f := s.take(req, r)
		if f.hook != nil {
			f.hook(req)
		}
		if f.delay > 0 {
			select {
			case <-time.After(f.delay):
			case <-r.Context().Done():
				return
			}
		}
		switch {
		case s.answerAsTold(w, r, req, f):
		case f.lose:
			next.ServeHTTP(httptest.NewRecorder(), r)
			writeMessage(w, http.StatusBadGateway, "Server Error")
		default:
			next.ServeHTTP(w, r)
		}
	})
}

// told is how the server was told to answer one request.
type told struct {
	hook                       func(Request)
	delay, retryAfter          time.Duration
	fail, throttle, limit      bool
	limitReset                 time.Time
	answers                    bool
	canned                     answer
	write, forbidden, notFound bool
	lose                       bool
}

// take records req and takes from what the server was told the answer to
// give it, counting down the told failures.
func (s *Server) take(req Request, r *http.Request) told {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = append(s.requests, req)
	f := told{hook: s.onRequest, delay: s.delay, fail: s.failNext > 0, throttle: s.throttle > 0, retryAfter: s.retryAfter,
		limit: s.limit > 0, limitReset: s.limitReset, answers: s.answers > 0, canned: s.answer}
	switch {
	case f.fail:
		s.failNext--
	case f.throttle:
		s.throttle--
	case f.limit:
		s.limit--
	case f.answers:
		s.answers--
	}
	f.write = r.Method != http.MethodGet && r.Method != http.MethodHead
	f.forbidden = f.write && hasPrefix(s.forbidden, r.URL.Path)
	f.notFound = hasPrefix(s.notFound, r.URL.Path)
	if f.write && s.lose > 0 && !f.fail && !f.throttle && !f.limit && !f.answers {
		s.lose--
		f.lose = true
	}
	return f
}

// answerAsTold writes the answer the server was told to give, and reports
// whether it did; else the API answers.
func (s *Server) answerAsTold(w http.ResponseWriter, r *http.Request, req Request, f told) bool {
	docs := "https://docs.github.com/rest"
	switch {
	case f.fail:
		writeMessage(w, http.StatusBadGateway, "Server Error")
	case f.throttle:
		w.Header().Set("Retry-After", strconv.Itoa(int(f.retryAfter/time.Second)))
		writeJSON(w, http.StatusForbidden, map[string]string{
			"message":           "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.",
			"documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits",
		})
	case f.limit:
		rateLimited(w, r, req, f.limitReset)
	case f.answers:
		for k, vs := range f.canned.header {
			for _, v := range vs {
				w.Header().Add(k, v)
			}
		}
		writeMessage(w, f.canned.code, f.canned.message)
	case f.notFound:
		writeJSON(w, http.StatusNotFound, map[string]string{"message": "Not Found", "documentation_url": docs})
	case f.write && req.Authorization == "":
		writeJSON(w, http.StatusUnauthorized, map[string]string{"message": "Requires authentication", "documentation_url": docs})
	case f.forbidden:
		writeJSON(w, http.StatusForbidden, map[string]string{"message": "Resource not accessible by integration", "documentation_url": docs})
	default:
		return false
	}
	return true
}

// rateLimited answers as GitHub does when the primary rate limit is
// reached: the quota of an anonymous or an authenticated caller.
func rateLimited(w http.ResponseWriter, r *http.Request, req Request, reset time.Time) {
	who := r.RemoteAddr
	if host, _, err := net.SplitHostPort(who); err == nil {
		who = host
	}
	message := "API rate limit exceeded for " + who + ". (But here's the good news: Authenticated requests get a higher rate limit. Check out the documentation for more details.)"
	h := w.Header()
	quota := "60"
	if req.Authorization != "" {
		message, quota = "API rate limit exceeded for user ID 1.", "5000"
	}
	h.Set("X-RateLimit-Limit", quota)
	h.Set("X-RateLimit-Used", quota)
	h.Set("X-RateLimit-Remaining", "0")
	h.Set("X-RateLimit-Reset", strconv.FormatInt(reset.Unix(), 10))
	h.Set("X-RateLimit-Resource", "core")
	writeJSON(w, http.StatusForbidden, map[string]string{
		"message":           message,
		"documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api",
	})
}

func hasPrefix(prefixes []string, path string) bool {
	return slices.ContainsFunc(prefixes, func(p string) bool { return strings.HasPrefix(path, p) })
}

// page cuts items to the page r asks for (per_page, default 30, at most
// 100 or size when size > 0; page from 1) and sets the Link header GitHub
// sends. start is the index in items of the page's first item.
func page[T any](w http.ResponseWriter, r *http.Request, items []T, size int) (_ []T, start int) {
	q := r.URL.Query()
	perPage, err := strconv.Atoi(q.Get("per_page"))
	if err != nil || perPage <= 0 {
		perPage = 30
	}
	perPage = min(perPage, 100)
	if size > 0 {
		perPage = min(perPage, size)
	}
	p, err := strconv.Atoi(q.Get("page"))
	if err != nil || p <= 0 {
		p = 1
	}
	last := max(1, (len(items)+perPage-1)/perPage)
	link := func(n int, rel string) string {
		u := *r.URL
		u.Scheme, u.Host = "http", r.Host
		v := u.Query()
		v.Set("per_page", strconv.Itoa(perPage))
		v.Set("page", strconv.Itoa(n))
		u.RawQuery = v.Encode()
		return fmt.Sprintf("<%s>; rel=%q", u.String(), rel)
	}
	var links []string
	if p > 1 {
		links = append(links, link(p-1, "prev"))
	}
	if p < last {
		links = append(links, link(p+1, "next"), link(last, "last"))
	}
	if p > 1 {
		links = append(links, link(1, "first"))
	}
	if len(links) > 0 {
		w.Header().Set("Link", strings.Join(links, ", "))
	}
	start = min((p-1)*perPage, len(items))
	return items[start:min(start+perPage, len(items))], start
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

func writeMessage(w http.ResponseWriter, code int, message string) {
	writeJSON(w, code, map[string]string{"message": message, "documentation_url": "https://docs.github.com/rest"})
}

// invalid answers 422 as GitHub does for a request body it refuses.
func invalid(w http.ResponseWriter, resource, field, code, message string) {
	e := map[string]string{"resource": resource, "field": field, "code": code}
	if message != "" {
		e["message"] = message
	}
	writeJSON(w, http.StatusUnprocessableEntity, map[string]any{
		"message":           "Validation Failed",
		"errors":            []map[string]string{e},
		"documentation_url": "https://docs.github.com/rest",
	})
}

func decode(r *http.Request, v any) error {
	return json.NewDecoder(r.Body).Decode(v)
}

func now() string { return time.Now().UTC().Format(time.RFC3339) }

func user(login string) map[string]any {
	typ := "User"
	if strings.HasSuffix(login, "[bot]") {
		typ = "Bot"
	}
	return map[string]any{"login": login, "id": len(login) * 1000, "type": typ, "site_admin": false}
}
