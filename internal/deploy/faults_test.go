package deploy

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/knative-preview/action/internal/log"
	"github.com/knative-preview/action/internal/testenv"
)

// Up (a create, then an update) and Down through an API server that fails
// 25% of the requests end as they do without faults: one generation, so
// one revision, per Up; the same Secret; everything deleted by Down; each
// step within its own deadline; the time against a clean run is printed.
func TestIntegrationUpDownThroughFaults(t *testing.T) {
	b := newBed(t)
	env := testenv.Shared(t)
	proxy := env.Faults(t, testenv.FaultOptions{Seed: 5, Rate: 0.25})
	faulty := b.in(t)
	cl := *b.cl
	cl.REST = proxy.Config
	faulty.cl = &cl

	type outcome struct {
		generations []int64
		secret      string
		took        time.Duration
	}
	cycle := func(b *bed, ns string) outcome {
		t.Helper()
		var out outcome
		start := time.Now()
		for i, image := range []string{"ghcr.io/o/app:v1", "ghcr.io/o/app:v2"} {
			o := Options{Service: "app", Namespace: ns, Image: image, Visibility: VisibilityExternal,
				SecretEnv: []EnvVar{{"API_TOKEN", fmt.Sprintf("secret-%d", i)}}}
			done, logged := b.up(deployer(), o)
			svc := b.deployed(ns, "app", int64(i))
			rev := b.revision(svc)
			b.ready(ns, "app", rev.Name)
			r := b.result(done, 90*time.Second, "the Service turning Ready")
			if r.err != nil {
				t.Fatalf("Up %d in %s: %v\nlog:\n%s", i+1, ns, r.err, logged())
			}
			got, err := b.serving.Services(ns).Get(t.Context(), "app", metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			out.generations = append(out.generations, got.Generation)
			if r.res.Revision != rev.Name || r.res.HTTPStatus != 200 {
				t.Errorf("Up %d in %s: revision %s, HTTP %d; want %s, 200", i+1, ns, r.res.Revision, r.res.HTTPStatus, rev.Name)
			}
		}
		out.secret = b.secretEnv(ns)

		ctx, cancel := context.WithTimeout(t.Context(), 90*time.Second)
		defer cancel()
		progress, logged := collect()
		if err := deployer().Down(ctx, progress, b.cl, Options{Service: "app", Namespace: ns}); err != nil {
			t.Fatalf("Down in %s: %v\nlog:\n%s", ns, err, logged())
		}
		out.took = time.Since(start)
		b.downed(ns)
		return out
	}

	var cleanTook, faultyTook time.Duration
	for round := range 3 {
		clean := cycle(b, fmt.Sprintf("faults-clean-%d", round))
		got := cycle(faulty, fmt.Sprintf("faults-faulty-%d", round))
		cleanTook += clean.took
		faultyTook += got.took
		if fmt.Sprint(got.generations) != "[1 2]" || fmt.Sprint(clean.generations) != "[1 2]" {
			t.Errorf("round %d: generations after each Up %v through faults, %v clean; want [1 2]: one revision per Up", round, got.generations, clean.generations)
		}
		if got.secret != clean.secret {
			t.Errorf("round %d: secret %q through faults, %q clean", round, got.secret, clean.secret)
		}
	}
	t.Logf("through faults: %s", proxy)
	ratio := faultyTook.Seconds() / cleanTook.Seconds()
	t.Logf("up, up and down took %s clean, %s through faults: %.2fx", cleanTook.Round(time.Millisecond), faultyTook.Round(time.Millisecond), ratio)
}

// Every watch of the deploy wait cut short after a moment: the wait opens
// them again (and polls meanwhile) and still sees the Service turn Ready.
func TestIntegrationUpThroughCutWatches(t *testing.T) {
	b := newBed(t)
	env := testenv.Shared(t)
	proxy := env.Faults(t, testenv.FaultOptions{Seed: 11, Rate: 1, Kinds: []testenv.Fault{testenv.WatchClosed}})
	faulty := b.in(t)
	cl := *b.cl
	cl.REST = proxy.Config
	faulty.cl = &cl
	const ns = "faults-watches"
	done, logged := faulty.up(deployer(), Options{Service: "app", Namespace: ns, Image: "ghcr.io/o/app:v1", Visibility: VisibilityExternal})
	svc := faulty.deployed(ns, "app", 0)
	rev := faulty.revision(svc)
	faulty.ready(ns, "app", rev.Name)
	r := faulty.result(done, 90*time.Second, "the Service turning Ready")
	if r.err != nil {
		t.Fatalf("Up: %v\nlog:\n%s", r.err, logged())
	}
	if r.res.Revision != rev.Name {
		t.Errorf("revision %s, want %s", r.res.Revision, rev.Name)
	}
	t.Logf("through cut watches: %s", proxy)
	if proxy.Counts()[testenv.WatchClosed] == 0 {
		t.Error("no watch was cut: the test shows nothing")
	}
}

// The API server goes away for 15 s and comes back on the same address (a
// GKE control plane upgrade), once while Up waits for the Service to be
// Ready, once while Down deletes what belongs to it: each ends as it does
// without the outage, with one Service, one generation, one revision and
// the same Secret, and Down leaves nothing behind.
func TestIntegrationUpDownThroughAnOutage(t *testing.T) {
	env := testenv.Start(t)
	b := newBedOn(t, env)
	type outcome struct {
		generation    int64
		revisions     int
		secret        string
		upTook, total time.Duration
	}
	cycle := func(ns string, outage bool) outcome {
		t.Helper()
		var out outcome
		start := time.Now()
		o := Options{Service: "app", Namespace: ns, Image: "ghcr.io/o/app:v1", Visibility: VisibilityExternal,
			SecretEnv: []EnvVar{{"API_TOKEN", "outage-secret"}}}
		done, logged := b.up(deployer(), o)
		svc := b.deployed(ns, "app", 0)
		if outage {
			<-env.Outage(t, 15*time.Second) // Up waits for the Service to be Ready meanwhile
		}
		rev := b.revision(svc)
		b.ready(ns, "app", rev.Name)
		if r := b.result(done, 2*time.Minute, "the Service turning Ready"); r.err != nil || r.res.Revision != rev.Name {
			t.Fatalf("Up in %s: %v (revision %v)\nlog:\n%s", ns, r.err, r.res, logged())
		}
		out.upTook = time.Since(start)
		got, err := b.serving.Services(ns).Get(t.Context(), "app", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		out.generation = got.Generation
		revs, err := b.serving.Revisions(ns).List(t.Context(), metav1.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		out.revisions = len(revs.Items)
		out.secret = b.secretEnv(ns)

		ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
		defer cancel()
		progress, downLogged := collect()
		var back <-chan struct{}
		down := log.Func(func(f string, a ...any) {
			progress(f, a...)
			if line := fmt.Sprintf(f, a...); outage && back == nil && strings.HasPrefix(line, "deleted Knative Service") {
				back = env.Outage(t, 15*time.Second) // the rest of Down meets it
			}
		})
		if err := deployer().Down(ctx, down, b.cl, Options{Service: "app", Namespace: ns}); err != nil {
			t.Fatalf("Down in %s: %v\nlog:\n%s", ns, err, downLogged())
		}
		if outage && back == nil {
			t.Fatalf("Down in %s said no %q: the outage did not happen\nlog:\n%s", ns, "deleted Knative Service", downLogged())
		}
		out.total = time.Since(start)
		b.downed(ns)
		return out
	}
	clean := cycle("outage-clean", false)
	got := cycle("outage", true)
	if got.generation != 1 || got.revisions != 1 || got.secret != clean.secret || clean.generation != 1 || clean.revisions != 1 {
		t.Errorf("through the outage: generation %d, %d revisions, secret %q; clean: generation %d, %d revisions, secret %q",
			got.generation, got.revisions, got.secret, clean.generation, clean.revisions, clean.secret)
	}
	t.Logf("up took %s clean, %s through the outage; up and down %s clean, %s through two outages",
		clean.upTook.Round(time.Millisecond), got.upTook.Round(time.Millisecond), clean.total.Round(time.Millisecond), got.total.Round(time.Millisecond))
}

// secretEnv is the API_TOKEN that app's secret-env Secret in ns holds.
func (b *bed) secretEnv(ns string) string {
	b.t.Helper()
	s, err := b.kube.CoreV1().Secrets(ns).Get(b.t.Context(), "app-secret-env", metav1.GetOptions{})
	if err != nil {
		b.t.Fatalf("the secret-env Secret in %s: %v", ns, err)
	}
	return string(s.Data["API_TOKEN"])
}

// downed checks that Down removed app and its Secret from ns, and that the
// namespace, which this action created, is being deleted.
func (b *bed) downed(ns string) {
	b.t.Helper()
	ctx := b.t.Context()
	if _, err := b.serving.Services(ns).Get(ctx, "app", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		b.t.Errorf("%s: the Knative Service is still there after Down: %v", ns, err)
	}
	if _, err := b.kube.CoreV1().Secrets(ns).Get(ctx, "app-secret-env", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		b.t.Errorf("%s: the Secret is still there after Down: %v", ns, err)
	}
	n, err := b.kube.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{})
	if err != nil || n.DeletionTimestamp == nil || n.Labels["app.kubernetes.io/managed-by"] == "" {
		b.t.Errorf("%s: the namespace this action created is not being deleted: %v", ns, err)
	}
}
