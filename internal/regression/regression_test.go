package regression

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/knative-preview/action/internal/report"
)

// lognormal returns n cold-start-like times around median ms, with the
// spread of real cold starts (a log standard deviation of 0.3).
func lognormal(r *rand.Rand, n int, median float64) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = median * math.Exp(0.3*r.NormFloat64())
	}
	return out
}

func scaled(v []float64, f float64) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = x * f
	}
	return out
}

// A textbook example, by hand: a = 19 22 16 29 24, b = 20 11 17 12.
// Ranked together: 11b 12b 16a 17b 19a 20b 22a 24a 29a, so a's ranks sum
// to 3+5+7+8+9 = 32 and U(a) = 32 - 5*6/2 = 17, U(b) = 5*4 - 17 = 3. The
// exact two-sided p for U = 3 with sizes 5 and 4 is 2 * 7/126 = 0.111; the
// normal approximation with continuity correction gives z = 6.5/4.082,
// p = 0.111 as well.
func TestMannWhitneyTextbook(t *testing.T) {
	a := []float64{19, 22, 16, 29, 24}
	b := []float64{20, 11, 17, 12}
	u, p := mannWhitney(a, b)
	if u != 17 {
		t.Errorf("U(a) = %v, want 17", u)
	}
	if ub, pb := mannWhitney(b, a); ub != 3 || math.Abs(pb-p) > 1e-12 {
		t.Errorf("U(b) = %v with p %v, want 3 with the same p as U(a) (%v)", ub, pb, p)
	}
	if math.Abs(p-0.111) > 0.002 {
		t.Errorf("p = %.4f, want 0.111", p)
	}
}

// Ties count one half: a = 1 2 2, b = 2 3. Pairs with a > b: none; ties:
// (2,2) twice, so U(a) = 1. Ranks: 1, then 2 2 2 share (2+3+4)/3 = 3, then
// 5: a's ranks sum to 7, and 7 - 3*4/2 = 1.
func TestMannWhitneyTies(t *testing.T) {
	if u, _ := mannWhitney([]float64{1, 2, 2}, []float64{2, 3}); u != 1 {
		t.Errorf("U = %v, want 1", u)
	}
	if _, p := mannWhitney([]float64{5, 5, 5, 5, 5}, []float64{5, 5, 5, 5, 5}); p != 1 {
		t.Errorf("all equal: p = %v, want 1", p)
	}
}

// Well apart: every value of b above every value of a, 10 a side, is
// clear at 5% (the exact p is 2/184756; the approximation is small too).
func TestMannWhitneyApart(t *testing.T) {
	var a, b []float64
	for i := range 10 {
		a = append(a, float64(i))
		b = append(b, float64(100+i))
	}
	u, p := mannWhitney(a, b)
	if u != 0 || p >= 0.001 {
		t.Errorf("U = %v, p = %v; want 0 and p < 0.001", u, p)
	}
}

// The same samples in another order: nothing to see, whatever the seed.
func TestIdenticalSamplesAreNone(t *testing.T) {
	for seed := range uint64(100) {
		r := rand.New(rand.NewPCG(seed, 1))
		base := Samples{ColdStartMs: lognormal(r, 10, 1500), WarmMs: lognormal(r, 20, 5), ReadyMs: lognormal(r, 10, 8000)}
		cur := Samples{ColdStartMs: slices.Clone(base.ColdStartMs), WarmMs: slices.Clone(base.WarmMs), ReadyMs: slices.Clone(base.ReadyMs)}
		r.Shuffle(len(cur.ColdStartMs), func(i, j int) { cur.ColdStartMs[i], cur.ColdStartMs[j] = cur.ColdStartMs[j], cur.ColdStartMs[i] })
		if res := Compare(cur, base, Options{}); res.Verdict != None {
			t.Errorf("seed %d: verdict %s, want none: %+v", seed, res.Verdict, res.Figures)
		}
	}
}

