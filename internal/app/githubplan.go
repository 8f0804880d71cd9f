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
			n.Lines = append(n.Lines, fmt.Sprintf("record a deployment of commit %s for environment %s: in progress now, then success with the preview's URL (\"View deployment\" on the pull request) or failure, linking this run (%s)", short(pr.HeadSHA), env, github.DeploymentPermission))
		}
	}
	if cfg.GitHub.Comments(ev) {
		what := "the URL, the revision, the versions and what was measured, or the stage that failed and why"
		if down {
			what = "that the preview was removed"
		}
		n.Lines = append(n.Lines, fmt.Sprintf("create or edit the comment on pull request #%d that begins with %s: %s (%s)", pr.Number, summary.Marker, what, github.CommentPermission))
	}
	return n
}

// short is a commit's first 12 characters.
func short(sha string) string {
	if len(sha) > 12 {
		return sha[:12]
	}
	return sha
}
