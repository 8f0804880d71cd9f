package summary

import (
	"bytes"
	"cmp"
	"flag"
	"fmt"
	"io/fs"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // TZ=Asia/Kolkata on a machine without the tz database
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
	"kubernetes-version":      "v1.34.3",
	"context":                 "kind-knative",
	"knative-version":         "1.20.1",
	"url":                     "http://app-pr-7.default.127.0.0.1.sslip.io",
	"service":                 "app-pr-7",
	"cold-start-ms":           "1356",
	"cold-start-samples-json": `[{"sample":1}]`,
	"domain":                  "a `quoted` | piped value",
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

// app is r as the preview of a whole app: its primary Service, another
// with a URL under the primary's domain, and a cluster-local one.
func app(r *report.Report) *report.Report {
	primary := *r.Service
	primary.Name = "web"
	api := primary
	api.Name, api.Revision = "api", "api-00003"
	api.URL = strings.Replace(primary.URL, "://web.", "://api.", 1)
	db := primary
	db.Name, db.Revision = "db", "db-00001"
	db.URL, db.ClusterLocal = "http://db."+primary.Namespace+".svc.cluster.local", true
	r.Service = &primary
	r.Services = []report.Service{primary, api, db}
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
		{"comment-ephemeral", Comment(reached(reachable.Facts{EphemeralWhy: "is a kind cluster on a GitHub-hosted runner, which is discarded when the job ends",
			URL: "http://app-pr-7.default.127.0.0.1.sslip.io"}), CommentContext{RunURL: run})},
		{"comment-app-tested", Comment(app(reached(reachable.Facts{EphemeralWhy: "is a kind cluster on a GitHub-hosted runner, which is discarded when the job ends",
			URL: "http://web.app-pr-7.127.0.0.1.sslip.io"})), CommentContext{RunURL: run})},
		{"comment-app-ready", Comment(app(reached(reachable.Facts{URL: "http://web.app-pr-7.preview.example.dev"})), CommentContext{RunURL: run})},
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
			says(t, md, tc.want, tc.not)
		})
	}
}