// Independent draws from one distribution, every figure compared: the
// run's verdict is none in all but a few seeds (Holm's procedure keeps
// the chance of any false alarm over the three tests at 5%, and the
// practical limits cut it further).
func TestIdenticalDistributionsAreNone(t *testing.T) {
	const seeds = 200
	alarms := 0
	for seed := range uint64(seeds) {
		r := rand.New(rand.NewPCG(seed, 1))
		base := Samples{ColdStartMs: lognormal(r, 10, 1500), WarmMs: lognormal(r, 20, 5), ReadyMs: lognormal(r, 10, 8000)}
		cur := Samples{ColdStartMs: lognormal(r, 10, 1500), WarmMs: lognormal(r, 20, 5), ReadyMs: lognormal(r, 10, 8000)}
		switch res := Compare(cur, base, Options{}); res.Verdict {
		case None:
		case Slower, Faster:
			alarms++
		default:
			t.Errorf("seed %d: verdict %s, want none, or rarely slower or faster", seed, res.Verdict)
		}
	}
	t.Logf("every figure compared: %d of %d runs of equal distributions not none", alarms, seeds)
	if alarms > seeds/20 {
		t.Errorf("%d of %d runs of equal distributions were slower or faster: above 5%%", alarms, seeds)
	}
}

func TestShiftedByHalfIsSlower(t *testing.T) {
	for seed := range uint64(50) {
		r := rand.New(rand.NewPCG(seed, 2))
		base := lognormal(r, 20, 1500)
		cur := scaled(lognormal(r, 20, 1500), 1.5)
		res := Compare(Samples{ColdStartMs: cur}, Samples{ColdStartMs: base}, Options{})
		if res.Verdict != Slower {
			t.Errorf("seed %d: verdict %s, want slower: %+v", seed, res.Verdict, res.Figures)
		}
		half := scaled(lognormal(r, 20, 1500), 0.5)
		if res := Compare(Samples{ColdStartMs: half}, Samples{ColdStartMs: base}, Options{}); res.Verdict != Faster {
			t.Errorf("seed %d: halved: verdict %s, want faster", seed, res.Verdict)
		}
	}
}

// Cold starts that are clearly faster, but for two slow outliers that lift
// the p95: the p95 is not a clear slowdown, and fail-on-regression does
// not fail the run.
func TestOutliersOfAFasterRunAreNotASlowdown(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 7))
	base := lognormal(r, 20, 1500)
	cur := append(scaled(lognormal(r, 18, 1500), 0.66), 3500, 3600)
	res := Compare(Samples{ColdStartMs: cur}, Samples{ColdStartMs: base}, Options{})
	for _, f := range res.Figures {
		if f.Verdict == Slower {
			t.Errorf("%s: slower (%s), though the samples as a whole are faster", f.Name, f.Reason)
		}
	}
	if err := (Options{FailOnRegression: true}).Failure(res); err != nil {
		t.Errorf("fail-on-regression fails a faster run: %v", err)
	}
	var p95 *report.Figure
	for i := range res.Figures {
		if res.Figures[i].Name == ColdStartP95 {
			p95 = &res.Figures[i]
		}
	}
	if p95 == nil || p95.DeltaMs <= 0 {
		t.Fatalf("the case is not what it claims: the p95 did not rise: %+v", res.Figures)
	}
}

// Holm's levels: the smallest p is held to 5%/3, the next to 5%/2, the
// last to 5%; after the first p that is not clear, none is.
func TestHolm(t *testing.T) {
	p := []float64{0.02, 0.01, 0.04}
	if got := holm(p, []int{0, 1, 2}); got[1] != alpha/3 || got[0] != alpha/2 || got[2] != alpha {
		t.Errorf("levels %v, want [%v %v %v]", got, alpha/2, alpha/3, alpha)
	}
	p = []float64{0.03, 0.001, 0.04}
	if got := holm(p, []int{0, 1, 2}); got[1] != alpha/3 || got[0] != alpha/2 || got[2] != 0 {
		t.Errorf("levels %v, want the last 0 once 0.03 is not below %v", got, alpha/2)
	}
	if got := holm([]float64{0.04, 1, 1}, []int{0}); got[0] != alpha {
		t.Errorf("one test: level %v, want %v", got[0], alpha)
	}
}

