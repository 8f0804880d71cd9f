package app

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"k8s.io/client-go/kubernetes"
	servingclient "knative.dev/serving/pkg/client/clientset/versioned"

	"github.com/knative-preview/action/internal/outputs"
	"github.com/knative-preview/action/internal/testenv"
)

// A real SIGTERM or SIGINT to the built binary while it applies Knative,
// waits for the deployed Service and takes a cold start: it exits with 130
// within 10 s, says what it was doing and what it leaves behind, and its
// outputs are whole (complete GITHUB_OUTPUT entries, each once; or one
// JSON object carrying the error).
func TestIntegrationSignalStopsTheBinary(t *testing.T) {
	bin := buildBinary(t)
	cases := []struct {
		name    string
		sig     syscall.Signal
		actions bool // Actions mode, else the CLI with --output json
		// after is the log line that shows the stage to interrupt has begun.
		after string
		// play sets up what the stage needs in the test bed.
		play func(t *testing.T, env *testenv.Env, ns, svc string)
		want string
	}{
		{
			name: "install", sig: syscall.SIGTERM, actions: true,
			after: "installing Knative Serving 1.23.0",
			play:  func(*testing.T, *testenv.Env, string, string) {}, // Knative never becomes ready
			want:  "interrupted during stage install: Knative Serving may be partly applied; run again to finish, or delete namespace knative-serving, kourier-system",
		},
		{
			name: "deploy", sig: syscall.SIGINT,
			after: "to be Ready (generation 1)",
			play: func(t *testing.T, env *testenv.Env, _, _ string) {
				cs := kubernetes.NewForConfigOrDie(env.Config)
				testenv.PlayKnative(t, cs) // but not the Service's controller: it never becomes Ready
				play(t, func() bool { return loadBalancer(t.Context(), cs) })
			},
			want: "interrupted during stage deploy: the Knative Service sig/hello exists and may not be Ready; mode: down (knative-preview down) deletes it",
		},
		{
			name: "measure", sig: syscall.SIGTERM, actions: true,
			after: "to scale to zero",
			play: func(t *testing.T, env *testenv.Env, ns, svc string) {
				ctx := t.Context()
				cs := kubernetes.NewForConfigOrDie(env.Config)
				sv := servingclient.NewForConfigOrDie(env.Config).ServingV1()
				testenv.PlayKnative(t, cs)
				play(t, func() bool { return loadBalancer(ctx, cs) })
				play(t, func() bool { knativeController(ctx, t, cs, sv, ns, svc); return false })
				// The ingress answers, but nothing scales the revision to
				// zero: the cold start waits for it until the signal.
				ingressOn80(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, "hello") }))
			},
			want: "interrupted during stage measure: the Knative Service sig/hello stays deployed (revision hello-00001)",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name+"/"+strings.ToUpper(unix(tc.sig)), func(t *testing.T) {
			const ns, svc = "sig", "hello"
			env := testenv.Start(t)
			work := t.TempDir()
			manifests := filepath.Join(work, "manifests")
			testenv.WriteReleaseManifests(t, manifests, "1.23.0")
			withoutWebhooks(t, testenv.ManifestFile(manifests, "serving", "1.23.0", "serving-core.yaml"))
			kc := filepath.Join(work, "kubeconfig")
			if err := os.WriteFile(kc, env.Kubeconfig("sig"), 0o600); err != nil {
				t.Fatal(err)
			}
			tc.play(t, env, ns, svc)

			vars := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + work, "XDG_CACHE_HOME=" + filepath.Join(work, "cache")}
			var args []string
			ghOutput := filepath.Join(work, "github_output")
			if tc.actions {
				for _, f := range []string{ghOutput, filepath.Join(work, "github_state"), filepath.Join(work, "summary")} {
					if err := os.WriteFile(f, nil, 0o644); err != nil {
						t.Fatal(err)
					}
				}
				vars = append(vars, "GITHUB_ACTIONS=true", "GITHUB_WORKSPACE="+work, "GITHUB_OUTPUT="+ghOutput,
					"GITHUB_STATE="+filepath.Join(work, "github_state"), "GITHUB_STEP_SUMMARY="+filepath.Join(work, "summary"),
					"INPUT_CLUSTER=kubeconfig", "INPUT_KUBECONFIG="+kc, "INPUT_MANIFESTS-URL="+manifests,
					"INPUT_IMAGE=ghcr.io/org/hello:v1", "INPUT_SERVICE="+svc, "INPUT_NAMESPACE="+ns,
					"INPUT_COLD-START-SAMPLES=1", "INPUT_SMOKE-REQUESTS=1", "INPUT_TIMEOUT=5m")
			} else {
				args = []string{"up", "--cluster", "kubeconfig", "--kubeconfig", kc, "--manifests-url", manifests,
					"--image", "ghcr.io/org/hello:v1", "--service", svc, "--namespace", ns,
					"--cold-start-samples", "1", "--output", "json", "--timeout", "5m"}
			}

			ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, bin, args...)
			cmd.Env = vars
			log := newLineWatcher(tc.after)
			var stdout bytes.Buffer
			cmd.Stderr = log
			if tc.actions {
				cmd.Stdout = log // the Actions log goes to stdout
			} else {
				cmd.Stdout = &stdout
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			exited := make(chan error, 1)
			go func() { exited <- cmd.Wait() }()
			t.Cleanup(func() {
				_ = cmd.Process.Kill()
				<-exited
			})

			select {
			case <-log.seen:
			case err := <-exited:
				t.Fatalf("the run ended (%v) before %q:\n%s", err, tc.after, log)
			case <-ctx.Done():
				t.Fatalf("no %q in the log within the test's time:\n%s", tc.after, log)
			}
			sent := time.Now()
			if err := cmd.Process.Signal(tc.sig); err != nil {
				t.Fatal(err)
			}
			var err error
			select {
			case err = <-exited:
				exited <- err // for the cleanup
			case <-time.After(10 * time.Second):
				t.Fatalf("still running 10 s after %s:\n%s", tc.sig, log)
			}
			took := time.Since(sent)
			var exit *exec.ExitError
			if !errors.As(err, &exit) || exit.ExitCode() != ExitInterrupted {
				t.Fatalf("exit %v, want code %d:\n%s", err, ExitInterrupted, log)
			}
			t.Logf("exit %d %s after %s", exit.ExitCode(), took.Round(time.Millisecond), tc.sig)
			for _, want := range []string{"interrupted by " + tc.sig.String(), tc.want} {
				if !strings.Contains(log.String(), want) {
					t.Errorf("the log lacks %q:\n%s", want, log)
				}
			}

			if tc.actions {
				data, err := os.ReadFile(ghOutput)
				if err != nil {
					t.Fatal(err)
				}
				got, err := parseOutputFile(data)
				if err != nil {
					t.Fatalf("GITHUB_OUTPUT is not whole: %v\n%s", err, data)
				}
				if got["context"] != "sig" || got["kubernetes-version"] == "" {
					t.Errorf("outputs known before the signal are missing: %v", got)
				}
				if tc.name == "measure" && (got["revision"] != "hello-00001" || got["cold-start-samples-json"] == "") {
					t.Errorf("the deploy's outputs or the samples so far are missing: %v", got)
				}
				return
			}
			var obj map[string]string
			dec := json.NewDecoder(&stdout)
			if err := dec.Decode(&obj); err != nil {
				t.Fatalf("stdout is not one JSON object: %v\n%s", err, stdout.String())
			}
			if _, err := dec.Token(); err != io.EOF {
				t.Errorf("stdout holds more than one JSON object: %s", stdout.String())
			}
			if !strings.Contains(obj["error"], "interrupted by "+tc.sig.String()) || obj["knative-version"] != "1.23.0" {
				t.Errorf("the JSON outputs lack the error or what the install found: %v", obj)
			}
		})
	}
}

