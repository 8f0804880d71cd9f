package kind

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/knative-preview/action/internal/cluster/internal/fakedocker"
	"github.com/knative-preview/action/internal/kubecfg"
	"github.com/knative-preview/action/internal/log"
)

// kindLibraryRules answer the docker calls the kind library makes to list
// clusters, find a cluster's nodes and read its kubeconfig. apiPort is the
// host port kind would have published the API server on.
func kindLibraryRules(adminConf, apiPort string) []fakedocker.Rule {
	return []fakedocker.Rule{
		{Args: []string{"ps", "-a", "--filter", "label=io.x-k8s.kind.cluster", "--format", `{{.Label "io.x-k8s.kind.cluster"}}`}, Stdout: "knative\nother\nknative\n"},
		{Args: []string{"ps", "-a", "--filter", "label=io.x-k8s.kind.cluster=knative", "--format", "{{.Names}}"}, Stdout: "knative-control-plane\n"},
		{Args: []string{"inspect", "--format", `{{ index .Config.Labels "io.x-k8s.kind.role"}}`, "knative-control-plane"}, Stdout: "control-plane\n"},
		{Args: []string{"exec", "--privileged", "knative-control-plane", "cat", "/etc/kubernetes/admin.conf"}, Stdout: adminConf},
		{Args: []string{"inspect", "--format", `{{ index .Config.Labels "desktop.docker.io/ports/6443/tcp" }}`, "knative-control-plane"}, Stdout: "\n"},
		{Args: []string{"inspect", "--format", "{{ with (index (index .NetworkSettings.Ports \"6443/tcp\") 0) }}{{ printf \"%s\t%s\" .HostIp .HostPort }}{{ end }}", "knative-control-plane"}, Stdout: "127.0.0.1\t" + apiPort + "\n"},
		{Args: []string{"rm", "-f", "-v", "knative-control-plane"}},
	}
}

