package app

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/knative-preview/action/internal/config"
	"github.com/knative-preview/action/internal/console"
	"github.com/knative-preview/action/internal/deploy"
	"github.com/knative-preview/action/internal/github"
	"github.com/knative-preview/action/internal/reachable"
	"github.com/knative-preview/action/internal/report"
	"github.com/knative-preview/action/internal/summary"
)

// githubTimeout bounds the GitHub calls that open and close a run: they
// must not hold the job when GitHub is slow, and a cancelled job has only
// seconds left.
const (
	githubTimeout     = 2 * time.Minute
	githubTimeoutStop = 5 * time.Second
)

// pullRequest keeps the pull request the run is for told: its deployment
// (in progress, then success or failure; inactive once the preview is
// removed) and its comment. A token that may not write gives one warning
// each, and the run goes on: what the pull request is told never fails the
// job.
type pullRequest struct {
	con     *console.Console
	client  *github.Client
	pr      *github.PullRequest
	env     string
	comment bool
	deploys bool
	down    bool
	// unlabelled is set when the pull request lacks preview-label: its
	// preview is removed, and only a comment it already has is edited.
	unlabelled string
	// service, namespace and tag name the preview.
	service, namespace, tag string
	runURL                  string
	deployID                int64
}

// newPullRequest returns what tells cfg's pull request, or nil when there
// is nothing to tell: no pull request, or neither a comment nor a
// deployment asked for.
func newPullRequest(cfg *config.Config, con *console.Console, getenv func(string) string) *pullRequest {
	ev := cfg.Event
	if ev == nil || ev.PullRequest == nil || cfg.DryRun {
		return nil
	}
	p := &pullRequest{
		con: con, pr: ev.PullRequest,
		env:     cfg.GitHub.EnvironmentFor(ev.PullRequest),
		comment: cfg.GitHub.Comments(ev), deploys: cfg.GitHub.Deploys(ev),
		down:    cfg.Deploy.Mode == deploy.ModeDown,
		service: cfg.Deploy.Service, namespace: cfg.Deploy.Namespace, tag: cfg.Deploy.Tag,
		runURL: github.RunURL(getenv),
	}
	if !p.comment && !p.deploys {
		return nil
	}
	if pr := cfg.Deploy.Derived.PullRequest; pr != nil && pr.Unwanted && !pr.Closed {
		p.unlabelled = cfg.GitHub.PreviewLabel
	}
	client, err := github.NewClient(getenv, cfg.GitHubToken)
	if err != nil {
		con.Warnf("pull request #%d gets no comment and no deployment: %v", p.pr.Number, err)
		return nil
	}
	p.client = client
	return p
}

// start records the deployment as in progress (mode up).
func (p *pullRequest) start(ctx context.Context) {
	if p == nil || !p.deploys || p.down {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, githubTimeout)
	defer cancel()
	id, err := p.client.StartDeployment(ctx, p.pr.HeadSHA, p.env, fmt.Sprintf("knative-preview: deploying pull request #%d", p.pr.Number))
	p.deployID = id
	if err != nil {
		p.warn(err, github.DeploymentPermission, "recording the deployment of environment "+p.env)
		return
	}
	p.con.Infof("deployment %d of environment %s is in progress", id, p.env)
}

// finish tells the pull request how the run ended: r is the run's report
// (nil in mode down) and err its failure. It runs after the run's own
// context may have ended, so it takes its own time: stopped says the job
// is being cancelled and has seconds left.
func (p *pullRequest) finish(r *report.Report, err error, stopped bool) (commentURL string) {
	if p == nil {
		return ""
	}
	limit := githubTimeout
	if stopped {
		limit = githubTimeoutStop
	}
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()

	if p.deploys {
		var derr error
		switch {
		case p.down:
			derr = p.client.DeactivateEnvironment(ctx, p.env)
		case p.deployID != 0:
			derr = p.finishDeployment(ctx, r, err)
		}
		if derr != nil {
			p.warn(derr, github.DeploymentPermission, "updating the deployment of environment "+p.env)
		}
	}

	if !p.comment {
		return ""
	}
	c := summary.CommentContext{RunURL: p.runURL, Service: p.service, Namespace: p.namespace, Tag: p.tag}
	if p.down {
		c.Removed = time.Now().UTC()
	}
	keep := p.client.UpsertComment
	if p.unlabelled != "" {
		// A pull request without the label that never had a preview gets
		// no comment saying it has none.
		keep = p.client.EditComment
		c.RemovedBy = "because the pull request does not carry the label " + p.unlabelled
	}
	body := summary.Comment(r, c)
	url, cerr := keep(ctx, p.pr.Number, summary.Marker, p.con.Redact(body))
	if cerr != nil {
		p.warn(cerr, github.CommentPermission, fmt.Sprintf("commenting on pull request #%d", p.pr.Number))
		return ""
	}
	if url == "" {
		p.con.Infof("pull request #%d has no comment of this action's to edit, and gets none: it has no preview", p.pr.Number)
		return ""
	}
	p.con.Infof("pull request #%d's comment: %s", p.pr.Number, url)
	return url
}

// finishDeployment ends the deployment start recorded: failed; success with
// the preview's URL ("View deployment") when a reviewer can reach it;
// success without a URL when the preview stays up but only its cluster
// reaches it; inactive (destroyed) when its cluster goes with the job. No
// deployment then offers a button that leads nowhere.
func (p *pullRequest) finishDeployment(ctx context.Context, r *report.Report, err error) error {
	switch {
	case err != nil || r == nil || r.Service == nil:
		return p.client.FinishDeployment(ctx, p.deployID, err == nil, "", "knative-preview: the preview failed")
	case r.Reachability != nil && r.Reachability.Case == reachable.Ephemeral:
		return p.client.EndDeployment(ctx, p.deployID, "knative-preview: tested; its cluster goes away with the job, so there is nothing to visit")
	case r.Reachability != nil && !r.Reachability.Reachable:
		return p.client.FinishDeployment(ctx, p.deployID, true, "", "knative-preview: the preview is up, but only its cluster reaches it")
	}
	return p.client.FinishDeployment(ctx, p.deployID, true, r.Service.URL, "knative-preview: the preview is up")
}

// warn says why the pull request was not told, as one warning: the
// permission that is missing, or what failed.
func (p *pullRequest) warn(err error, permission, doing string) {
	if w, ok := github.MissingPermission(err, permission); ok {
		p.con.Warnf("%s", w)
		return
	}
	if errors.Is(err, context.DeadlineExceeded) {
		p.con.Warnf("%s: GitHub did not answer in time (%v); the run's own outcome stands", doing, err)
		return
	}
	p.con.Warnf("%s: %v; the run's own outcome stands", doing, err)
}
