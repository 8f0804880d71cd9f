// Package regression compares a run's measurements with a baseline's and
// says whether they got slower, without crying wolf: a change is flagged
// only when it is both practically large (above a percentage and above an
// absolute floor) and statistically clear (a two-sided Mann-Whitney U test),
// and with too few samples on a side the answer is "inconclusive", never a
// failure.
package regression

import (
	"cmp"
	"fmt"
	"math"
	"slices"

	"github.com/knative-preview/action/internal/measure"
	"github.com/knative-preview/action/internal/report"
)

// Verdicts of a report.Comparison and of each of its figures, the values
// of the regression output.
const (
	// None: no change that is both large and clear.
	None = "none"
	// Slower: larger by more than the limits, and clearly so.
	Slower = "slower"
	// Faster: smaller by more than the limits, and clearly so.
	Faster = "faster"
	// Inconclusive: fewer than minSamples on a side; the evidence is thin.
	Inconclusive = "inconclusive"
)

// Names of the figures Compare compares.
const (
	ColdStartMedian = "cold-start-median"
	ColdStartP95    = "cold-start-p95"
	Ready           = "ready"
	WarmP50         = "warm-p50"
)

const (
	// alpha is the rank test's significance level, two-sided.
	alpha = 0.05
	// minSamples is the fewest samples per side for a verdict; the normal
	// approximation of the U statistic is good enough from here on.
	minSamples = 5
)

// Samples are one side's measurements, all in milliseconds: the counted
// cold starts' totals, the ready times (one a run), the warm requests'
// times to first byte. An empty list is not compared.
type Samples struct {
	ColdStartMs []float64
	ReadyMs     []float64
	WarmMs      []float64
}

// SamplesOf is the samples of one run's report: the cold starts its
// statistics counted (valid ones, without the first when it was reported
// apart for its image pull), its ready time and its warm requests.
func SamplesOf(r *report.Report) Samples {
	var s Samples
	if r.Service != nil && r.Service.ReadySeconds > 0 {
		s.ReadyMs = []float64{1000 * r.Service.ReadySeconds}
	}
	if m := r.Measure; m != nil {
		for _, c := range m.Valid() {
			if m.FirstWithPull == nil || c.Index != m.FirstWithPull.Index {
				s.ColdStartMs = append(s.ColdStartMs, c.TotalMs)
			}
		}
		s.WarmMs = slices.Clone(m.WarmMs)
	}
	return s
}

// SamplesOfPoints is the samples of several runs pooled, as the cluster's
// history keeps them: each run's cold starts and warm requests, and its
// ready time when it has one.
func SamplesOfPoints(ps []report.Point) Samples {
	var s Samples
	for _, p := range ps {
		s.ColdStartMs = append(s.ColdStartMs, p.ColdStartMs...)
		s.WarmMs = append(s.WarmMs, p.WarmMs...)
		if p.ReadySeconds > 0 {
			s.ReadyMs = append(s.ReadyMs, 1000*p.ReadySeconds)
		}
	}
	return s
}

// Compare compares current with baseline, figure by figure; a figure
// with no samples on either side is left out. The result's Baseline (where
// the baseline came from) is the caller's to fill in. Its verdict is
// slower when any figure is slower, else faster when any is faster, else
// inconclusive when every figure is (or none could be compared), else none.
func Compare(current, baseline Samples, o Options) report.Comparison {
	o = o.withDefaults()
	type fig struct {
		name string
		test int // the samples the figure is of: cold starts, ready, warm
		b, c []float64
		stat func([]float64) float64
	}
	median := func(v []float64) float64 { return measure.Summarise(v).Median }
	p95 := func(v []float64) float64 { return measure.Summarise(v).P95 }
	var figs []fig
	for _, f := range []fig{
		{ColdStartMedian, 0, baseline.ColdStartMs, current.ColdStartMs, median},
		{ColdStartP95, 0, baseline.ColdStartMs, current.ColdStartMs, p95},
		{Ready, 1, baseline.ReadyMs, current.ReadyMs, median},
		{WarmP50, 2, baseline.WarmMs, current.WarmMs, median},
	} {
		if len(f.b) > 0 && len(f.c) > 0 {
			figs = append(figs, f)
		}
	}
	// One rank test for each set of samples with enough of them: the
	// median and the p95 of the cold starts share one.
	// shift is which way the current samples lie as a whole: +1 larger,
	// -1 smaller, 0 neither.
	p, shift := []float64{1, 1, 1}, []int{0, 0, 0}
	var tested []int
	for _, f := range figs {
		if len(f.b) >= minSamples && len(f.c) >= minSamples && !slices.Contains(tested, f.test) {
			var u float64
			u, p[f.test] = mannWhitney(f.b, f.c)
			// u counts the baseline's wins: below half of the pairs, the
			// current samples are the larger.
			shift[f.test] = cmp.Compare(float64(len(f.b)*len(f.c))/2, u)
			tested = append(tested, f.test)
		}
	}
	level := holm(p, tested)
	c := report.Comparison{Figures: []report.Figure{}}
	for _, f := range figs {
		c.Figures = append(c.Figures, judge(f.name, f.b, f.c, f.stat, p[f.test], level[f.test], shift[f.test], o))
	}
	c.Verdict = overall(c.Figures)
	return c
}

