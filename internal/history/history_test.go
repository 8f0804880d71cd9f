package history

import (
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/knative-preview/action/internal/measure"
	"github.com/knative-preview/action/internal/report"
)

// Every service name gives a valid ConfigMap name and label values, the
// longest included.
func TestNames(t *testing.T) {
	for _, svc := range []string{"a", "hello", strings.Repeat("s", 63)} {
		if msgs := validation.IsDNS1123Subdomain(ConfigMapName(svc)); len(msgs) > 0 {
			t.Errorf("service %q: ConfigMap name %q is invalid: %v", svc, ConfigMapName(svc), msgs)
		}
		for k, v := range labels(svc) {
			if msgs := append(validation.IsQualifiedName(k), validation.IsValidLabelValue(v)...); len(msgs) > 0 {
				t.Errorf("service %q: label %s=%s is invalid: %v", svc, k, v, msgs)
			}
		}
	}
	for name, ok := range map[string]bool{
		"hello": true, "hello.pr-7": true, strings.Repeat("a", 63): true,
		"Not_A_Service": false, "a.b.c": false, "7up": false, "hello.": false,
		strings.Repeat("a", 40) + "." + strings.Repeat("b", 30): false,
	} {
		if err := CheckName(name); (err == nil) != ok {
			t.Errorf("CheckName(%q) = %v, want accepted %v", name, err, ok)
		}
	}
}

func TestPointOf(t *testing.T) {
	first := measure.Sample{Index: 1, Verdict: measure.VerdictCold, TotalMs: 5200, Image: measure.ImagePulled}
	r := &report.Report{
		Time: "2026-03-01T12:00:00Z", Commit: "abc",
		Service: &report.Service{Revision: "hello-00002", ReadySeconds: 8.4},
		Measure: &measure.Report{
			Samples: []measure.Sample{
				first,
				{Index: 2, Verdict: measure.VerdictCold, TotalMs: 1400},
				{Index: 3, Verdict: measure.VerdictCold, TotalMs: 1600},
			},
			FirstWithPull: &first,
			Cold:          measure.Summarise([]float64{1400, 1600}),
			Warm:          measure.Summarise([]float64{3, 5, 4}),
			WarmMs:        []float64{3, 5, 4},
		},
	}
	want := report.Point{
		Time: "2026-03-01T12:00:00Z", Commit: "abc", Revision: "hello-00002",
		ColdStartMedianMs: 1500, ColdStartP95Ms: 1600, ReadySeconds: 8.4, WarmP50Ms: 4,
		ColdStartMs: []float64{1400, 1600}, WarmMs: []float64{3, 5, 4},
	}
	if got := PointOf(r); !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v\nwant %+v", got, want)
	}
	// A pull request's run is kept under its head commit, not the merge
	// commit GitHub made (GITHUB_SHA).
	pr := &report.Report{Time: "t", Commit: "merge", PullRequest: &report.PullRequest{Number: 7, HeadSHA: "head"}}
	if got := PointOf(pr); got.Commit != "head" {
		t.Errorf("a pull request's run is kept under commit %q, want its head", got.Commit)
	}
	if got := PointOf(&report.Report{Time: "t"}); !reflect.DeepEqual(got, report.Point{Time: "t"}) {
		t.Errorf("a run that deployed nothing: %+v, want only its time", got)
	}
}

func fat(i, samples int) report.Point {
	p := report.Point{
		Time: fmt.Sprintf("2026-03-01T12:%02d:%02dZ", i/60%60, i%60), Commit: strings.Repeat("f", 40), Revision: "hello-00001",
		ColdStartMedianMs: 123456.789, ColdStartP95Ms: 234567.891, ReadySeconds: 98.7654, WarmP50Ms: 1234.5678,
	}
	for j := range samples {
		p.ColdStartMs = append(p.ColdStartMs, 100000+float64(j)+0.123)
		p.WarmMs = append(p.WarmMs, 10000+float64(j)+0.456)
	}
	return p
}

