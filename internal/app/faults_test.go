package app

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/knative-preview/action/internal/testenv"
)

// The whole run, up with cold starts and then down, through an API server
// that fails 25% of the requests: install, deploy, measure and down end as
// they do on a clean one, with the same outputs (the measured times aside),
// every sample a cold start, and nothing left after down. It prints the
// faults met and the time against the clean run's.
func TestIntegrationUpAndDownThroughFaults(t *testing.T) {
	const ns = "e2e-faults"
	env, cs, sv, kc, dir := servingBedEnv(t, ns, "clean", "faulty")
	proxy := env.Faults(t, testenv.FaultOptions{Seed: 31, Rate: 0.25})
	faultyKC := filepath.Join(t.TempDir(), "kubeconfig")
	if err := os.WriteFile(faultyKC, proxy.Kubeconfig("e2e"), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	up := func(svc, kubeconfig string) (map[string]string, time.Duration) {
		t.Helper()
		start := time.Now()
		r := runMain(ctx, []string{"up", "--cluster", "kubeconfig", "--kubeconfig", kubeconfig, "--manifests-url", dir,
			"--image", "ghcr.io/org/hello:v1", "--service", svc, "--namespace", ns,
			"--cold-start-samples", "2", "--smoke-requests", "2", "--output", "json", "--timeout", "5m"}, nil)
		took := time.Since(start)
		if r.code != exitOK {
			t.Fatalf("up of %s: exit %d:\n%s", svc, r.code, r.stderr)
		}
		var out map[string]string
		if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
			t.Fatalf("up of %s: stdout is not one JSON object: %v\n%s", svc, err, r.stdout)
		}
		return out, took
	}
	down := func(svc, kubeconfig string) time.Duration {
		t.Helper()
		start := time.Now()
		r := runMain(ctx, []string{"down", "--cluster", "kubeconfig", "--kubeconfig", kubeconfig, "--service", svc, "--namespace", ns, "--timeout", "3m"}, nil)
		if r.code != exitOK {
			t.Fatalf("down of %s: exit %d:\n%s", svc, r.code, r.stderr)
		}
		if _, err := sv.Services(ns).Get(ctx, svc, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
			t.Errorf("down of %s: the Knative Service is still there: %v", svc, err)
		}
		secrets, err := cs.CoreV1().Secrets(ns).List(ctx, metav1.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range secrets.Items {
			if strings.HasPrefix(s.Name, svc+"-") {
				t.Errorf("down of %s left Secret %s", svc, s.Name)
			}
		}
		return time.Since(start)
	}

	clean, cleanUp := up("clean", kc)
	faulty, faultyUp := up("faulty", faultyKC)
	faultyDown := down("faulty", faultyKC)
	cleanDown := down("clean", kc)
	t.Logf("through faults: %s", proxy)
	t.Logf("up took %s clean, %s through faults; down %s clean, %s through faults",
		cleanUp.Round(time.Millisecond), faultyUp.Round(time.Millisecond), cleanDown.Round(time.Millisecond), faultyDown.Round(time.Millisecond))

	for name, want := range clean {
		switch name {
		case "install-seconds", "ready-seconds", "cold-start-ms", "cold-start-p95-ms", "cold-start-first-ms", "warm-p50-ms", "cold-start-samples-json":
			continue // measured: they differ from run to run
		}
		if want = strings.ReplaceAll(want, "clean", "faulty"); faulty[name] != want {
			t.Errorf("output %s = %q through faults, %q clean", name, faulty[name], want)
		}
	}
	for what, out := range map[string]map[string]string{"clean": clean, "through faults": faulty} {
		var samples []struct {
			Verdict string `json:"verdict"`
			Reason  string `json:"reason"`
		}
		if err := json.Unmarshal([]byte(out["cold-start-samples-json"]), &samples); err != nil || len(samples) != 2 {
			t.Errorf("%s: cold-start-samples-json %s (%v)", what, out["cold-start-samples-json"], err)
		}
		for i, s := range samples {
			if s.Verdict != "cold" {
				t.Errorf("%s: sample %d %s (%s)", what, i+1, s.Verdict, s.Reason)
			}
		}
	}
}