// holm returns the level each of the tests' p-values must be below to be
// clear, by Holm's step-down procedure, which keeps the chance of any
// false alarm over all the tests at alpha: the i-th smallest p (from 0)
// is held to alpha/(len(tests)-i), and once one is not below its level,
// no larger one is clear (its level is 0).
func holm(p []float64, tests []int) []float64 {
	level := make([]float64, len(p))
	order := slices.Clone(tests)
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(p[a], p[b]) })
	failed := false
	for i, t := range order {
		if !failed {
			level[t] = alpha / float64(len(order)-i)
			failed = p[t] >= level[t]
		}
	}
	return level
}

func overall(figs []report.Figure) string {
	count := map[string]int{}
	for _, f := range figs {
		count[f.Verdict]++
	}
	switch {
	case count[Slower] > 0:
		return Slower
	case count[Faster] > 0:
		return Faster
	case count[Inconclusive] == len(figs):
		return Inconclusive
	}
	return None
}

// judge judges one figure: statistic is the median or the p95; p is the
// rank test's on the whole samples either way, clear below level, and
// shift the way the test found the current samples to lie (+1 larger, -1
// smaller). A figure is slower or faster only when it moved the way the
// samples as a whole did: an outlier that lifts the p95 of samples that
// are clearly faster is not a clear slowdown.
func judge(name string, baseline, current []float64, statistic func([]float64) float64, p, level float64, shift int, o Options) report.Figure {
	f := report.Figure{
		Name: name, Baseline: bounded(statistic(baseline)), Current: bounded(statistic(current)),
		NBaseline: len(baseline), NCurrent: len(current), P: p, Level: level,
	}
	f.DeltaMs = bounded(f.Current - f.Baseline)
	if f.Baseline != 0 {
		f.DeltaPercent = bounded(100 * f.DeltaMs / f.Baseline)
	}
	if len(baseline) < minSamples || len(current) < minSamples {
		f.Verdict = Inconclusive
		f.Reason = fmt.Sprintf("too few samples to judge (%d and %d; at least %d a side): the evidence is thin", len(baseline), len(current), minSamples)
		return f
	}
	size := math.Abs(f.DeltaMs)
	large := size > o.FloorMs && (f.Baseline == 0 || 100*size/f.Baseline > o.MaxRegressionPercent)
	clearly := f.P < level
	f.Reason = fmt.Sprintf("%+.0f ms (%+.1f%%; flagged above %g%% and %g ms), p = %.3g (clear below %.3g)",
		f.DeltaMs, f.DeltaPercent, o.MaxRegressionPercent, o.FloorMs, f.P, level)
	switch {
	case large && clearly && f.DeltaMs > 0 && shift > 0:
		f.Verdict = Slower
	case large && clearly && f.DeltaMs < 0 && shift < 0:
		f.Verdict = Faster
	case large && clearly:
		f.Verdict = None
		f.Reason += "; but the samples as a whole moved the other way, so this figure's change is a few samples', not the run's"
	default:
		f.Verdict = None
	}
	return f
}

// bounded is v, an infinity as the largest float64 of its sign: the
// statistics of huge samples, their difference and its percentage of a
// tiny baseline can overflow, and the report's JSON holds only finite
// numbers.
func bounded(v float64) float64 {
	return max(-math.MaxFloat64, min(v, math.MaxFloat64))
}

// mannWhitney returns the U statistic of a (the number of pairs (x from a,
// y from b) with x > y, ties counting one half) and the two-sided p-value
// of the Mann-Whitney U test by the normal approximation with the tie
// correction and a continuity correction.
func mannWhitney(a, b []float64) (u, p float64) {
	n1, n2 := float64(len(a)), float64(len(b))
	type obs struct {
		v     float64
		fromA bool
	}
	all := make([]obs, 0, len(a)+len(b))
	for _, v := range a {
		all = append(all, obs{v, true})
	}
	for _, v := range b {
		all = append(all, obs{v, false})
	}
	slices.SortFunc(all, func(x, y obs) int { return cmp.Compare(x.v, y.v) })
	var rankA, ties float64
	for i := 0; i < len(all); {
		j := i
		for j < len(all) && all[j].v == all[i].v {
			j++
		}
		rank := float64(i+j+1) / 2 // the mean of ranks i+1 .. j
		for k := i; k < j; k++ {
			if all[k].fromA {
				rankA += rank
			}
		}
		t := float64(j - i)
		ties += t*t*t - t
		i = j
	}
	u = rankA - n1*(n1+1)/2
	n := n1 + n2
	variance := n1 * n2 / 12 * ((n + 1) - ties/(n*(n-1)))
	if variance <= 0 {
		return u, 1 // every value equal: no evidence of a difference
	}
	z := math.Max(math.Abs(u-n1*n2/2)-0.5, 0) / math.Sqrt(variance)
	return u, math.Erfc(z / math.Sqrt2)
}
