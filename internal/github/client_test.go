package github

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	gh "github.com/google/go-github/v75/github"

	"github.com/knative-preview/action/internal/buildinfo"
	"github.com/knative-preview/action/internal/github/githubtest"
)

const (
	testRepo   = "octo-org/hello-app"
	testToken  = "ghs_testtoken"
	testRunURL = "https://github.com/" + testRepo + "/actions/runs/4242"
	marker     = "<!-- knative-preview:preview -->"
)

// newTestClient is a client of fake whose retries follow at once.
func newTestClient(t *testing.T, fake *githubtest.Server) *Client {
	t.Helper()
	c, err := NewClient(env(map[string]string{
		"GITHUB_API_URL":    fake.URL(),
		"GITHUB_REPOSITORY": testRepo,
		"GITHUB_SERVER_URL": "https://github.com",
		"GITHUB_RUN_ID":     "4242",
	}), testToken)
	if err != nil {
		t.Fatal(err)
	}
	c.retry.First = time.Millisecond
	return c
}

func TestNewClient(t *testing.T) {
	cases := []struct {
		name    string
		env     map[string]string
		token   string
		wantAPI string
		wantRun string
		wantErr string
	}{
		{name: "api.github.com by default", env: map[string]string{"GITHUB_REPOSITORY": testRepo}, token: testToken, wantAPI: defaultAPIURL},
		{name: "GitHub Enterprise Server", env: map[string]string{"GITHUB_REPOSITORY": testRepo, "GITHUB_API_URL": "https://ghe.example.com/api/v3", "GITHUB_SERVER_URL": "https://ghe.example.com/", "GITHUB_RUN_ID": "7"},
			token: testToken, wantAPI: "https://ghe.example.com/api/v3/", wantRun: "https://ghe.example.com/" + testRepo + "/actions/runs/7"},
		{name: "run on github.com", env: map[string]string{"GITHUB_REPOSITORY": testRepo, "GITHUB_RUN_ID": "4242"}, token: testToken, wantAPI: defaultAPIURL, wantRun: testRunURL},
		{name: "no token", env: map[string]string{"GITHUB_REPOSITORY": testRepo}, wantErr: "pass github-token"},
		{name: "no repository", env: map[string]string{}, token: testToken, wantErr: "GITHUB_REPOSITORY"},
		{name: "a repository without owner", env: map[string]string{"GITHUB_REPOSITORY": "hello-app"}, token: testToken, wantErr: "not owner/name"},
		{name: "an API URL that is not one", env: map[string]string{"GITHUB_REPOSITORY": testRepo, "GITHUB_API_URL": "ghe.example.com"}, token: testToken, wantErr: "GITHUB_API_URL"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := NewClient(env(c.env), c.token)
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("error %v, want one saying %q", err, c.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.api.BaseURL.String() != c.wantAPI {
				t.Errorf("API URL %s, want %s", got.api.BaseURL, c.wantAPI)
			}
			if got.runURL != c.wantRun {
				t.Errorf("run URL %q, want %q", got.runURL, c.wantRun)
			}
		})
	}
}

