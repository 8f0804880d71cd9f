package github

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	gh "github.com/google/go-github/v75/github"
)

// maxPages bounds how many pages, of 100 items, of one list are read:
// Knative's repositories have a few hundred releases, and a pull request
// or an environment far fewer comments or deployments.
const maxPages = 20

// Releases reads the releases of any repository on one GitHub API, with a
// token or without one (GitHub then allows 60 requests an hour for each
// address).
type Releases struct {
	api *gh.Client
	// authenticated says whether a token is sent: a rate limit without
	// one is lifted by passing one.
	authenticated bool
	// elsewhere is the host of the API the token belongs to, when that is
	// not this one and the token is therefore not sent.
	elsewhere string
}

// NewReleases returns a reader of the releases on the API at baseURL
// (empty: api.github.com). token is sent only when it belongs to that API:
// when tokenAPI, the API it was issued for (GITHUB_API_URL; empty:
// api.github.com), is on the same host. A GitHub Enterprise Server job's
// token is thus never sent to github.com, which reads Knative's releases
// without one. hc makes the requests; nil: one that gives each up after 30
// seconds.
func NewReleases(baseURL, token, tokenAPI string, hc *http.Client) (*Releases, error) {
	base, ok := apiURL(baseURL)
	if !ok {
		return nil, fmt.Errorf("the GitHub API URL %q is not an http(s) URL", baseURL)
	}
	r := &Releases{}
	if token != "" {
		owner, ok := apiURL(tokenAPI)
		switch {
		case !ok:
			return nil, fmt.Errorf("GITHUB_API_URL is %q, not an http(s) URL: unset it for api.github.com", tokenAPI)
		case !sameHost(base, owner):
			r.elsewhere, token = owner.Host, ""
		}
	}
	r.api, _ = newAPI(baseURL, token, hc)
	r.authenticated = token != ""
	return r, nil
}

// Tags returns the tag names of the published releases (neither drafts
// nor pre-releases) of repository, owner/name, in GitHub's order, newest
// first. It reads 100 releases a page, at most maxPages pages.
// Nothing is retried, a rate limit included: the caller has a fallback and
// should not wait minutes for it. The errors say in a user's words why the
// list could not be read.
func (r *Releases) Tags(ctx context.Context, repository string) ([]string, error) {
	owner, name, ok := strings.Cut(repository, "/")
	if !ok || owner == "" || name == "" || strings.Contains(name, "/") {
		return nil, fmt.Errorf("listing releases: %q is not a repository owner/name", repository)
	}
	opts := &gh.ListOptions{PerPage: 100}
	var tags []string
	err := everyPage(func(page int) (int, error) {
		opts.Page = page
		rels, resp, err := r.api.Repositories.ListReleases(ctx, owner, name, opts)
		if err != nil {
			return 0, r.describe(err, repository)
		}
		for _, rel := range rels {
			if !rel.GetDraft() && !rel.GetPrerelease() {
				tags = append(tags, rel.GetTagName())
			}
		}
		return resp.NextPage, nil
	}, func() error {
		return fmt.Errorf("GitHub lists more than %d pages of releases for %s; stopped reading", maxPages, repository)
	})
	if err != nil {
		return nil, err
	}
	return tags, nil
}

// everyPage reads a list page by page: read reads page n (0 for the
// first, which the request then leaves to the API's default) and returns
// the number of the next page, 0 after the last (or to stop early). The next page is asked of the API by its number, never at the
// address a Link header names: the token goes to the API only. Past
// maxPages pages it stops with tooMany's error.
func everyPage(read func(page int) (next int, err error), tooMany func() error) error {
	page := 0
	for n := 1; ; n++ {
		if n > maxPages {
			return tooMany()
		}
		next, err := read(page)
		if err != nil || next == 0 {
			return err
		}
		page = next
	}
}

// releasesError is a failure to list releases said in a user's words; it
// keeps go-github's error for errors.As.
type releasesError struct {
	text string
	err  error
}

func (e *releasesError) Error() string { return e.text }
func (e *releasesError) Unwrap() error { return e.err }

// describe explains why listing repository's releases failed.
func (r *Releases) describe(err error, repository string) error {
	var (
		limit *gh.RateLimitError
		abuse *gh.AbuseRateLimitError
		resp  *gh.ErrorResponse
	)
	say := func(format string, args ...any) error {
		return &releasesError{text: fmt.Sprintf(format, args...), err: err}
	}
	switch {
	case errors.As(err, &limit):
		return say("%s", r.rateLimited(limit.Rate.Reset.Time))
	case errors.As(err, &abuse):
		return say("GitHub API secondary rate limit reached (%s)%s", statusText(abuse.Response), messageSuffix(abuse.Message))
	case errors.As(err, &resp) && resp.Response != nil:
		code, h := resp.Response.StatusCode, resp.Response.Header
		switch {
		case code == http.StatusTooManyRequests && h.Get("X-Ratelimit-Remaining") == "0":
			// go-github calls only a 403 a rate limit; GitHub answers 429 too.
			return say("%s", r.rateLimited(resetAt(h)))
		case code == http.StatusTooManyRequests || (code == http.StatusForbidden && h.Get("Retry-After") != ""):
			return say("GitHub API secondary rate limit reached (%s)%s", statusText(resp.Response), messageSuffix(resp.Message))
		case code == http.StatusUnauthorized:
			return say("GitHub rejected github-token (%s)%s: check the token", statusText(resp.Response), messageSuffix(resp.Message))
		case code == http.StatusNotFound:
			return say("GitHub API has no repository %s (%s)", repository, statusText(resp.Response))
		}
		return say("GitHub API answered %s for %s releases%s", statusText(resp.Response), repository, messageSuffix(resp.Message))
	case timedOut(err):
		return fmt.Errorf("GitHub API did not answer in time: %w", err)
	case errors.Is(err, context.Canceled):
		return fmt.Errorf("listing the releases of %s: %w", repository, err)
	case notJSON(err):
		return fmt.Errorf("GitHub answered the list of %s releases with something that is not a list of releases: %w", repository, err)
	}
	return fmt.Errorf("could not reach the GitHub API: %w", err)
}

// rateLimited says that the primary rate limit was reached, when it
// resets (zero: not known), and what lifts it.
func (r *Releases) rateLimited(reset time.Time) string {
	at := ""
	if !reset.IsZero() && reset.Unix() > 0 {
		at = " (it resets at " + reset.UTC().Format("15:04 UTC") + ")"
	}
	switch {
	case r.authenticated:
		return "GitHub API rate limit reached for the given github-token" + at
	case r.elsewhere != "":
		return "GitHub API rate limit reached for requests without a token" + at + ": github-token belongs to " + r.elsewhere + " and is sent there only, not to " + r.api.BaseURL.Host
	}
	return "GitHub API rate limit reached" + at + "; pass github-token"
}

// resetAt is when the rate limit resets, from x-ratelimit-reset; zero when
// the answer does not say.
func resetAt(h http.Header) time.Time {
	s, err := strconv.ParseInt(h.Get("X-Ratelimit-Reset"), 10, 64)
	if err != nil || s <= 0 {
		return time.Time{}
	}
	return time.Unix(s, 0)
}

// timedOut reports whether err is a request that got no answer in time.
func timedOut(err error) bool {
	var ne net.Error
	return errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout())
}

// notJSON reports whether err is an answer that could not be decoded.
func notJSON(err error) bool {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	return errors.As(err, &syntax) || errors.As(err, &typ) || errors.Is(err, io.ErrUnexpectedEOF)
}
