package measure

import (
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"k8s.io/client-go/kubernetes"

	"github.com/knative-preview/action/internal/log"
	"github.com/knative-preview/action/internal/testenv"
)

// present is the kubelet's message for an image it did not pull.
const present = `Container image "registry.invalid/hello" already present on machine`

// Cold starts measured through an API server that fails 25% of the
// requests (six samples, for enough requests to fail) (and cuts watches short) come out as without faults: every
// sample a cold start of the programmed time, in bounded time.
func TestIntegrationColdStartsThroughFaults(t *testing.T) {
	coldStartsThroughFaults(t, "faults", testenv.FaultOptions{Seed: 3, Rate: 0.25})
}

// With every watch cut short after a moment, the watches are opened again
// and each sample is still a cold start of the programmed time by the same
// pod as without faults.
func TestIntegrationColdStartsThroughCutWatches(t *testing.T) {
	coldStartsThroughFaults(t, "watches", testenv.FaultOptions{Seed: 4, Rate: 1, Kinds: []testenv.Fault{testenv.WatchClosed}})
}

// presentKubelet plays cold starts of rev whose image is on the node, of
// 1265 ms on clk each, for n samples: a Pulled event per sample lets each
// end as soon as Measure has seen it, instead of after Settle.
func presentKubelet(t *testing.T, cs kubernetes.Interface, tp *tap, rev Revision, clk *clock, n int) *kubelet {
	return &kubelet{t: t, cs: cs, tap: tp, rev: rev, clock: clk,
		steps:  [4]time.Duration{15 * time.Millisecond, 120 * time.Millisecond, 900 * time.Millisecond, 230 * time.Millisecond},
		pulled: slices.Repeat([]string{present}, n)}
}

func coldStartsThroughFaults(t *testing.T, name string, faults testenv.FaultOptions) {
	env := testenv.Shared(t)
	direct := kubernetes.NewForConfigOrDie(env.Config)
	proxy := env.Faults(t, faults)
	measured := func(ns string, cs kubernetes.Interface) ([]Sample, time.Duration) {
		t.Helper()
		rev := revision(t, direct, ns, 0)
		clk := &clock{t: time.Unix(1_700_000_000, 0)}
		tp := newTap(cs)
		k := presentKubelet(t, direct, tp, rev, clk, 6)
		route := ingress(t, func(w http.ResponseWriter, r *http.Request) {
			pod := k.coldStart()
			_, _ = w.Write([]byte("hello world"))
			w.(http.Flusher).Flush()
			// The autoscaler scales to zero a while after the request: part
			// of the scenario, not a wait for another goroutine.
			go func() { time.Sleep(100 * time.Millisecond); k.scaleToZero(pod) }()
		})
		start := time.Now()
		rep, err := Measure(t.Context(), log.Func(t.Logf), tp, rev, route, Options{
			Samples: 6, Dial: onlyLoopback, Now: clk.Now, Poll: 50 * time.Millisecond, Settle: 5 * time.Second,
			ScaleToZeroTimeout: time.Minute,
			Expect:             expect{Status: 200, Body: regexp.MustCompile("hello")},
		})
		if err != nil {
			t.Fatalf("measuring in %s: %v", ns, err)
		}
		return rep.Samples, time.Since(start)
	}
	clean, cleanTook := measured("measure-"+name+"-clean", direct)
	got, faultyTook := measured("measure-"+name+"-faulty", kubernetes.NewForConfigOrDie(proxy.Config))
	t.Logf("through faults: %s", proxy)
	for i := range clean {
		c, f := clean[i], got[i]
		if c.Verdict != VerdictCold || f.Verdict != c.Verdict || f.TotalMs != c.TotalMs || f.Pod != c.Pod {
			t.Errorf("sample %d: %s %.0f ms by %s (%s) through faults; clean %s %.0f ms by %s", i+1, f.Verdict, f.TotalMs, f.Pod, f.Reason, c.Verdict, c.TotalMs, c.Pod)
		}
	}
	ratio := faultyTook.Seconds() / cleanTook.Seconds()
	t.Logf("measuring took %s clean, %s through faults: %.2fx", cleanTook.Round(time.Millisecond), faultyTook.Round(time.Millisecond), ratio)
}

// The API server goes away for 15 s while a cold start is served, as a
// GKE control plane does during an upgrade, and comes back on the same
// address: the watches open again, the sample that straddles the outage is
// discarded saying so, and the samples before and after it are cold starts
// as in a clean run.
func TestIntegrationColdStartStraddlingAnOutage(t *testing.T) {
	env := testenv.Start(t)
	cs := kubernetes.NewForConfigOrDie(env.Config)
	measured := func(ns string, outage bool) ([]Sample, time.Duration) {
		t.Helper()
		rev := revision(t, cs, ns, 0)
		clk := &clock{t: time.Unix(1_700_000_000, 0)}
		tp := newTap(cs)
		k := presentKubelet(t, cs, tp, rev, clk, 3)
		n := 0
		route := ingress(t, func(w http.ResponseWriter, r *http.Request) {
			if n++; outage && n == 2 {
				// The control plane goes away as the request arrives; the
				// pod starts once it is back.
				<-env.Outage(t, 15*time.Second)
			}
			pod := k.coldStart()
			_, _ = w.Write([]byte("hello world"))
			w.(http.Flusher).Flush()
			go func() { time.Sleep(100 * time.Millisecond); k.scaleToZero(pod) }() // the autoscaler, a while later
		})
		start := time.Now()
		rep, err := Measure(t.Context(), log.Func(t.Logf), tp, rev, route, Options{
			Samples: 3, Dial: onlyLoopback, Now: clk.Now, Poll: 50 * time.Millisecond, Settle: 5 * time.Second,
			ScaleToZeroTimeout: 2 * time.Minute, RequestTimeout: 2 * time.Minute,
			Expect: expect{Status: 200, Body: regexp.MustCompile("hello")},
		})
		if err != nil {
			t.Fatalf("measuring in %s: %v", ns, err)
		}
		return rep.Samples, time.Since(start)
	}
	clean, cleanTook := measured("outage-clean", false)
	got, outageTook := measured("outage", true)
	if len(got) != len(clean) {
		t.Fatalf("%d samples through the outage, %d clean", len(got), len(clean))
	}
	for i := range clean {
		c, f := clean[i], got[i]
		if i == 1 {
			if f.Verdict != VerdictDiscarded || !strings.Contains(f.Reason, "while the request was served (the API server could not be reached") {
				t.Errorf("sample 2, across the outage: %s (%s); want discarded because the API server could not be reached", f.Verdict, f.Reason)
			}
			t.Logf("sample 2: %s", f.Reason)
			continue
		}
		if c.Verdict != VerdictCold || f.Verdict != c.Verdict || f.TotalMs != c.TotalMs {
			t.Errorf("sample %d: %s %.0f ms (%s) around the outage; clean %s %.0f ms", i+1, f.Verdict, f.TotalMs, f.Reason, c.Verdict, c.TotalMs)
		}
	}
	t.Logf("measuring took %s clean, %s with the outage", cleanTook.Round(time.Millisecond), outageTook.Round(time.Millisecond))
}
