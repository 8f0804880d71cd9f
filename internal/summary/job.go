// Package summary renders a run's report as Markdown: the job summary, with
// tables and Mermaid charts of the stages, the cold starts, the comparison
// with a baseline and the trend, and the pull request's comment. Whatever
// the report holds, the Markdown stays within what GitHub accepts and text
// from outside cannot break its tables, code blocks or charts.
package summary

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/knative-preview/action/internal/buildinfo"
	"github.com/knative-preview/action/internal/measure"
	"github.com/knative-preview/action/internal/outputs"
	"github.com/knative-preview/action/internal/regression"
	"github.com/knative-preview/action/internal/report"
)

// How much of a report the job summary shows: with these, and every text
// cut to cellMax or errorMax, the summary stays far below GitHub's 1 MiB
// for a step summary whatever the report holds.
const (
	maxStages  = 50
	maxSamples = 100
	maxFigures = 20
	maxTrend   = 50
	// maxChart is the most bars or runs a chart shows: their labels fit
	// side by side under it.
	maxChart = 20
	// errorMax is the longest error shown in full, in bytes.
	errorMax = 16 << 10
	// valueMax is the longest output value shown.
	valueMax = 500
)

// Job is the job summary of the run r: its stages, the failure if any, the
// cold starts, the comparison with a baseline, the trend, and, when the
// run succeeded, the outputs (values by output name).
func Job(r *report.Report, values map[string]string) string {
	if r == nil {
		r = &report.Report{}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "### %s\n", buildinfo.Name)
	writeStages(&b, r.Stages)
	writeFailure(&b, r)
	writeServices(&b, "#### Services\n\n", r)
	writeColdStart(&b, r)
	if r.Comparison != nil {
		b.WriteString("\n#### This run vs baseline\n\n")
		writeComparison(&b, r.Comparison)
	}
	writeTrend(&b, r)
	if r.OK {
		writeOutputs(&b, values)
	}
	return b.String()
}

// writeStages writes the table of stages and, next to it, their timings
// as a gantt chart.
func writeStages(b *strings.Builder, stages []report.Stage) {
	if len(stages) == 0 {
		return
	}
	shown := stages[:min(len(stages), maxStages)]
	b.WriteString("\n| stage | result | time |\n| --- | --- | --- |\n")
	for _, s := range shown {
		outcome, t := "not run", ""
		if s.Ran {
			outcome, t = "ok", seconds(s.Seconds)
			if s.Error != "" {
				outcome = "failed"
			}
		}
		fmt.Fprintf(b, "| %s | %s | %s |\n", text(s.Name, cellMax), outcome, t)
	}
	more(b, len(shown), len(stages), "stages")
	var tasks []ganttTask
	var at float64 // milliseconds
	for i, s := range shown {
		if !s.Ran {
			continue
		}
		start := at
		at = start + max(math.Round(finite(s.Seconds)*1000), 1)
		name := ganttName(s.Name, cellMax)
		if name == "" {
			name = fmt.Sprintf("stage %d", i+1)
		}
		tasks = append(tasks, ganttTask{name: name, id: i + 1, failed: s.Error != "", start: start, end: at})
	}
	writeGantt(b, tasks)
}

// InvalidInputs is the job summary of a run whose inputs were refused:
// nothing was created, and each problem is listed.
func InvalidInputs(err error) string {
	return "### " + buildinfo.Name + "\n\nThe inputs are not valid; nothing was created.\n\n" + block(err.Error(), errorMax)
}

// writeFailure writes why the run failed, in full up to errorMax.
func writeFailure(b *strings.Builder, r *report.Report) {
	if r.OK {
		return
	}
	stage, reason := failure(r)
	b.WriteString("\n**Failed**")
	if stage != "" {
		b.WriteString(" in stage " + code(stage, cellMax))
	}
	if reason == "" {
		b.WriteString(".\n")
		return
	}
	b.WriteString(":\n\n" + block(reason, errorMax))
}

// failure is the stage that failed ("" when none did) and why the run
// failed: the run's error, or else that stage's.
func failure(r *report.Report) (stage, reason string) {
	for _, s := range r.Stages {
		if s.Ran && s.Error != "" {
			stage, reason = s.Name, s.Error
			break
		}
	}
	if r.Error != "" {
		reason = r.Error
	}
	return stage, reason
}

