package compare

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/client-go/rest"

	"github.com/knative-preview/action/internal/baseline"
	"github.com/knative-preview/action/internal/cluster"
	"github.com/knative-preview/action/internal/history"
	"github.com/knative-preview/action/internal/log"
	"github.com/knative-preview/action/internal/measure"
	"github.com/knative-preview/action/internal/regression"
	"github.com/knative-preview/action/internal/report"
)

// reached is a cluster source whose API server is never asked: the cases
// here keep no history.
type reached struct{}

func (reached) Cluster() *cluster.Cluster {
	return &cluster.Cluster{REST: &rest.Config{Host: "https://127.0.0.1:1"}}
}

// run is a report whose cold starts all took ms.
func run(ms float64) *report.Report {
	var samples []measure.Sample
	for i := 1; i <= 10; i++ {
		v := ms + float64(i) // distinct, so the rank test has something to rank
		samples = append(samples, measure.Sample{Index: i, Verdict: measure.VerdictCold, TotalMs: v, TTFBMs: v})
	}
	rep := &measure.Report{Samples: samples}
	var t []float64
	for _, s := range samples {
		t = append(t, s.TotalMs)
	}
	rep.Cold = measure.Summarise(t)
	return &report.Report{SchemaVersion: report.SchemaVersion, Commit: "abc", Measure: rep, Service: &report.Service{ReadySeconds: 2}}
}

// lines records what the stage tells.
type lines []string

func (l *lines) Infof(f string, a ...any) { *l = append(*l, fmt.Sprintf(f, a...)) }
func (l *lines) Warnf(f string, a ...any) { *l = append(*l, "warning: "+fmt.Sprintf(f, a...)) }

// The policy of a comparison: what a missing or unreadable baseline means
// with and without fail-on-regression, and when a slower run fails.
func TestComparePolicy(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, r *report.Report) string {
		data, err := report.Encode(r)
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	fast := write("fast.json", run(1000))
	same := write("same.json", run(3000))
	garbled := filepath.Join(dir, "garbled.json")
	if err := os.WriteFile(garbled, []byte("{not json"), 0o644); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "missing.json")

	cases := []struct {
		name        string
		file        string
		fail        bool
		measured    bool
		wantErr     string // "": none
		wantVerdict string // "": no comparison
		wantLog     string
	}{
		{"nothing measured: nothing to do", fast, true, false, "", "", ""},
		{"no baseline yet: a warning", missing, false, true, "", "", "warning: no comparison: no baseline to compare with"},
		{"no baseline yet with fail-on-regression: still a warning", missing, true, true, "", "", "warning: no comparison: no baseline"},
		{"an unreadable baseline: a warning", garbled, false, true, "", "", "warning: no comparison: reading the baseline"},
		{"an unreadable baseline with fail-on-regression: the run fails", garbled, true, true, "fail-on-regression is on, so the run cannot pass without it", "", ""},
		{"slower: a verdict", fast, false, true, "", regression.Slower, "compared with"},
		{"slower with fail-on-regression: the run fails", fast, true, true, "slower than the baseline", regression.Slower, ""},
		{"the same: no failure", same, true, true, "", regression.None, "compared with"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o := Options{
				History:    history.Options{Mode: history.ModeOff},
				Baseline:   baseline.Options{File: c.file},
				Regression: regression.Options{MaxRegressionPercent: 25, FloorMs: 100, FailOnRegression: c.fail},
				Namespace:  "default", Name: "app",
			}
			now := run(3000)
			figures := func() *report.Report {
				if !c.measured {
					return nil
				}
				return now
			}
			s := NewStage(o, reached{}, figures)
			if got := s.AfterFailure(); got != c.measured {
				t.Errorf("AfterFailure %v, want %v: a failed run is compared when something was measured", got, c.measured)
			}
			var l lines
			err := s.Run(context.Background(), &l)
			switch {
			case c.wantErr == "" && err != nil:
				t.Errorf("error %v, want none", err)
			case c.wantErr != "" && (err == nil || !strings.Contains(err.Error(), c.wantErr)):
				t.Errorf("error %v, want one saying %q", err, c.wantErr)
			}
			verdict := ""
			if s.Comparison() != nil {
				verdict = s.Comparison().Verdict
			}
			if verdict != c.wantVerdict {
				t.Errorf("verdict %q, want %q", verdict, c.wantVerdict)
			}
			if log := strings.Join(l, "\n"); !strings.Contains(log, c.wantLog) {
				t.Errorf("the log lacks %q:\n%s", c.wantLog, log)
			}
		})
	}
}

// The plan names what is compared and where the history is kept.
func TestPlan(t *testing.T) {
	o := Options{
		History:    history.Options{Mode: history.ModeAuto, Size: 30},
		Baseline:   baseline.Options{History: true},
		Regression: regression.Options{MaxRegressionPercent: 25, FloorMs: 100},
		Namespace:  "smoke", Name: "hello",
	}
	plan := strings.Join(NewStage(o, reached{}, nil).Plan(), "\n")
	for _, want := range []string{"the recent runs of hello in the cluster's history", "above 25% and 100 ms", "ConfigMap smoke/" + history.ConfigMapName("hello")} {
		if !strings.Contains(plan, want) {
			t.Errorf("plan lacks %q:\n%s", want, plan)
		}
	}
	if NewStage(Options{History: history.Options{Mode: history.ModeOff}}, reached{}, nil).o.Active() {
		t.Error("no history and no baseline is active")
	}
}

var _ log.Logger = (*lines)(nil)
