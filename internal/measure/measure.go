// Package measure times cold starts of a Knative revision the way an expert
// would trust: a sample counts only when the revision was at zero before the
// request and a new pod served it, each sample is broken down from watch
// arrival times, and every response is checked against what the user
// expects, so the same run works as a smoke check.
package measure

import (
	"context"
	"fmt"
	"maps"
	"net"
	"strings"
	"time"

	"k8s.io/client-go/kubernetes"

	"github.com/knative-preview/action/internal/knconfig"
	"github.com/knative-preview/action/internal/log"
)

// annotations are the per-revision settings that let a measured revision
// scale to zero about one minimum stable window (6 s) after its last
// request, with no pod kept around.
var annotations = map[string]string{
	"autoscaling.knative.dev/window":                             "6s",
	"autoscaling.knative.dev/scale-to-zero-pod-retention-period": "0s",
}

// clusterConfig is the config-autoscaler setting for clusters this run
// created: the shortest grace period Knative accepts (it must be positive)
// after scale-to-zero is decided.
var clusterConfig = map[string]string{"scale-to-zero-grace-period": "1s"}

// RevisionAnnotations returns the annotations of a revision to measure:
// the user's, plus the settings that let it reach zero soon where the user
// set none.
func RevisionAnnotations(user map[string]string) map[string]string {
	return withDefaults(user, annotations)
}

// ClusterSettings returns the Knative settings for measuring on a cluster
// this run created: the user's overrides, plus a shorter scale-to-zero grace
// period unless they set one. Knative's parser checks the result.
func ClusterSettings(user knconfig.Overrides) (knconfig.Overrides, error) {
	out := maps.Clone(user)
	if out == nil {
		out = knconfig.Overrides{}
	}
	out["config-autoscaler"] = withDefaults(out["config-autoscaler"], clusterConfig)
	if err := knconfig.Validate("config-autoscaler", out["config-autoscaler"]); err != nil {
		return nil, fmt.Errorf("shortening scale-to-zero for measuring: %w", err)
	}
	return out, nil
}

// withDefaults returns a copy of m with defaults added where m has no value.
func withDefaults(m, defaults map[string]string) map[string]string {
	out := make(map[string]string, len(m)+len(defaults))
	maps.Copy(out, defaults)
	maps.Copy(out, m)
	return out
}

// Options says how to measure.
type Options struct {
	// Samples is the number of cold starts to take.
	Samples int
	// Path is requested on the service.
	Path string
	// Expect is checked on every response.
	Expect expect
	// MaxMedianMs, when above zero, fails the run when the median cold
	// start is above it.
	MaxMedianMs float64
	// SmokeRequests warm requests follow the cold samples.
	SmokeRequests int
	// ScaleToZeroTimeout bounds each wait for the revision to be at zero
	// (default 3m); RequestTimeout bounds one request (default 5m: a cold
	// start may include an image pull); Settle bounds the wait, after a
	// response, for the watches to report the pod that served it
	// (default 5s, on the clock Now); Poll is the interval of the
	// scale-to-zero wait (default 250ms).
	ScaleToZeroTimeout, RequestTimeout, Settle, Poll time.Duration
	// Now is the clock every time is read from (default time.Now).
	Now func() time.Time
	// Dial replaces the network dialer (tests).
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
}

