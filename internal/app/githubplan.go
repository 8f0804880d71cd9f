package app

import (
	"fmt"

	"github.com/knative-preview/action/internal/config"
	"github.com/knative-preview/action/internal/deploy"
	"github.com/knative-preview/action/internal/github"
	"github.com/knative-preview/action/internal/pipeline"
	"github.com/knative-preview/action/internal/summary"
)

// githubPlan says what the run would write on GitHub for its pull request:
// a dry run lists it beside the cluster's writes. Empty outside a pull
// request, or with neither a comment nor a deployment asked for.
func githubPlan(cfg *config.Config) pipeline.Note {
	n := pipeline.Note{Title: "on GitHub"}
	ev := cfg.Event
	if ev == nil || ev.PullRequest == nil {
		return n
	}
	pr := ev.PullRequest
	env := cfg.GitHub.EnvironmentFor(pr)
	down := cfg.Deploy.Mode == deploy.ModeDown
	if cfg.GitHub.Deploys(ev) {
		if down {
			n.Lines = append(n.Lines, fmt.Sprintf("set the deployments of environment %s inactive: the pull request shows the preview removed (%s)", env, github.DeploymentPermission))
		} else {
			n.Lines = append(n.Lines, fmt.Sprintf("record a deployment of commit %s for environment %s, linking this run: in progress now; at the end failure, or success with the preview's URL (\"View deployment\" on the pull request) when a reviewer can reach it, success without a URL when only the cluster's own network can, inactive when the cluster goes with the job (%s)", summary.ShortSHA(pr.HeadSHA), env, github.DeploymentPermission))
		}
	}
	if cfg.GitHub.Comments(ev) {
		what := "the URL, the revision, the versions and what was measured, or the stage that failed and why"
		verb := "create or edit"
		if down {
			what = "that the preview was removed"
		}
		if d := cfg.Deploy.Derived.PullRequest; d != nil && d.Unwanted && !d.Closed {
			verb, what = "edit, if there is one,", "that the preview was removed because the pull request does not carry the label "+cfg.GitHub.PreviewLabel
		}
		n.Lines = append(n.Lines, fmt.Sprintf("%s the comment on pull request #%d that begins with %s: %s (%s)", verb, pr.Number, summary.Marker, what, github.CommentPermission))
	}
	return n
}
