package install

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"

	"github.com/knative-preview/action/internal/apply"
	"github.com/knative-preview/action/internal/log"
	"github.com/knative-preview/action/internal/testenv"
)

// faultRate is the share of requests the fault proxy fails: a quarter.
const faultRate = 0.25

// An install through an API server that fails 25% of the requests ends as
// a clean one does: the same objects, each applied once with the same
// hash, the same configuration, in bounded time. So does one that meets,
// on top of that, a proxy that cuts every stream and connection and resets
// every request for 20 s amid the manifests' apply (the API server going
// away).
func TestIntegrationInstallThroughFaults(t *testing.T) {
	run := func(b *bed, cfg *rest.Config) (*Result, time.Duration) {
		t.Helper()
		testenv.PlayKnative(t, b.cs)
		b.cl.Domain = "127.0.0.1.sslip.io"
		b.cl.IngressNodePort = 31080
		b.cl.REST = cfg
		ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
		defer cancel()
		start := time.Now()
		res, err := Run(ctx, b.progress(), b.cl, b.options(t, "1.23.0"))
		took := time.Since(start)
		if err != nil {
			t.Fatalf("install (%s): %v\nlog:\n%s", cfg.Host, err, b.log())
		}
		return res, took
	}
	clean := newBed(t, "1.23.0")
	cleanRes, cleanTook := run(clean, clean.env.Config)
	want := appliedObjects(t, clean)
	if len(want) == 0 {
		t.Fatal("the clean install left no object with an applied hash")
	}
	for _, faults := range []testenv.FaultOptions{
		{Seed: 12, Rate: faultRate},
		// The 60th request comes amid the server-side apply PATCHes.
		{Seed: 13, Rate: faultRate, OutageAt: 60, OutageFor: 20 * time.Second},
	} {
		what := "faults"
		if faults.OutageAt > 0 {
			what = "faults and an outage"
		}
		faulty := newBed(t, "1.23.0")
		proxy := faulty.env.Faults(t, faults)
		faultyRes, faultyTook := run(faulty, proxy.Config)
		t.Logf("through %s: %s", what, proxy)

		if cleanRes.Applied != faultyRes.Applied || cleanRes.Domain != faultyRes.Domain || cleanRes.Versions.Serving != faultyRes.Versions.Serving {
			t.Errorf("through %s the install did %+v, a clean one %+v", what, faultyRes, cleanRes)
		}
		got := appliedObjects(t, faulty)
		for k, h := range want {
			if got[k] != h {
				t.Errorf("%s: applied hash %q through %s, %q in a clean install", k, got[k], what, h)
			}
		}
		for k := range got {
			if _, ok := want[k]; !ok {
				t.Errorf("%s: installed through %s only", k, what)
			}
		}
		for _, name := range []string{"config-network", "config-domain"} {
			if c, f := clean.configMap(t, name), faulty.configMap(t, name); !equal(c, f) {
				t.Errorf("%s through %s %v, clean %v", name, what, f, c)
			}
		}
		ratio := faultyTook.Seconds() / cleanTook.Seconds()
		t.Logf("install took %s clean, %s through %s: %.2fx", cleanTook.Round(time.Millisecond), faultyTook.Round(time.Millisecond), what, ratio)
	}
}

// appliedObjects maps every object of the release (kind, namespace, name) to
// its applied-hash annotation on b's API server ("missing" when absent).
func appliedObjects(t *testing.T, b *bed) map[string]string {
	t.Helper()
	var objs []*unstructured.Unstructured
	for _, f := range [][2]string{{"serving", "serving-crds.yaml"}, {"serving", "serving-core.yaml"}, {"net-kourier", "kourier.yaml"}} {
		path := testenv.ManifestFile(b.dir, f[0], "1.23.0", f[1])
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		decoded, err := apply.Decode(path, data)
		if err != nil {
			t.Fatal(err)
		}
		objs = append(objs, apply.Dedupe(decoded)...)
	}
	dyn := dynamic.NewForConfigOrDie(b.env.Config)
	mapper := restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(discovery.NewDiscoveryClientForConfigOrDie(b.env.Config)))
	out := map[string]string{}
	for _, o := range objs {
		gvk := o.GroupVersionKind()
		m, err := mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
		if err != nil {
			t.Fatalf("%s %s: %v", gvk.Kind, o.GetName(), err)
		}
		ns := ""
		if m.Scope.Name() == meta.RESTScopeNameNamespace {
			ns = o.GetNamespace()
		}
		k := gvk.Kind + " " + ns + "/" + o.GetName()
		live, err := dyn.Resource(m.Resource).Namespace(ns).Get(t.Context(), o.GetName(), metav1.GetOptions{})
		if err != nil {
			out[k] = "missing: " + err.Error()
			continue
		}
		out[k] = live.GetAnnotations()["knative-preview/applied-hash"]
	}
	return out
}

func equal(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	keys := make([]string, 0, len(a))
	for k := range a {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if v, ok := b[k]; !ok || v != a[k] {
			return false
		}
	}
	return true
}

// The API server goes away for 15 s while the install waits for Knative to
// be ready, and comes back on the same address (a GKE control plane
// upgrade): the install ends as a clean one does, with the same objects,
// each applied once with the same hash, and the same configuration.
func TestIntegrationInstallThroughAnOutage(t *testing.T) {
	run := func(b *bed, outage bool) (*Result, time.Duration) {
		t.Helper()
		b.cl.Domain = "127.0.0.1.sslip.io"
		b.cl.IngressNodePort = 31080
		logger := b.progress()
		played := false
		progress := log.Func(func(f string, a ...any) {
			logger.Infof(f, a...)
			if !played && strings.HasPrefix(fmt.Sprintf(f, a...), "waiting up to ") {
				played = true
				if !outage {
					testenv.PlayKnative(t, b.cs)
					return
				}
				// Knative's Deployments become available only once the API
				// server is back: the wait, polling meanwhile, spans the
				// outage.
				back := b.env.Outage(t, 15*time.Second)
				go func() {
					<-back
					testenv.PlayKnative(t, b.cs)
				}()
			}
		})
		ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
		defer cancel()
		start := time.Now()
		res, err := Run(ctx, progress, b.cl, b.options(t, "1.23.0"))
		took := time.Since(start)
		if err != nil {
			t.Fatalf("install (outage %v): %v\nlog:\n%s", outage, err, b.log())
		}
		if !played {
			t.Fatalf("the install never waited for Knative:\n%s", b.log())
		}
		return res, took
	}
	clean := newBed(t, "1.23.0")
	cleanRes, cleanTook := run(clean, false)
	down := newBed(t, "1.23.0")
	downRes, downTook := run(down, true)

	if cleanRes.Applied != downRes.Applied || cleanRes.Domain != downRes.Domain || cleanRes.Versions.Serving != downRes.Versions.Serving {
		t.Errorf("through the outage the install did %+v, a clean one %+v", downRes, cleanRes)
	}
	want, got := appliedObjects(t, clean), appliedObjects(t, down)
	for k, h := range want {
		if got[k] != h {
			t.Errorf("%s: applied hash %q through the outage, %q in a clean install", k, got[k], h)
		}
	}
	for _, name := range []string{"config-network", "config-domain"} {
		if c, f := clean.configMap(t, name), down.configMap(t, name); !equal(c, f) {
			t.Errorf("%s through the outage %v, clean %v", name, f, c)
		}
	}
	t.Logf("install took %s clean, %s through the outage", cleanTook.Round(time.Millisecond), downTook.Round(time.Millisecond))
}