// One comment per pull request however often the run comes, also when
// the comment is behind other people's on a later page.
func TestUpsertComment(t *testing.T) {
	for _, seed := range []int{0, 3, 150} {
		t.Run(fmt.Sprintf("behind %d comments", seed), func(t *testing.T) {
			fake := githubtest.New(t)
			fake.SeedComments(12, seed)
			fake.SeedComments(99, 2)
			c := newTestClient(t, fake)
			ctx := context.Background()

			url1, err := c.UpsertComment(ctx, 12, marker, "Preview at http://one")
			if err != nil {
				t.Fatal(err)
			}
			comments := fake.Comments(12)
			if len(comments) != seed+1 {
				t.Fatalf("%d comments after the first call, want %d", len(comments), seed+1)
			}
			first := comments[seed]
			if first.User != githubtest.Bot || first.Body != marker+"\nPreview at http://one" {
				t.Errorf("first call made %+v, want the body behind the marker", first)
			}
			if !strings.HasSuffix(url1, fmt.Sprintf("/pull/12#issuecomment-%d", first.ID)) {
				t.Errorf("address %q is not the comment's", url1)
			}

			url2, err := c.UpsertComment(ctx, 12, marker, "Preview at http://two\n"+marker)
			if err != nil {
				t.Fatal(err)
			}
			comments = fake.Comments(12)
			if len(comments) != seed+1 {
				t.Fatalf("%d comments after the second call, want %d", len(comments), seed+1)
			}
			if got := comments[seed]; got.ID != first.ID || got.Body != marker+"\nPreview at http://two\n"+marker {
				t.Errorf("second call left %+v, want comment %d edited", got, first.ID)
			}
			if url2 != url1 {
				t.Errorf("second address %q, want %q", url2, url1)
			}
			if n := len(fake.Comments(99)); n != 2 {
				t.Errorf("another pull request has %d comments, want its 2", n)
			}

			// Every list asked for 100 a page; the pages behind the first
			// were read when the comment was there.
			pages := map[string]bool{}
			for _, r := range fake.Requests() {
				if r.Method == "GET" {
					if r.Query.Get("per_page") != "100" {
						t.Errorf("listed with per_page=%q, want 100", r.Query.Get("per_page"))
					}
					pages[r.Query.Get("page")] = true
				}
				if r.Authorization != "Bearer "+testToken || r.UserAgent != buildinfo.UserAgent() {
					t.Errorf("request with Authorization %q and User-Agent %q", r.Authorization, r.UserAgent)
				}
			}
			if seed >= 100 && !pages["2"] {
				t.Errorf("pages read %v, want page 2", pages)
			}
		})
	}
}

// Each marker keeps its own comment.
func TestUpsertCommentMarkers(t *testing.T) {
	fake := githubtest.New(t)
	c := newTestClient(t, fake)
	ctx := context.Background()
	for _, m := range []string{marker, "<!-- knative-preview:preview-staging -->", marker} {
		if _, err := c.UpsertComment(ctx, 5, m, "x"); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(fake.Comments(5)); n != 2 {
		t.Errorf("%d comments for two markers, want 2", n)
	}
	for _, bad := range []string{"", "knative-preview", "<!-- -->", "<!-- a\nb -->", "<!-- a --> b -->"} {
		if _, err := c.UpsertComment(ctx, 5, bad, "x"); err == nil {
			t.Errorf("marker %q accepted", bad)
		}
	}
}

// A person's comment that quotes the marker is theirs: the action's
// comment is the one that begins with it.
func TestUpsertCommentLeavesAQuotedMarkerAlone(t *testing.T) {
	fake := githubtest.New(t)
	c := newTestClient(t, fake)
	ctx := context.Background()
	quoted := "How does the action find its comment? By " + marker + ", it seems."
	if _, _, err := c.api.Issues.CreateComment(ctx, "octo-org", "hello-app", 6, &gh.IssueComment{Body: &quoted}); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if _, err := c.UpsertComment(ctx, 6, marker, "preview ready"); err != nil {
			t.Fatal(err)
		}
	}
	comments := fake.Comments(6)
	if len(comments) != 2 || comments[0].Body != quoted || !strings.HasPrefix(comments[1].Body, marker) {
		t.Errorf("want the person's comment as it was and one of ours; got %+v", comments)
	}
}

// A list longer than maxPages pages is not read to its end: the call
// fails naming the limit and writes nothing.
func TestPageLimit(t *testing.T) {
	limit := strconv.Itoa(100 * maxPages)
	t.Run("comments", func(t *testing.T) {
		fake := githubtest.New(t)
		fake.SeedComments(9, 100*maxPages+1)
		c := newTestClient(t, fake)
		_, err := c.UpsertComment(context.Background(), 9, marker, "preview ready")
		if err == nil || !strings.Contains(err.Error(), "more than "+limit+" comments") {
			t.Errorf("UpsertComment on %d comments: %v, want an error naming the limit of %s", 100*maxPages+1, err, limit)
		}
		if n := len(fake.Comments(9)); n != 100*maxPages+1 {
			t.Errorf("%d comments, want none added", n)
		}
		if n := len(fake.Requests()); n != maxPages {
			t.Errorf("%d requests, want %d", n, maxPages)
		}
	})
	t.Run("deployments", func(t *testing.T) {
		fake := githubtest.New(t)
		fake.SeedDeployments("pr-3", 100*maxPages+1)
		c := newTestClient(t, fake)
		err := c.DeactivateEnvironment(context.Background(), "pr-3")
		if err == nil || !strings.Contains(err.Error(), "more than "+limit+" deployments") {
			t.Errorf("DeactivateEnvironment on %d deployments: %v, want an error naming the limit of %s", 100*maxPages+1, err, limit)
		}
		if n := len(fake.Requests()); n != maxPages {
			t.Errorf("%d requests, want %d", n, maxPages)
		}
	})
}