// says checks that md has each of want and none of not ("" stands for
// nothing).
func says(t *testing.T, md string, want, not []string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(md, w) {
			t.Errorf("lacks %q:\n%s", w, md)
		}
	}
	for _, n := range not {
		if n != "" && strings.Contains(md, n) {
			t.Errorf("has %q:\n%s", n, md)
		}
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
	for _, name := range []string{"url", "kubeconfig-path", "report", "domain", "context"} {
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
// values in each series, a colour for each series, and a y-axis from 0 to
// above every value; the gantt has one task per stage that ran, each after
// the one before, the failed one marked crit.
func TestMermaid(t *testing.T) {
	many := succeeded()
	for i := 5; i <= 1000; i++ {
		many.Measure.Samples = append(many.Measure.Samples, measure.Sample{Index: i, Verdict: measure.VerdictCold, TotalMs: float64(1000 + i)})
	}
	hostile := failed()
	hostile.Stages[0].Name = "clu\"ster: x]\n```"
	for name, tc := range map[string]struct {
		r                   *report.Report
		bars, points, tasks int
		crit                int
	}{
		// The first sample pulled the image and the fourth was discarded;
		// the trend's third run has no figures and is crossed.
		"success":      {succeeded(), 2, 5, 4, 0},
		"1000":         {many, maxChart, 5, 4, 0},
		"failure":      {failed(), 0, 0, 2, 1},
		"hostile":      {hostile, 0, 0, 2, 1},
		"knative":      {knativeOnly(), 0, 0, 2, 0},
		"no stage ran": {&report.Report{Stages: []report.Stage{{Name: "cluster"}}}, 0, 0, 0, 0},
	} {
		t.Run(name, func(t *testing.T) {
			got := checkMermaid(t, Job(tc.r, nil))
			if got.bars != tc.bars || got.points != tc.points || got.tasks != tc.tasks || got.crit != tc.crit {
				t.Errorf("bars %d, line points %d, tasks %d, crit %d; want %d, %d, %d, %d", got.bars, got.points, got.tasks, got.crit, tc.bars, tc.points, tc.tasks, tc.crit)
			}
		})
	}
}

// charts counts what checkMermaid found: the bars of the bar chart, the
// points of each line of the line chart, gantt tasks and crit ones.
type charts struct{ bars, points, tasks, crit int }

var (
	initRe   = regexp.MustCompile(`^%%\{init: \{"themeVariables": \{"xyChart": \{"plotColorPalette": "(#[0-9a-f]{6}(, #[0-9a-f]{6})*)"\}\}\}\}%%$`)
	titleRe  = regexp.MustCompile(`^    title "[A-Za-z0-9 ,]+"$`)
	axisRe   = regexp.MustCompile(`^    x-axis "[a-z]+" \[("[A-Za-z0-9 .,_+/()-]*"(, "[A-Za-z0-9 .,_+/()-]*")*)\]$`)
	yAxisRe  = regexp.MustCompile(`^    y-axis "ms" 0 --> ([0-9]+(\.[0-9]+)?)$`)
	seriesRe = regexp.MustCompile(`^    (bar|line) \[([0-9]+(, [0-9]+)*)\]$`)
	taskRe   = regexp.MustCompile(`^    ([A-Za-z0-9 .,_+/()-]+) :(crit, )?s[0-9]+, ([0-9-]+ [0-9:.]+), ([0-9-]+ [0-9:.]+)$`)
	ganttRe  = regexp.MustCompile(`^    (title Stages, (minutes:seconds|hours:minutes) from the start|dateFormat YYYY-MM-DD HH:mm:ss\.SSS|axisFormat (%M:%S|%H:%M)|todayMarker off)$`)
)

// ganttLayout is how the gantt's dateFormat reads in Go.
const ganttLayout = "2006-01-02 15:04:05.000"

// checkMermaid checks every Mermaid block of md and counts what it draws.
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
		colours := -1
		if m := initRe.FindStringSubmatch(lines[0]); m != nil {
			colours = len(strings.Split(m[1], ", "))
			lines = lines[1:]
		}
		switch lines[0] {
		case "xychart-beta":
			labels, top, n := -1, -1.0, 0
			var c charts
			for _, l := range lines[1:] {
				if m := axisRe.FindStringSubmatch(l); m != nil {
					labels = len(strings.Split(m[1], ", "))
				} else if m := yAxisRe.FindStringSubmatch(l); m != nil {
					top, _ = strconv.ParseFloat(m[1], 64)
				} else if m := seriesRe.FindStringSubmatch(l); m != nil {
					n++
					values := strings.Split(m[2], ", ")
					if len(values) != labels {
						t.Errorf("%s of %d values under %d x-axis labels", m[1], len(values), labels)
					}
					for _, v := range values {
						if f, _ := strconv.ParseFloat(v, 64); f > top {
							t.Errorf("%s value %s above the y-axis's top, %g", m[1], v, top)
						}
					}
					if m[1] == "bar" {
						c.bars = len(values)
					} else {
						c.points = len(values)
					}
				} else if !titleRe.MatchString(l) {
					t.Errorf("xychart line %q is not well formed", l)
				}
			}
			if colours != n {
				t.Errorf("an xychart of %d series has %d colours", n, colours)
			}
			if c.bars > 0 {
				got.bars = c.bars
			} else {
				got.points = c.points
			}
		case "gantt":
			if colours != -1 {
				t.Errorf("the gantt has an init directive")
			}
			var end time.Time
			for _, l := range lines[1:] {
				if ganttRe.MatchString(l) {
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
				s, err1 := time.Parse(ganttLayout, m[3])
				e, err2 := time.Parse(ganttLayout, m[4])
				if err1 != nil || err2 != nil {
					t.Errorf("task %q: %v %v", l, err1, err2)
				}
				if got.tasks == 1 && !s.Equal(ganttDay) {
					t.Errorf("the first task begins at %s, not at %s", m[3], ganttDay.Format(ganttLayout))
				}
				if s.Before(end) || !e.After(s) {
					t.Errorf("task %q runs from %s to %s after one that ended at %s", l, m[3], m[4], end.Format(ganttLayout))
				}
				end = e
			}
		default:
			t.Errorf("unknown Mermaid chart %q", lines[0])
		}
	}
	return got
}

// The cold start chart draws only the counted cold starts, so that they
// fill its height: not the first sample when it pulled the image, not a
// discarded one; the text says which it leaves out, and a level line shows
// cold-start-max-ms when it is set.
func TestSampleChart(t *testing.T) {
	sample := func(i int, verdict string, total float64) measure.Sample {
		return measure.Sample{Index: i, Verdict: verdict, TotalMs: total}
	}
	cold, discarded := measure.VerdictCold, measure.VerdictDiscarded
	for _, tc := range []struct {
		name    string
		samples []measure.Sample
		pulled  bool
		limit   float64
		want    []string
		not     []string
	}{
		{"pulled first and discarded", []measure.Sample{sample(1, cold, 5200), sample(2, cold, 1400), sample(3, cold, 1300), sample(4, discarded, 4)}, true, 1500,
			[]string{`x-axis "sample" ["2", "3"]`, "bar [1400, 1300]", "line [1350, 1350]", "line [1500, 1500]", `y-axis "ms" 0 --> 1600`,
				"orange line: cold-start-max-ms, 1500 ms", "In the table but not in the chart: sample 1, which pulled the image (5200 ms); sample 4, discarded.\n"},
			[]string{"5200]", ", 4]"}},
		{"no limit", []measure.Sample{sample(1, cold, 900), sample(2, cold, 1100)}, false, 0,
			[]string{`x-axis "sample" ["1", "2"]`, "bar [900, 1100]", `"plotColorPalette": "#888888, #3b82f6"}`, "blue line: their median, 1000 ms.\n"},
			[]string{"cold-start-max-ms", "not in the chart"}},
		{"discarded ones", []measure.Sample{sample(1, discarded, 3), sample(2, cold, 800), sample(3, discarded, 2), sample(4, discarded, 2), sample(5, cold, 900), sample(6, discarded, 5)}, false, 0,
			[]string{`x-axis "sample" ["2", "5"]`, "In the table but not in the chart: samples 1, 3-4 and 6, discarded.\n"}, nil},
		{"one counted", []measure.Sample{sample(1, cold, 5000), sample(2, cold, 1000)}, true, 1500, nil, []string{"xychart"}},
		{"more than the chart", func() []measure.Sample {
			var ss []measure.Sample
			for i := 1; i <= 30; i++ {
				ss = append(ss, sample(i, cold, float64(1000+i)))
			}
			return ss
		}(), false, 0, []string{`"19", "20"]`, "The chart shows the first 20 of the 30 counted cold starts."}, []string{`"21"`, "not in the chart"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := succeeded()
			r.Trend, r.Stages = nil, nil
			r.Checks.ColdStartMaxMs = tc.limit
			m := &measure.Report{Samples: tc.samples}
			var totals []float64
			for _, s := range tc.samples {
				if s.Verdict == cold {
					totals = append(totals, s.TotalMs)
				}
			}
			if tc.pulled {
				m.FirstWithPull = &tc.samples[0]
				totals = totals[1:]
			}
			m.Cold = measure.Summarise(totals)
			r.Measure = m
			md := Job(r, nil)
			checkRendered(t, md)
			says(t, md, tc.want, tc.not)
		})
	}
}

// Each run of the trend has its place on the chart's axis, so that the
// lines' slopes are true: a run without cold start figures is labelled in
// brackets and crossed straight from the run before to the run after, and
// the text says so. The chart shows the last maxChart runs at most, from
// and to a run with figures.
func TestTrendGaps(t *testing.T) {
	point := func(median float64) report.Point {
		return report.Point{Time: "2026-03-01T12:00:00Z", ColdStartMedianMs: median, ColdStartP95Ms: median * 2}
	}
	var long []report.Point
	for i := range 30 {
		long = append(long, point(float64(1000+i)))
	}
	for _, tc := range []struct {
		name    string
		trend   []report.Point
		labels  string
		medians string
		says    string
		not     string
	}{
		{"none missing", []report.Point{point(1000), point(1100), point(900)}, `["1", "2", "3"]`, "[1000, 1100, 900]", "p95; orange line: this run's cold-start-max-ms, 1500 ms.\n", "brackets"},
		{"one in the middle", []report.Point{point(1000), point(0), point(900)}, `["1", "(2)", "3"]`, "[1000, 950, 900]",
			"Run 2, in brackets, has no cold start figures: the lines cross it straight from the run before to the run after.\n", "The chart shows"},
		{"first and a span", []report.Point{point(0), point(1000), point(1100), point(0), point(0), point(0), point(900)}, `["2", "3", "(4)", "(5)", "(6)", "7"]`,
			"[1000, 1100, 1050, 1000, 950, 900]", "Runs 4-6, in brackets, have no cold start figures: the lines cross them straight from the run before to the run after. The chart shows runs 2 to 7, the table all 7.", ""},
		{"the last", []report.Point{point(1000), point(1100), point(0)}, `["1", "2"]`, "[1000, 1100]", "The chart shows runs 1 to 2, the table all 3.", "brackets"},
		{"only one with figures", []report.Point{point(1000), point(0), point(0)}, "", "", "| 3 | 2026-03-01 12:00 |", "xychart"},
		{"longer than the chart", long, `["11", "12", "13", "14", "15", "16", "17", "18", "19", "20", "21", "22", "23", "24", "25", "26", "27", "28", "29", "30"]`,
			"[1010, 1011, ", "The chart shows runs 11 to 30, the table all 30.", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := succeeded()
			r.Trend = tc.trend
			md := Job(r, nil)
			checkRendered(t, md)
			trend := md[strings.Index(md, "#### Trend"):]
			want := []string{tc.says}
			if tc.labels != "" {
				want = append(want, `x-axis "run" `+tc.labels+"\n", "    line "+tc.medians)
			}
			says(t, trend, want, []string{tc.not})
		})
	}
}