// writeColdStart writes the cold start figures, a chart and a table of the
// samples, and each sample's breakdown; or, when the run took none, says
// so.
func writeColdStart(b *strings.Builder, r *report.Report) {
	m := r.Measure
	if m == nil {
		if why := noColdStart(r); why != "" {
			b.WriteString("\n#### Cold start\n\n" + why + "\n")
		}
		return
	}
	b.WriteString("\n#### Cold start\n\n")
	switch {
	case m.Cold.N > 0:
		fmt.Fprintf(b, "median **%s**, p95 %s, min %s, max %s over %d cold starts", ms(m.Cold.Median), ms(m.Cold.P95), ms(m.Cold.Min), ms(m.Cold.Max), m.Cold.N)
		if m.FirstWithPull != nil {
			fmt.Fprintf(b, "; the first, which pulled the image, took %s and is not counted in them", ms(m.FirstWithPull.TotalMs))
		}
		b.WriteString(".\n")
		if v := threshold(r); v != "" {
			b.WriteString("\n" + v + "\n")
		}
	case len(m.Samples) == 0:
		b.WriteString("No cold start was taken (samples: 0).\n")
	default:
		b.WriteString("None of the samples was a cold start, so there is no cold start time.\n")
	}
	if len(m.Samples) > 0 {
		shown := m.Samples[:min(len(m.Samples), maxSamples)]
		more(b, len(shown), len(m.Samples), "samples")
		writeSampleChart(b, r, shown)
		writeSamples(b, shown)
		writeBreakdown(b, shown)
	}
	if m.Warm.N > 0 {
		fmt.Fprintf(b, "\nWarm requests: %d, median time to first byte %s.\n", m.Warm.N, ms(m.Warm.Median))
	}
}

// noColdStart says why a run that did not measure has no cold start
// figures: "" when the run failed before (the failure says why) or did not
// install anything (mode down).
func noColdStart(r *report.Report) string {
	if !r.OK {
		return ""
	}
	if r.Service != nil {
		return "No cold start was measured: the measure stage did not run (samples 0, or a cluster-local service)."
	}
	for _, s := range r.Stages {
		if s.Name == "install" {
			return "No image was deployed, so there is no cold start to show."
		}
	}
	return ""
}

// threshold is the one-line verdict of the median against
// cold-start-max-ms; "" when none was set or nothing was measured.
func threshold(r *report.Report) string {
	limit := r.Checks.ColdStartMaxMs
	if limit <= 0 || r.Measure == nil || r.Measure.Cold.N == 0 {
		return ""
	}
	if m := r.Measure.Cold.Median; m > limit {
		return fmt.Sprintf("The median cold start, %s, is **above** cold-start-max-ms (%s).", ms(m), ms(limit))
	}
	return fmt.Sprintf("The median cold start, %s, is within cold-start-max-ms (%s).", ms(r.Measure.Cold.Median), ms(limit))
}

// writeSampleChart writes a bar chart of the first maxChart counted cold
// starts' total times, with their median and cold-start-max-ms as lines,
// and says which samples it leaves out; nothing with fewer than two
// counted. The first sample's image pull and a discarded sample's few
// milliseconds would set the scale if drawn with them, so they are left
// to the table.
func writeSampleChart(b *strings.Builder, r *report.Report, samples []measure.Sample) {
	var labels []string
	var totals []float64
	var out []string
	var discarded []int
	counted := 0
	for _, s := range samples {
		switch {
		case r.Measure.FirstWithPull != nil && s.Index == r.Measure.FirstWithPull.Index:
			out = append(out, fmt.Sprintf("sample %d, which pulled the image (%s)", s.Index, ms(s.TotalMs)))
		case s.Verdict != measure.VerdictCold:
			discarded = append(discarded, s.Index)
		default:
			counted++
			if len(totals) < maxChart {
				labels = append(labels, label(fmt.Sprint(s.Index), cellMax))
				totals = append(totals, s.TotalMs)
			}
		}
	}
	if len(totals) < 2 {
		return
	}
	c := xyChart{title: "Counted cold starts, total time", xTitle: "sample", labels: labels,
		series: []series{{"bar", grey, totals}, {"line", blue, flat(r.Measure.Cold.Median, len(totals))}}}
	legend := fmt.Sprintf("%s bars: the cold starts counted in the figures; %s line: their median, %s", capital(colourName[grey]), colourName[blue], ms(r.Measure.Cold.Median))
	if limit := r.Checks.ColdStartMaxMs; limit > 0 {
		c.series = append(c.series, series{"line", orange, flat(limit, len(totals))})
		legend += fmt.Sprintf("; %s line: cold-start-max-ms, %s, which the median must not exceed", colourName[orange], ms(limit))
	}
	c.write(b)
	b.WriteString("\n" + legend + ".")
	if len(discarded) == 1 {
		out = append(out, fmt.Sprintf("sample %d, discarded", discarded[0]))
	} else if len(discarded) > 1 {
		out = append(out, "samples "+and(ranges(discarded))+", discarded")
	}
	if len(out) > 0 {
		b.WriteString(" In the table but not in the chart: " + strings.Join(out, "; ") + ".")
	}
	if counted > len(totals) {
		fmt.Fprintf(b, " The chart shows the first %d of the %d counted cold starts.", len(totals), counted)
	}
	b.WriteString("\n")
}

