package apply

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/kubernetes"

	"github.com/knative-preview/action/internal/testenv"
)

// BenchmarkInstallVsKubectl compares our engine with `kubectl apply -f` on
// the same generated serving + kourier manifests, each on a fresh API
// server per iteration, for a first install and for a re-apply of an
// installed cluster. It reports the medians over the iterations and the
// ratios kubectl/ours (speedup-first-x, speedup-reapply-x); make
// bench-install prints them. Like every benchmark it asserts no time.
func BenchmarkInstallVsKubectl(b *testing.B) {
	kubectl, err := exec.LookPath("kubectl")
	if err != nil {
		b.Fatal("kubectl is not installed: apt-get install kubectl (or put any kubectl on PATH)")
	}
	dir := b.TempDir()
	const version = "1.23.0"
	testenv.WriteReleaseManifests(b, dir, version)
	files := []string{
		testenv.ManifestFile(dir, "serving", version, "serving-crds.yaml"),
		testenv.ManifestFile(dir, "serving", version, "serving-core.yaml"),
		testenv.ManifestFile(dir, "net-kourier", version, "kourier.yaml"),
	}

	// Ours does what the install stage does: read, decode, apply, starting
	// from a new client (discovery included) each time.
	ours := func(ctx context.Context, env *testenv.Env) error {
		a, err := New(env.Config, Options{})
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
		b.StartTimer()
		start := time.Now()
		err := f()
		d := time.Since(start)
		b.StopTimer()
		if err != nil {
			b.Fatal(err)
		}
		return d
	}
	// fresh starts an API server for one side of one iteration; it is
	// stopped by the caller before the next one starts.
	fresh := func() *testenv.Env {
		b.StopTimer()
		return testenv.Start(b)
	}
	stop := func(env *testenv.Env) {
		if err := env.Stop(); err != nil {
			b.Logf("stopping the test API server: %v", err)
		}
	}
	ctx := b.Context()
	for b.Loop() {
		env := fresh()
		oursFirst = append(oursFirst, timed(func() error { return ours(ctx, env) }))
		deleteWebhooks(b, kubernetes.NewForConfigOrDie(env.Config))
		oursRe = append(oursRe, timed(func() error { return ours(ctx, env) }))
		stop(env)

		env = fresh()
		kc := filepath.Join(b.TempDir(), "kubeconfig")
		if err := os.WriteFile(kc, env.Kubeconfig("bench"), 0o600); err != nil {
			b.Fatal(err)
		}
		kubectlFirst = append(kubectlFirst, timed(func() error { return theirs(ctx, kc) }))
		deleteWebhooks(b, kubernetes.NewForConfigOrDie(env.Config))
		kubectlRe = append(kubectlRe, timed(func() error { return theirs(ctx, kc) }))
		stop(env)
	}
	m := func(d []time.Duration) time.Duration {
		s := slices.Clone(d)
		slices.Sort(s)
		return s[len(s)/2]
	}
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	b.ReportMetric(ms(m(oursFirst)), "ours-first-ms")
	b.ReportMetric(ms(m(kubectlFirst)), "kubectl-first-ms")
	b.ReportMetric(ms(m(oursRe)), "ours-reapply-ms")
	b.ReportMetric(ms(m(kubectlRe)), "kubectl-reapply-ms")
	b.ReportMetric(m(kubectlFirst).Seconds()/m(oursFirst).Seconds(), "speedup-first-x")
	b.ReportMetric(m(kubectlRe).Seconds()/m(oursRe).Seconds(), "speedup-reapply-x")
	// ns/op counts only the applies, both sides and both passes.
}
