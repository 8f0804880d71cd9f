package baseline

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/knative-preview/action/internal/history"
	"github.com/knative-preview/action/internal/report"
	"github.com/knative-preview/action/internal/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// baseline: history pools the last runs of the service asked for: this
// run's, or baseline-service's; a service without history has nothing to
// compare with yet.
func TestIntegrationHistory(t *testing.T) {
	env := testenv.Shared(t)
	cs, err := kubernetes.NewForConfig(env.Config)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	created, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "baseline-"}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ns := created.Name
	for i := range 12 {
		p := report.Point{Time: fmt.Sprint(i), ReadySeconds: 8, ColdStartMs: []float64{float64(1000 + i)}, WarmMs: []float64{3}}
		if _, err := history.Record(ctx, cs, ns, "hello-main", p, history.DefaultSize); err != nil {
			t.Fatal(err)
		}
	}

	_, _, err = Load(ctx, Options{History: true}, cs, ns, "hello-pr-7")
	if !errors.Is(err, ErrNone) || !strings.Contains(err.Error(), "service hello-pr-7 has no history") {
		t.Errorf("this run's service, without history: %v, want ErrNone", err)
	}

	s, source, err := Load(ctx, Options{History: true, Service: "hello-main"}, cs, ns, "hello-pr-7")
	if err != nil {
		t.Fatal(err)
	}
	if len(s.ColdStartMs) != 10 || s.ColdStartMs[0] != 1002 || s.ColdStartMs[9] != 1011 || len(s.ReadyMs) != 10 || len(s.WarmMs) != 10 {
		t.Errorf("samples %+v, want the last 10 runs' pooled", s)
	}
	if want := "the last 10 runs of service hello-main in the cluster's history"; source != want {
		t.Errorf("source %q, want %q", source, want)
	}
	if s2, _, err := Load(ctx, Options{History: true}, cs, ns, "hello-main"); err != nil || len(s2.ColdStartMs) != 10 {
		t.Errorf("this run's own service: %d cold starts (%v), want 10", len(s2.ColdStartMs), err)
	}
}
