package kubeconfig

import (
	"encoding/base64"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/knative-preview/action/internal/cluster"
	"github.com/knative-preview/action/internal/cluster/gke/gketest"
	"github.com/knative-preview/action/internal/cluster/internal/fakedocker"
	"github.com/knative-preview/action/internal/cluster/kind"
	"github.com/knative-preview/action/internal/input"
	"github.com/knative-preview/action/internal/log"
)

// kubeconfigWith is a kubeconfig of one context, "ci", whose cluster is
// server (with caPEM) and whose user is user (YAML under "user:").
func kubeconfigWith(server string, caPEM []byte, user string) string {
	return fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
- name: c
  cluster:
    server: %s
    certificate-authority-data: %s
users:
- name: u
  user:
%s
contexts:
- name: ci
  context: {cluster: c, user: u}
current-context: ci
`, server, base64.StdEncoding.EncodeToString(caPEM), user)
}

// gcloudUser is the user `gcloud container clusters get-credentials` writes.
const gcloudUser = `    exec:
      apiVersion: client.authentication.k8s.io/v1beta1
      command: gke-gcloud-auth-plugin
      installHint: Install gke-gcloud-auth-plugin for use with kubectl by following https://cloud.google.com/kubernetes-engine/docs/how-to/cluster-access-for-kubectl#install_plugin
      provideClusterInfo: true
      interactiveMode: IfAvailable`

// awsUser is the user `aws eks update-kubeconfig` writes.
const awsUser = `    exec:
      apiVersion: client.authentication.k8s.io/v1beta1
      command: aws
      args: [--region, eu-west-1, eks, get-token, --cluster-name, prod, --output, json]
      env: [{name: AWS_PROFILE, value: ci}]`

// action is a container action's environment: the runner's variables,
// with HOME and the workspace where the runner puts them for the container.
type action struct {
	ws, home string
	env      map[string]string
}

func newAction(t *testing.T) *action {
	a := &action{ws: t.TempDir(), home: t.TempDir()}
	a.env = map[string]string{"GITHUB_ACTIONS": "true", "GITHUB_WORKSPACE": a.ws, "HOME": a.home}
	return a
}

func (a *action) write(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(a.ws, name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// parse reads the kubeconfig inputs as the action (or, with flags, the
// CLI) does, and returns the options and the problems found.
func (a *action) parse(raw input.Values, style input.Style) (Options, []string) {
	r := input.NewReader(Inputs, raw, style, func(k string) string { return a.env[k] })
	o := Parse(r)
	var problems []string
	for _, e := range input.List(r.Err()) {
		problems = append(problems, e.Error())
	}
	return o, problems
}

// notInContainer are seams under which this process is not in a
// container, whatever machine runs the test: a loopback server is then used
// as it is (the test's fake API servers are on 127.0.0.1).
func notInContainer(t *testing.T) kind.Options {
	absent := filepath.Join(t.TempDir(), "absent")
	return kind.Options{ContainerMarkers: []string{absent}, ActionsWorkspace: absent, Getenv: func(string) string { return "" }}
}

// countingServer is an API server that counts the connections made to it.
func countingServer(t *testing.T) (*httptest.Server, *atomic.Int32) {
	var conns atomic.Int32
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(`{"major":"1","minor":"35","gitVersion":"v1.35.1"}`))
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv, &conns
}

// Kubeconfigs an earlier step left where a container action cannot see
// them are refused before anything is contacted, in one line that says
// so, what to do and where to read more.
func TestKubeconfigTheActionCannotSee(t *testing.T) {
	kc := kubeconfigWith("https://cluster.example:6443", []byte("CA"), "    token: tok-123456")
	tests := []struct {
		name  string
		setup func(t *testing.T, a *action) input.Values
		style input.Style
		want  string
	}{
		{
			name:  "no kubeconfig input and no KUBECONFIG",
			setup: func(t *testing.T, a *action) input.Values { return nil },
			want:  `input "kubeconfig": no kubeconfig input and no KUBECONFIG, and the runner's ~/.kube/config (where gcloud, aws eks update-kubeconfig and kind write) is not visible inside a container action: pass the kubeconfig input (a path in the workspace, or the content), or write the kubeconfig under the workspace and set KUBECONFIG to it; see ` + cluster.ContainerActionHelp,
		},
		{
			name: "KUBECONFIG names the runner's home",
			setup: func(t *testing.T, a *action) input.Values {
				a.env["KUBECONFIG"] = "/home/runner/.kube/config"
				return nil
			},
			want: `input "kubeconfig": KUBECONFIG names /home/runner/.kube/config, a file this container action cannot see: it sees the runner's workspace, not the runner's other files; write the kubeconfig under the workspace and give that path (the kubeconfig input, or KUBECONFIG), or pass its content; see ` + cluster.ContainerActionHelp,
		},
		{
			name: "the kubeconfig input names the runner's home",
			setup: func(t *testing.T, a *action) input.Values {
				return input.Values{"kubeconfig": "/home/runner/.kube/config"}
			},
			want: `input "kubeconfig": the value names /home/runner/.kube/config, a file this container action cannot see`,
		},
		{
			name: "KUBECONFIG names a file of the workspace no step wrote",
			setup: func(t *testing.T, a *action) input.Values {
				a.env["KUBECONFIG"] = filepath.Join(a.ws, "kubeconfig")
				return nil
			},
			want: "KUBECONFIG names WS/kubeconfig, which does not exist in the workspace: did the step that writes it run before this one?",
		},
		{
			name: "KUBECONFIG names a file of the workspace no step wrote, and one of the runner's",
			setup: func(t *testing.T, a *action) input.Values {
				a.env["KUBECONFIG"] = filepath.Join(a.ws, "kubeconfig") + ":/home/runner/work/_temp/kc"
				return nil
			},
			want: "KUBECONFIG names WS/kubeconfig, which does not exist in the workspace: did the step that writes it run before this one?; and /home/runner/work/_temp/kc, a file this container action cannot see",
		},
		{
			name: "the kubeconfig input names ~, which is not the runner's home",
			setup: func(t *testing.T, a *action) input.Values {
				return input.Values{"kubeconfig": "~/.kube/config"}
			},
			want: `inside a container action ~ is the container's home, /github/home, not the runner's`,
		},
		{
			name: "a context only in the file the action cannot see",
			setup: func(t *testing.T, a *action) input.Values {
				a.env["KUBECONFIG"] = a.write(t, "kubeconfig", kc) + ":/home/runner/.kube/config"
				return input.Values{"context": "kind-dev"}
			},
			want: `input "context": context "kind-dev" is not in the kubeconfig (contexts: ci); KUBECONFIG also names /home/runner/.kube/config, which this container action cannot see`,
		},
		{
			name: "on a laptop the runner's rules do not apply",
			setup: func(t *testing.T, a *action) input.Values {
				a.env["KUBECONFIG"] = "/home/runner/.kube/config"
				return nil
			},
			style: input.FlagStyle,
			want:  "--kubeconfig: kubeconfig from $KUBECONFIG (/home/runner/.kube/config) has no context: pass a kubeconfig path or content",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := newAction(t)
			raw := tt.setup(t, a)
			_, problems := a.parse(raw, tt.style)
			want := strings.ReplaceAll(tt.want, "WS", a.ws)
			if len(problems) != 1 || !strings.HasPrefix(problems[0], want) && !strings.Contains(problems[0], want) {
				t.Errorf("problems %q\nwant one with %q", problems, want)
			}
		})
	}
}