// The gantt's axis reads the time since the first stage began: minutes
// and seconds under an hour, hours too from an hour on; a day or more is
// left to the table.
func TestGanttSpan(t *testing.T) {
	for _, tc := range []struct {
		name    string
		seconds []float64
		want    []string
		not     string
	}{
		{"minutes", []float64{41.2, 95.3}, []string{"axisFormat %M:%S", "install :s2, 2000-01-01 00:00:41.200, 2000-01-01 00:02:16.500"}, "%H"},
		{"hours", []float64{3000, 1200}, []string{"title Stages, hours:minutes from the start", "axisFormat %H:%M\n", "install :s2, 2000-01-01 00:50:00.000, 2000-01-01 01:10:00.000"}, "axisFormat %M:%S"},
		{"a day", []float64{80000, 6400}, []string{"The stages took a day or more in all"}, "gantt"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := &report.Report{Stages: []report.Stage{{Name: "cluster", Ran: true, Seconds: tc.seconds[0]}, {Name: "install", Ran: true, Seconds: tc.seconds[1]}}}
			md := Job(r, nil)
			checkRendered(t, md)
			says(t, md, tc.want, []string{tc.not})
		})
	}
}

// The gantt reads 00:00 at the start wherever it is written and read. The
// job summary is written here under TZ=UTC and TZ=Asia/Kolkata (UTC+5:30),
// each in a process of its own as the time zone is read at start, and the
// two are the same: the source holds times without a zone. Mermaid reads
// them, and writes its axis, in the reader's zone (ganttDay), so that
// they read back as written: seen drawn in both zones with
// hack/render-charts.sh.
func TestGanttTimeZone(t *testing.T) {
	const begin, end = "--- job summary ---\n", "--- end ---\n"
	if os.Getenv("SUMMARY_PRINT_JOB") != "" {
		_, offset := time.Now().Zone()
		fmt.Printf("%d\n%s%s%s", offset, begin, Job(succeeded(), outputValues), end)
		return
	}
	want := Job(succeeded(), outputValues)
	for tz, offset := range map[string]string{"UTC": "0", "Asia/Kolkata": "19800"} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestGanttTimeZone$", "-test.count=1")
		cmd.Env = append(os.Environ(), "TZ="+tz, "SUMMARY_PRINT_JOB=1")
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("TZ=%s: %v\n%s", tz, err, out)
		}
		zone, rest, _ := strings.Cut(string(out), "\n")
		if zone != offset {
			t.Fatalf("TZ=%s: the process ran %s seconds off UTC, want %s", tz, zone, offset)
		}
		_, rest, _ = strings.Cut(rest, begin)
		got, _, _ := strings.Cut(rest, end)
		if got != want {
			t.Errorf("TZ=%s: the job summary differs:\n%s", tz, got)
		}
	}
	if !strings.Contains(want, "cluster :s1, 2000-01-01 00:00:00.000, 2000-01-01 00:00:41.200\n") {
		t.Errorf("the gantt does not begin at 00:00:\n%s", want)
	}
}

