package measure

import (
	"math"
	"slices"
)

// stats summarises a set of durations in milliseconds.
type stats struct {
	N      int     `json:"n"`
	Min    float64 `json:"min-ms"`
	Median float64 `json:"median-ms"`
	P95    float64 `json:"p95-ms"`
	Max    float64 `json:"max-ms"`
}

// Summarise returns the statistics of ms; the zero Stats for no values.
// The median of an even count is the mean of the two middle values; the
// p95 is the nearest-rank percentile (the smallest value with at least 95%
// of values at or below it), which on small N is the maximum: an honest
// answer when there is too little data for a tail.
func Summarise(ms []float64) stats {
	if len(ms) == 0 {
		return stats{}
	}
	s := slices.Clone(ms)
	slices.Sort(s)
	n := len(s)
	median := s[n/2]
	if n%2 == 0 {
		median = (s[n/2-1] + s[n/2]) / 2
	}
	rank := int(math.Ceil(0.95 * float64(n)))
	return stats{N: n, Min: s[0], Median: median, P95: s[rank-1], Max: s[n-1]}
}
