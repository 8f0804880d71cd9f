package pipeline

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/knative-preview/action/internal/console"
	"github.com/knative-preview/action/internal/log"
)

type fakeClock struct{ t time.Time }

// fake is a stage made of functions.
type fake struct {
	name  string
	plan  []string
	run   func(context.Context) error
	after func() bool
}

func (f fake) Name() string                                { return f.name }
func (f fake) Plan() []string                              { return f.plan }
func (f fake) Run(ctx context.Context, _ log.Logger) error { return f.run(ctx) }

// keeper is a fake stage that runs after a failure when after says so.
type keeper struct{ fake }

func (k keeper) AfterFailure() bool { return k.after() }

func (c *fakeClock) Now() time.Time { return c.t }

func TestRunStopsAtFirstFailure(t *testing.T) {
	var log bytes.Buffer
	clock := &fakeClock{t: time.Unix(0, 0)}
	var ran []string
	stage := func(name string, d time.Duration, err error) Stage {
		return fake{name: name, run: func(context.Context) error {
			ran = append(ran, name)
			clock.t = clock.t.Add(d)
			return err
		}}
	}
	boom := errors.New("boom")
	r := &Runner{Console: console.NewLocal(&log), Now: clock.Now}
	results, err := r.Run(context.Background(), []Stage{
		stage("cluster", 1500*time.Millisecond, nil),
		stage("install", 3*time.Second, boom),
		stage("deploy", time.Second, nil),
	})
	var se *stageError
	if !errors.As(err, &se) || se.Stage != "install" || !errors.Is(err, boom) {
		t.Fatalf("got %v, want a StageError for install wrapping boom", err)
	}
	if strings.Join(ran, ",") != "cluster,install" {
		t.Errorf("ran %v", ran)
	}
	want := []Result{
		{Name: "cluster", Duration: 1500 * time.Millisecond, Ran: true},
		{Name: "install", Duration: 3 * time.Second, Err: boom, Ran: true},
		{Name: "deploy"},
	}
	for i, w := range want {
		if results[i] != w {
			t.Errorf("result %d: got %+v, want %+v", i, results[i], w)
		}
	}
	for _, l := range []string{"==> cluster", "cluster done in 1.5s", "install failed after 3s"} {
		if !strings.Contains(log.String(), l) {
			t.Errorf("log lacks %q:\n%s", l, log.String())
		}
	}
}

// A stage that returns because the run's context ended says why it ended.
func TestRunSaysWhyContextEnded(t *testing.T) {
	why := errors.New("the run's timeout of 1s passed")
	ctx, cancel := context.WithCancelCause(context.Background())
	r := &Runner{Console: console.NewLocal(&bytes.Buffer{})}
	_, err := r.Run(ctx, []Stage{
		fake{name: "cluster", run: func(ctx context.Context) error {
			cancel(why)
			<-ctx.Done()
			return errors.New("waiting for the API server: stopped")
		}},
		fake{name: "install", run: func(context.Context) error { t.Error("install ran after the context ended"); return nil }},
	})
	if err == nil || !strings.Contains(err.Error(), "the run's timeout of 1s passed") {
		t.Fatalf("got %v, want the cause in the error", err)
	}
}

func TestPlan(t *testing.T) {
	stages := []Stage{fake{name: "cluster", plan: []string{"use context \"kind\"", "check the API server"}}}
	var b bytes.Buffer
	if err := WritePlan(&b, Untouched, stages); err != nil {
		t.Fatal(err)
	}
	want := "Plan (dry run: nothing is contacted or changed):\n1. cluster\n   - use context \"kind\"\n   - check the API server\n"
	if b.String() != want {
		t.Errorf("got:\n%s\nwant:\n%s", b.String(), want)
	}
	j := ToJSON(stages)
	if !j.DryRun || len(j.Stages) != 1 || j.Stages[0].Plan[1] != "check the API server" || j.Also != nil {
		t.Errorf("json plan: %+v", j)
	}
	// What the run writes elsewhere comes after the stages; an empty note
	// says nothing.
	b.Reset()
	github := Note{Title: "on GitHub", Lines: []string{"edit the comment"}}
	if err := WritePlan(&b, Untouched, stages, Note{Title: "nowhere"}, github); err != nil {
		t.Fatal(err)
	}
	if want := want + "And on GitHub:\n   - edit the comment\n"; b.String() != want {
		t.Errorf("got:\n%s\nwant:\n%s", b.String(), want)
	}
	if j := ToJSON(stages, Note{Title: "nowhere"}, github); len(j.Also) != 1 || j.Also[0].Name != "on GitHub" || j.Also[0].Plan[0] != "edit the comment" {
		t.Errorf("json plan with notes: %+v", j)
	}
}

// After a failure only the stages marked AfterFailure run; the run's error
// stays the first failure, and a later stage's own failure is a warning.
func TestAfterFailure(t *testing.T) {
	var log bytes.Buffer
	var ran []string
	stage := func(name string, after bool, err error) Stage {
		return keeper{fake{name: name, after: func() bool { return after }, run: func(context.Context) error { ran = append(ran, name); return err }}}
	}
	checks := errors.New("smoke check failed")
	r := &Runner{Console: console.NewLocal(&log)}
	results, err := r.Run(context.Background(), []Stage{
		stage("deploy", false, nil),
		stage("measure", false, checks),
		stage("more", false, nil),
		stage("compare", true, errors.New("history unreadable")),
	})
	if strings.Join(ran, " ") != "deploy measure compare" {
		t.Errorf("ran %v, want deploy measure compare", ran)
	}
	var se *stageError
	if !errors.As(err, &se) || se.Stage != "measure" || !errors.Is(err, checks) {
		t.Errorf("error %v, want measure's", err)
	}
	if results[2].Ran || !results[3].Ran || results[3].Err == nil {
		t.Errorf("results %+v", results)
	}
	if !strings.Contains(log.String(), "compare, run after stage measure failed, failed too") {
		t.Errorf("log:\n%s", log.String())
	}
}