func TestUpsertCommentCutsLongBodies(t *testing.T) {
	fake := githubtest.New(t)
	c := newTestClient(t, fake)
	body := strings.Repeat("é", 40000) // 80000 bytes
	if _, err := c.UpsertComment(context.Background(), 3, marker, body); err != nil {
		t.Fatal(err)
	}
	got := fake.Comments(3)[0].Body
	if len(got) > 65536 || !utf8.ValidString(got) || !strings.HasPrefix(got, marker) || !strings.HasSuffix(got, commentCut) {
		t.Errorf("a long body became %d bytes (valid UTF-8: %v), want at most 65536 with the marker first and the cut said", len(got), utf8.ValidString(got))
	}
}

func TestDeployments(t *testing.T) {
	const sha = "ec26c3e57ca3a959ca5aad62de7213c562f8c821"
	long := strings.Repeat("Deployed and measured; ", 10)
	cases := []struct {
		name    string
		success bool
		want    []githubtest.Status
	}{
		{"success", true, []githubtest.Status{
			{State: "in_progress", Description: "deploying", Environment: "pr-12", LogURL: testRunURL},
			{State: "success", Description: cutDescription(long), Environment: "pr-12", LogURL: testRunURL, EnvironmentURL: "http://hello.previews.example.com"},
		}},
		{"failure", false, []githubtest.Status{
			{State: "in_progress", Description: "deploying", Environment: "pr-12", LogURL: testRunURL},
			{State: "failure", Description: cutDescription(long), Environment: "pr-12", LogURL: testRunURL},
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fake := githubtest.New(t)
			c := newTestClient(t, fake)
			ctx := context.Background()
			id, err := c.StartDeployment(ctx, sha, "pr-12", "deploying")
			if err != nil {
				t.Fatal(err)
			}
			if err := c.FinishDeployment(ctx, id, tc.success, "http://hello.previews.example.com", long); err != nil {
				t.Fatal(err)
			}
			deps := fake.Deployments()
			// SHA and Task are the fake's own: GitHub's resolution of the
			// ref and its default task, not something the client sends.
			// The payload is the call's token, checked by the lost-answer test.
			for i := range deps {
				deps[i].SHA, deps[i].Task, deps[i].Payload = "", "", nil
			}
			want := githubtest.Deployment{ID: id, Ref: sha, Environment: "pr-12", Description: "deploying", Transient: true, RequiredContexts: []string{}}
			if len(deps) != 1 || !reflect.DeepEqual(deps[0], want) {
				t.Errorf("deployments %+v, want %+v", deps, want)
			}
			got := fake.Statuses(id)
			for i := range got {
				got[i].ID = 0
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("statuses\n%+v\nwant\n%+v", got, tc.want)
			}
			if n := utf8.RuneCountInString(got[1].Description); n != maxDescription {
				t.Errorf("description of %d characters, want it cut to %d", n, maxDescription)
			}
			// required_contexts goes out as an empty list, not left out: left
			// out, GitHub waits for every check of the ref, this run's own
			// among them.
			posts := 0
			for _, r := range fake.Requests() {
				if r.Method == "POST" && r.Path == "/repos/"+testRepo+"/deployments" {
					posts++
					if rc, ok := r.Body["required_contexts"]; !ok || !reflect.DeepEqual(rc, []any{}) {
						t.Errorf("required_contexts sent as %#v, want []", rc)
					}
					if r.Body["ref"] != sha || r.Body["environment"] != "pr-12" || r.Body["description"] != "deploying" ||
						r.Body["auto_merge"] != false || r.Body["production_environment"] != false || r.Body["transient_environment"] != true {
						t.Errorf("deployment request %v", r.Body)
					}
				}
			}
			if posts != 1 {
				t.Errorf("%d deployment requests, want 1", posts)
			}
		})
	}
}

