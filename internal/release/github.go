package release

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/knative-preview/action/internal/buildinfo"
	"k8s.io/apimachinery/pkg/util/version"
)

// maxPages bounds how many pages of releases are read from one repository
// (100 a page; Knative repositories have a few hundred releases).
const maxPages = 20

// ghRelease is the part of a GitHub release object that is used.
type ghRelease struct {
	TagName    string `json:"tag_name"`
	Draft      bool   `json:"draft"`
	Prerelease bool   `json:"prerelease"`
}

// listReleases returns the published (not draft, not prerelease) versions
// of repo, following the Link header through every page. Its errors say
// why the list could not be read, in words fit for a user.
func (r *Resolver) listReleases(ctx context.Context, repo string) ([]*version.Version, error) {
	if r.Folder != "" {
		return r.listFolder(repo)
	}
	base, err := url.Parse(r.baseURL())
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return nil, fmt.Errorf("the GitHub API URL %q is not an http(s) URL", r.baseURL())
	}
	next := base.JoinPath("repos", repo, "releases")
	next.RawQuery = "per_page=100"

	var out []*version.Version
	for page := 1; next != nil; page++ {
		if page > maxPages {
			return nil, fmt.Errorf("GitHub lists more than %d pages of releases for %s; stopped reading", maxPages, repo)
		}
		rels, link, err := r.getPage(ctx, repo, next.String())
		if err != nil {
			return nil, err
		}
		for _, rel := range rels {
			if rel.Draft || rel.Prerelease {
				continue
			}
			if v := parseTag(rel.TagName); v != nil {
				out = append(out, v)
			}
		}
		next, err = nextPage(link, base)
		if err != nil {
			return nil, fmt.Errorf("following the pages of %s releases: %w", repo, err)
		}
	}
	return out, nil
}

// getPage reads one page of releases and the response's Link header.
func (r *Resolver) getPage(ctx context.Context, repo, u string) ([]ghRelease, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, "", fmt.Errorf("building a request for %s releases: %w", repo, err)
	}
	req.Header.Set("Accept", "application/vnd.github+json")
	req.Header.Set("X-GitHub-Api-Version", "2022-11-28")
	req.Header.Set("User-Agent", buildinfo.UserAgent())
	if r.Token != "" {
		req.Header.Set("Authorization", "Bearer "+r.Token)
	}
	resp, err := r.client().Do(req)
	if err != nil {
		return nil, "", describeRequestError(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, "", r.describeStatus(resp, repo)
	}
	var rels []ghRelease
	if err := json.NewDecoder(io.LimitReader(resp.Body, 32<<20)).Decode(&rels); err != nil {
		if isTimeout(err) {
			return nil, "", describeRequestError(err)
		}
		return nil, "", fmt.Errorf("GitHub answered the list of %s releases with something that is not a list of releases: %w", repo, err)
	}
	return rels, resp.Header.Get("Link"), nil
}

// describeStatus explains a non-200 answer of the GitHub API.
func (r *Resolver) describeStatus(resp *http.Response, repo string) error {
	msg := apiMessage(resp.Body)
	limited := resp.Header.Get("X-Ratelimit-Remaining") == "0"
	switch {
	case (resp.StatusCode == http.StatusForbidden || resp.StatusCode == http.StatusTooManyRequests) && limited:
		reset := ""
		if s, err := strconv.ParseInt(resp.Header.Get("X-Ratelimit-Reset"), 10, 64); err == nil && s > 0 {
			reset = " (it resets at " + time.Unix(s, 0).UTC().Format("15:04 UTC") + ")"
		}
		if r.Token == "" {
			return fmt.Errorf("GitHub API rate limit reached%s; pass github-token", reset)
		}
		return fmt.Errorf("GitHub API rate limit reached for the given github-token%s", reset)
	case resp.StatusCode == http.StatusTooManyRequests || (resp.StatusCode == http.StatusForbidden && resp.Header.Get("Retry-After") != ""):
		return fmt.Errorf("GitHub API secondary rate limit reached (%s)%s", resp.Status, msg)
	case resp.StatusCode == http.StatusUnauthorized:
		return fmt.Errorf("GitHub rejected github-token (%s)%s: check the token", resp.Status, msg)
	case resp.StatusCode == http.StatusNotFound:
		return fmt.Errorf("GitHub API has no repository %s (%s)", repo, resp.Status)
	}
	return fmt.Errorf("GitHub API answered %s for %s releases%s", resp.Status, repo, msg)
}

// apiMessage returns ": <message>" from a GitHub error body, or "".
func apiMessage(body io.Reader) string {
	var e struct {
		Message string `json:"message"`
	}
	if err := json.NewDecoder(io.LimitReader(body, 4096)).Decode(&e); err != nil || e.Message == "" {
		return ""
	}
	m := e.Message
	if len(m) > 200 {
		m = m[:200] + "..."
	}
	return ": " + m
}

// describeRequestError explains a request that got no answer.
func describeRequestError(err error) error {
	if isTimeout(err) {
		return fmt.Errorf("GitHub API did not answer in time: %w", err)
	}
	return fmt.Errorf("could not reach the GitHub API: %w", err)
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout())
}

// nextPage returns the rel="next" URL of a Link header, or nil on the last
// page. The token goes with every request, so a next page must be on the
// same scheme and host as the API.
func nextPage(link string, base *url.URL) (*url.URL, error) {
	for _, part := range strings.Split(link, ",") {
		target, params, ok := strings.Cut(strings.TrimSpace(part), ";")
		if !ok {
			continue
		}
		isNext := false
		for _, p := range strings.Split(params, ";") {
			k, v, _ := strings.Cut(strings.TrimSpace(p), "=")
			if strings.EqualFold(k, "rel") && strings.Contains(" "+strings.Trim(v, `"`)+" ", " next ") {
				isNext = true
			}
		}
		if !isNext {
			continue
		}
		target = strings.TrimSpace(target)
		if !strings.HasPrefix(target, "<") || !strings.HasSuffix(target, ">") {
			return nil, fmt.Errorf("malformed Link header %q", link)
		}
		u, err := base.Parse(target[1 : len(target)-1])
		if err != nil {
			return nil, fmt.Errorf("malformed next page URL in Link header: %w", err)
		}
		if u.Scheme != base.Scheme || u.Host != base.Host {
			return nil, fmt.Errorf("the next page is on %s://%s, not on the GitHub API at %s://%s; not sending the token there", u.Scheme, u.Host, base.Scheme, base.Host)
		}
		return u, nil
	}
	return nil, nil
}

// parseTag returns the version of a knative-vX.Y.Z tag, or nil for any
// other tag (pre-1.0 vX.Y.Z tags, pre-release suffixes).
func parseTag(tag string) *version.Version {
	if !strings.HasPrefix(tag, TagPrefix) {
		return nil
	}
	v, err := version.ParseSemantic(strings.TrimPrefix(tag, TagPrefix))
	if err != nil || v.PreRelease() != "" {
		return nil
	}
	return v
}

// listFolder returns the versions of repo's component found as folders in
// r.Folder.
func (r *Resolver) listFolder(repo string) ([]*version.Version, error) {
	dir := filepath.Join(r.Folder, strings.TrimPrefix(repo, "knative/"))
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("reading the releases in %s: %w", dir, err)
	}
	var out []*version.Version
	for _, e := range entries {
		if v := parseTag(TagPrefix + e.Name()); e.IsDir() && v != nil {
			out = append(out, v)
		}
	}
	return out, nil
}
