package summary

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/knative-preview/action/internal/measure"
	"github.com/knative-preview/action/internal/reachable"
	"github.com/knative-preview/action/internal/report"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

func f(v float64) *float64 { return &v }

// succeeded is the report of a run in a pull request that deployed,
// measured three samples (the first pulled the image, the third was
// discarded), and was compared with a baseline and its history.
func succeeded() *report.Report {
	first := measure.Sample{Index: 1, Verdict: measure.VerdictCold, TotalMs: 5200, TTFBMs: 5190, Status: 200, Pod: "hello-00002-deployment-xyz", Image: measure.ImagePulled,
		Breakdown: measure.Breakdown{Scaled: f(10), Scheduled: f(25), Started: f(4500), Ready: nil, FirstByte: 5190}}
	cold := measure.Sample{Index: 2, Verdict: measure.VerdictCold, TotalMs: 1412.5, TTFBMs: 1410, Status: 200, Pod: "hello-00002-deployment-abc", Image: measure.ImagePresent,
		Breakdown: measure.Breakdown{Scaled: f(12), Scheduled: f(30), Started: f(700), Ready: f(1380), FirstByte: 1410}}
	late := measure.Sample{Index: 3, Verdict: measure.VerdictCold, TotalMs: 1300, TTFBMs: 1290, Status: 200, Pod: "hello-00002-deployment-def", Image: measure.ImagePresent,
		Breakdown: measure.Breakdown{Scaled: f(11), Scheduled: f(28), Started: f(650), Ready: f(1900), FirstByte: 1290}}
	discarded := measure.Sample{Index: 4, Verdict: measure.VerdictDiscarded, Reason: "a draining pod answered", TotalMs: 4, TTFBMs: 4, Status: 200, Image: "unknown", Breakdown: measure.Breakdown{FirstByte: 4}}
	m := &measure.Report{
		Samples:       []measure.Sample{first, cold, late, discarded},
		Cold:          measure.Summarise([]float64{1412.5, 1300}),
		FirstWithPull: &first,
		Warm:          measure.Summarise([]float64{3.1, 2.9, 3.4}),
		WarmMs:        []float64{3.1, 2.9, 3.4},
	}
	return &report.Report{
		SchemaVersion: report.SchemaVersion, Time: "2026-03-01T12:00:00Z", Tool: "knative-preview/dev",
		Repository: "octo/app", Commit: "fedcba9876543210fedcba9876543210fedcba98",
		Image:   report.ImageOf("ghcr.io/octo/app:pr-7"),
		Cluster: report.Cluster{Target: "kind", Context: "kind-knative", KubernetesVersion: "v1.34.3", Created: true},
		Knative: report.Knative{ServingVersion: "1.20.1", Ingress: "kourier", IngressVersion: "1.20.0"},
		Service: &report.Service{Name: "app-pr-7", Namespace: "default", Revision: "app-pr-7-00002", URL: "http://app-pr-7.default.127.0.0.1.sslip.io", ReadySeconds: 8.4},
		Stages: []report.Stage{
			{Name: "cluster", Ran: true, Seconds: 41.2}, {Name: "install", Ran: true, Seconds: 95.3},
			{Name: "deploy", Ran: true, Seconds: 9.1}, {Name: "measure", Ran: true, Seconds: 30.5},
		},
		Measure:     m,
		Checks:      report.Checks{Ran: true, Passed: true, ColdStartMaxMs: 1500},
		PullRequest: &report.PullRequest{Number: 7, Action: "synchronize", HeadSHA: "0123456789abcdef0123456789abcdef01234567"},
		Comparison: &report.Comparison{
			Baseline: "the cluster's history of app (5 runs)", Verdict: "slower",
			Figures: []report.Figure{
				{Name: "cold-start-median", Baseline: 1000, Current: 1356, NBaseline: 10, NCurrent: 2, DeltaMs: 356, DeltaPercent: 35.6, P: 1, Level: 0.05, Verdict: "inconclusive",
					Reason: "too few samples to judge (10 and 2; at least 5 a side): the evidence is thin"},
				{Name: "ready", Baseline: 6000, Current: 8400, NBaseline: 5, NCurrent: 5, DeltaMs: 2400, DeltaPercent: 40, P: 0.0079, Level: 0.025, Verdict: "slower",
					Reason: "+2400 ms (+40.0%; flagged above 25% and 100 ms), p = 0.0079 (clear below 0.025)"},
				{Name: "warm-p50", Baseline: 3.2, Current: 3.1, NBaseline: 9, NCurrent: 3, DeltaMs: -0.1, DeltaPercent: -3.1, P: 1, Level: 0.05, Verdict: "inconclusive",
					Reason: "too few samples to judge (9 and 3; at least 5 a side): the evidence is thin"},
			},
		},
		Trend: []report.Point{
			{Time: "2026-02-26T02:00:00Z", Commit: "aaaaaaaaaaaa", ColdStartMedianMs: 1010, ColdStartP95Ms: 1200, ReadySeconds: 6.1, WarmP50Ms: 3.3},
			{Time: "2026-02-27T02:00:00Z", Commit: "bbbbbbbbbbbb", ColdStartMedianMs: 990, ColdStartP95Ms: 1150, ReadySeconds: 5.9, WarmP50Ms: 3.1},
			{Time: "2026-02-28T02:00:00Z", Commit: "cccccccccccc", ReadySeconds: 6.0},
			{Time: "2026-02-28T14:00:00Z", Commit: "dddddddddddd", ColdStartMedianMs: 1005, ColdStartP95Ms: 1290, ReadySeconds: 6.2, WarmP50Ms: 3.2},
			{Time: "2026-03-01T12:00:00Z", Commit: "0123456789ab", ColdStartMedianMs: 1356.25, ColdStartP95Ms: 1412.5, ReadySeconds: 8.4, WarmP50Ms: 3.1},
		},
		OK: true,
	}
}