// TestLibrary checks our wrapper of the kind library against the docker
// command lines the library runs.
func TestLibrary(t *testing.T) {
	fake := fakedocker.Install(t)
	api := newAPIServer(t)
	fake.On(kindLibraryRules(api.adminConf("knative"), "41939")...)
	var progress []string
	lib := newLibrary(log.Func(func(f string, a ...any) { progress = append(progress, f) }))

	names, err := lib.List()
	if err != nil || !slices.Equal(names, []string{"knative", "other"}) {
		t.Errorf("List: %v, %v", names, err)
	}
	for _, tt := range []struct {
		internal bool
		server   string
	}{
		{false, "https://127.0.0.1:41939"},
		{true, "https://knative-control-plane:6443"},
	} {
		kc, err := lib.KubeConfig("knative", tt.internal)
		if err != nil {
			t.Fatalf("KubeConfig(internal=%v): %v", tt.internal, err)
		}
		src, err := kubecfg.Load(kc, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		if got := src.Server("kind-knative"); got != tt.server {
			t.Errorf("KubeConfig(internal=%v) reaches %q, want %q", tt.internal, got, tt.server)
		}
	}
	nodes, err := lib.Nodes("knative")
	if err != nil || !slices.Equal(nodes, []string{"knative-control-plane"}) {
		t.Errorf("Nodes: %v, %v", nodes, err)
	}
	kubeconfig := filepath.Join(t.TempDir(), "kubeconfig")
	if err := lib.Delete("knative", kubeconfig); err != nil {
		t.Errorf("Delete: %v", err)
	}
	if !slices.Contains(fake.CommandLines(), "docker rm -f -v knative-control-plane") {
		t.Errorf("Delete did not remove the node: %q", fake.CommandLines())
	}
	if u := fake.Unmatched(); len(u) > 0 {
		t.Errorf("unexpected docker calls: %q", u)
	}
}

// TestConnectThroughKindLibrary reuses a cluster with everything real but
// docker: the kind library, the docker CLI wrapper, client-go against a
// fake API server on 127.0.0.1, and the image load, with each of Docker's
// image stores; a second run finds the image in the node and loads nothing.
func TestConnectThroughKindLibrary(t *testing.T) {
	for _, store := range []fakedocker.Store{fakedocker.Classic, fakedocker.Containerd} {
		t.Run(string(store), func(t *testing.T) {
			fake := fakedocker.Install(t)
			api := newAPIServer(t)
			apiPort := api.srv.URL[strings.LastIndex(api.srv.URL, ":")+1:]
			fake.On(
				fakedocker.Rule{Args: []string{"container", "inspect", "knative-control-plane"}, Stdout: readFixture(t, "kind-control-plane.json")},
				fakedocker.Rule{Args: []string{"exec", "--privileged", "knative-control-plane", "containerd", "config", "dump"}, Stdout: containerdConfigV3},
			)
			fake.On(kindLibraryRules(api.adminConf("knative"), apiPort)...)
			fake.WithDaemon(fakedocker.Daemon{Store: store, Images: []fakedocker.Image{myappDev}})
			ws := t.TempDir()
			var progress []string
			connect := func() *fakedocker.Call {
				t.Helper()
				target := New(Options{
					HostPort:         80,
					Image:            "myapp:dev",
					Workspace:        ws,
					ContainerMarkers: []string{filepath.Join(t.TempDir(), "absent")},
					Getenv:           func(string) string { return "" },
				}, log.Func(func(f string, a ...any) { progress = append(progress, fmt.Sprintf(f, a...)) }))
				c, err := target.Connect(t.Context())
				if err != nil {
					t.Fatalf("Connect: %v\ndocker calls:\n%s", err, strings.Join(fake.CommandLines(), "\n"))
				}
				if c.REST.Host != "https://127.0.0.1:"+apiPort || c.Version.GitVersion != "v1.35.1" || c.Created || strings.Join(c.LocalRegistries, ",") != "index.docker.io" {
					t.Errorf("got %+v", c)
				}
				for _, line := range progress {
					for _, s := range target.Secrets() {
						if strings.Contains(line, s) {
							t.Errorf("progress shows a secret: %q", line)
						}
					}
				}
				var imported *fakedocker.Call
				for _, call := range fake.Calls() {
					if slices.Contains(call.Args, "import") {
						imported = &call
					}
					if call.Args[0] == "network" || call.Args[0] == "run" || call.Args[0] == "rm" {
						t.Errorf("unexpected docker %s", strings.Join(call.Args, " "))
					}
				}
				return imported
			}
			if connect() == nil {
				t.Fatalf("the image was not imported into the node; docker calls:\n%s", strings.Join(fake.CommandLines(), "\n"))
			}
			if got := fake.NodeImages("knative-control-plane"); len(got) != 1 || got[0].Name != "docker.io/library/myapp:dev" {
				t.Errorf("the node has %+v", got)
			}
			before := len(fake.Calls())
			connect()
			for _, call := range fake.Calls()[before:] {
				if call.Args[0] == "save" || slices.Contains(call.Args, "import") {
					t.Errorf("the image was loaded again though the node has it: docker %s", strings.Join(call.Args, " "))
				}
			}
			if !slices.Contains(progress, "every node already has myapp:dev") {
				t.Errorf("progress does not say the node has the image: %q", progress)
			}
			if u := fake.Unmatched(); len(u) > 0 {
				t.Errorf("unexpected docker calls: %q", u)
			}
			written, err := os.ReadFile(filepath.Join(ws, ".knative-preview", "kubeconfig"))
			if err != nil {
				t.Fatal(err)
			}
			src, err := kubecfg.Load(string(written), nil, nil)
			if err != nil || src.Server("kind-knative") != "https://127.0.0.1:"+apiPort {
				t.Errorf("written kubeconfig: %v", err)
			}
		})
	}
}
