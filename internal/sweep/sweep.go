// Package sweep is the sweep stage of a scheduled run on a cluster that is
// kept: it finds the previews this action made, asks GitHub once which
// pull requests are open, and removes those of pull requests that are not
// (and, with a maximum age, those not deployed for longer) as their
// closing would have, telling each pull request.
package sweep

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/knative-preview/action/internal/cluster"
	"github.com/knative-preview/action/internal/deploy"
	"github.com/knative-preview/action/internal/github"
	"github.com/knative-preview/action/internal/log"
	"github.com/knative-preview/action/internal/report"
	"github.com/knative-preview/action/internal/summary"
)

// Options say what a sweep removes and whom it tells.
type Options struct {
	// Namespace is where to look; deploy.AllNamespaces (or empty): every
	// namespace.
	Namespace string
	// MaxAge, when set, removes also the previews of open pull requests
	// not deployed for longer.
	MaxAge time.Duration
	// KeepsHistory has a pull request's own preview's history removed
	// with it, as its closing does.
	KeepsHistory bool
	// DryRun lists what would be removed and why, and changes nothing.
	DryRun bool
	// Repository is owner/name: only its pull requests' previews are
	// swept.
	Repository string
	// Comments and Deployments say whether to edit a removed preview's
	// comment and set its deployments inactive; Environment names a pull
	// request's deployment environment; RunURL is the run's page.
	Comments, Deployments bool
	Environment           func(number int) string
	RunURL                string
}

// GitHub is what a sweep asks of GitHub: *github.Client.
type GitHub interface {
	OpenPullRequests(ctx context.Context) ([]int, error)
	EditComment(ctx context.Context, number int, marker, body string) (string, error)
	DeactivateEnvironment(ctx context.Context, environment string) error
}

// Removal is one preview a sweep removed, or in a dry run would remove.
type Removal struct {
	Namespace   string `json:"namespace"`
	Service     string `json:"service"`
	Tag         string `json:"tag,omitempty"`
	PullRequest int    `json:"pull-request"`
	// Reason is why: "pull request closed", "idle for 9 days".
	Reason string `json:"reason"`
	// Removed is false in a dry run, and where removing it failed.
	Removed bool `json:"removed"`

	preview deploy.Preview
}

// Stage is the sweep stage.
type Stage struct {
	// Deployer removes each preview; its zero value is the real one.
	Deployer deploy.Deployer
	// Now is the clock ages are measured by; nil: time.Now.
	Now func() time.Time
	// GitHub is asked which pull requests are open; nil makes Run fail
	// with GitHubErr before it changes anything.
	GitHub    GitHub
	GitHubErr error

	o       Options
	src     cluster.Source
	removed []Removal
}

// NewStage returns the sweep stage for o on the cluster src reaches.
func NewStage(o Options, src cluster.Source, gh GitHub, ghErr error) *Stage {
	return &Stage{o: o, src: src, GitHub: gh, GitHubErr: ghErr}
}

// Name is the stage's name.
func (s *Stage) Name() string { return "sweep" }

// Plan says what Run will do.
func (s *Stage) Plan() []string {
	where := "namespace " + s.o.Namespace
	if s.namespace() == "" {
		where = "every namespace"
	}
	which := "whose pull request is not open"
	if s.o.MaxAge > 0 {
		which += fmt.Sprintf(", and those of open pull requests not deployed for longer than %s", age(s.o.MaxAge))
	}
	p := []string{
		fmt.Sprintf("list the previews this action made for %s in %s: namespaces of pull requests of their own, Knative Services labelled with a pull request of it, and traffic tags whose revision is so labelled; nothing else is touched", s.o.Repository, where),
		fmt.Sprintf("ask GitHub once which pull requests of %s are open (if that fails, remove nothing)", s.o.Repository),
	}
	if s.o.DryRun {
		return append(p, "dry run: list each preview "+which+", and why; remove, edit and deactivate nothing")
	}
	return append(p,
		"remove each preview "+which+", as the closing of its pull request does: its Service (or only its tag), its Secrets, its history, a namespace this action created once empty",
		"edit each removed preview's comment on its pull request (if it has one) and set its deployments inactive",
	)
}

// LeftBehind says what a cut-short Run may leave.
func (s *Stage) LeftBehind() string {
	return "some previews may be removed and others not yet; run the sweep again"
}

// Removed is what Run removed (or in a dry run would remove), in order.
func (s *Stage) Removed() []Removal { return slices.Clone(s.removed) }

func (s *Stage) namespace() string {
	if s.o.Namespace == deploy.AllNamespaces {
		return ""
	}
	return s.o.Namespace
}

