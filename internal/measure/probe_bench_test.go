package measure

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// BenchmarkTTFBError measures the overhead of our time-to-first-byte
// against a local server that waits a known, fixed time before answering:
// the reported median-error-ms is how far our TTFB is above that delay
// (connection setup on loopback included). It asserts nothing.
func BenchmarkTTFBError(b *testing.B) {
	const delay = 20 * time.Millisecond
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(delay)
		_, _ = w.Write([]byte("hello"))
	}))
	defer srv.Close()
	p, err := newProber(Route{URL: "http://hello.bench.example.test", Address: strings.TrimPrefix(srv.URL, "http://")}, 10*time.Second, nil, onlyLoopback)
	if err != nil {
		b.Fatal(err)
	}
	errs := make([]float64, 0, b.N)
	b.ResetTimer()
	for b.Loop() {
		r, err := p.Get(b.Context(), "/")
		if err != nil {
			b.Fatal(err)
		}
		errs = append(errs, millis(r.TTFB-delay))
	}
	s := Summarise(errs)
	b.ReportMetric(s.Median, "median-error-ms")
	b.ReportMetric(s.P95, "p95-error-ms")
}