// writeSamples writes a row per sample with the times its steps were seen.
func writeSamples(b *strings.Builder, samples []measure.Sample) {
	b.WriteString("\n| sample | verdict | total | first byte | scaled | scheduled | started | ready | pod | image |\n| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n")
	for _, s := range samples {
		verdict := s.Verdict
		if s.Reason != "" {
			verdict += ": " + s.Reason
		}
		d := s.Breakdown
		fmt.Fprintf(b, "| %d | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", s.Index, text(verdict, cellMax), ms(s.TotalMs), ms(s.TTFBMs),
			optMs(d.Scaled), optMs(d.Scheduled), optMs(d.Started), optMs(d.Ready), text(s.Pod, cellMax), text(s.Image, cellMax))
	}
	b.WriteString("\nTimes are from the moment the request was sent, as this client's watches saw each step.\n")
}

// writeBreakdown writes each sample's steps stacked: the time each step
// took after the one before, and its share of the sample's total.
func writeBreakdown(b *strings.Builder, samples []measure.Sample) {
	b.WriteString("\n| sample | scaled | scheduled | started | ready | first byte | total |\n| --- | --- | --- | --- | --- | --- | --- |\n")
	for _, s := range samples {
		cells := make([]string, 0, 5)
		var prev float64
		for _, at := range stacked(s.Breakdown) {
			if at == nil {
				cells = append(cells, "-")
				continue
			}
			step := max(*at-prev, 0)
			prev = max(prev, *at)
			cells = append(cells, fmt.Sprintf("+%s (%s)", ms(step), share(step, s.TotalMs)))
		}
		fmt.Fprintf(b, "| %d | %s | %s |\n", s.Index, strings.Join(cells, " | "), ms(s.TotalMs))
	}
	b.WriteString("\nEach step's own time after the step before it, and its share of the sample's total; a step this client's watches saw only after a later one counts as done by then.\n")
}

// stacked is a breakdown's steps in order, first byte last, each at most
// as late as the steps after it: a watch may report a step (the pod's
// readiness most often) after the response that needed it.
func stacked(d measure.Breakdown) []*float64 {
	steps := []*float64{d.Scaled, d.Scheduled, d.Started, d.Ready, &d.FirstByte}
	limit := math.Inf(1)
	for i := len(steps) - 1; i >= 0; i-- {
		if steps[i] == nil {
			continue
		}
		v := min(finite(*steps[i]), limit)
		steps[i], limit = &v, v
	}
	return steps
}

// writeComparison writes the comparison's verdict in words and a row per
// figure.
func writeComparison(b *strings.Builder, c *report.Comparison) {
	fmt.Fprintf(b, "Baseline: %s. Verdict: %s.\n", text(c.Baseline, cellMax), verdictWords(c.Verdict))
	if len(c.Figures) == 0 {
		return
	}
	shown := c.Figures[:min(len(c.Figures), maxFigures)]
	b.WriteString("\n| figure | baseline | this run | delta | p | verdict | why |\n| --- | --- | --- | --- | --- | --- | --- |\n")
	for _, f := range shown {
		delta := signedMs(f.DeltaMs)
		if f.Baseline != 0 {
			delta += fmt.Sprintf(" (%+.1f%%)", finite(f.DeltaPercent))
		}
		fmt.Fprintf(b, "| %s | %s (n=%d) | %s (n=%d) | %s | %s | %s | %s |\n", figureName(f.Name), ms(f.Baseline), f.NBaseline, ms(f.Current), f.NCurrent,
			delta, pValue(f.P), text(f.Verdict, cellMax), text(f.Reason, cellMax))
	}
	more(b, len(shown), len(c.Figures), "figures")
}

