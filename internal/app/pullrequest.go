package app

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/knative-preview/action/internal/config"
	"github.com/knative-preview/action/internal/console"
	"github.com/knative-preview/action/internal/deploy"
	"github.com/knative-preview/action/internal/github"
	"github.com/knative-preview/action/internal/reachable"
	"github.com/knative-preview/action/internal/report"
	"github.com/knative-preview/action/internal/summary"
)

// pullRequest keeps the pull request the run is for told: its deployment
// (in progress, then success or failure; inactive once the preview is
// removed) and its comment. Whatever GitHub does, the run's outcome stands:
// what could not be told is one warning at the end.
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

	// started is closed once start's call has returned (nil: no start);
	// stopStart cuts it short. deployID and startErr are its answer, read
	// after started is closed.
	started   chan struct{}
	stopStart context.CancelFunc
	deployID  int64
	startErr  error

	// untold is what GitHub was not told, for one warning.
	untold github.Untold
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

// start records the deployment as in progress (mode up), beside the
// stages: it returns at once, and the call ends within github.StartBudget,
// or earlier with ctx (the run's).
func (p *pullRequest) start(ctx context.Context) {
	if p == nil || !p.deploys || p.down {
		return
	}
	ctx, p.stopStart = context.WithTimeout(ctx, github.StartBudget)
	p.started = make(chan struct{})
	go func() {
		defer close(p.started)
		defer p.stopStart()
		p.deployID, p.startErr = p.client.StartDeployment(ctx, p.pr.HeadSHA, p.env, fmt.Sprintf("knative-preview: deploying pull request #%d", p.pr.Number))
	}()
}

// finish tells the pull request how the run ended: r is the run's report
// (nil in mode down) and err its failure. It runs after the run's own
// context may have ended, on GitHub's budget: github.Budget, or
// github.BudgetStopped when the job is being cancelled (stopped).
func (p *pullRequest) finish(r *report.Report, err error, stopped bool) (commentURL string) {
	if p == nil {
		return ""
	}
	ctx, cancel := github.AfterStages(context.Background(), stopped)
	defer cancel()
	var wg sync.WaitGroup
	if p.deploys {
		wg.Go(func() { p.finishDeployment(ctx, r, err) })
	}
	if p.comment {
		wg.Go(func() { commentURL = p.upsertComment(ctx, r) })
	}
	wg.Wait()
	p.warnOnce()
	return commentURL
}

// finishDeployment marks the deployment start recorded successful or
// failed, or, in mode down, every deployment of the environment inactive.
func (p *pullRequest) finishDeployment(ctx context.Context, r *report.Report, err error) {
	if p.down {
		if derr := p.client.DeactivateEnvironment(ctx, p.env); derr != nil {
			p.untold.Add(derr, github.DeploymentPermission, "marking the deployments of environment "+p.env+" inactive")
			return
		}
		p.con.Infof("the deployments of environment %s are inactive", p.env)
		return
	}
	if !p.waitStarted(ctx) {
		p.untold.Add(ctx.Err(), github.DeploymentPermission, "recording the deployment of environment "+p.env)
		return
	}
	if p.startErr != nil {
		p.untold.Add(p.startErr, github.DeploymentPermission, "recording the deployment of environment "+p.env)
	}
	if p.deployID == 0 {
		return
	}
	desc, derr := p.endDeployment(ctx, r, err)
	if derr != nil {
		p.untold.Add(derr, github.DeploymentPermission, "updating the deployment of environment "+p.env)
		return
	}
	p.con.Infof("deployment %d of environment %s: %s", p.deployID, p.env, strings.TrimPrefix(desc, "knative-preview: "))
}

// endDeployment ends the deployment start recorded, and says how: failed;
// success with the preview's URL ("View deployment") when a reviewer can
// reach it; success without a URL when the preview stays up but only its
// cluster reaches it; inactive (destroyed) when its cluster goes with the
// job. No deployment then offers a button that leads nowhere.
func (p *pullRequest) endDeployment(ctx context.Context, r *report.Report, err error) (string, error) {
	switch {
	case err != nil || r == nil || r.Service == nil:
		desc := "knative-preview: the preview failed"
		return desc, p.client.FinishDeployment(ctx, p.deployID, false, "", desc)
	case r.Reachability != nil && r.Reachability.Case == reachable.Ephemeral:
		desc := "knative-preview: tested; its cluster goes away with the job, so there is nothing to visit"
		return desc, p.client.EndDeployment(ctx, p.deployID, desc)
	case r.Reachability != nil && !r.Reachability.Reachable:
		desc := "knative-preview: the preview is up, but only its cluster reaches it"
		return desc, p.client.FinishDeployment(ctx, p.deployID, true, "", desc)
	}
	desc := "knative-preview: the preview is up"
	return desc, p.client.FinishDeployment(ctx, p.deployID, true, r.Service.URL, desc)
}

// waitStarted waits for start's call to return, within ctx; when ctx ends
// first, it cuts the call short and reports false.
func (p *pullRequest) waitStarted(ctx context.Context) bool {
	if p.started == nil {
		return true // start was not called: no deployment to finish
	}
	select {
	case <-p.started:
		return true
	case <-ctx.Done():
		p.stopStart()
		<-p.started // returns at once: its requests end with their context
		return false
	}
}

// upsertComment keeps the run's comment on the pull request and returns
// its address ("" when it could not).
func (p *pullRequest) upsertComment(ctx context.Context, r *report.Report) string {
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
		p.untold.Add(cerr, github.CommentPermission, fmt.Sprintf("commenting on pull request #%d", p.pr.Number))
		return ""
	}
	if url == "" {
		p.con.Infof("pull request #%d has no comment of this action's to edit, and gets none: it has no preview", p.pr.Number)
		return ""
	}
	p.con.Infof("pull request #%d's comment: %s", p.pr.Number, url)
	return url
}

// warnOnce says, in one warning, everything the pull request was not told.
func (p *pullRequest) warnOnce() {
	if untold := p.untold.String(); untold != "" {
		p.con.Warnf("pull request #%d was not told everything (the run's own outcome stands): %s", p.pr.Number, untold)
	}
}