func (s *Stage) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// Run sweeps.
func (s *Stage) Run(ctx context.Context, l log.Logger) error {
	cl := s.src.Cluster()
	if cl == nil {
		return nil // no cluster, so no preview
	}
	previews, err := deploy.FindPreviews(ctx, cl, s.namespace(), s.o.Repository)
	if err != nil {
		return err
	}
	if len(previews) == 0 {
		l.Infof("no preview of this action's: nothing to sweep")
		return nil
	}
	l.Infof("found %d preview(s) of this action's", len(previews))
	if s.GitHub == nil {
		return fmt.Errorf("nothing was removed: %w", s.GitHubErr)
	}
	// Asked within GitHub's budget: a GitHub that does not answer holds
	// the job seconds, not minutes.
	askCtx, cancel := context.WithTimeout(ctx, github.Budget)
	open, err := s.GitHub.OpenPullRequests(askCtx)
	cancel()
	if err != nil {
		if w, ok := github.MissingPermission(err, github.PullRequestsPermission); ok {
			err = errors.New(w)
		}
		return fmt.Errorf("asking GitHub which pull requests are open: %w; nothing was removed", err)
	}
	s.removed = decide(previews, open, s.o.MaxAge, s.now())
	if len(s.removed) == 0 {
		l.Infof("every preview's pull request is open (and, with max-age, was deployed within it): nothing to remove")
		return nil
	}
	if s.o.DryRun {
		for _, r := range s.removed {
			l.Infof("would remove %s (pull request #%d): %s", r.preview, r.PullRequest, r.Reason)
		}
		return nil
	}
	var errs []error
	for i := range s.removed {
		if err := s.remove(ctx, l, cl, &s.removed[i]); err != nil {
			errs = append(errs, err)
		}
	}
	s.tell(ctx, l)
	return errors.Join(errs...)
}

// decide says which previews go, and why, in order of pull request: those
// of a pull request that is not open, and those idle for longer than
// maxAge (0: none). A preview of an open pull request deployed within
// maxAge stays.
func decide(previews []deploy.Preview, open []int, maxAge time.Duration, now time.Time) []Removal {
	var out []Removal
	for _, p := range previews {
		reason := ""
		switch idle := now.Sub(p.Updated); {
		case !slices.Contains(open, p.PullRequest):
			reason = "pull request closed"
		case maxAge > 0 && idle > maxAge:
			reason = "idle for " + age(idle)
		default:
			continue
		}
		out = append(out, Removal{Namespace: p.Namespace, Service: p.Service, Tag: p.Tag, PullRequest: p.PullRequest, Reason: reason, preview: p})
	}
	slices.SortStableFunc(out, func(a, b Removal) int { return cmp.Compare(a.PullRequest, b.PullRequest) })
	return out
}

// age says d in whole days, or hours under two days.
func age(d time.Duration) string {
	switch h := int(d / time.Hour); {
	case h >= 48:
		return fmt.Sprintf("%d days", h/24)
	case h == 1:
		return "1 hour"
	default:
		return fmt.Sprintf("%d hours", h)
	}
}

// remove removes one preview as its pull request's closing would.
func (s *Stage) remove(ctx context.Context, l log.Logger, cl *cluster.Cluster, r *Removal) error {
	l.Infof("removing %s (pull request #%d): %s", r.preview, r.PullRequest, r.Reason)
	if err := s.Deployer.Down(ctx, l, cl, r.preview.DownOptions(s.o.KeepsHistory)); err != nil {
		return fmt.Errorf("removing %s (pull request #%d, %s): %w", r.preview, r.PullRequest, r.Reason, err)
	}
	r.Removed = true
	return nil
}

// tell edits the comment of each removed preview's pull request and sets
// its deployments inactive, after every removal and within GitHub's
// budget of its own: the removals never wait for GitHub, and GitHub
// holds the job seconds at most. What could not be told is one warning.
func (s *Stage) tell(ctx context.Context, l log.Logger) {
	ctx, cancel := github.AfterStages(ctx, ctx.Err() != nil)
	defer cancel()
	var untold github.Untold
	for _, r := range s.removed {
		if !r.Removed {
			continue
		}
		if s.o.Comments {
			body := summary.Comment(&report.Report{OK: true}, summary.CommentContext{
				RunURL: s.o.RunURL, Removed: s.now().UTC(), Service: r.Service, Namespace: r.Namespace, Tag: r.Tag,
				RemovedBy: "by the scheduled sweep: " + r.Reason,
			})
			if _, err := s.GitHub.EditComment(ctx, r.PullRequest, summary.Marker, body); err != nil {
				untold.Add(err, github.CommentPermission, fmt.Sprintf("editing pull request #%d's comment", r.PullRequest))
			}
		}
		if s.o.Deployments && s.o.Environment != nil {
			env := s.o.Environment(r.PullRequest)
			if err := s.GitHub.DeactivateEnvironment(ctx, env); err != nil {
				untold.Add(err, github.DeploymentPermission, "setting the deployments of environment "+env+" inactive")
			}
		}
	}
	if s := untold.String(); s != "" {
		l.Warnf("the previews are removed all the same, but GitHub was not told everything: %s", s)
	}
}