func unix(s syscall.Signal) string {
	if s == syscall.SIGINT {
		return "sigint"
	}
	return "sigterm"
}

// buildBinary builds the action's binary into the test's temp dir, from
// the module cache only.
func buildBinary(t *testing.T) string {
	path := filepath.Join(t.TempDir(), "knative-preview")
	cmd := exec.Command("go", "build", "-o", path, "github.com/knative-preview/action/cmd/action")
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=readonly")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building the binary: %v\n%s", err, out)
	}
	return path
}

// lineWatcher keeps what a process writes and closes seen once a line
// containing want has been written.
type lineWatcher struct {
	mu   sync.Mutex
	buf  bytes.Buffer
	want string
	seen chan struct{}
	done bool
}

func newLineWatcher(want string) *lineWatcher {
	return &lineWatcher{want: want, seen: make(chan struct{})}
}

func (w *lineWatcher) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	if !w.done {
		// Only whole lines count: the want may be split across writes.
		all := w.buf.String()
		if i := strings.LastIndexByte(all, '\n'); i >= 0 && strings.Contains(all[:i], w.want) {
			w.done = true
			close(w.seen)
		}
	}
	return len(p), nil
}

func (w *lineWatcher) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// parseOutputFile reads a GITHUB_OUTPUT file as the runner does and fails
// on anything but whole entries of declared outputs, each written once.
func parseOutputFile(data []byte) (map[string]string, error) {
	const delim = "_GitHubActionsFileCommandDelimeter_"
	got := map[string]string{}
	rest := string(data)
	for rest != "" {
		head, after, ok := strings.Cut(rest, "\n")
		if !ok {
			return nil, fmt.Errorf("a line without its end: %q", rest)
		}
		name, d, ok := strings.Cut(head, "<<")
		if !ok || d != delim {
			return nil, fmt.Errorf("not the start of an entry: %q", head)
		}
		if !slices.ContainsFunc(outputs.Outputs, func(o outputs.Output) bool { return o.Name == name }) {
			return nil, fmt.Errorf("undeclared output %q", name)
		}
		if _, twice := got[name]; twice {
			return nil, fmt.Errorf("output %q written twice", name)
		}
		value, after, ok := strings.Cut(after, "\n"+delim+"\n")
		if !ok {
			return nil, fmt.Errorf("output %q is cut off: %q", name, after)
		}
		got[name] = value
		rest = after
	}
	return got, nil
}
