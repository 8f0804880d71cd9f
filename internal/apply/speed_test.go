package apply

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/kubernetes"

	"github.com/knative-preview/action/internal/testenv"
)

// TestInstallSpeedVsKubectl compares our engine with `kubectl apply -f` on
// the same generated serving + kourier manifests, each on a fresh API
// server, for a first install and for a re-apply of an installed cluster.
// It is a benchmark, not a check: it runs only with KNATIVE_PREVIEW_BENCH=1
// (make bench-install) and asserts nothing about time.
func TestInstallSpeedVsKubectl(t *testing.T) {
	if os.Getenv("KNATIVE_PREVIEW_BENCH") != "1" {
		t.Skip("a benchmark: run it with make bench-install")
	}
	kubectl, err := exec.LookPath("kubectl")
	if err != nil {
		t.Fatal("kubectl is not installed: apt-get install kubectl (or put any kubectl on PATH)")
	}
	rounds := 3
	if n, err := strconv.Atoi(os.Getenv("BENCH_ROUNDS")); err == nil && n > 0 {
		rounds = n
	}
	dir := t.TempDir()
	const version = "1.23.0"
	testenv.WriteReleaseManifests(t, dir, version)
	files := []string{
		testenv.ManifestFile(dir, "serving", version, "serving-crds.yaml"),
		testenv.ManifestFile(dir, "serving", version, "serving-core.yaml"),
		testenv.ManifestFile(dir, "net-kourier", version, "kourier.yaml"),
	}

	// Ours does what the install stage does: read, decode, apply, starting
	// from a new client (discovery included) each time.
	ours := func(ctx context.Context, env *testenv.Env) error {
		a, err := New(env.Config)
		if err != nil {
			return err
		}
		var objs []*unstructured.Unstructured
		for _, f := range files {
			data, err := os.ReadFile(f)
			if err != nil {
				return err
			}
			o, err := Decode(f, data)
			if err != nil {
				return err
			}
			objs = append(objs, o...)
		}
		_, err = a.Apply(ctx, Dedupe(objs))
		return err
	}
	theirs := func(ctx context.Context, kubeconfig string) error {
		steps := [][]string{
			{"apply", "-f", files[0]},
			{"wait", "--for=condition=Established", "crd", "--all", "--timeout=60s"},
			{"apply", "-f", files[1]},
			{"apply", "-f", files[2]},
		}
		for _, s := range steps {
			cmd := exec.CommandContext(ctx, kubectl, append([]string{"--kubeconfig", kubeconfig}, s...)...)
			if out, err := cmd.CombinedOutput(); err != nil {
				return fmt.Errorf("kubectl %v: %w\n%s", s, err, out)
			}
		}
		return nil
	}

	var oursFirst, oursRe, kubectlFirst, kubectlRe []time.Duration
	timed := func(f func() error) time.Duration {
		start := time.Now()
		if err := f(); err != nil {
			t.Fatal(err)
		}
		return time.Since(start)
	}
	for r := 0; r < rounds; r++ {
		t.Run(fmt.Sprintf("round%d/ours", r), func(t *testing.T) {
			env := testenv.Start(t)
			oursFirst = append(oursFirst, timed(func() error { return ours(t.Context(), env) }))
			deleteWebhooks(t, kubernetes.NewForConfigOrDie(env.Config))
			oursRe = append(oursRe, timed(func() error { return ours(t.Context(), env) }))
		})
		t.Run(fmt.Sprintf("round%d/kubectl", r), func(t *testing.T) {
			env := testenv.Start(t)
			kc := filepath.Join(t.TempDir(), "kubeconfig")
			if err := os.WriteFile(kc, env.Kubeconfig("bench"), 0o600); err != nil {
				t.Fatal(err)
			}
			kubectlFirst = append(kubectlFirst, timed(func() error { return theirs(t.Context(), kc) }))
			deleteWebhooks(t, kubernetes.NewForConfigOrDie(env.Config))
			kubectlRe = append(kubectlRe, timed(func() error { return theirs(t.Context(), kc) }))
		})
	}
	m := func(d []time.Duration) time.Duration {
		s := slices.Clone(d)
		slices.Sort(s)
		return s[len(s)/2]
	}
	fmt.Printf("first install: ours median %s, kubectl median %s (%d rounds)\n", m(oursFirst).Round(time.Millisecond), m(kubectlFirst).Round(time.Millisecond), rounds)
	fmt.Printf("re-apply:      ours median %s, kubectl median %s\n", m(oursRe).Round(time.Millisecond), m(kubectlRe).Round(time.Millisecond))
	fmt.Printf("install speedup vs kubectl: first=%.1fx reapply=%.1fx\n",
		m(kubectlFirst).Seconds()/m(oursFirst).Seconds(), m(kubectlRe).Seconds()/m(oursRe).Seconds())
}
