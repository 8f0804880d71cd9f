package measure

import "testing"

func TestSummarise(t *testing.T) {
	tests := []struct {
		name string
		in   []float64
		want stats
	}{
		{"empty", nil, stats{}},
		{"one", []float64{812}, stats{N: 1, Min: 812, Median: 812, P95: 812, Max: 812}},
		{"two: median is the mean", []float64{1000, 800}, stats{N: 2, Min: 800, Median: 900, P95: 1000, Max: 1000}},
		{"odd, unsorted", []float64{3, 1, 2}, stats{N: 3, Min: 1, Median: 2, P95: 3, Max: 3}},
		{"twenty: p95 is the 19th", []float64{20, 19, 18, 17, 16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1}, stats{N: 20, Min: 1, Median: 10.5, P95: 19, Max: 20}},
	}
	for _, tt := range tests {
		if got := Summarise(tt.in); got != tt.want {
			t.Errorf("%s: got %+v, want %+v", tt.name, got, tt.want)
		}
	}
}
