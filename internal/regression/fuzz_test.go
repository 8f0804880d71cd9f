package regression

import (
	"encoding/binary"
	"encoding/json"
	"math"
	"slices"
	"testing"
)

// fuzzSamples reads one side's samples from data: its first two bytes
// cut the values into cold starts, ready times and warm requests. In raw
// form every 8 bytes are a float64's bits (the ones that are not finite
// are skipped), from the smallest to the largest a float64 holds; else
// every byte is a time of 0 to 2550 ms in steps of 10, which ties often.
func fuzzSamples(data []byte, raw bool) Samples {
	if len(data) < 2 {
		return Samples{}
	}
	cuts, data := data[:2], data[2:]
	var v []float64
	if raw {
		for ; len(data) >= 8; data = data[8:] {
			if x := math.Float64frombits(binary.LittleEndian.Uint64(data)); !math.IsNaN(x) && !math.IsInf(x, 0) {
				v = append(v, x)
			}
		}
	} else {
		for _, b := range data {
			v = append(v, 10*float64(b))
		}
	}
	a, b := int(cuts[0])%(len(v)+1), int(cuts[1])%(len(v)+1)
	a, b = min(a, b), max(a, b)
	return Samples{ColdStartMs: v[:a], ReadyMs: v[a:b], WarmMs: v[b:]}
}

// floats is v as raw fuzz bytes, after two cut bytes.
func floats(cuts [2]byte, v ...float64) []byte {
	out := cuts[:]
	for _, x := range v {
		out = binary.LittleEndian.AppendUint64(out, math.Float64bits(x))
	}
	return out
}

// Compare over any finite samples, with any limits: the comparison
// encodes as JSON (it goes into the report); its verdict and each
// figure's is one of the four; a figure with fewer than minSamples on a
// side is never slower or faster; each p-value is in [0, 1]; the verdict
// is slower exactly when a figure is.
func FuzzCompare(f *testing.F) {
	ramp := func(from, step byte, n int) []byte {
		out := []byte{byte(n), byte(n)}
		for i := range n {
			out = append(out, from+byte(i)*step)
		}
		return out
	}
	f.Add(ramp(100, 1, 10), ramp(100, 1, 10), false, 0.0, 0.0)
	f.Add(ramp(100, 1, 10), ramp(150, 1, 10), false, 25.0, 100.0)
	f.Add(ramp(150, 2, 12), ramp(100, 2, 12), false, 10.0, 50.0)
	f.Add(ramp(0, 0, 8), ramp(0, 0, 8), false, 25.0, 100.0)
	f.Add(ramp(0, 1, 6), ramp(0, 0, 6), false, 1.0, 1.0)
	f.Add([]byte{3, 3, 1, 2, 3}, []byte{3, 3, 9, 9, 9}, false, 0.0, 0.0)
	f.Add([]byte{2, 4, 1, 2, 3, 4, 5, 6, 7, 8, 9}, []byte{4, 2, 9, 8, 7, 6, 5, 4, 3, 2, 1}, false, -1.0, math.Inf(1))
	f.Add(floats([2]byte{5, 5}, 1e308, 1.5e308, 1.7e308, 1.6e308, 1.4e308), floats([2]byte{5, 5}, 1, 2, 3, 4, 5), true, 25.0, 100.0)
	f.Add(floats([2]byte{5, 5}, 1, 2, 3, 4, 5), floats([2]byte{5, 5}, -1e308, -1.5e308, -1.7e308, -1.6e308, -1.4e308), true, 25.0, 100.0)
	f.Add(floats([2]byte{6, 6}, 1, 2, 3, 4, 5, 6), floats([2]byte{6, 6}, 0, 0, 0, 5e-324, 5e-324, 5e-324), true, 25.0, 100.0)
	f.Add(floats([2]byte{6, 6}, 1.7e308, 1.7e308, 1.7e308, 1.7e308, 1.7e308, 1.7e308), floats([2]byte{6, 6}, 1, 2, 3, 4, 5, 6), true, 25.0, 100.0)
	f.Add(floats([2]byte{1, 1}, 1.7e308, 1.7e308), floats([2]byte{1, 1}, -1.7e308), true, math.NaN(), 0.0)
	f.Fuzz(func(t *testing.T, current, baseline []byte, raw bool, maxPercent, floorMs float64) {
		cur, base := fuzzSamples(current, raw), fuzzSamples(baseline, raw)
		c := Compare(cur, base, Options{MaxRegressionPercent: maxPercent, FloorMs: floorMs})
		if _, err := json.Marshal(c); err != nil {
			t.Fatalf("the comparison does not encode: %v\n%+v", err, c)
		}
		verdicts := []string{None, Slower, Faster, Inconclusive}
		if !slices.Contains(verdicts, c.Verdict) {
			t.Fatalf("verdict %q", c.Verdict)
		}
		slower := false
		for _, fig := range c.Figures {
			if !slices.Contains(verdicts, fig.Verdict) {
				t.Fatalf("%s: verdict %q", fig.Name, fig.Verdict)
			}
			if (fig.NBaseline < minSamples || fig.NCurrent < minSamples) && (fig.Verdict == Slower || fig.Verdict == Faster) {
				t.Fatalf("%s: %s on %d and %d samples", fig.Name, fig.Verdict, fig.NBaseline, fig.NCurrent)
			}
			if !(fig.P >= 0 && fig.P <= 1) {
				t.Fatalf("%s: p = %v", fig.Name, fig.P)
			}
			slower = slower || fig.Verdict == Slower
		}
		if slower != (c.Verdict == Slower) {
			t.Fatalf("verdict %s over figures %+v", c.Verdict, c.Figures)
		}
	})
}