// A kubeconfig a container step wrote in the action's HOME (which the
// runner shares between container steps) is read as usual.
func TestKubeconfigInTheActionsHome(t *testing.T) {
	a := newAction(t)
	if err := os.MkdirAll(filepath.Join(a.home, ".kube"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(a.home, ".kube", "config"), []byte(kubeconfigWith("https://cluster.example:6443", []byte("CA"), "    token: tok-123456")), 0o600); err != nil {
		t.Fatal(err)
	}
	o, problems := a.parse(nil, input.ActionStyle)
	if len(problems) > 0 || o.Context != "ci" {
		t.Errorf("got context %q, problems %q", o.Context, problems)
	}
}

// In the action, a user that runs an exec credential plugin other than
// GKE's is refused before any program runs or the API server is contacted,
// naming the plugin; the CLI runs plugins as kubectl does.
func TestOtherExecPluginsAreRefusedInTheAction(t *testing.T) {
	srv, conns := countingServer(t)
	ca := srv.Certificate().Raw
	caPEM := []byte("-----BEGIN CERTIFICATE-----\n" + base64.StdEncoding.EncodeToString(ca) + "\n-----END CERTIFICATE-----\n")
	a := newAction(t)
	// The plugin would be found if it ran: it must not run.
	bin := t.TempDir()
	ran := filepath.Join(t.TempDir(), "ran")
	if err := os.WriteFile(filepath.Join(bin, "aws"), []byte("#!/bin/sh\necho ran >"+ran+"\necho '{\"apiVersion\":\"client.authentication.k8s.io/v1beta1\",\"kind\":\"ExecCredential\",\"status\":{\"token\":\"t\"}}'\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin)
	raw := input.Values{"kubeconfig": a.write(t, "eks.yaml", kubeconfigWith(srv.URL, caPEM, awsUser))}

	o, problems := a.parse(raw, input.ActionStyle)
	want := `input "kubeconfig": the user "u" of context "ci" gets its credentials by running aws (an exec credential plugin), which this action's container does not have and does not run: give the user a credential of its own instead`
	if len(problems) != 1 || !strings.HasPrefix(problems[0], want) || !strings.Contains(problems[0], cluster.ContainerActionHelp) {
		t.Errorf("problems %q\nwant %q...", problems, want)
	}
	// Connect refuses too, when given such options without Parse.
	o.Context = "ci"
	if _, err := New(o, log.Discard).Connect(t.Context()); err == nil || !strings.Contains(err.Error(), "running aws (an exec credential plugin)") {
		t.Errorf("Connect: %v", err)
	}
	if n := conns.Load(); n != 0 {
		t.Errorf("the API server was contacted %d times", n)
	}
	if _, err := os.Stat(ran); err == nil {
		t.Error("the plugin ran")
	}

	// The CLI keeps kubectl's behaviour: the plugin runs.
	o, problems = a.parse(raw, input.FlagStyle)
	if len(problems) > 0 {
		t.Fatalf("the CLI refused the plugin: %q", problems)
	}
	if _, err := New(o, log.Discard).Connect(t.Context()); err != nil {
		t.Errorf("CLI Connect: %v", err)
	}
	if _, err := os.Stat(ran); err != nil {
		t.Error("the CLI did not run the plugin")
	}
}

// A kubeconfig that `gcloud container clusters get-credentials` wrote into
// the workspace, named by KUBECONFIG, works as is in the action: its
// gke-gcloud-auth-plugin (which the image lacks) is replaced by tokens of
// the credentials google-github-actions/auth left, refreshed as they
// expire. On a laptop the plugin runs, as kubectl runs it.
func TestGKEPluginIsReplacedInTheAction(t *testing.T) {
	tokens := gketest.NewTokenServer(t)
	tokens.ExpiresIn = 1 // refreshed before every request
	fromPlugin := "ya29.from-the-plugin"
	api := gketest.NewKubeAPI(t, func(tok string) bool { return tokens.Valid(tok) || tok == fromPlugin })
	a := newAction(t)
	a.env["GOOGLE_APPLICATION_CREDENTIALS"] = tokens.ServiceAccountKeyFile(t, a.ws, "my-project", "ci@my-project.iam.gserviceaccount.com")
	a.env["KUBECONFIG"] = a.write(t, "gke-kubeconfig", kubeconfigWith("https://"+api.Endpoint, api.CAPEM, gcloudUser))
	t.Setenv("PATH", t.TempDir()) // no gke-gcloud-auth-plugin here

	o, problems := a.parse(nil, input.ActionStyle)
	if len(problems) > 0 {
		t.Fatalf("problems: %q", problems)
	}
	o.Runner = notInContainer(t)
	var progress []string
	target := New(o, log.Func(func(f string, args ...any) { progress = append(progress, fmt.Sprintf(f, args...)) }))
	if plan := strings.Join(target.Plan(), "\n"); !strings.Contains(plan, "authenticate as gke-gcloud-auth-plugin would, without running it") {
		t.Errorf("the plan does not say how it authenticates:\n%s", plan)
	}
	cl, err := target.Connect(t.Context())
	if err != nil {
		t.Fatalf("Connect: %v", err)
	}
	if cl.Version.GitVersion != "v1.34.3-gke.1000" || cl.REST.ExecProvider != nil {
		t.Errorf("version %q, exec provider %v", cl.Version.GitVersion, cl.REST.ExecProvider)
	}
	seen := api.Tokens()
	if len(seen) == 0 || slices.ContainsFunc(seen, func(tok string) bool { return !tokens.Valid(tok) }) {
		t.Errorf("the API server got tokens %q, want only tokens of the Google credentials", seen)
	}
	if !slices.ContainsFunc(progress, func(l string) bool {
		return strings.Contains(l, "as gke-gcloud-auth-plugin would, with the service account key of ci@my-project.iam.gserviceaccount.com")
	}) {
		t.Errorf("progress does not say which credentials: %q", progress)
	}

	// Credentials that do not work are reported as such, before the API
	// server is asked.
	tokens.Reject = true
	before := len(api.Tokens())
	if _, err := New(o, log.Discard).Connect(t.Context()); err == nil || !strings.Contains(err.Error(), "getting a Google access token") {
		t.Errorf("with refused credentials: %v", err)
	}
	if len(api.Tokens()) != before {
		t.Error("the API server was asked with credentials that give no token")
	}
	tokens.Reject = false

	// The CLI runs the plugin.
	bin := t.TempDir()
	if err := os.WriteFile(filepath.Join(bin, "gke-gcloud-auth-plugin"), []byte("#!/bin/sh\necho '{\"apiVersion\":\"client.authentication.k8s.io/v1beta1\",\"kind\":\"ExecCredential\",\"status\":{\"token\":\""+fromPlugin+"\"}}'\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin)
	o, problems = a.parse(nil, input.FlagStyle)
	if len(problems) > 0 {
		t.Fatalf("problems: %q", problems)
	}
	if _, err := New(o, log.Discard).Connect(t.Context()); err != nil {
		t.Fatalf("CLI Connect: %v", err)
	}
	if got := api.Tokens(); got[len(got)-1] != fromPlugin {
		t.Errorf("the CLI did not authenticate with the plugin's token: %q", got[len(got)-1])
	}
}

// An API server on the runner's loopback, as kind writes it for the host
// (https://127.0.0.1:<port>), is reached from the action's container on
// the kind network when a kind node of the runner's Docker publishes that
// port; any other loopback server is refused without being contacted.
func TestLoopbackServerFromTheContainer(t *testing.T) {
	srv, conns := countingServer(t)
	port := srv.URL[strings.LastIndex(srv.URL, ":")+1:]
	caPEM := []byte("-----BEGIN CERTIFICATE-----\n" + base64.StdEncoding.EncodeToString(srv.Certificate().Raw) + "\n-----END CERTIFICATE-----\n")
	fixture := func(name string) string {
		b, err := os.ReadFile(filepath.Join("..", "kind", "testdata", "docker", name))
		if err != nil {
			t.Fatal(err)
		}
		// The node publishes its API server at the test server's port.
		return strings.ReplaceAll(string(b), `"41939"`, `"`+port+`"`)
	}
	const actionShort = "9e2d4c6b8a0f"
	own := fakedocker.Rule{Args: []string{"container", "inspect", actionShort}, Stdout: fixture("action-container.json")}
	for _, tt := range []struct {
		name    string
		own     fakedocker.Rule
		ps      string
		want    string
		wantErr string
	}{
		{
			name: "a kind cluster of the runner's Docker",
			own:  own,
			ps:   "knative-control-plane\t127.0.0.1:" + port + "->6443/tcp, 127.0.0.1:80->31080/tcp\n",
			want: "https://knative-control-plane:6443",
		},
		{
			name: "this container unknown to Docker: the address is tried as it is",
			own:  fakedocker.Rule{Args: own.Args, Exit: 1, Stderr: "Error: No such container: " + actionShort + "\n"},
			want: srv.URL,
		},
		{
			name:    "something else on the runner's loopback",
			own:     own,
			ps:      "registry\t127.0.0.1:5000->5000/tcp\n",
			wantErr: `context "ci": the API server ` + srv.URL + ` is on loopback, which inside this container is the container itself, not the runner, and no kind node of the runner's Docker publishes port ` + port + ` there (docker ps): give the kubeconfig a server address the container can reach, such as the runner's or the cluster's own address, not 127.0.0.1 or localhost; see ` + cluster.ContainerActionHelp,
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			fake := fakedocker.Install(t)
			fake.On(
				tt.own,
				fakedocker.Rule{Args: []string{"container", "inspect", "knative-control-plane"}, Stdout: fixture("kind-control-plane.json")},
				fakedocker.Rule{Args: []string{"ps", "--format", "{{.Names}}\t{{.Ports}}"}, Stdout: tt.ps},
				fakedocker.Rule{Args: []string{"network", "connect", "kind", "*"}},
			)
			a := newAction(t)
			a.env["KUBECONFIG"] = a.write(t, "kubeconfig", kubeconfigWith(srv.URL, caPEM, "    token: tok-123456"))
			o, problems := a.parse(nil, input.ActionStyle)
			if len(problems) > 0 {
				t.Fatal(problems)
			}
			marker := filepath.Join(t.TempDir(), ".dockerenv")
			if err := os.WriteFile(marker, nil, 0o600); err != nil {
				t.Fatal(err)
			}
			o.Runner = kind.Options{ContainerMarkers: []string{marker}, Hostname: func() (string, error) { return actionShort, nil }, MountInfo: filepath.Join(t.TempDir(), "none")}
			target := New(o, log.Discard)
			if plan := strings.Join(target.Plan(), "\n"); !strings.Contains(plan, "is on loopback: from inside the action's container, reach it on the Docker network \"kind\"") {
				t.Errorf("the plan does not say what it does with a loopback server:\n%s", plan)
			}
			rc, err := target.restConfig(t.Context())
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Errorf("got %v\nwant %s", err, tt.wantErr)
				}
				if _, err := target.Connect(t.Context()); err == nil {
					t.Error("Connect did not fail")
				}
				if n := conns.Load(); n != 0 {
					t.Errorf("the loopback server was contacted %d times", n)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if rc.Host != tt.want || string(rc.CAData) != string(caPEM) || rc.BearerToken != "tok-123456" {
				t.Errorf("reaches %s (CA kept: %v, token kept: %v), want %s", rc.Host, string(rc.CAData) == string(caPEM), rc.BearerToken == "tok-123456", tt.want)
			}
			attached := slices.Contains(fake.CommandLines(), "docker network connect kind 9e2d4c6b8a0f1e3d5c7b9a1f2e4d6c8b0a9f8e7d6c5b4a3f2e1d0c9b8a7f6e5d")
			if attached != (tt.want != srv.URL) {
				t.Errorf("attached to the kind network: %v; docker calls %q", attached, fake.CommandLines())
			}
			if u := fake.Unmatched(); len(u) > 0 {
				t.Errorf("unexpected docker calls: %q", u)
			}
		})
	}
}
