package app

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/knative-preview/action/internal/history"
	"github.com/knative-preview/action/internal/testenv"
)

// The binary killed (SIGKILL: no chance to clean up) in the middle of a
// write the API server carried out, as a runner that loses its machine
// does: inside the install's server-side apply, the Service's create and
// update, the history's write and the registry login Secret's write. The
// next run of the same command finishes: the Service Ready with the new
// run's revision, each Secret once and owned by the Service, the history
// holding every run that reached it exactly once; down then removes every
// Service and Secret (the histories stay, as down keeps them), so nothing
// is left that a user must delete by hand.
func TestIntegrationKilledRunIsFinishedByTheNext(t *testing.T) {
	const ns = "killed"
	bin := buildBinary(t)
	env, cs, sv, _, dir := servingBedEnv(t, ns, "app", "fresh")
	// The proxy fails nothing by chance: it holds the one answer each case
	// names, so that the binary is killed with the write done.
	proxy := env.Faults(t, testenv.FaultOptions{Seed: 41, Rate: 0})
	kc := filepath.Join(t.TempDir(), "kubeconfig")
	if err := os.WriteFile(kc, proxy.Kubeconfig("killed"), 0o600); err != nil {
		t.Fatal(err)
	}
	api := func(method, suffix string) func(r *http.Request) bool {
		return func(r *http.Request) bool { return r.Method == method && strings.HasSuffix(r.URL.Path, suffix) }
	}
	services := "/apis/serving.knative.dev/v1/namespaces/" + ns + "/services"
	cases := []struct {
		name, service, image string
		registry             bool // with a registry login
		// hold picks the request whose answer is held when the binary is
		// killed.
		hold func(r *http.Request) bool
	}{
		{name: "inside the install's apply", service: "app", image: "ghcr.io/org/hello:v1",
			hold: api(http.MethodPatch, "/namespaces/knative-serving/deployments/controller")},
		{name: "inside the history's write", service: "app", image: "ghcr.io/org/hello:v1",
			hold: func(r *http.Request) bool {
				return r.Method != http.MethodGet && strings.HasSuffix(r.URL.Path, "/configmaps/"+history.ConfigMapName("app"))
			}},
		{name: "inside the Service's update", service: "app", image: "ghcr.io/org/hello:v2",
			hold: api(http.MethodPut, services+"/app")},
		{name: "inside the Service's create", service: "fresh", image: "ghcr.io/org/hello:v1",
			hold: api(http.MethodPost, services)},
		{name: "inside the registry login Secret's write", service: "fresh", image: "registry.example/org/hello:v3", registry: true,
			hold: func(r *http.Request) bool {
				return (r.Method == http.MethodPost || r.Method == http.MethodPut) && strings.Contains(r.URL.Path, "/namespaces/"+ns+"/secrets")
			}},
	}
	commit := 0
	// reached holds, per service, the commits of the runs whose figures
	// the history must hold once each.
	reached := map[string][]string{}
	for _, c := range cases {
		ok := t.Run(c.name, func(t *testing.T) {
			args := []string{"up", "--cluster", "kubeconfig", "--kubeconfig", kc, "--manifests-url", dir,
				"--image", c.image, "--service", c.service, "--namespace", ns,
				"--cold-start-samples", "1", "--smoke-requests", "1", "--output", "json", "--timeout", "3m"}
			if c.registry {
				args = append(args, "--registry-username", "mona", "--registry-password", "killed-run-password")
			}
			commit++
			held := proxy.Hold(c.hold)
			killed := killAt(t, bin, args, commit, held)
			if c.name == "inside the history's write" {
				reached[c.service] = append(reached[c.service], sha(commit)) // the write was done
			}
			t.Logf("killed at %s:\n%s", c.name, lastLines(killed, 4))

			commit++
			out := runBinary(t, bin, args, commit)
			reached[c.service] = append(reached[c.service], sha(commit))
			if want := c.service + "-"; !strings.HasPrefix(out["revision"], want) || out["service"] != c.service {
				t.Errorf("the next run's outputs: %v", out)
			}
			svc, err := sv.Services(ns).Get(t.Context(), c.service, metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if got := svc.Spec.Template.Spec.Containers[0].Image; got != c.image || svc.Status.LatestReadyRevisionName != out["revision"] {
				t.Errorf("the Service runs %s, revision %s ready; want %s, the next run's revision %s", got, svc.Status.LatestReadyRevisionName, c.image, out["revision"])
			}
			secrets, err := cs.CoreV1().Secrets(ns).List(t.Context(), metav1.ListOptions{})
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range secrets.Items {
				if !strings.HasPrefix(s.Name, c.service+"-") {
					continue
				}
				if len(s.OwnerReferences) != 1 || s.OwnerReferences[0].UID != svc.UID {
					t.Errorf("Secret %s is not owned by the Service: %v", s.Name, s.OwnerReferences)
				}
			}
			if c.registry && !slices.ContainsFunc(secrets.Items, func(s corev1.Secret) bool { return s.Name == c.service+"-registry" }) {
				t.Errorf("no registry login Secret %s-registry", c.service)
			}
			points, err := history.Read(t.Context(), cs, ns, c.service)
			if err != nil {
				t.Fatal(err)
			}
			var commits []string
			for _, p := range points {
				commits = append(commits, p.Commit)
			}
			if !slices.Equal(commits, reached[c.service]) {
				t.Errorf("the history of %s holds the runs %v, want %v: each run that reached it, once", c.service, commits, reached[c.service])
			}
		})
		if !ok {
			t.FailNow() // the next cases stand on this one's state
		}
	}
	t.Logf("through the proxy: %s", proxy)

	for _, svc := range []string{"app", "fresh"} {
		r := runMain(t.Context(), []string{"down", "--cluster", "kubeconfig", "--kubeconfig", kc, "--service", svc, "--namespace", ns, "--timeout", "2m"}, nil)
		if r.code != exitOK {
			t.Fatalf("down of %s: exit %d:\n%s", svc, r.code, r.stderr)
		}
	}
	left, err := cs.CoreV1().Secrets(ns).List(t.Context(), metav1.ListOptions{})
	if err == nil && len(left.Items) > 0 {
		var names []string
		for _, s := range left.Items {
			names = append(names, s.Name)
		}
		t.Errorf("Secrets left after down: %v", names)
	}
	if list, err := sv.Services(ns).List(t.Context(), metav1.ListOptions{}); err != nil || len(list.Items) > 0 {
		t.Errorf("Knative Services left after down: %v %v", err, list)
	}
	// The histories stay, as down keeps them by design (internal/deploy's
	// TestIntegrationDownKeepsTheHistory), each holding its runs once.
}

// sha is the commit of the n-th run, as GITHUB_SHA gives it.
func sha(n int) string { return fmt.Sprintf("%040d", n) }

// binaryEnv is the environment the binary runs in for the n-th run.
func binaryEnv(t *testing.T, n int) []string {
	home := t.TempDir()
	return []string{"PATH=" + os.Getenv("PATH"), "HOME=" + home, "XDG_CACHE_HOME=" + filepath.Join(home, "cache"), "GITHUB_SHA=" + sha(n)}
}

// killAt starts the binary and kills it with SIGKILL once held is closed;
// it returns what the binary wrote.
func killAt(t *testing.T, bin string, args []string, n int, held <-chan struct{}) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = binaryEnv(t, n)
	var log bytes.Buffer
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	select {
	case <-held:
	case err := <-exited:
		t.Fatalf("the run ended (%v) before the request to hold:\n%s", err, log.String())
	case <-ctx.Done():
		_ = cmd.Process.Kill()
		<-exited
		t.Fatalf("no request to hold came within the test's time:\n%s", log.String())
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	err := <-exited
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != -1 {
		t.Fatalf("the binary was not killed: %v\n%s", err, log.String())
	}
	return log.String()
}

// runBinary runs the binary to its end and returns its JSON outputs.
func runBinary(t *testing.T, bin string, args []string, n int) map[string]string {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = binaryEnv(t, n)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("the next run: %v\n%s", err, stderr.String())
	}
	var out map[string]string
	if err := json.Unmarshal(stdout.Bytes(), &out); err != nil {
		t.Fatalf("the next run's stdout is not one JSON object: %v\n%s", err, stdout.String())
	}
	return out
}

// lastLines is the last n lines of s.
func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}
