package measure

import (
	"context"
	"fmt"

	"k8s.io/client-go/kubernetes"

	"github.com/knative-preview/action/internal/cluster"
	"github.com/knative-preview/action/internal/log"
)

// Subject is what the measure stage measures, known once the deploy stage
// has run.
type Subject struct {
	// Service names the Knative Service, as namespace/name.
	Service string
	// Revision is the revision the deploy made.
	Revision Revision
	// Route is how to reach it.
	Route Route
}

// Stage is the measure stage: cold starts and smoke requests of what the
// deploy stage deployed, on the cluster an earlier stage reached.
type Stage struct {
	o       Options
	src     cluster.Source
	subject func() *Subject
	report  *Report
}

// NewStage returns the measure stage for o, measuring what subject returns
// (nil: nothing was deployed) on the cluster src reaches.
func NewStage(o Options, src cluster.Source, subject func() *Subject) *Stage {
	return &Stage{o: o, src: src, subject: subject}
}

// Name is the stage's name.
func (s *Stage) Name() string { return "measure" }

// Plan says what Run will do.
func (s *Stage) Plan() []string {
	o := s.o
	body := ""
	if o.Expect.Body != nil {
		body = fmt.Sprintf(" and a body matching /%s/", o.Expect.Body)
	}
	return []string{
		fmt.Sprintf("take %d cold start(s) of GET %s: wait until the revision is at zero, send one request, count it only if a new pod served it", o.Samples, o.Path),
		fmt.Sprintf("then %d warm request(s); every response must have status %d%s", o.SmokeRequests, o.Expect.Status, body),
	}
}

// Run measures. The report is kept also when a check failed.
func (s *Stage) Run(ctx context.Context, l log.Logger) error {
	sub := s.subject()
	if sub == nil {
		return fmt.Errorf("nothing to measure: the deploy stage deployed nothing (a programming error: measure runs after deploy)")
	}
	cs, err := kubernetes.NewForConfig(cluster.ForWaits(s.src.Cluster().REST))
	if err != nil {
		return fmt.Errorf("building a Kubernetes client: %w", err)
	}
	rep, err := Measure(ctx, l, cs, sub.Revision, sub.Route, s.o)
	if rep != nil {
		s.report = rep
	}
	return err
}

// Report is what Run measured, also when a check failed; nil when nothing
// was measured.
func (s *Stage) Report() *Report { return s.report }

// LeftBehind says what a cut-short Run leaves behind.
func (s *Stage) LeftBehind() string {
	what, rev := "the Knative Service", ""
	if sub := s.subject(); sub != nil {
		what += " " + sub.Service
		rev = " (revision " + sub.Revision.Name + ")"
	}
	return fmt.Sprintf("%s stays deployed%s and may be scaled up; the cold starts taken so far are in the outputs; mode: down (knative-preview down) deletes it", what, rev)
}
