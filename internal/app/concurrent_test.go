package app

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	servingtyped "knative.dev/serving/pkg/client/clientset/versioned/typed/serving/v1"

	"github.com/knative-preview/action/internal/testenv"
)

// Two `up` runs against one cluster at the same time install the same
// release. Deploying two services, both succeed; deploying the same one
// (with a secret-env, so both write its Secret), one succeeds and the other
// either succeeds too, on its own revision, or fails saying another deploy
// changed the Service. No half-made objects remain either way.
func TestIntegrationTwoRunsAtOnce(t *testing.T) {
	env, cs, sv, dir := releaseBed(t)
	ctx := t.Context()
	kc := filepath.Join(t.TempDir(), "kubeconfig")
	if err := os.WriteFile(kc, env.Kubeconfig("two"), 0o600); err != nil {
		t.Fatal(err)
	}
	ingressOn80(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, "hello") }))

	testenv.PlayKnative(t, cs)
	play(t, func() bool { return loadBalancer(ctx, cs) })
	const ns = "two"
	const rounds = 5 // of the same service: each a new race
	services := []string{"one", "other"}
	for i := range rounds {
		services = append(services, fmt.Sprintf("same-%d", i+1))
	}
	for _, svc := range services {
		play(t, func() bool { knativeController(ctx, t, cs, sv, ns, svc); return false })
	}

	up := func(ctx context.Context, svc, image string) result {
		return runMain(ctx, []string{"up", "--cluster", "kubeconfig", "--kubeconfig", kc, "--manifests-url", dir,
			"--image", image, "--service", svc, "--namespace", ns, "--secret-env", "TOKEN=t0ken-" + image[len(image)-2:],
			"--cold-start-samples", "0", "--smoke-requests", "0", "--output", "json", "--timeout", "2m"}, nil)
	}
	images := [2]string{"ghcr.io/org/hello:v1", "ghcr.io/org/hello:v2"}
	both := func(svcA, svcB string) [2]result {
		ctx, cancel := context.WithTimeout(ctx, 3*time.Minute)
		defer cancel()
		var rs [2]result
		var wg sync.WaitGroup
		for i, svc := range []string{svcA, svcB} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				rs[i] = up(ctx, svc, images[i])
			}()
		}
		wg.Wait()
		for i, r := range rs {
			if strings.Contains(r.stderr, "panic") || strings.Contains(r.stderr, "goroutine ") {
				t.Errorf("run %d panicked:\n%s", i+1, r.stderr)
			}
		}
		return rs
	}

	t.Run("two services", func(t *testing.T) {
		rs := both("one", "other")
		for i, r := range rs {
			if r.code != exitOK {
				t.Errorf("run %d: exit %d:\n%s", i+1, r.code, r.stderr)
			}
		}
		for _, svc := range []string{"one", "other"} {
			checkDeployed(t, ctx, cs, sv, ns, svc)
		}
	})

	t.Run("the same service", func(t *testing.T) {
		for round := range rounds {
			svc := fmt.Sprintf("same-%d", round+1)
			rs := both(svc, svc)
			ok := 0
			for i, r := range rs {
				switch {
				case r.code == exitOK:
					ok++
					// A run that says it succeeded deployed its own image.
					rev := jsonOutputs(t, r.stdout)["revision"]
					got, err := sv.Revisions(ns).Get(ctx, rev, metav1.GetOptions{})
					if err != nil || got.Spec.Containers[0].Image != images[i] {
						t.Errorf("%s: run %d succeeded with revision %q, which does not run its image %s (%v)", svc, i+1, rev, images[i], err)
					}
				case r.code == exitFailed && strings.Contains(r.stderr, "was changed by another deploy while this run waited for it"):
					t.Logf("%s: run %d lost the race, as it may: %s", svc, i+1, lineWith(r.stderr, "was changed by another deploy"))
				default:
					t.Errorf("%s: run %d: exit %d without a clear conflict message:\n%s", svc, i+1, r.code, r.stderr)
				}
			}
			if ok == 0 {
				t.Errorf("%s: neither run succeeded:\n%s\n---\n%s", svc, rs[0].stderr, rs[1].stderr)
			}
			checkDeployed(t, ctx, cs, sv, ns, svc)
		}
	})
}

// jsonOutputs decodes the --output json object of a run.
func jsonOutputs(t *testing.T, stdout string) map[string]string {
	t.Helper()
	var out map[string]string
	if err := json.Unmarshal([]byte(stdout), &out); err != nil {
		t.Errorf("stdout is not one JSON object: %v\n%s", err, stdout)
	}
	return out
}

// checkDeployed asserts that the Service is whole: Ready with the revision
// of its latest template, and its Secret owned by it.
func checkDeployed(t *testing.T, ctx context.Context, cs kubernetes.Interface, sv servingtyped.ServingV1Interface, ns, name string) {
	t.Helper()
	ksvc, err := sv.Services(ns).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		t.Fatalf("Knative Service %s: %v", name, err)
	}
	if ksvc.Status.ObservedGeneration != ksvc.Generation || ksvc.Status.LatestReadyRevisionName != fmt.Sprintf("%s-%05d", name, ksvc.Generation) {
		t.Errorf("Knative Service %s: generation %d, status %+v", name, ksvc.Generation, ksvc.Status)
	}
	s, err := cs.CoreV1().Secrets(ns).Get(ctx, name+"-secret-env", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("the Secret of %s: %v", name, err)
	}
	if len(s.OwnerReferences) != 1 || s.OwnerReferences[0].UID != ksvc.UID || len(s.Data["TOKEN"]) == 0 {
		t.Errorf("the Secret of %s is not whole: owners %+v, keys %d", name, s.OwnerReferences, len(s.Data))
	}
}

// lineWith is the first line of s that contains want.
func lineWith(s, want string) string {
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, want) {
			return l
		}
	}
	return ""
}
