package history

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/knative-preview/action/internal/kube"
	"github.com/knative-preview/action/internal/report"
	"github.com/knative-preview/action/internal/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// bed returns a client of the shared test API server, a new namespace of
// the test's own, named from prefix, and a context that bounds the test.
func bed(t *testing.T, prefix string) (kubernetes.Interface, string, context.Context) {
	t.Helper()
	env := testenv.Shared(t)
	cs, err := kubernetes.NewForConfig(env.Config)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	ns, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: prefix + "-"}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return cs, ns.Name, ctx
}

func point(i int) report.Point {
	return report.Point{
		Time: fmt.Sprintf("2026-03-0%dT12:00:00Z", i), Revision: fmt.Sprintf("hello-0000%d", i),
		ColdStartMedianMs: 1500 + float64(i), ColdStartP95Ms: 2000, ReadySeconds: 8,
		ColdStartMs: []float64{1400, 1500 + float64(i), 2000}, WarmMs: []float64{3, 4},
	}
}

func times(ps []report.Point) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.Time)
	}
	return out
}

// Three runs of one service: a ConfigMap of ours, applied by our field
// manager, holds the three in order, in bounded size; another service has
// no history.
func TestIntegrationThreeRuns(t *testing.T) {
	cs, ns, ctx := bed(t, "history-three")
	for i := 1; i <= 3; i++ {
		kept, err := Record(ctx, cs, ns, "hello", point(i), DefaultSize)
		if err != nil {
			t.Fatalf("run %d: %v", i, err)
		}
		if len(kept) != i || kept[i-1].Time != point(i).Time {
			t.Fatalf("run %d: kept %v, want %d runs, this one last", i, times(kept), i)
		}
	}
	got, err := Read(ctx, cs, ns, "hello")
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{point(1).Time, point(2).Time, point(3).Time}; strings.Join(times(got), " ") != strings.Join(want, " ") {
		t.Errorf("history %v, want %v", times(got), want)
	}
	if got[2].ColdStartMedianMs != 1503 || len(got[2].ColdStartMs) != 3 {
		t.Errorf("the third run reads back as %+v", got[2])
	}
	cm, err := cs.CoreV1().ConfigMaps(ns).Get(ctx, ConfigMapName("hello"), metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// Not Knative's service label: the history is no part of the Service,
	// and down must not take it for the Service's.
	if cm.Labels[kube.ManagedByLabel] != kube.ManagedByValue || cm.Labels[historyLabel] != "hello" || cm.Labels["serving.knative.dev/service"] != "" {
		t.Errorf("labels %v, want ours and whose history it is", cm.Labels)
	}
	applied := false
	for _, m := range cm.ManagedFields {
		applied = applied || (m.Manager == kube.FieldManager && m.Operation == metav1.ManagedFieldsOperationApply)
	}
	if !applied {
		t.Errorf("no server-side apply by %s in %+v", kube.FieldManager, cm.ManagedFields)
	}
	if n := len(cm.Data[key]); n > budget {
		t.Errorf("history of %d bytes, over %d", n, budget)
	}
	if other, err := Read(ctx, cs, ns, "other"); err != nil || len(other) != 0 {
		t.Errorf("another service's history: %v, %v; want none", other, err)
	}
	if kept, err := Record(ctx, cs, ns, "hello", point(4), 2); err != nil || strings.Join(times(kept), " ") != point(3).Time+" "+point(4).Time {
		t.Errorf("history-size 2: kept %v (%v), want the last two runs", times(kept), err)
	}
}

// Runs that record at once each keep their point, whether the ConfigMap
// exists yet or not.
func TestIntegrationConcurrentRuns(t *testing.T) {
	const runs = 8
	cs, ns, ctx := bed(t, "history-concurrent")
	for round := range 2 {
		var wg sync.WaitGroup
		errs := make(chan error, runs)
		for i := range runs {
			wg.Go(func() {
				p := point(1)
				p.Time = fmt.Sprintf("round %d run %d", round, i)
				if _, err := Record(ctx, cs, ns, "hello", p, maxSize); err != nil {
					errs <- err
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Errorf("round %d: %v", round, err)
		}
		got, err := Read(ctx, cs, ns, "hello")
		if err != nil {
			t.Fatal(err)
		}
		seen := map[string]bool{}
		for _, p := range got {
			seen[p.Time] = true
		}
		if len(got) != runs*(round+1) || len(seen) != len(got) {
			t.Fatalf("round %d: history %v, want %d distinct runs", round, times(got), runs*(round+1))
		}
	}
}

// A history that is not a list of runs: Read says so and how to mend it;
// Record starts it afresh and says so with errCorrupt.
func TestIntegrationCorruptHistory(t *testing.T) {
	cs, ns, ctx := bed(t, "history-corrupt")
	_, err := cs.CoreV1().ConfigMaps(ns).Create(ctx, &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: ConfigMapName("hello"), Labels: labels("hello")},
		Data:       map[string]string{key: `{"not": "a list"}`},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = Read(ctx, cs, ns, "hello")
	if !errors.Is(err, errCorrupt) {
		t.Fatalf("Read: %v, want errCorrupt", err)
	}
	for _, s := range []string{ns + "/hello-knative-preview-history", "history.json", "not a JSON list", "delete the ConfigMap"} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("Read's error does not say %q: %v", s, err)
		}
	}
	kept, err := Record(ctx, cs, ns, "hello", point(1), DefaultSize)
	if !errors.Is(err, errCorrupt) || !strings.Contains(err.Error(), "started afresh") {
		t.Errorf("Record: %v, want errCorrupt saying the history was started afresh", err)
	}
	if len(kept) != 1 || kept[0].Time != point(1).Time {
		t.Errorf("Record kept %v, want this run only", times(kept))
	}
	if got, err := Read(ctx, cs, ns, "hello"); err != nil || len(got) != 1 {
		t.Errorf("after starting afresh: %v, %v; want this run", times(got), err)
	}
}

// A ConfigMap of that name that is not ours is left as it is.
func TestIntegrationNotOurs(t *testing.T) {
	cs, ns, ctx := bed(t, "history-not-ours")
	_, err := cs.CoreV1().ConfigMaps(ns).Create(ctx, &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: ConfigMapName("hello")},
		Data:       map[string]string{key: "[]", "mine": "yes"},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Record(ctx, cs, ns, "hello", point(1), DefaultSize); err == nil || !strings.Contains(err.Error(), "not created by this action") {
		t.Errorf("Record: %v, want a refusal", err)
	}
	if _, err := Read(ctx, cs, ns, "hello"); err == nil || !strings.Contains(err.Error(), "not created by this action") {
		t.Errorf("Read: %v, want a refusal", err)
	}
	cm, err := cs.CoreV1().ConfigMaps(ns).Get(ctx, ConfigMapName("hello"), metav1.GetOptions{})
	if err != nil || cm.Data["mine"] != "yes" || cm.Data[key] != "[]" || len(cm.Labels) != 0 {
		t.Errorf("the ConfigMap changed: %+v (%v)", cm, err)
	}
}

// A history at its budget, of fat runs, takes one more: the API server
// accepts it and it stays within the budget.
func TestIntegrationFullHistory(t *testing.T) {
	cs, ns, ctx := bed(t, "history-full")
	var ps []report.Point
	for i := range maxSize {
		ps = append(ps, fat(i, 1000))
	}
	_, data := bound(ps, maxSize)
	_, err := cs.CoreV1().ConfigMaps(ns).Create(ctx, &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: ConfigMapName("hello"), Labels: labels("hello")},
		Data:       map[string]string{key: string(data)},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	last := fat(maxSize, 1000)
	last.Time = "the newest"
	kept, err := Record(ctx, cs, ns, "hello", last, maxSize)
	if err != nil {
		t.Fatal(err)
	}
	if kept[len(kept)-1].Time != "the newest" {
		t.Errorf("the newest run is not last: %s", kept[len(kept)-1].Time)
	}
	cm, err := cs.CoreV1().ConfigMaps(ns).Get(ctx, ConfigMapName("hello"), metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(cm.Data[key]); n > budget {
		t.Errorf("history of %d bytes, over %d", n, budget)
	}
}

// Through a flaky API server (refused, reset before or after acting, slow)
// every run is recorded once, in order: a write that went through though
// its answer was lost is not made again.
func TestIntegrationRecordThroughFaults(t *testing.T) {
	cs, ns, ctx := bed(t, "history-faults")
	proxy := testenv.Shared(t).Faults(t, testenv.FaultOptions{Seed: 14, Rate: 0.3,
		Kinds: []testenv.Fault{testenv.Throttled, testenv.InternalError, testenv.Unavailable503, testenv.ResetBefore, testenv.ResetAfter, testenv.Latency}})
	flaky, err := kubernetes.NewForConfig(proxy.Config)
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for i := range 20 {
		p := point(1)
		p.Time = fmt.Sprintf("run %02d", i)
		want = append(want, p.Time)
		if _, err := Record(ctx, flaky, ns, "hello", p, DefaultSize); err != nil {
			t.Fatalf("run %d: %v", i, err)
		}
	}
	got, err := Read(ctx, cs, ns, "hello")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(times(got), ",") != strings.Join(want, ",") {
		t.Errorf("history %v, want each run once, in order: %v", times(got), want)
	}
	if proxy.Counts()[testenv.ResetAfter] == 0 {
		t.Errorf("no answer was lost after the API server acted (%s): change the seed", proxy)
	}
}

// A removed preview's history goes with it; another service's stays, and
// forgetting twice is fine.
func TestIntegrationForget(t *testing.T) {
	cs, ns, ctx := bed(t, "history-forget")
	for _, svc := range []string{"app-pr-1", "app-pr-2"} {
		if _, err := Record(ctx, cs, ns, svc, point(1), DefaultSize); err != nil {
			t.Fatal(err)
		}
	}
	for range 2 {
		if err := Forget(ctx, cs, ns, "app-pr-1"); err != nil {
			t.Fatalf("Forget: %v", err)
		}
	}
	if got, err := Read(ctx, cs, ns, "app-pr-1"); err != nil || len(got) != 0 {
		t.Errorf("app-pr-1's history after Forget: %v (%v)", times(got), err)
	}
	if got, err := Read(ctx, cs, ns, "app-pr-2"); err != nil || len(got) != 1 {
		t.Errorf("app-pr-2's history: %v (%v), want its one run", times(got), err)
	}
}