func TestDeactivateEnvironment(t *testing.T) {
	fake := githubtest.New(t)
	c := newTestClient(t, fake)
	ctx := context.Background()
	// More than a page of deployments to pr-7, and one to pr-8.
	var ids []int64
	for i := range 101 {
		id, err := c.StartDeployment(ctx, fmt.Sprintf("%040x", i), "pr-7", "run")
		if err != nil {
			t.Fatal(err)
		}
		if err := c.FinishDeployment(ctx, id, true, "http://x", "ok"); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	other, err := c.StartDeployment(ctx, "main", "pr-8", "run")
	if err != nil {
		t.Fatal(err)
	}
	if err := c.FinishDeployment(ctx, other, true, "http://y", "ok"); err != nil {
		t.Fatal(err)
	}

	if err := c.DeactivateEnvironment(ctx, "pr-7"); err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		st := fake.Statuses(id)
		if last := st[len(st)-1]; last.State != "inactive" {
			t.Fatalf("deployment %d of pr-7 ends %q, want inactive", id, last.State)
		}
	}
	st := fake.Statuses(other)
	if last := st[len(st)-1]; last.State != "success" {
		t.Errorf("the deployment of pr-8 ends %q, want it left at success", last.State)
	}
}

// A token that may not write gets one warning naming the permission, and
// the request is not made again.
func TestMissingPermission(t *testing.T) {
	cases := []struct {
		name       string
		setup      func(*githubtest.Server)
		call       func(*Client) error
		permission string
		want       []string
		requests   int
	}{
		{
			name:       "comment, 403",
			setup:      func(s *githubtest.Server) { s.Forbid("/repos/" + testRepo + "/issues") },
			call:       func(c *Client) error { _, err := c.UpsertComment(context.Background(), 1, marker, "x"); return err },
			permission: CommentPermission,
			want:       []string{"(403 Forbidden: Resource not accessible by integration)", "permissions: pull-requests: write", "forks"},
			requests:   2,
		},
		{
			name:  "deployment, 403",
			setup: func(s *githubtest.Server) { s.Forbid("/repos/" + testRepo + "/deployments") },
			call: func(c *Client) error {
				_, err := c.StartDeployment(context.Background(), "main", "pr-1", "x")
				return err
			},
			permission: DeploymentPermission,
			want:       []string{"(403 Forbidden: Resource not accessible by integration)", "permissions: deployments: write", "forks"},
			requests:   1,
		},
		{
			name:       "deactivate, 404 on a private repository",
			setup:      func(s *githubtest.Server) { s.NotFound("/repos/" + testRepo) },
			call:       func(c *Client) error { return c.DeactivateEnvironment(context.Background(), "pr-1") },
			permission: DeploymentPermission,
			want:       []string{"404", "permissions: deployments: write"},
			requests:   1,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fake := githubtest.New(t)
			tc.setup(fake)
			err := tc.call(newTestClient(t, fake))
			if err == nil {
				t.Fatal("no error")
			}
			warning, ok := MissingPermission(err, tc.permission)
			if !ok {
				t.Fatalf("MissingPermission(%v) = false", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(warning, w) {
					t.Errorf("warning %q does not say %q", warning, w)
				}
			}
			if strings.Count(warning, ". ") > 0 || strings.Contains(warning, "\n") {
				t.Errorf("warning %q is more than one sentence", warning)
			}
			if n := len(fake.Requests()); n != tc.requests {
				t.Errorf("%d requests, want %d: a refusal is not tried again", n, tc.requests)
			}
		})
	}

	// Answers that are not about permissions are not taken for one.
	fake := githubtest.New(t)
	c := newTestClient(t, fake)
	c.retry.For = time.Nanosecond
	fake.FailNext(1)
	_, err := c.UpsertComment(context.Background(), 1, marker, "x")
	if _, ok := MissingPermission(err, CommentPermission); err == nil || ok {
		t.Errorf("a 502 (%v) taken for a missing permission", err)
	}
	fake.ThrottleNext(1, time.Hour)
	_, err = c.UpsertComment(context.Background(), 1, marker, "x")
	if _, ok := MissingPermission(err, CommentPermission); err == nil || ok {
		t.Errorf("a secondary rate limit (%v) taken for a missing permission", err)
	}
	unauthorized := fmt.Errorf("commenting: %w", &gh.ErrorResponse{Response: &http.Response{StatusCode: http.StatusUnauthorized}, Message: "Bad credentials"})
	if w, ok := MissingPermission(unauthorized, CommentPermission); !ok || !strings.Contains(w, "(401 Unauthorized: Bad credentials)") || !strings.Contains(w, "pull-requests: write") {
		t.Errorf("a 401 gave %q, %v", w, ok)
	}
	if _, ok := MissingPermission(errors.New("dial tcp: connection refused"), CommentPermission); ok {
		t.Error("a network error taken for a missing permission")
	}
}

