package history

import (
	"encoding/json"
	"math"
	"slices"
	"strings"

	"github.com/knative-preview/action/internal/report"
)

// budget is the most bytes the history's JSON may take: half of
// Kubernetes' 1 MiB limit of an object, leaving room for its metadata.
const budget = 512 * 1024

// maxSamples is the most cold starts, and the most warm requests, a point
// keeps: enough for the rank test of a later run, pooled over several.
const maxSamples = 100

// maxText is the most bytes a point's time, commit or revision keeps.
const maxText = 100

// bound returns the last size points of ps, each trimmed, and of those as
// many of the newest as encode in at most budget bytes (the newest always),
// with their encoding. ps itself is not changed.
func bound(ps []report.Point, size int) ([]report.Point, []byte) {
	if len(ps) > size {
		ps = ps[len(ps)-size:]
	}
	if len(ps) == 0 {
		return nil, []byte("[]")
	}
	kept := make([]report.Point, len(ps))
	enc := make([][]byte, len(ps))
	total := len("[]")
	for i, p := range ps {
		kept[i] = trim(p)
		// A trimmed point has only finite numbers and valid text.
		enc[i], _ = json.Marshal(kept[i])
		total += len(enc[i]) + len(",")
	}
	total -= len(",")
	first := 0
	for total > budget && first < len(ps)-1 {
		total -= len(enc[first]) + len(",")
		first++
	}
	data := make([]byte, 0, total)
	data = append(data, '[')
	for i, b := range enc[first:] {
		if i > 0 {
			data = append(data, ',')
		}
		data = append(data, b...)
	}
	return kept[first:], append(data, ']')
}

// trim is p as the history keeps it: at most maxSamples cold starts and
// warm requests, spread over the range of each, in whole milliseconds; the
// figures to a tenth of a millisecond (ready to a millisecond); text cut
// to maxText bytes and made valid UTF-8. A number that is not finite is 0,
// or dropped from the samples.
func trim(p report.Point) report.Point {
	p.Time, p.Commit, p.Revision = clip(p.Time), clip(p.Commit), clip(p.Revision)
	p.ColdStartMedianMs = round(p.ColdStartMedianMs, 10)
	p.ColdStartP95Ms = round(p.ColdStartP95Ms, 10)
	p.WarmP50Ms = round(p.WarmP50Ms, 10)
	p.ReadySeconds = round(p.ReadySeconds, 1000)
	p.ColdStartMs = thin(p.ColdStartMs)
	p.WarmMs = thin(p.WarmMs)
	return p
}

// round is v to 1/scale; a number not finite is 0, and one of 2^52 or
// more is whole already (v*scale could overflow).
func round(v, scale float64) float64 {
	switch {
	case math.IsNaN(v) || math.IsInf(v, 0):
		return 0
	case math.Abs(v) >= 1<<52:
		return v
	}
	return math.Round(v*scale) / scale
}

func clip(s string) string {
	return strings.ToValidUTF8(s[:min(len(s), maxText)], "")
}

// thin returns v's finite values in whole milliseconds; when there are
// more than maxSamples, maxSamples of them at evenly spaced ranks from the
// smallest to the largest, which keep the shape a rank test compares.
func thin(v []float64) []float64 {
	var out []float64
	for _, x := range v {
		if !math.IsNaN(x) && !math.IsInf(x, 0) {
			out = append(out, math.Round(x))
		}
	}
	if len(out) <= maxSamples {
		return out
	}
	slices.Sort(out)
	picked := make([]float64, maxSamples)
	for i := range picked {
		picked[i] = out[i*(len(out)-1)/(maxSamples-1)]
	}
	return picked
}