// failed is the report of a run whose install stage failed with a
// diagnosis over several lines, quoting a pod's own output.
func failed() *report.Report {
	r := succeeded()
	r.Service, r.Measure, r.Comparison, r.Trend = nil, nil, nil, nil
	r.Checks = report.Checks{ColdStartMaxMs: 1500}
	r.Knative = report.Knative{}
	r.Stages = []report.Stage{
		{Name: "cluster", Ran: true, Seconds: 41.2},
		{Name: "install", Ran: true, Seconds: 300, Error: diagnosis},
		{Name: "deploy"}, {Name: "measure"},
	}
	r.OK, r.Error = false, "stage install: "+diagnosis
	return r
}

const diagnosis = "waiting for Knative Serving to be ready: 5m0s passed\n" +
	"  deployment knative-serving/controller: 0 of 1 replicas available\n" +
	"    pod controller-7d9f-abcde: container controller waiting: CrashLoopBackOff\n" +
	"      last log lines:\n" +
	"      ```\n" +
	"      | level | msg |\n" +
	"      <b>panic</b>: open /etc/config: no such file\n" +
	"what to do: look at the pod's events (kubectl -n knative-serving describe pod controller-7d9f-abcde)"

// deployedOnly is a successful run that deployed an image and took no
// cold start (samples: 0).
func deployedOnly() *report.Report {
	r := succeeded()
	r.Stages = r.Stages[:3]
	r.Measure, r.Comparison, r.Trend = nil, nil, nil
	r.Checks = report.Checks{}
	return r
}

// knativeOnly is a successful run that installed Knative and deployed
// nothing.
func knativeOnly() *report.Report {
	r := deployedOnly()
	r.Stages = r.Stages[:2]
	r.Service = nil
	r.Image = report.Image{}
	return r
}