func TestRetries(t *testing.T) {
	t.Run("502 twice, then the comment", func(t *testing.T) {
		fake := githubtest.New(t)
		c := newTestClient(t, fake)
		fake.FailNext(2)
		if _, err := c.UpsertComment(context.Background(), 4, marker, "x"); err != nil {
			t.Fatal(err)
		}
		if n := len(fake.Comments(4)); n != 1 {
			t.Errorf("%d comments, want 1", n)
		}
		if n := len(fake.Requests()); n != 4 {
			t.Errorf("%d requests, want 2 failed, a list and a create", n)
		}
	})
	t.Run("502 twice, then the deployment", func(t *testing.T) {
		fake := githubtest.New(t)
		c := newTestClient(t, fake)
		fake.FailNext(2)
		id, err := c.StartDeployment(context.Background(), "main", "pr-4", "x")
		if err != nil {
			t.Fatal(err)
		}
		if n, st := len(fake.Deployments()), fake.Statuses(id); n != 1 || len(st) != 1 || st[0].State != "in_progress" {
			t.Errorf("%d deployments with statuses %+v, want one in progress", n, st)
		}
	})
	t.Run("a comment made, its answer lost", func(t *testing.T) {
		fake := githubtest.New(t)
		c := newTestClient(t, fake)
		fake.LoseNextAnswer(1)
		if _, err := c.UpsertComment(context.Background(), 4, marker, "x"); err != nil {
			t.Fatal(err)
		}
		if got := fake.Comments(4); len(got) != 1 {
			t.Errorf("%d comments, want 1: the next try finds the one made", len(got))
		}
	})
	t.Run("a deployment made, its answer lost", func(t *testing.T) {
		fake := githubtest.New(t)
		c := newTestClient(t, fake)
		// Another run's deployment of the same ref and environment is not
		// taken for this one.
		other, err := c.StartDeployment(context.Background(), "main", "pr-4", "x")
		if err != nil {
			t.Fatal(err)
		}
		fake.LoseNextAnswer(1)
		id, err := c.StartDeployment(context.Background(), "main", "pr-4", "x")
		if err != nil {
			t.Fatal(err)
		}
		deps := fake.Deployments()
		if len(deps) != 2 || id == other || deps[1].ID != id {
			t.Fatalf("deployments %+v, this start's %d, the other's %d: want the lost one found, not made again", deps, id, other)
		}
		if st := fake.Statuses(id); len(st) != 1 || st[0].State != "in_progress" {
			t.Errorf("statuses %+v of the found deployment, want one in progress", st)
		}
		p, ok := deps[1].Payload.(map[string]any)
		if !ok || p[payloadKey] == "" || p[payloadKey] == deps[0].Payload.(map[string]any)[payloadKey] {
			t.Errorf("payloads %v and %v, want a token of each start", deps[0].Payload, deps[1].Payload)
		}
	})
	t.Run("a secondary rate limit, then the comment", func(t *testing.T) {
		fake := githubtest.New(t)
		c := newTestClient(t, fake)
		fake.ThrottleNext(1, 0)
		if _, err := c.UpsertComment(context.Background(), 4, marker, "x"); err != nil {
			t.Fatal(err)
		}
		if n := len(fake.Comments(4)); n != 1 {
			t.Errorf("%d comments, want 1", n)
		}
	})
	t.Run("a rate limit asking longer than the action waits", func(t *testing.T) {
		fake := githubtest.New(t)
		c := newTestClient(t, fake)
		fake.ThrottleNext(1, time.Hour)
		_, err := c.UpsertComment(context.Background(), 4, marker, "x")
		if err == nil || !strings.Contains(err.Error(), "asks to wait 1h0m0s") {
			t.Errorf("error %v, want it to say how long GitHub asks to wait", err)
		}
		if n := len(fake.Requests()); n != 1 {
			t.Errorf("%d requests, want 1", n)
		}
	})
	t.Run("the retries end", func(t *testing.T) {
		fake := githubtest.New(t)
		c := newTestClient(t, fake)
		c.retry.For = 20 * time.Millisecond
		fake.FailNext(math.MaxInt32)
		err := c.FinishDeployment(context.Background(), 1, true, "", "x")
		if err == nil || !strings.Contains(err.Error(), "gave up after retrying") || !strings.Contains(err.Error(), "502") {
			t.Errorf("error %v, want the last 502 and that the retries ran out", err)
		}
	})
	t.Run("a context that ends during a request stops them", func(t *testing.T) {
		fake := githubtest.New(t)
		c := newTestClient(t, fake)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		fake.FailNext(math.MaxInt32)
		requests := 0
		fake.OnRequest(func(githubtest.Request) {
			if requests++; requests == 2 {
				cancel()
			}
		})
		_, err := c.UpsertComment(ctx, 4, marker, "x")
		if !errors.Is(err, context.Canceled) {
			t.Errorf("error %v, want the context's end", err)
		}
		if n := len(fake.Requests()); n != 2 {
			t.Errorf("%d requests, want 2", n)
		}
	})
	t.Run("a context that ends while waiting stops them", func(t *testing.T) {
		fake := githubtest.New(t)
		c := newTestClient(t, fake)
		c.retry.First, c.retry.Cap, c.retry.For = time.Hour, time.Hour, 2*time.Hour
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		fake.FailNext(math.MaxInt32)
		_, err := c.UpsertComment(ctx, 4, marker, "x")
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("error %v, want the context's end", err)
		}
		if n := len(fake.Requests()); n != 1 {
			t.Errorf("%d requests, want 1: the next try was an hour away", n)
		}
	})
}

