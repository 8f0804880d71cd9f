package github

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/knative-preview/action/internal/github/githubtest"
)

// What GitHub was not told is said once per reason, however the failures
// interleave (a comment and a deployment of each of several pull
// requests), with the permission that is missing or the budget that ran
// out named.
func TestUntold(t *testing.T) {
	fake := githubtest.New(t)
	c := newTestClient(t, fake)
	fake.Forbid("/repos/" + testRepo)
	var u Untold
	if u.String() != "" {
		t.Fatalf("nothing added, yet %q", u.String())
	}
	for pr := 1; pr <= 3; pr++ {
		_, err := c.UpsertComment(context.Background(), pr, marker, "x")
		u.Add(err, CommentPermission, fmt.Sprintf("editing pull request #%d's comment", pr))
		_, err = c.StartDeployment(context.Background(), "main", "pr-1", "x")
		u.Add(err, DeploymentPermission, "starting a deployment")
	}
	u.Add(fmt.Errorf("listing: %w", context.DeadlineExceeded), CommentPermission, "editing pull request #4's comment")
	u.Add(errors.New("boom"), CommentPermission, "editing pull request #5's comment")
	got := u.String()
	comment, deployment := strings.Index(got, "`permissions: pull-requests: write`"), strings.Index(got, "`permissions: deployments: write`")
	budget, other := strings.Index(got, "editing pull request #4's comment: given up when the budget of GitHub's calls ran out"), strings.Index(got, "editing pull request #5's comment: boom")
	if strings.Count(got, "`permissions: pull-requests: write`") != 1 || strings.Count(got, "`permissions: deployments: write`") != 1 ||
		!(0 <= comment && comment < deployment && deployment < budget && budget < other) {
		t.Errorf("untold, want each reason once, in order:\n%s", got)
	}
}
