package github

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/knative-preview/action/internal/input"
)

// Modes of the comment and deployment inputs; ModeAuto is their default.
const (
	ModeAuto   = "auto"
	modeAlways = "always"
	ModeNever  = "never"
)

// maxEnvironment is the longest environment name GitHub takes.
const maxEnvironment = 255

// Inputs are the inputs of the pull request's comment and deployment.
var Inputs = []input.Def{
	{
		Name:    "comment",
		Default: ModeAuto,
		Description: "A comment on the pull request with the preview's address and figures, kept up to date (one per pull request, edited on each run; needs permissions: pull-requests: write). " +
			"auto: on pull request events opened, synchronize, reopened and closed; always: on every pull request event (labeled, edited, ...); never: no comment. " +
			"A token that may not write (a fork's pull request gets a read-only one) gives a warning, not a failure. Other events have no pull request to comment on.",
	},
	{
		Name:    "deployment",
		Default: ModeAuto,
		Description: "A GitHub deployment per pull request (needs permissions: deployments: write). " +
			"auto: in progress, then on pull request events opened, synchronize and reopened: success with the URL (\"View deployment\") for a preview reviewers can reach, success without a URL for one only the cluster reaches, inactive (destroyed) for one whose cluster goes away with the job, or failure; inactive on closed; never: none. " +
			"A token that may not write (a fork's pull request gets a read-only one) gives a warning, not a failure. Other events get no deployment.",
	},
	{
		Name:        "preview-label",
		Description: "A label that a pull request must carry to get a preview (cost control), e.g. preview. Empty: every pull request gets one. With it, mode auto brings the preview up while the pull request carries the label and removes it when the label is removed (add labeled and unlabeled to the workflow's pull_request types); a pull request without it gets no preview, and no comment unless it had one; another label added or removed changes nothing.",
	},
	{
		Name:        "environment",
		Description: "Name of the deployment's environment. Empty: pr-<number>, one per pull request. A name of your own must still differ between pull requests (e.g. preview-pr-<number>): closing a pull request sets every deployment of its environment inactive.",
	},
}

// Options says whether to comment on the pull request and record its
// deployment.
type Options struct {
	// Comment is auto, always or never.
	Comment string
	// Deployment is auto or never.
	Deployment string
	// Environment is the deployment's environment; empty: pr-<number>.
	Environment string
	// PreviewLabel, when set, is the label a pull request must carry to
	// get a preview.
	PreviewLabel string
}

// Parse reads the comment and deployment inputs.
func Parse(r *input.Reader) Options {
	o := Options{
		Comment:     r.OneOf("comment", "is not a comment mode", ModeAuto, modeAlways, ModeNever),
		Deployment:  r.OneOf("deployment", "is not a deployment mode", ModeAuto, ModeNever),
		Environment: r.String("environment"),
	}
	o.PreviewLabel = strings.TrimSpace(r.String("preview-label"))
	switch n := utf8.RuneCountInString(o.Environment); {
	case strings.IndexFunc(o.Environment, unicode.IsControl) >= 0:
		// The reader reports it; the value is not used.
		o.Environment = ""
	case n > maxEnvironment:
		r.Bad("environment", "", fmt.Sprintf("is %d characters long", n), fmt.Sprintf("at most %d characters, or empty for pr-<number>", maxEnvironment))
		o.Environment = ""
	}
	return o
}

// Comments reports whether to keep a comment on e's pull request.
func (o Options) Comments(e *Event) bool {
	switch {
	case e == nil || e.PullRequest == nil || o.Comment == ModeNever:
		return false
	case o.Comment == modeAlways:
		return true
	}
	return o.usual(e)
}

// Deploys reports whether to record a deployment for e's pull request:
// started and finished when it opens or changes, deactivated when it
// closes.
func (o Options) Deploys(e *Event) bool {
	if e == nil || e.PullRequest == nil || o.Deployment == ModeNever {
		return false
	}
	return o.usual(e)
}

// EnvironmentFor is the environment of pr's deployments.
func (o Options) EnvironmentFor(pr *PullRequest) string {
	if o.Environment != "" {
		return o.Environment
	}
	return "pr-" + strconv.Itoa(pr.Number)
}

// usual reports whether e is an event auto acts on: a pull request opened,
// changed, reopened or closed, or the preview label added or removed. A
// fork's pull request is tried too: its token is usually read-only, and
// the refusal becomes the warning that says so, but a repository may give
// forks a write token.
func (o Options) usual(e *Event) bool {
	switch e.PullRequest.Action {
	case "opened", "synchronize", "reopened", "closed":
		return true
	case "labeled", "unlabeled":
		return o.PreviewLabel != "" && o.isPreviewLabel(e.PullRequest.Label)
	}
	return false
}

// Gate says what the preview label asks of pr: want is false when the
// pull request lacks the label (its preview, if any, goes), and unchanged
// is true for a labeled or unlabeled event of another label (nothing to
// do). Without a preview label every pull request wants its preview.
func (o Options) Gate(pr *PullRequest) (want, unchanged bool) {
	if o.PreviewLabel == "" || pr == nil {
		return true, false
	}
	want = slices.ContainsFunc(pr.Labels, o.isPreviewLabel)
	switch pr.Action {
	case "labeled", "unlabeled":
		unchanged = !o.isPreviewLabel(pr.Label)
	}
	return want, unchanged
}

// isPreviewLabel reports whether label is the preview label: GitHub's
// label names are the same label in any case (a repository cannot have
// both Preview and preview).
func (o Options) isPreviewLabel(label string) bool { return strings.EqualFold(label, o.PreviewLabel) }