// A 429 is tried again after what GitHub asks: Retry-After, else until the
// primary rate limit resets, else a minute.
func TestAskedWait(t *testing.T) {
	inTwoHours := strconv.FormatInt(time.Now().Add(2*time.Hour).Unix(), 10)
	cases := []struct {
		name     string
		header   map[string]string
		min, max time.Duration
	}{
		{name: "Retry-After", header: map[string]string{"Retry-After": "5", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": inTwoHours}, min: 5 * time.Second, max: 5 * time.Second},
		{name: "until the reset", header: map[string]string{"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": inTwoHours}, min: time.Hour, max: 2 * time.Hour},
		{name: "a reset gone by", header: map[string]string{"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "1700000000"}, min: 0, max: 0},
		{name: "a reset that is no time", header: map[string]string{"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "soon"}, min: secondaryWait, max: secondaryWait},
		{name: "requests left", header: map[string]string{"X-RateLimit-Remaining": "3", "X-RateLimit-Reset": inTwoHours}, min: secondaryWait, max: secondaryWait},
		{name: "nothing said", min: secondaryWait, max: secondaryWait},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := http.Header{}
			for k, v := range c.header {
				h.Set(k, v)
			}
			if got := askedWait(h); got < c.min || got > c.max {
				t.Errorf("askedWait = %s, want %s to %s", got, c.min, c.max)
			}
		})
	}
}
