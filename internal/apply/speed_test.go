package apply

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"

	"github.com/knative-preview/action/internal/log"
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
		a, err := New(env.Config, Options{}, log.Discard)
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
	// Theirs is what a user types: apply the CRDs, wait until they are
	// Established, apply the rest.
	theirs := func(ctx context.Context, kubeconfig string) error {
		run := func(ctx context.Context, args ...string) ([]byte, error) {
			cmd := exec.CommandContext(ctx, kubectl, append([]string{"--kubeconfig", kubeconfig}, args...)...)
			out, err := cmd.CombinedOutput()
			if err != nil {
				return out, fmt.Errorf("kubectl %v: %w\n%s", args, err, out)
			}
			return out, nil
		}
		if _, err := run(ctx, "apply", "-f", files[0]); err != nil {
			return err
		}
		// kubectl wait --for=condition (Debian's kubectl 1.32) fails at once on
		// a CRD whose status has no conditions yet (".status.conditions
		// accessor error: <nil>"), which is how every new CRD starts. Run it
		// again until it succeeds, within the bound it had: kubectl's side
		// still waits for Established before the core manifests, as a user
		// would. Any other error fails at once.
		var last error
		err := wait.PollUntilContextTimeout(ctx, 20*time.Millisecond, 60*time.Second, true, func(ctx context.Context) (bool, error) {
			out, err := run(ctx, "wait", "--for=condition=Established", "crd", "--all", "--timeout=60s")
			if err != nil && bytes.Contains(out, []byte("accessor error")) {
				last = err
				return false, nil
			}
			return err == nil, err
		})
		if err != nil {
			return fmt.Errorf("waiting for the CRDs to be Established: %w (last: %v)", err, last)
		}
		for _, f := range files[1:] {
			if _, err := run(ctx, "apply", "-f", f); err != nil {
				return err
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
		b.StartTimer() // b.Loop refuses to run with the timer stopped
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
