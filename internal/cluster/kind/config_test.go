package kind

import (
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/knative-preview/action/internal/cluster"
	"github.com/knative-preview/action/internal/input"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// golden compares got with testdata/<name>, or rewrites it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test with -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from what the code generates (run go test with -update if the change is intended)\n--- got:\n%s\n--- want:\n%s", path, got, want)
	}
}

func TestConfigGolden(t *testing.T) {
	ws := t.TempDir()
	if err := os.WriteFile(filepath.Join(ws, "kind.yaml"), []byte("kind: Cluster\napiVersion: kind.x-k8s.io/v1alpha4\nnetworking:\n  kubeProxyMode: nftables\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		opts Options
	}{
		{"default", Options{}},
		{"version-and-port", Options{ClusterName: "preview", KubernetesVersion: "1.33.1", HostPort: 8080}},
		{"node-image", Options{KubernetesVersion: "registry.example/kindest/node:v1.35.0@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"}},
		{"extra-config", Options{KindConfig: `
featureGates:
  InPlacePodVerticalScaling: true
nodes:
- role: control-plane
  extraPortMappings:
  - containerPort: 30443
    hostPort: 8443
- role: worker
- role: worker
  image: kindest/node:v1.34.3
kubeadmConfigPatches:
- |
  kind: KubeletConfiguration
  maxPods: 50
containerdConfigPatches:
- |-
  [plugins."io.containerd.grpc.v1.cri".registry]
    config_path = "/etc/containerd/certs.d"
`}},
		{"own-mapping-kept", Options{HostPort: 8081, KindConfig: "nodes:\n- role: control-plane\n  extraPortMappings:\n  - containerPort: 31080\n    hostPort: 8081\n    listenAddress: 0.0.0.0\n"}},
		{"config-file", Options{Workspace: ws, KindConfig: "kind.yaml"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if errs := validate(tt.opts); len(errs) > 0 {
				t.Fatalf("valid options rejected: %v", errs)
			}
			cfg, errs := buildConfig(withDefaults(tt.opts))
			if len(errs) > 0 {
				t.Fatal(errs)
			}
			got, err := renderConfig(cfg)
			if err != nil {
				t.Fatal(err)
			}
			golden(t, filepath.Join("config", tt.name+".yaml"), got)
			// What we render must be what kind reads back.
			if _, err := parseKindConfig([]byte(got)); err != nil {
				t.Errorf("kind would not read the rendered config: %v", err)
			}
		})
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name string
		opts Options
		want []string // one entry per expected problem
	}{
		{"defaults are valid", Options{}, nil},
		{"all valid", Options{ClusterName: "pr-42.preview", KubernetesVersion: "v1.34.3", Reuse: "recreate", HostPort: 65535, LoadImages: []string{"myapp:dev", "ghcr.io/org/app@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"}}, nil},
		{"bad cluster name", Options{ClusterName: "My_Cluster"}, []string{`input "cluster-name": "My_Cluster" is not a kind cluster name (accepted: up to 50 lower-case letters`}},
		{"cluster name too long", Options{ClusterName: strings.Repeat("a", 51)}, []string{`input "cluster-name": "aaaa`}},
		{"bad reuse", Options{Reuse: "yes"}, []string{`input "reuse-cluster": "yes" is not a reuse policy (accepted: true: use the cluster if it exists, else create it; false: fail if it exists; recreate: delete it and create it again)`}},
		{"reuse is read exactly, as for gke", Options{Reuse: "Recreate"}, []string{`input "reuse-cluster": "Recreate" is not a reuse policy`}},
		{"host port too high", Options{HostPort: 70000}, []string{`input "host-port": "70000" is not a TCP port (accepted: 1 to 65535)`}},
		{"host port negative", Options{HostPort: -1}, []string{`input "host-port": "-1" is not a TCP port`}},
		{"version without patch", Options{KubernetesVersion: "1.34"}, []string{`input "kubernetes-version": "1.34" is not a version of the form 1.X.Y (accepted: a version 1.X.Y, or a node image such as kindest/node:v1.34.3)`}},
		{"version 2", Options{KubernetesVersion: "2.0.0"}, []string{`input "kubernetes-version": "2.0.0" is not a Kubernetes 1.X.Y version`}},
		{"bare word", Options{KubernetesVersion: "latest"}, []string{`input "kubernetes-version": "latest" is neither a version nor a node image`}},
		{"bad image", Options{KubernetesVersion: "Kindest/Node:v1"}, []string{`input "kubernetes-version": "Kindest/Node:v1" is not an image reference: a repository path must be lower case`}},
		{"bad load image", Options{LoadImages: []string{"ok:1", "UPPER:case"}}, []string{`input "load-images": "UPPER:case" is not an image reference`}},
		{"kind config not YAML of a cluster", Options{KindConfig: "nodes: 3\n"}, []string{`input "kind-config": is not a kind v1alpha4 Cluster: yaml: unmarshal errors:`}},
		{"kind config with a typo", Options{KindConfig: "nodes:\n- role: worker\n  extraPortMapping: []\n"}, []string{`input "kind-config": is not a kind v1alpha4 Cluster: yaml: unmarshal errors: line 3: field extraPortMapping not found in type v1alpha4.Node`}},
		{"kind config of another kind", Options{KindConfig: "kind: Config\napiVersion: v1\n"}, []string{`input "kind-config": has kind "Config", want "Cluster"`}},
		{"kind config of another version", Options{KindConfig: "kind: Cluster\napiVersion: kind.x-k8s.io/v1alpha3\n"}, []string{`has apiVersion "kind.x-k8s.io/v1alpha3", want "kind.x-k8s.io/v1alpha4"`}},
		{"kind config without control plane", Options{KindConfig: "nodes:\n- role: worker\n"}, []string{`input "kind-config": has no control-plane node: add one with role: control-plane`}},
		{"kind config with a bad role", Options{KindConfig: "nodes:\n- role: control-plane\n- role: master\n"}, []string{`node 2 has role "master" (accepted: control-plane, worker)`}},
		{"kind config naming another cluster", Options{KindConfig: "name: other\n"}, []string{`input "kind-config": names the cluster "other" but cluster-name is "knative"`}},
		{"kind config mapping the ingress elsewhere", Options{KindConfig: "nodes:\n- role: control-plane\n  extraPortMappings:\n  - containerPort: 31080\n    hostPort: 9090\n"}, []string{`maps container port 31080 to host port 9090, but host-port is 80: drop that mapping, or set host-port: 9090`}},
		{"kind config taking the host port", Options{KindConfig: "nodes:\n- role: control-plane\n- role: worker\n  extraPortMappings:\n  - containerPort: 30000\n    hostPort: 80\n"}, []string{`maps host port 80 to container port 30000, but host-port 80 is for the ingress`}},
		{"kind config file missing", Options{Workspace: "/nonexistent", KindConfig: "kind.yaml"}, []string{`input "kind-config": "kind.yaml" is not a file in the workspace (/nonexistent/kind.yaml does not exist), nor kind config YAML`}},
		{"two documents", Options{KindConfig: "nodes: []\n---\nnodes: []\n"}, []string{`holds more than one YAML document`}},
		{"several problems at once", Options{Reuse: "maybe", HostPort: 99999, KubernetesVersion: "x"}, []string{`"kubernetes-version"`, `"reuse-cluster"`, `"host-port"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			errs := validate(tt.opts)
			if len(errs) != len(tt.want) {
				t.Fatalf("got %d problems %v, want %d", len(errs), errs, len(tt.want))
			}
			for i, w := range tt.want {
				if _, ok := errs[i].(*input.Error); !ok {
					t.Errorf("problem %d is a %T, want *input.Error", i, errs[i])
				}
				if !strings.Contains(errs[i].Error(), w) {
					t.Errorf("problem %d:\n got %s\nwant it to contain %s", i, errs[i], w)
				}
				if strings.Contains(errs[i].Error(), "\n") {
					t.Errorf("problem %d spans lines: %q", i, errs[i])
				}
			}
		})
	}
}

func TestNodeImage(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", defaultNodeImage},
		{"1.34.3", "kindest/node:v1.34.3"},
		{"v1.33.0", "kindest/node:v1.33.0"},
		{"kindest/node:v1.32.8", "kindest/node:v1.32.8"},
		{"localhost:5000/node:dev", "localhost:5000/node:dev"},
	}
	for _, tt := range tests {
		got, err := nodeImage(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("nodeImage(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

// extraMounts hostPaths are the runner's paths, for its Docker: relative
// ones are in the workspace, as the runner's host has it.
func TestExtraMountsAreHostPaths(t *testing.T) {
	kindConfig := "nodes:\n- role: control-plane\n  extraMounts:\n  - {hostPath: ./testdata, containerPath: /data}\n  - {hostPath: /github/workspace/cache, containerPath: /cache}\n  - {hostPath: /var/lib/shared, containerPath: /shared}\n"
	tests := []struct {
		name string
		o    Options
		want []string
	}{
		{"container action", Options{Workspace: "/github/workspace", HostWorkspace: "/home/runner/work/app/app"},
			[]string{"/home/runner/work/app/app/testdata", "/home/runner/work/app/app/cache", "/var/lib/shared"}},
		{"on the host", Options{Workspace: "/home/me/app"},
			[]string{"/home/me/app/testdata", "/github/workspace/cache", "/var/lib/shared"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.o.KindConfig = kindConfig
			cfg, errs := buildConfig(withDefaults(tt.o))
			if len(errs) > 0 {
				t.Fatal(errs)
			}
			var got []string
			for _, m := range cfg.Nodes[0].ExtraMounts {
				got = append(got, m.HostPath)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("hostPaths %q, want %q", got, tt.want)
			}
		})
	}
}

// From a container, the host ports kind would choose by probing this
// container's network are left to Docker; ports the config names stay.
func TestHostPortsPickedByDocker(t *testing.T) {
	cfg, errs := buildConfig(withDefaults(Options{KindConfig: "networking: {apiServerPort: 0}\nnodes:\n- role: control-plane\n  extraPortMappings:\n  - {containerPort: 30000}\n  - {containerPort: 30001, hostPort: 9001}\n"}))
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	c := hostPortsPickedByDocker(cfg)
	var ports []int32
	for _, m := range c.Nodes[0].ExtraPortMappings {
		ports = append(ports, m.HostPort)
	}
	if c.Networking.APIServerPort != -1 || !slices.Equal(ports, []int32{DefaultHostPort, -1, 9001}) {
		t.Errorf("apiServerPort %d, host ports %v", c.Networking.APIServerPort, ports)
	}
	if cfg.Networking.APIServerPort != 0 || cfg.Nodes[0].ExtraPortMappings[1].HostPort != 0 {
		t.Error("the config the plan shows was changed")
	}
	mine, _ := buildConfig(withDefaults(Options{KindConfig: "networking: {apiServerPort: 6443}"}))
	if got := hostPortsPickedByDocker(mine).Networking.APIServerPort; got != 6443 {
		t.Errorf("the kind-config's apiServerPort became %d", got)
	}
}

func TestParse(t *testing.T) {
	defs := slices.Concat(cluster.Inputs, Inputs, []input.Def{input.HostWorkspace})
	env := func(k string) string {
		return map[string]string{"GITHUB_WORKSPACE": "/ws", "GITHUB_ACTIONS": "true"}[k]
	}
	tests := []struct {
		name string
		raw  input.Values
		want Options // Getenv is not compared
		errs []string
	}{
		{"defaults", nil, Options{ClusterName: cluster.DefaultName, Reuse: cluster.DefaultReuse, HostPort: DefaultHostPort, Workspace: "/ws"}, nil},
		{"every input", input.Values{"cluster-name": "pr-1", "reuse-cluster": "false", "kubernetes-version": "1.34.3", "host-port": " 8080 ", "load-images": "app:1, box:2\ncat:3\n\n", "kind-config": "nodes: [{role: control-plane}]"},
			Options{ClusterName: "pr-1", Reuse: "false", KubernetesVersion: "1.34.3", HostPort: 8080, LoadImages: []string{"app:1", "box:2", "cat:3"}, KindConfig: "nodes: [{role: control-plane}]", Workspace: "/ws"}, nil},
		{"in a container action", input.Values{"host-workspace": `"/home/runner/work/app/app"`}, Options{ClusterName: cluster.DefaultName, Reuse: cluster.DefaultReuse, HostPort: DefaultHostPort, Workspace: "/ws", HostWorkspace: "/home/runner/work/app/app"}, nil},
		{"host port not a number", input.Values{"host-port": "eighty"}, Options{}, []string{`input "host-port": "eighty" is not a TCP port (accepted: 1 to 65535)`}},
		{"problems of Validate", input.Values{"cluster-name": "Bad_Name"}, Options{}, []string{`input "cluster-name": "Bad_Name" is not a kind cluster name`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := input.NewReader(defs, tt.raw, input.ActionStyle, env)
			got := Parse(r, "")
			errs := input.List(r.Err())
			if len(errs) != len(tt.errs) {
				t.Fatalf("problems %v, want %d", errs, len(tt.errs))
			}
			for i, w := range tt.errs {
				if errs[i].Error() != w && !strings.HasPrefix(errs[i].Error(), w) {
					t.Errorf("problem %q, want %q", errs[i], w)
				}
			}
			if tt.errs != nil {
				return
			}
			got.Getenv = nil
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}