// However many runs are kept and however many samples each had, the
// history fits the budget, and the ConfigMap Kubernetes' 1 MiB: the newest
// runs are kept, in order, the one just added last.
func TestBoundedWhateverTheSize(t *testing.T) {
	var ps []report.Point
	for i := range 1000 {
		ps = append(ps, fat(i, 1000))
	}
	kept, data := bound(ps, 1000)
	if len(data) > budget {
		t.Fatalf("history of %d bytes, over the budget of %d", len(data), budget)
	}
	cm, _ := json.Marshal(&corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: ConfigMapName(strings.Repeat("s", 63)), Namespace: strings.Repeat("n", 63), Labels: labels(strings.Repeat("s", 63))},
		Data:       map[string]string{key: string(data)},
	})
	if len(cm) >= 1<<20 {
		t.Fatalf("ConfigMap of %d bytes: over 1 MiB", len(cm))
	}
	var decoded []report.Point
	if err := json.Unmarshal(data, &decoded); err != nil || !reflect.DeepEqual(decoded, kept) {
		t.Fatalf("the data is not the points kept (%v)", err)
	}
	if len(kept) == 0 || len(kept) == len(ps) {
		t.Fatalf("kept %d of %d fat runs: want some dropped, the newest kept", len(kept), len(ps))
	}
	if want := ps[len(ps)-len(kept)].Time; kept[0].Time != want || kept[len(kept)-1].Time != ps[len(ps)-1].Time {
		t.Errorf("kept %s .. %s, want the newest runs %s .. %s", kept[0].Time, kept[len(kept)-1].Time, want, ps[len(ps)-1].Time)
	}
	for _, p := range kept {
		if len(p.ColdStartMs) != maxSamples || len(p.WarmMs) != maxSamples {
			t.Fatalf("a run keeps %d cold starts and %d warm requests, want %d each", len(p.ColdStartMs), len(p.WarmMs), maxSamples)
		}
	}
	if len(ps[0].ColdStartMs) != 1000 || ps[0].ColdStartMs[0] != 100000.123 {
		t.Error("bound changed the points it was given")
	}
	t.Logf("1000 runs of 1000 samples each: %d runs kept in %d bytes", len(kept), len(data))
}

func TestBoundKeepsTheLastSize(t *testing.T) {
	var ps []report.Point
	for i := range 40 {
		ps = append(ps, fat(i, 10))
	}
	kept, _ := bound(ps, 30)
	if len(kept) != 30 || kept[0].Time != ps[10].Time || kept[29].Time != ps[39].Time {
		t.Errorf("kept %d runs from %s, want the last 30 from %s", len(kept), kept[0].Time, ps[10].Time)
	}
}

// Samples are kept in whole milliseconds; past maxSamples, at evenly
// spaced ranks from the smallest to the largest, so the median stays.
func TestThin(t *testing.T) {
	if got := thin([]float64{1.4, 2.6, math.NaN(), math.Inf(1), 3}); !reflect.DeepEqual(got, []float64{1, 3, 3}) {
		t.Errorf("got %v, want [1 3 3]", got)
	}
	var many []float64
	for i := range 1001 {
		many = append(many, float64(1000-i)) // 1000 down to 0
	}
	got := thin(many)
	if len(got) != maxSamples || got[0] != 0 || got[len(got)-1] != 1000 || !slices.IsSorted(got) {
		t.Fatalf("got %d samples from %v to %v, want %d from 0 to 1000 in order", len(got), got[0], got[len(got)-1], maxSamples)
	}
	if m := measure.Summarise(got).Median; math.Abs(m-500) > 10 {
		t.Errorf("median %v after thinning, want about 500", m)
	}
}

func TestTrim(t *testing.T) {
	p := trim(report.Point{Time: strings.Repeat("t", 500), ColdStartMedianMs: 1234.5678, ColdStartP95Ms: 1.7e308, ReadySeconds: 8.40049, WarmP50Ms: math.NaN()})
	if len(p.Time) != maxText || p.ColdStartMedianMs != 1234.6 || p.ColdStartP95Ms != 1.7e308 || p.ReadySeconds != 8.4 || p.WarmP50Ms != 0 {
		t.Errorf("got %+v", p)
	}
}