// verdictWords says a comparison's verdict in a sentence.
func verdictWords(v string) string {
	switch v {
	case regression.None:
		return "**no regression**: no figure changed by more than the limits with clear evidence"
	case regression.Slower:
		return "**slower**: a figure is worse than the baseline by more than the limits, and clearly so by the rank test"
	case regression.Faster:
		return "**faster**: a figure is better than the baseline by more than the limits, and none is worse"
	case regression.Inconclusive:
		return "**inconclusive**: too few samples to tell a change from noise"
	}
	return "**" + text(v, cellMax) + "**"
}

// figureName is a comparison's figure in words.
func figureName(name string) string {
	switch name {
	case regression.ColdStartMedian:
		return "cold start median"
	case regression.ColdStartP95:
		return "cold start p95"
	case regression.Ready:
		return "ready"
	case regression.WarmP50:
		return "warm p50"
	}
	return text(name, cellMax)
}

// writeTrend writes the last runs' median and p95 cold start as a line
// chart and a table; nothing with fewer than two runs.
func writeTrend(b *strings.Builder, r *report.Report) {
	if len(r.Trend) < 2 {
		return
	}
	shown := r.Trend[max(len(r.Trend)-maxTrend, 0):]
	fmt.Fprintf(b, "\n#### Trend\n\nThe last %d runs of this service, oldest first; this run is the last.\n", len(shown))
	writeTrendChart(b, r, shown)
	b.WriteString("\n| run | time | commit | cold start median | p95 | ready | warm p50 |\n| --- | --- | --- | --- | --- | --- | --- |\n")
	for i, p := range shown {
		fmt.Fprintf(b, "| %d | %s | %s | %s | %s | %s | %s |\n", i+1, when(p.Time), cellCode(ShortSHA(p.Commit), cellMax),
			optPositive(p.ColdStartMedianMs, ms), optPositive(p.ColdStartP95Ms, ms), optPositive(p.ReadySeconds, seconds), optPositive(p.WarmP50Ms, ms))
	}
}

// writeTrendChart writes the runs' median and p95 cold start as lines, with
// this run's cold-start-max-ms, over the last maxChart runs, from the
// first to the last that has figures; nothing when fewer than two have.
// Each run has its place on the axis, so that the lines' slopes are true:
// one without figures is labelled in brackets, and the lines cross it
// straight from the run before to the run after.
func writeTrendChart(b *strings.Builder, r *report.Report, runs []report.Point) {
	has := func(p report.Point) bool { return p.ColdStartMedianMs > 0 && p.ColdStartP95Ms > 0 }
	first, last := -1, -1
	for i := max(len(runs)-maxChart, 0); i < len(runs); i++ {
		if !has(runs[i]) {
			continue
		}
		if first < 0 {
			first = i
		}
		last = i
	}
	if first == last {
		return
	}
	var labels []string
	var missing []int
	medians, p95s := make([]float64, 0, last-first+1), make([]float64, 0, last-first+1)
	before := first
	for i := first; i <= last; i++ {
		if has(runs[i]) {
			labels = append(labels, label(fmt.Sprint(i+1), cellMax))
			medians = append(medians, runs[i].ColdStartMedianMs)
			p95s = append(p95s, runs[i].ColdStartP95Ms)
			before = i
			continue
		}
		after := i + 1
		for !has(runs[after]) {
			after++
		}
		at := float64(i-before) / float64(after-before)
		labels = append(labels, label(fmt.Sprintf("(%d)", i+1), cellMax))
		medians = append(medians, between(runs[before].ColdStartMedianMs, runs[after].ColdStartMedianMs, at))
		p95s = append(p95s, between(runs[before].ColdStartP95Ms, runs[after].ColdStartP95Ms, at))
		missing = append(missing, i+1)
	}
	c := xyChart{title: "Cold start by run", xTitle: "run", labels: labels,
		series: []series{{"line", blue, medians}, {"line", purple, p95s}}}
	legend := fmt.Sprintf("%s line: each run's median cold start; %s line: its p95", capital(colourName[blue]), colourName[purple])
	if limit := r.Checks.ColdStartMaxMs; limit > 0 {
		c.series = append(c.series, series{"line", orange, flat(limit, len(labels))})
		legend += fmt.Sprintf("; %s line: this run's cold-start-max-ms, %s", colourName[orange], ms(limit))
	}
	c.write(b)
	b.WriteString("\n" + legend + ".")
	switch {
	case len(missing) == 1:
		fmt.Fprintf(b, " Run %d, in brackets, has no cold start figures: the lines cross it straight from the run before to the run after.", missing[0])
	case len(missing) > 1:
		fmt.Fprintf(b, " Runs %s, in brackets, have no cold start figures: the lines cross them straight from the run before to the run after.", and(ranges(missing)))
	}
	if first > 0 || last < len(runs)-1 {
		fmt.Fprintf(b, " The chart shows runs %d to %d, the table all %d.", first+1, last+1, len(runs))
	}
	b.WriteString("\n")
}