func (o *Options) defaults() {
	if o.ScaleToZeroTimeout == 0 {
		o.ScaleToZeroTimeout = 3 * time.Minute
	}
	if o.RequestTimeout == 0 {
		o.RequestTimeout = 5 * time.Minute
	}
	if o.Settle == 0 {
		o.Settle = 5 * time.Second
	}
	if o.Poll == 0 {
		o.Poll = 250 * time.Millisecond
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Path == "" {
		o.Path = "/"
	}
}

// Revision names what is measured.
type Revision struct {
	Namespace, Name string
}

func (r Revision) deployment() string { return r.Name + "-deployment" }

// Report is the outcome of a measurement.
type Report struct {
	// Samples are all samples, valid or not, in order.
	Samples []Sample `json:"samples"`
	// Cold summarises the total time of valid samples, without the first
	// sample when it included an image pull and others exist.
	Cold stats `json:"cold"`
	// FirstWithPull is that first sample, reported apart.
	FirstWithPull *Sample `json:"first-with-pull,omitempty"`
	// Warm summarises the time to first byte of the warm requests.
	Warm stats `json:"warm"`
	// WarmMs is each warm request's time to first byte, in order.
	WarmMs []float64 `json:"warm-ms"`
	// Problems are the failed checks, one line each; empty when all passed.
	Problems []string `json:"problems,omitempty"`
}

// Valid returns the samples that are cold starts.
func (r *Report) Valid() []Sample {
	var out []Sample
	for _, s := range r.Samples {
		if s.Verdict == VerdictCold {
			out = append(out, s)
		}
	}
	return out
}

// checkError lists the requests whose responses were not what was
// expected, and a breached threshold.
type checkError struct{ Problems []string }

func (e *checkError) Error() string {
	return "smoke check failed:\n  " + strings.Join(e.Problems, "\n  ")
}

// Measure takes opts.Samples cold starts of rev through route, then
// opts.SmokeRequests warm requests, telling l its progress. It returns the
// report even when a check failed (with a *checkError), so the numbers
// still reach the outputs.
func Measure(ctx context.Context, l log.Logger, cs kubernetes.Interface, rev Revision, route Route, opts Options) (*Report, error) {
	opts.defaults()
	prober, err := newProber(route, opts.RequestTimeout, opts.Now, opts.Dial)
	if err != nil {
		return nil, err
	}
	rep := &Report{}
	var problems []string
	for i := 1; i <= opts.Samples; i++ {
		s, err := takeSample(ctx, l, cs, rev, prober, opts, i)
		if err != nil {
			// What was taken is summarised as a whole run's is: the first
			// sample's pull apart, the figures of the rest.
			summarise(rep)
			return rep, fmt.Errorf("cold start sample %d of %d: %w", i, opts.Samples, err)
		}
		rep.Samples = append(rep.Samples, *s)
		switch s.Verdict {
		case VerdictCold:
			l.Infof("cold start %d/%d: %s to the full response (first byte %s), served by new pod %s%s",
				i, opts.Samples, ms(s.TotalMs), ms(s.TTFBMs), s.Pod, pullNote(s))
		default:
			l.Infof("sample %d/%d discarded: %s", i, opts.Samples, s.Reason)
		}
		if s.CheckFailed != "" {
			problems = append(problems, fmt.Sprintf("cold start sample %d (GET %s): %s", i, route.withPath(opts.Path), s.CheckFailed))
		}
	}
	summarise(rep)

	var warm []float64
	for i := 1; i <= opts.SmokeRequests; i++ {
		r, err := prober.Get(ctx, opts.Path)
		if err != nil {
			problems = append(problems, fmt.Sprintf("warm request %d: %v", i, err))
			continue
		}
		if err := opts.Expect.Check(r); err != nil {
			problems = append(problems, fmt.Sprintf("warm request %d (GET %s): %v", i, route.withPath(opts.Path), err))
		}
		warm = append(warm, millis(r.TTFB))
	}
	rep.Warm = Summarise(warm)
	rep.WarmMs = warm
	if opts.SmokeRequests > 0 {
		l.Infof("%d warm requests: median time to first byte %s", len(warm), ms(rep.Warm.Median))
	}

	if opts.MaxMedianMs > 0 && rep.Cold.N > 0 && rep.Cold.Median > opts.MaxMedianMs {
		problems = append(problems, fmt.Sprintf("cold start median %s is above cold-start-max-ms %s (samples: %s)", ms(rep.Cold.Median), ms(opts.MaxMedianMs), totals(rep.Valid())))
	}
	if opts.Samples > 0 && len(rep.Valid()) == 0 {
		problems = append(problems, fmt.Sprintf("none of the %d samples was a cold start, so there is no cold start time: %s", opts.Samples, rep.Samples[0].Reason))
	}
	if len(problems) > 0 {
		rep.Problems = problems
		return rep, &checkError{Problems: problems}
	}
	return rep, nil
}

func summarise(rep *Report) {
	valid := rep.Valid()
	if len(valid) > 1 && valid[0].Index == 1 && valid[0].Image == ImagePulled {
		first := valid[0]
		rep.FirstWithPull = &first
		valid = valid[1:]
	}
	var t []float64
	for _, s := range valid {
		t = append(t, s.TotalMs)
	}
	rep.Cold = Summarise(t)
}

func totals(samples []Sample) string {
	var parts []string
	for _, s := range samples {
		parts = append(parts, ms(s.TotalMs))
	}
	return strings.Join(parts, ", ")
}

func pullNote(s *Sample) string {
	switch s.Image {
	case ImagePulled:
		return "; the image was pulled (" + s.PullMessage + ")"
	case ImagePresent:
		return "; the image was already on the node"
	}
	return ""
}

func millis(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func ms(v float64) string { return fmt.Sprintf("%.0f ms", v) }
