package kind

import (
	"strings"
	"testing"
	"unicode"

	"sigs.k8s.io/kind/pkg/apis/config/v1alpha4"
)

// kind-config content and kubernetes-version through validate: every
// problem is one clean line; an accepted configuration has its name, a
// role and an image on every node, the ingress port mapped once on the
// first control-plane node, the kubelet patch first, and its rendering
// parses back to the same rendering.
func FuzzKindConfig(f *testing.F) {
	for _, s := range []string{
		"",
		"featureGates:\n  InPlacePodVerticalScaling: true\nnodes:\n- role: control-plane\n  extraPortMappings:\n  - containerPort: 30443\n    hostPort: 8443\n- role: worker",
		"nodes:\n- role: worker",
		"nodes:\n- role: boss",
		"name: other",
		"kind: Pod",
		"apiVersion: kind.x-k8s.io/v1alpha3",
		"nodez: []",
		"a: 1\n---\nb: 2",
		"nodes:\n- role: control-plane\n  extraPortMappings:\n  - containerPort: 31080\n    hostPort: 8080",
		"nodes:\n- role: control-plane\n  extraPortMappings:\n  - containerPort: 1234\n    hostPort: 80",
		"nodes:\n- image: \"a\\tb\"",
		"networking: {kubeProxyMode: \"x\\ty\"}",
	} {
		f.Add(s, "")
		f.Add(s, "1.33.1")
	}
	f.Add("", "kindest/node:v1.35.0")
	f.Add("", "2.0.1")
	f.Add("", "latest")
	f.Add("", "Bad/Image")
	f.Fuzz(func(t *testing.T, text, version string) {
		if strings.Contains(version, "\n") {
			return // a one-line input: the reader refuses it first
		}
		// A comment line first, so that the value is read as content,
		// never as a path.
		o := withDefaults(Options{KindConfig: "# kind-config\n" + text, KubernetesVersion: version, Workspace: t.TempDir()})
		errs := validate(o)
		for _, e := range errs {
			if i := strings.IndexFunc(e.Error(), unicode.IsControl); i >= 0 {
				t.Fatalf("problem %q has a control character at byte %d", e.Error(), i)
			}
		}
		cfg, problems := buildConfig(o)
		if len(problems) > 0 {
			return
		}
		if cfg.Name != o.ClusterName || len(cfg.KubeadmConfigPatches) == 0 || cfg.KubeadmConfigPatches[0] != parallelPulls {
			t.Fatalf("%q: name %q, patches %q", text, cfg.Name, cfg.KubeadmConfigPatches)
		}
		first := -1
		for i, n := range cfg.Nodes {
			if n.Role != v1alpha4.ControlPlaneRole && n.Role != v1alpha4.WorkerRole || n.Image == "" {
				t.Fatalf("%q: node %d has role %q and image %q", text, i+1, n.Role, n.Image)
			}
			if n.Role == v1alpha4.ControlPlaneRole && first < 0 {
				first = i
			}
		}
		if first < 0 {
			t.Fatalf("%q: accepted without a control-plane node", text)
		}
		mapped := 0
		for _, m := range cfg.Nodes[first].ExtraPortMappings {
			if m.ContainerPort == ingressNodePort {
				mapped++
				if int(m.HostPort) != o.HostPort {
					t.Fatalf("%q: the ingress port is mapped to host port %d, not %d", text, m.HostPort, o.HostPort)
				}
			}
		}
		if mapped != 1 {
			t.Fatalf("%q: the ingress port is mapped %d times", text, mapped)
		}
		rendered, err := renderConfig(cfg)
		if err != nil {
			t.Fatal(err)
		}
		back, err := parseKindConfig([]byte(rendered))
		if err != nil {
			t.Fatalf("%q: rendered as %q, does not parse: %v", text, rendered, err)
		}
		again, err := renderConfig(back)
		if err != nil || again != rendered {
			t.Fatalf("%q: rendered as %q, parsed and rendered again as %q, %v", text, rendered, again, err)
		}
	})
}