// between is the value at a fraction at of the way from a to b.
func between(a, b, at float64) float64 {
	return a + (b-a)*at
}

// writeOutputs writes the outputs' table, in action.yml's order; the
// samples' JSON is left out, as the samples have their own table.
func writeOutputs(b *strings.Builder, values map[string]string) {
	var rows []string
	for _, o := range outputs.Outputs {
		if v, ok := values[o.Name]; ok && o.Name != "cold-start-samples-json" {
			rows = append(rows, fmt.Sprintf("| %s | %s |\n", o.Name, cellCode(v, valueMax)))
		}
	}
	if len(rows) == 0 {
		return
	}
	b.WriteString("\n| output | value |\n| --- | --- |\n" + strings.Join(rows, ""))
}

// more says that only shown of all things are shown.
func more(b *strings.Builder, shown, all int, things string) {
	if shown < all {
		fmt.Fprintf(b, "\nShowing the first %d of %d %s; all are in the report.\n", shown, all, things)
	}
}

// numbers is vs as a Mermaid list of whole numbers.
func numbers(vs []float64) string {
	parts := make([]string, len(vs))
	for i, v := range vs {
		parts[i] = fmt.Sprintf("%.0f", finite(v))
	}
	return strings.Join(parts, ", ")
}

// when is an RFC 3339 time as a short UTC date and time.
func when(s string) string {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return text(s, cellMax)
	}
	return t.UTC().Format("2006-01-02 15:04")
}

// ShortSHA is a commit as GitHub shows it short: its first 7 characters.
func ShortSHA(sha string) string {
	if len(sha) > 7 {
		return sha[:7]
	}
	return sha
}

// ms is a time in milliseconds, whole above 10 ms.
func ms(v float64) string {
	if v = finite(v); math.Abs(v) < 10 {
		return fmt.Sprintf("%.1f ms", v)
	}
	return fmt.Sprintf("%.0f ms", v)
}

// signedMs is ms with its sign.
func signedMs(v float64) string {
	if v = finite(v); v >= 0 {
		return "+" + ms(v)
	}
	return ms(v)
}

func optMs(v *float64) string {
	if v == nil {
		return "-"
	}
	return ms(*v)
}

func optPositive(v float64, format func(float64) string) string {
	if v <= 0 {
		return "-"
	}
	return format(v)
}

// seconds is a time in seconds, in milliseconds below a second.
func seconds(s float64) string {
	s = finite(s)
	if s < 1 {
		return fmt.Sprintf("%.0f ms", s*1000)
	}
	return fmt.Sprintf("%.1f s", s)
}

// share is part in percent of whole.
func share(part, whole float64) string {
	if whole <= 0 {
		return "-"
	}
	return fmt.Sprintf("%.0f%%", finite(100*part/whole))
}

// pValue is a rank test's p-value; 1 means not tested.
func pValue(p float64) string {
	if p >= 1 || p < 0 {
		return "-"
	}
	return fmt.Sprintf("%.2g", finite(p))
}

// finite is v, or 0 when v is not a finite number.
func finite(v float64) float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0
	}
	return v
}
