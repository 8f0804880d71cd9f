package github

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	gh "github.com/google/go-github/v75/github"
)

// Event is what the workflow run was started by.
type Event struct {
	// Name is GITHUB_EVENT_NAME: push, pull_request, schedule, ...; empty
	// outside Actions.
	Name string
	// PullRequest is the pull request of a pull_request or
	// pull_request_target event; nil for any other event.
	PullRequest *PullRequest
}

// PullRequest is the pull request an event is about.
type PullRequest struct {
	Number int
	// Action is the event's activity: opened, synchronize, reopened,
	// closed, labeled, ...
	Action  string
	HeadSHA string
	// HeadRepo and BaseRepo are owner/name; HeadRepo is empty when the
	// head's repository (a fork) was deleted.
	HeadRepo, BaseRepo string
	// Fork is true when the head is in another repository than the base.
	Fork bool
	// Labels are the names of the labels the pull request carries.
	Labels []string
	// Label is the label a labeled or unlabeled event added or removed.
	Label string
}

// Closed reports whether the event closed the pull request (merged or
// not): the time to tear its preview down.
func (p *PullRequest) Closed() bool { return p.Action == "closed" }

// EventPathVariable names the file that holds the event's payload.
const EventPathVariable = "GITHUB_EVENT_PATH"

// Names of the events that carry a pull request.
const (
	eventPullRequest       = "pull_request"
	eventPullRequestTarget = "pull_request_target"
)

// ReadEvent reads the event the run was started by from GITHUB_EVENT_NAME
// and the payload at GITHUB_EVENT_PATH. Only pull request events are read
// further. Outside Actions (no GITHUB_ACTIONS=true), a missing name or
// payload is no error: the run is for no pull request. In Actions, a pull
// request event whose payload is missing or not what GitHub writes is an
// error about GITHUB_EVENT_PATH (EventPathVariable): it names the file,
// never quotes it, and leaves naming the variable to the caller.
func ReadEvent(getenv func(string) string) (*Event, error) {
	e := &Event{Name: getenv("GITHUB_EVENT_NAME")}
	if e.Name != eventPullRequest && e.Name != eventPullRequestTarget {
		return e, nil
	}
	path := getenv(EventPathVariable)
	inActions := getenv("GITHUB_ACTIONS") == "true"
	if path == "" {
		if !inActions {
			return e, nil
		}
		return nil, fmt.Errorf("is not set, and the event (GITHUB_EVENT_NAME) is %s: the runner sets it in every job, so run this as a step of a workflow job", e.Name)
	}
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) && !inActions {
		return e, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading the %s event: %w", e.Name, err)
	}
	pr, err := decodePullRequest(e.Name, data)
	if err != nil {
		return nil, fmt.Errorf("reading the %s event from %s: %w", e.Name, path, err)
	}
	e.PullRequest = pr
	return e, nil
}

// decodePullRequest reads a pull_request or pull_request_target payload.
// Its errors say where the payload is wrong, not what it holds.
func decodePullRequest(name string, data []byte) (*PullRequest, error) {
	if !json.Valid(data) {
		return nil, errors.New("the file is not JSON")
	}
	parsed, err := gh.ParseWebHook(name, data)
	var typeErr *json.UnmarshalTypeError
	var wrongType error // a field that did not decode, when one did not
	if errors.As(err, &typeErr) {
		wrongType = err
		// A field of another type than go-github knows (a GitHub Enterprise
		// Server of another version, a new field) need not be one of those
		// read here: the decoder fills every other field, and the checks
		// below say whether the ones needed are there.
		ev := &gh.PullRequestEvent{}
		_ = json.Unmarshal(data, ev)
		parsed, err = ev, nil
	}
	if err != nil {
		return nil, fmt.Errorf("the file is not a %s payload%s", name, jsonWhere(err))
	}
	var (
		action, label string
		number        int
		p             *gh.PullRequest
	)
	switch ev := parsed.(type) {
	case *gh.PullRequestEvent:
		action, number, p, label = ev.GetAction(), ev.GetNumber(), ev.PullRequest, ev.GetLabel().GetName()
	case *gh.PullRequestTargetEvent:
		action, number, p, label = ev.GetAction(), ev.GetNumber(), ev.PullRequest, ev.GetLabel().GetName()
	default:
		return nil, fmt.Errorf("the file is not a %s payload", name)
	}
	if wrongType != nil && (p == nil || p.GetHead() == nil || p.GetBase() == nil || number == 0 && p.GetNumber() == 0 || action == "") {
		return nil, fmt.Errorf("the file is not a %s payload%s", name, jsonWhere(wrongType))
	}
	if p == nil || p.GetHead() == nil || p.GetBase() == nil {
		return nil, fmt.Errorf("the %s payload has no pull_request with head and base", name)
	}
	if number == 0 {
		number = p.GetNumber()
	}
	pr := &PullRequest{
		Number:   number,
		Action:   action,
		HeadSHA:  p.GetHead().GetSHA(),
		HeadRepo: p.GetHead().GetRepo().GetFullName(),
		BaseRepo: p.GetBase().GetRepo().GetFullName(),
		Label:    label,
	}
	for _, l := range p.Labels {
		pr.Labels = append(pr.Labels, l.GetName())
	}
	if pr.Number <= 0 || pr.Action == "" || pr.HeadSHA == "" || pr.BaseRepo == "" {
		return nil, fmt.Errorf("the %s payload lacks the number, action, head sha or base repository", name)
	}
	// A deleted fork leaves head.repo null; a branch of the base repository
	// cannot lose its repository while the pull request exists.
	pr.Fork = pr.HeadRepo == "" || !strings.EqualFold(pr.HeadRepo, pr.BaseRepo)
	return pr, nil
}

// jsonWhere says where in the file a decoding error is, without quoting
// the file.
func jsonWhere(err error) string {
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) {
		return fmt.Sprintf(" (field %s at byte %d has the wrong type)", typeErr.Field, typeErr.Offset)
	}
	return ""
}