func TestFewSamplesAreInconclusive(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 3))
	base := lognormal(r, 10, 1000)
	cur := scaled(lognormal(r, 3, 1000), 3) // much slower, but 3 samples
	res := Compare(Samples{ColdStartMs: cur}, Samples{ColdStartMs: base}, Options{})
	if res.Verdict != Inconclusive {
		t.Fatalf("verdict %s, want inconclusive", res.Verdict)
	}
	for _, f := range res.Figures {
		if f.Verdict != Inconclusive || f.P != 1 {
			t.Errorf("%s: %s with p %v, want inconclusive, untested", f.Name, f.Verdict, f.P)
		}
	}
}

// Both limits must be passed: a clear 50% change of 40 ms is under the
// floor, a clear 10% change of 150 ms is under the percentage.
func TestPracticalLimits(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 4))
	small := lognormal(r, 20, 80)
	if res := Compare(Samples{WarmMs: scaled(small, 1.5)}, Samples{WarmMs: small}, Options{}); res.Verdict != None || res.Figures[0].P >= alpha {
		t.Errorf("+40 ms: verdict %s, p %v; want none though clear", res.Verdict, res.Figures[0].P)
	}
	var base, cur []float64
	for i := range 20 {
		base = append(base, 1500+float64(i))
		cur = append(cur, 1650+float64(i))
	}
	if res := Compare(Samples{ColdStartMs: cur}, Samples{ColdStartMs: base}, Options{}); res.Verdict != None {
		t.Errorf("+10%%: verdict %s, want none", res.Verdict)
	}
	if res := Compare(Samples{ColdStartMs: cur}, Samples{ColdStartMs: base}, Options{MaxRegressionPercent: 5}); res.Verdict != Slower {
		t.Errorf("+10%% with max-regression 5: verdict %s, want slower", res.Verdict)
	}
}

// The acceptance check: 200 comparisons of equal distributions flag a
// regression in at most 5% of them. The rank test alone is shown too: it
// should be near its 5% level, which the practical limits then cut.
func TestFalsePositiveRate(t *testing.T) {
	const runs = 200
	flagged, rankOnly := 0, 0
	for seed := range uint64(runs) {
		r := rand.New(rand.NewPCG(seed, 5))
		base, cur := lognormal(r, 10, 1500), lognormal(r, 10, 1500)
		res := Compare(Samples{ColdStartMs: cur}, Samples{ColdStartMs: base}, Options{})
		if res.Verdict == Slower {
			flagged++
		}
		if _, p := mannWhitney(base, cur); p < alpha {
			rankOnly++
		}
	}
	rate := float64(flagged) / runs
	t.Logf("false-positive rate: %d of %d comparisons of equal distributions flagged slower (%.1f%%); the rank test alone: %d (%.1f%%)",
		flagged, runs, 100*rate, rankOnly, 100*float64(rankOnly)/runs)
	if rate > 0.05 {
		t.Errorf("false-positive rate %.1f%%, want at most 5%%", 100*rate)
	}
	if rankOnly > runs/10 {
		t.Errorf("the rank test alone rejected %d of %d equal pairs: above its 5%% level by far", rankOnly, runs)
	}
}

func TestEmptyFiguresAreLeftOut(t *testing.T) {
	res := Compare(Samples{ColdStartMs: []float64{1, 2, 3, 4, 5}}, Samples{ColdStartMs: []float64{1, 2, 3, 4, 5}, WarmMs: []float64{1}}, Options{})
	if len(res.Figures) != 2 || res.Verdict != None {
		t.Errorf("got %s with %+v, want none over the cold start median and p95 only", res.Verdict, res.Figures)
	}
	if res := Compare(Samples{}, Samples{}, Options{}); res.Verdict != Inconclusive || len(res.Figures) != 0 {
		t.Errorf("nothing to compare: %+v, want inconclusive", res)
	}
}
