package regression

import (
	"reflect"
	"strings"
	"testing"

	"github.com/knative-preview/action/internal/input"
	"github.com/knative-preview/action/internal/measure"
	"github.com/knative-preview/action/internal/report"
)

func TestParse(t *testing.T) {
	cases := []struct {
		name    string
		in      input.Values
		want    Options
		problem string // what the one problem names; empty: none
	}{
		{"defaults", nil, Options{MaxRegressionPercent: 25, FloorMs: 100}, ""},
		{"a bare percentage", input.Values{"max-regression": "10"}, Options{MaxRegressionPercent: 10, FloorMs: 100}, ""},
		{"with a percent sign", input.Values{"max-regression": "12.5%"}, Options{MaxRegressionPercent: 12.5, FloorMs: 100}, ""},
		{"floor and fail", input.Values{"regression-floor-ms": "250", "fail-on-regression": "TRUE"}, Options{MaxRegressionPercent: 25, FloorMs: 250, FailOnRegression: true}, ""},
		{"zero percent", input.Values{"max-regression": "0%"}, Options{FloorMs: 100}, `input "max-regression"`},
		{"a word", input.Values{"max-regression": "a lot"}, Options{FloorMs: 100}, `input "max-regression"`},
		{"negative floor", input.Values{"regression-floor-ms": "-5"}, Options{MaxRegressionPercent: 25}, `input "regression-floor-ms"`},
		{"not a boolean", input.Values{"fail-on-regression": "yes"}, Options{MaxRegressionPercent: 25, FloorMs: 100}, `input "fail-on-regression"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := input.NewReader(Inputs, c.in, input.ActionStyle, nil)
			got := Parse(r)
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("got %+v, want %+v", got, c.want)
			}
			errs := input.List(r.Err())
			switch {
			case c.problem == "" && len(errs) > 0:
				t.Errorf("problems %v, want none", errs)
			case c.problem != "" && (len(errs) != 1 || !strings.Contains(errs[0].Error(), c.problem)):
				t.Errorf("problems %v, want one about %s", errs, c.problem)
			}
		})
	}
}

// The figures come from the cold starts the run's statistics counted: not
// a discarded sample, not the first one reported apart for its image pull.
func TestSamplesOf(t *testing.T) {
	first := measure.Sample{Index: 1, Verdict: measure.VerdictCold, TotalMs: 5200, Image: measure.ImagePulled}
	r := &report.Report{
		Service: &report.Service{ReadySeconds: 8.5},
		Measure: &measure.Report{
			Samples: []measure.Sample{
				first,
				{Index: 2, Verdict: measure.VerdictCold, TotalMs: 1400},
				{Index: 3, Verdict: measure.VerdictDiscarded, TotalMs: 4},
				{Index: 4, Verdict: measure.VerdictCold, TotalMs: 1500},
			},
			FirstWithPull: &first,
			WarmMs:        []float64{3, 4},
		},
	}
	want := Samples{ColdStartMs: []float64{1400, 1500}, ReadyMs: []float64{8500}, WarmMs: []float64{3, 4}}
	if got := SamplesOf(r); !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v, want %+v", got, want)
	}
	r.Measure.FirstWithPull = nil
	if got := SamplesOf(r); len(got.ColdStartMs) != 3 || got.ColdStartMs[0] != 5200 {
		t.Errorf("without a first sample reported apart: cold starts %v, want all three valid ones", got.ColdStartMs)
	}
	if got := SamplesOf(&report.Report{}); !reflect.DeepEqual(got, Samples{}) {
		t.Errorf("a run that deployed and measured nothing: %+v, want no samples", got)
	}
}

func TestSamplesOfPoints(t *testing.T) {
	ps := []report.Point{
		{ReadySeconds: 8, ColdStartMs: []float64{1000, 1100}, WarmMs: []float64{3}},
		{ColdStartMs: []float64{1200}},
		{ReadySeconds: 9.5, WarmMs: []float64{4, 5}},
	}
	want := Samples{ColdStartMs: []float64{1000, 1100, 1200}, ReadyMs: []float64{8000, 9500}, WarmMs: []float64{3, 4, 5}}
	if got := SamplesOfPoints(ps); !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v, want %+v", got, want)
	}
}

// fail-on-regression fails a slower comparison with the figures side by
// side, and nothing else: not faster, not inconclusive, not without it.
func TestFailure(t *testing.T) {
	var base, cur []float64
	for i := range 10 {
		base = append(base, 1500+float64(i))
		cur = append(cur, 2500+float64(i))
	}
	slower := Compare(Samples{ColdStartMs: cur}, Samples{ColdStartMs: base}, Options{})
	slower.Baseline = "report file main.json"
	faster := Compare(Samples{ColdStartMs: base}, Samples{ColdStartMs: cur}, Options{})
	thin := Compare(Samples{ColdStartMs: cur[:3]}, Samples{ColdStartMs: base}, Options{})
	if slower.Verdict != Slower || faster.Verdict != Faster || thin.Verdict != Inconclusive {
		t.Fatalf("verdicts %s, %s, %s; want slower, faster, inconclusive", slower.Verdict, faster.Verdict, thin.Verdict)
	}
	on := Options{FailOnRegression: true}
	if err := (Options{}).Failure(slower); err != nil {
		t.Errorf("without fail-on-regression: %v", err)
	}
	for _, c := range []report.Comparison{faster, thin, {Verdict: None}} {
		if err := on.Failure(c); err != nil {
			t.Errorf("%s: %v, want no failure", c.Verdict, err)
		}
	}
	err := on.Failure(slower)
	if err == nil {
		t.Fatal("slower with fail-on-regression: no failure")
	}
	for _, s := range []string{"report file main.json", "25% and 100 ms", "cold-start-median", "1504 ms (n=10)", "2504 ms (n=10)", "+1000 ms (+66.5%)", "slower"} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("failure does not say %q:\n%v", s, err)
		}
	}
	t.Logf("the failure:\n%v", err)
}