// No time zone changes its clocks on the gantt's day, in which the chart
// of a run shorter than a day fits: its times read back as written in
// every zone. The zones are the system's tz database (when it has one)
// and those of odd offsets and changes.
func TestGanttDayHasNoClockChange(t *testing.T) {
	names := []string{"UTC", "Asia/Kolkata", "Asia/Kathmandu", "America/St_Johns", "Australia/Lord_Howe", "Pacific/Chatham",
		"Pacific/Kiritimati", "Pacific/Apia", "America/Santiago", "Asia/Tehran", "Africa/Monrovia", "Europe/Berlin"}
	const root = "/usr/share/zoneinfo"
	_ = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && d.Type().IsRegular() {
			names = append(names, strings.TrimPrefix(p, root+"/"))
		}
		return nil
	})
	checked := 0
	for _, name := range names {
		loc, err := time.LoadLocation(name)
		if err != nil {
			continue // not a zone: a table or a note of the database
		}
		checked++
		start := time.Date(ganttDay.Year(), ganttDay.Month(), ganttDay.Day(), 0, 0, 0, 0, loc)
		if _, changes := start.ZoneBounds(); !changes.IsZero() && changes.Before(start.Add(ganttSpan)) {
			t.Errorf("%s changes its clocks at %s, during the gantt's day", name, changes)
		}
	}
	t.Logf("%d zones checked", checked)
}

// The y-axis ends at a round number a little above the highest value.
func TestAxisTop(t *testing.T) {
	for _, tc := range []struct {
		v    float64
		want string // "" for any number not below v
	}{
		{0, "1"}, {-5, "1"}, {math.NaN(), "1"}, {1, "1.2"}, {4, "5"}, {1412, "1600"}, {1500, "1600"}, {1900, "2000"}, {5200, "6000"}, {0.3, "0.35"}, {0.012, "0.014"},
		{1e300, ""}, {math.MaxFloat64, ""},
	} {
		got := axisTop(tc.v)
		top, err := strconv.ParseFloat(got, 64)
		if err != nil || top < tc.v || (tc.want != "" && got != tc.want) || strings.ContainsAny(got, "e+") {
			t.Errorf("axisTop(%g) = %s, want %s", tc.v, got, cmp.Or(tc.want, "a number not below it"))
		}
	}
}
