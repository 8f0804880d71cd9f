package github

import (
	"errors"
	"fmt"
	"net/http"

	gh "github.com/google/go-github/v75/github"
)

// The permissions, as a workflow's permissions block spells them, that
// the client's calls need.
const (
	// CommentPermission lets UpsertComment comment on pull requests.
	CommentPermission = "pull-requests: write"
	// DeploymentPermission lets the client record deployments.
	DeploymentPermission = "deployments: write"
	// PullRequestsPermission lets OpenPullRequests list a private
	// repository's pull requests.
	PullRequestsPermission = "pull-requests: read"
)

// MissingPermission recognises in err GitHub's answers to a token that may
// not write there: 403 (such as "Resource not accessible by integration"),
// 404 (a private repository the token may not see) and 401 (a token
// GitHub rejects). It returns one sentence for a warning that names the
// permission the job needs and says what pull requests from forks get.
// The caller warns and goes on: the job does not fail for it.
// Rate limits, which GitHub also answers with 403, are not such answers.
func MissingPermission(err error, permission string) (warning string, ok bool) {
	var resp *gh.ErrorResponse
	if !errors.As(err, &resp) || resp.Response == nil {
		return "", false
	}
	var what string
	switch resp.Response.StatusCode {
	case http.StatusForbidden:
		what = "GitHub refused the token (" + statusText(resp.Response) + messageSuffix(resp.Message) + ")"
	case http.StatusNotFound:
		what = "GitHub answered 404 Not Found, as it answers a token that may not see the repository"
	case http.StatusUnauthorized:
		what = "GitHub rejected the token (" + statusText(resp.Response) + messageSuffix(resp.Message) + ")"
	default:
		return "", false
	}
	outcome, forks := "", "they go without"
	switch permission {
	case CommentPermission:
		outcome, forks = ", so the pull request gets no comment", "they never get one"
	case DeploymentPermission:
		outcome, forks = ", so the pull request gets no deployment", "they never get one"
	case PullRequestsPermission:
		return fmt.Sprintf("%s, so the sweep cannot tell open pull requests from closed ones: give the job `permissions: %s` (or pass github-token a token that has it)", what, permission), true
	}
	return fmt.Sprintf("%s%s: give the job `permissions: %s` (or pass github-token a token that has it); "+
		"under the pull_request event, pull requests from forks get a read-only token whatever the workflow asks, so %s", what, outcome, permission, forks), true
}