var outputValues = map[string]string{
	"kubernetes-version": "v1.34.3",
	"context":            "kind-knative",
	"knative-version":    "1.20.1",
	"url":                "http://app-pr-7.default.127.0.0.1.sslip.io",
	"service":            "app-pr-7",
	"cold-start-ms":      "1356",
	"cold-start-samples": `[{"sample":1}]`,
	"domain":             "a `quoted` | piped value",
}

// reached is the successful run's report with its URL and the verdict
// on it that f gives.
func reached(f reachable.Facts) *report.Report {
	r := succeeded()
	r.Service.URL = f.URL
	v := reachable.Decide(f)
	r.Reachability = &v
	return r
}

func TestGolden(t *testing.T) {
	removed := time.Date(2026, 3, 2, 10, 30, 0, 0, time.FixedZone("CET", 3600))
	run := "https://github.com/octo/app/actions/runs/42"
	for _, tc := range []struct{ name, got string }{
		{"job-success", Job(succeeded(), outputValues)},
		{"job-failure", Job(failed(), outputValues)},
		{"job-no-cold-start", Job(deployedOnly(), outputValues)},
		{"job-knative-only", Job(knativeOnly(), outputValues)},
		{"comment-success", Comment(succeeded(), CommentContext{RunURL: run})},
		// The three answers to "can a reviewer reach it?".
		{"comment-kept", Comment(reached(reachable.Facts{URL: "http://app-pr-7.previews.preview.example.dev"}), CommentContext{RunURL: run})},
		{"comment-kept-inside", Comment(reached(reachable.Facts{URL: "http://app-pr-7.default.127.0.0.1.sslip.io"}), CommentContext{RunURL: run})},
		{"comment-ephemeral", Comment(reached(reachable.Facts{Ephemeral: true, EphemeralWhy: "is a kind cluster on a GitHub-hosted runner, which is discarded when the job ends",
			URL: "http://app-pr-7.default.127.0.0.1.sslip.io"}), CommentContext{RunURL: run})},
		{"comment-swept", Comment(&report.Report{OK: true}, CommentContext{RunURL: run, Removed: removed, Service: "app-pr-7", Namespace: "default", RemovedBy: "by the scheduled sweep: idle for 9 days"})},
		{"comment-failure", Comment(failed(), CommentContext{RunURL: run})},
		{"comment-removed", Comment(&report.Report{OK: true}, CommentContext{RunURL: run, Removed: removed, Service: "app-pr-7", Namespace: "default"})},
		{"comment-removed-tag", Comment(&report.Report{OK: true}, CommentContext{RunURL: run, Removed: removed, Service: "app", Namespace: "default", Tag: "pr-7"})},
		{"comment-no-cold-start", Comment(deployedOnly(), CommentContext{RunURL: run})},
	} {
		t.Run(tc.name, func(t *testing.T) {
			golden := filepath.Join("testdata", tc.name+".golden.md")
			if *update {
				if err := os.WriteFile(golden, []byte(tc.got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (go test ./internal/summary -update writes it)", err)
			}
			if !bytes.Equal([]byte(tc.got), want) {
				t.Errorf("the Markdown differs from %s (go test ./internal/summary -update rewrites it after a deliberate change):\n%s", golden, tc.got)
			}
		})
	}
}

// The job summary's stage table says what each stage did and for how long,
// and the failure follows in full.
func TestJobStages(t *testing.T) {
	r := &report.Report{
		Stages: []report.Stage{{Name: "cluster", Ran: true, Seconds: 1.5}, {Name: "install", Ran: true, Seconds: 0.25, Error: "boom"}, {Name: "deploy"}},
		Error:  "stage install: boom",
	}
	md := Job(r, map[string]string{"context": "kind-knative"})
	for _, want := range []string{"### knative-preview\n", "| cluster | ok | 1.5 s |", "| install | failed | 250 ms |", "| deploy | not run |  |",
		"**Failed** in stage `install`:\n\n```\nstage install: boom\n```\n"} {
		if !strings.Contains(md, want) {
			t.Errorf("summary lacks %q:\n%s", want, md)
		}
	}
	if strings.Contains(md, "| output |") {
		t.Errorf("a failed run's summary has the outputs table:\n%s", md)
	}
	r.OK, r.Error, r.Stages[1].Error = true, "", ""
	if md := Job(r, map[string]string{"context": "kind-knative"}); !strings.Contains(md, "| context | `kind-knative` |") || strings.Contains(md, "Failed") {
		t.Errorf("a successful run's summary lacks the outputs or says it failed:\n%s", md)
	}
}

func TestCommentSays(t *testing.T) {
	removed := time.Date(2026, 3, 2, 11, 30, 0, 0, time.FixedZone("CET", 3600))
	runURL := "https://github.com/octo/app/actions/runs/42"
	for _, tc := range []struct {
		name string
		r    *report.Report
		c    CommentContext
		want []string
		not  []string
	}{
		{"success", succeeded(), CommentContext{RunURL: runURL},
			[]string{"[http://app-pr-7.default.127.0.0.1.sslip.io](<http://app-pr-7.default.127.0.0.1.sslip.io>)", "revision `app-pr-7-00002`", "commit `0123456`",
				"Knative Serving `1.20.1`, ingress `kourier` `1.20.0`", "ready in 8.4 s", "median **1356 ms**, p95 1412 ms, n = 2", "within cold-start-max-ms (1500 ms)", "**slower**",
				"](<" + runURL + ">)"},
			[]string{"failed", "removed"}},
		{"above the limit", func() *report.Report { r := succeeded(); r.Checks.ColdStartMaxMs = 1000; return r }(), CommentContext{},
			[]string{"is **above** cold-start-max-ms (1000 ms)"}, []string{"within", "workflow run"}},
		{"no limit", func() *report.Report { r := succeeded(); r.Checks.ColdStartMaxMs = 0; return r }(), CommentContext{},
			[]string{"median **1356 ms**"}, []string{"cold-start-max-ms"}},
		{"no data", deployedOnly(), CommentContext{}, []string{"cold start: not measured in this run"}, []string{"median"}},
		{"samples 0", func() *report.Report { r := deployedOnly(); r.Measure = &measure.Report{}; return r }(), CommentContext{}, []string{"cold start: not measured (samples: 0)"}, nil},
		{"failure", failed(), CommentContext{RunURL: runURL},
			[]string{"### Preview failed", "Stage `install` failed for commit `0123456`", "CrashLoopBackOff", "what to do:", "](<" + runURL + ">)"}, []string{"Preview ready"}},
		{"removed", &report.Report{OK: true}, CommentContext{Removed: removed, Service: "app-pr-7", Namespace: "default"},
			[]string{"### Preview removed", "`app-pr-7` in `default` was removed on 2026-03-02 at 10:30 UTC"}, []string{"median", "~~"}},
		{"removed, namespace unknown", &report.Report{OK: true}, CommentContext{Removed: removed, Service: "app-pr-7"},
			[]string{"The preview `app-pr-7` was removed on 2026-03-02 at 10:30 UTC."}, []string{"~~"}},
		{"removal failed", failed(), CommentContext{Removed: removed}, []string{"### Removing the preview failed", "Stage `install` failed"}, []string{"was removed"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			md := Comment(tc.r, tc.c)
			if !strings.HasPrefix(md, Marker+"\n") {
				t.Errorf("the comment does not begin with the marker:\n%s", md)
			}
			for _, w := range tc.want {
				if !strings.Contains(md, w) {
					t.Errorf("lacks %q:\n%s", w, md)
				}
			}
			for _, n := range tc.not {
				if strings.Contains(md, n) {
					t.Errorf("has %q:\n%s", n, md)
				}
			}
		})
	}
}

// huge is a report as large as an input can make it: many samples, stages,
// figures and runs, and every text long and hostile.
func huge(samples int) *report.Report {
	long := strings.Repeat("x|`<b>*\n", 1<<20/8) // 1 MiB
	r := succeeded()
	r.OK, r.Error = false, long
	r.Service.URL = "http://" + long
	r.Service.Name, r.Service.Revision = long, long
	r.Knative = report.Knative{ServingVersion: long, Ingress: long, IngressVersion: long}
	r.Commit, r.PullRequest.HeadSHA = long, long
	r.Stages = nil
	for i := range 10000 {
		r.Stages = append(r.Stages, report.Stage{Name: long, Ran: true, Seconds: float64(i), Error: long})
	}
	m := r.Measure
	m.Samples = make([]measure.Sample, samples)
	for i := range m.Samples {
		m.Samples[i] = measure.Sample{Index: i + 1, Verdict: long, Reason: long, TotalMs: 1e12, Pod: long, Image: long,
			Breakdown: measure.Breakdown{Scaled: f(1), Scheduled: f(2), Started: f(3), Ready: f(4), FirstByte: 5}}
	}
	c := r.Comparison
	c.Baseline, c.Verdict = long, long
	for range 10000 {
		c.Figures = append(c.Figures, report.Figure{Name: long, Verdict: long, Reason: long, Baseline: 1e300, Current: -1e300, DeltaMs: 1e300})
	}
	for range 100000 {
		r.Trend = append(r.Trend, report.Point{Time: long, Commit: long, ColdStartMedianMs: 1e300, ColdStartP95Ms: 1e300})
	}
	return r
}

// GitHub refuses a step summary over 1 MiB and a comment over 65536
// characters: whatever the report holds, neither grows past them.
func TestLimits(t *testing.T) {
	values := map[string]string{}
	for _, name := range []string{"url", "kubeconfig", "report", "domain", "context"} {
		values[name] = strings.Repeat("v|`", 1<<20)
	}
	for _, n := range []int{1000, 100000} {
		r := huge(n)
		md := Job(r, values)
		if len(md) >= 1<<20 {
			t.Errorf("%d samples: the job summary is %d bytes, want under 1 MiB", n, len(md))
		}
		if want := fmt.Sprintf("Showing the first %d of %d samples; all are in the report.", maxSamples, n); !strings.Contains(md, want) {
			t.Errorf("%d samples: the summary does not say %q", n, want)
		}
		checkMermaid(t, md)
		r.OK = true
		if md := Job(r, values); len(md) >= 1<<20 {
			t.Errorf("%d samples, succeeded: the job summary is %d bytes, want under 1 MiB", n, len(md))
		}
		for name, c := range map[string]CommentContext{"ready": {}, "removed": {Removed: time.Now(), Service: r.Service.Name, Tag: r.Service.URL}} {
			if md := Comment(r, c); utf8.RuneCountInString(md) >= 65536 || len(md) >= 65536 {
				t.Errorf("%d samples, %s: the comment is %d bytes, want under 65536", n, name, len(md))
			}
		}
		r.OK = false
		if md := Comment(r, CommentContext{RunURL: "https://github.com/" + strings.Repeat("r", 1<<20)}); len(md) >= 65536 {
			t.Errorf("%d samples, failed: the comment is %d bytes, want under 65536", n, len(md))
		}
	}
}

// The charts are well formed: an xychart has as many x-axis labels as
// values in each series, and the gantt has one task per stage that ran,
// the failed one marked crit.
func TestMermaid(t *testing.T) {
	many := succeeded()
	for i := 5; i <= 1000; i++ {
		many.Measure.Samples = append(many.Measure.Samples, measure.Sample{Index: i, Verdict: measure.VerdictCold, TotalMs: float64(1000 + i)})
	}
	hostile := failed()
	hostile.Stages[0].Name = "clu\"ster: x]\n```"
	for name, tc := range map[string]struct {
		r                  *report.Report
		bars, lines, tasks int
		crit               int
	}{
		"success":      {succeeded(), 4, 4, 4, 0},
		"1000":         {many, maxSamples, 4, 4, 0},
		"failure":      {failed(), 0, 0, 2, 1},
		"hostile":      {hostile, 0, 0, 2, 1},
		"knative":      {knativeOnly(), 0, 0, 2, 0},
		"no stage ran": {&report.Report{Stages: []report.Stage{{Name: "cluster"}}}, 0, 0, 0, 0},
	} {
		t.Run(name, func(t *testing.T) {
			got := checkMermaid(t, Job(tc.r, nil))
			if got.bars != tc.bars || got.lines != tc.lines || got.tasks != tc.tasks || got.crit != tc.crit {
				t.Errorf("bars %d, line points %d, tasks %d, crit %d; want %d, %d, %d, %d", got.bars, got.lines, got.tasks, got.crit, tc.bars, tc.lines, tc.tasks, tc.crit)
			}
		})
	}
}

type charts struct{ bars, lines, tasks, crit int }

var (
	axisRe   = regexp.MustCompile(`^    x-axis "[a-z]+" \[("[A-Za-z0-9 .,_+/()-]*"(, "[A-Za-z0-9 .,_+/()-]*")*)\]$`)
	seriesRe = regexp.MustCompile(`^    (bar|line) \[(-?[0-9]+(, -?[0-9]+)*)\]$`)
	taskRe   = regexp.MustCompile(`^    ([A-Za-z0-9 .,_+/()-]+) :(crit, )?s[0-9]+, ([0-9]+), ([0-9]+)$`)
)

// checkMermaid checks every Mermaid block of md and counts bars, points of
// the first line, gantt tasks and crit tasks.
func checkMermaid(t *testing.T, md string) charts {
	t.Helper()
	var got charts
	blocks := strings.Split(md, "```mermaid\n")
	for _, blk := range blocks[1:] {
		body, _, ok := strings.Cut(blk, "\n```\n")
		if !ok {
			t.Fatalf("a Mermaid block is not closed:\n%s", blk)
		}
		lines := strings.Split(body, "\n")
		switch lines[0] {
		case "xychart-beta":
			labels := -1
			for _, l := range lines[1:] {
				if strings.HasPrefix(l, "    x-axis") {
					m := axisRe.FindStringSubmatch(l)
					if m == nil {
						t.Fatalf("x-axis line %q is not well formed", l)
					}
					labels = len(strings.Split(m[1], ", "))
				}
				if m := seriesRe.FindStringSubmatch(l); m != nil {
					n := len(strings.Split(m[2], ", "))
					if n != labels {
						t.Errorf("%s of %d values under %d x-axis labels", m[1], n, labels)
					}
					if m[1] == "bar" {
						got.bars = n
					} else if got.lines == 0 {
						got.lines = n
					}
				} else if !strings.HasPrefix(l, "    title \"") && !strings.HasPrefix(l, "    x-axis") && l != `    y-axis "ms"` {
					t.Errorf("xychart line %q is not well formed", l)
				}
			}
		case "gantt":
			end := -1
			for _, l := range lines[1:] {
				if l == "    dateFormat x" || l == "    axisFormat %M:%S" {
					continue
				}
				m := taskRe.FindStringSubmatch(l)
				if m == nil {
					t.Errorf("gantt task %q is not well formed", l)
					continue
				}
				got.tasks++
				if m[2] != "" {
					got.crit++
				}
				s, _ := strconv.Atoi(m[3])
				e, _ := strconv.Atoi(m[4])
				if s < end || e <= s {
					t.Errorf("task %q runs from %d to %d after one that ended at %d", l, s, e, end)
				}
				end = e
			}
		default:
			t.Errorf("unknown Mermaid chart %q", lines[0])
		}
	}
	return got
}
