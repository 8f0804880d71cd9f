package kind

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	yaml "go.yaml.in/yaml/v3"
	"sigs.k8s.io/kind/pkg/apis/config/v1alpha4"

	"github.com/knative-preview/action/internal/input"
)

// ingressNodePort is the NodePort the install stage gives the ingress
// gateway; the control-plane node maps it to the host port.
const ingressNodePort = 31080

// parallelPulls is a kubeadm patch of the kubelet's configuration that
// lets it pull images in parallel: by default it pulls one at a time, so
// the images of Knative and of its ingress, all needed at once on a new
// cluster, queue behind each other. kind applies it to the
// KubeletConfiguration of every node (a patch without apiVersion matches
// any version).
const parallelPulls = "kind: KubeletConfiguration\nserializeImagePulls: false\n"

const (
	configKind       = "Cluster"
	configAPIVersion = "kind.x-k8s.io/v1alpha4"
)

// buildConfig returns the kind configuration for o (with defaults): the
// kind-config input, if any, with the cluster's name, a control-plane node
// when it has none, the node image on every node that names none, the
// ingress port mapping on the first control-plane node, and the kubelet
// patch for parallel image pulls.
func buildConfig(o Options) (*v1alpha4.Cluster, []error) {
	b := &configBuilder{o: o}
	cfg := b.userConfig()
	if cfg == nil {
		return nil, b.errs
	}
	cfg.Kind, cfg.APIVersion, cfg.Name = configKind, configAPIVersion, o.ClusterName
	if len(cfg.Nodes) == 0 {
		cfg.Nodes = []v1alpha4.Node{{Role: v1alpha4.ControlPlaneRole}}
	}
	first := b.nodes(cfg)
	if first < 0 {
		b.bad("has no control-plane node: add one with role: control-plane")
		return nil, b.errs
	}
	b.ingressMapping(&cfg.Nodes[first])
	// First, so that the kind-config input's own patches win.
	cfg.KubeadmConfigPatches = append([]string{parallelPulls}, cfg.KubeadmConfigPatches...)
	if len(b.errs) > 0 {
		return nil, b.errs
	}
	return cfg, nil
}

// configBuilder is one buildConfig under way: the problems it found.
type configBuilder struct {
	o    Options
	errs []error
	// origin is the kind-config file, when it names one.
	origin string
}

func (b *configBuilder) bad(problem string) {
	b.errs = append(b.errs, &input.Error{Input: "kind-config", Value: b.origin, Problem: problem})
}

// userConfig is the kind-config input read, or an empty Cluster without
// one; nil when it cannot be read.
func (b *configBuilder) userConfig() *v1alpha4.Cluster {
	o := b.o
	if strings.TrimSpace(o.KindConfig) == "" {
		return &v1alpha4.Cluster{}
	}
	raw, origin, err := readKindConfig(o.KindConfig, o.Workspace)
	b.origin = origin
	if err != nil {
		b.bad(err.Error())
		return nil
	}
	cfg, err := parseKindConfig(raw)
	if err != nil {
		if origin != "" {
			// A file's words are not quoted: it may be any file.
			err = fmt.Errorf("is not a kind v1alpha4 Cluster%s", yamlLine(err))
		}
		b.bad(err.Error())
		return nil
	}
	if cfg.Name != "" && cfg.Name != o.ClusterName {
		b.bad(fmt.Sprintf("names the cluster %q but cluster-name is %q: remove name from the kind config; cluster-name names the cluster", cfg.Name, o.ClusterName))
	}
	return cfg
}

// nodes checks every node's role and port mappings, gives it the node
// image when it names none and maps its extraMounts to the runner, and
// returns the index of the first control-plane node (-1: none).
func (b *configBuilder) nodes(cfg *v1alpha4.Cluster) int {
	o := b.o
	image, err := nodeImage(o.KubernetesVersion)
	if err != nil {
		image = defaultNodeImage // reported by Validate as a kubernetes-version problem
	}
	first := -1
	for i := range cfg.Nodes {
		n := &cfg.Nodes[i]
		switch n.Role {
		case "":
			n.Role = v1alpha4.ControlPlaneRole // kind's default
		case v1alpha4.ControlPlaneRole, v1alpha4.WorkerRole:
		default:
			b.bad(fmt.Sprintf("node %d has role %q (accepted: control-plane, worker)", i+1, n.Role))
		}
		if n.Role == v1alpha4.ControlPlaneRole && first < 0 {
			first = i
		}
		if n.Image == "" {
			n.Image = image
		}
		for j := range n.ExtraMounts {
			n.ExtraMounts[j].HostPath = hostMountPath(n.ExtraMounts[j].HostPath, o)
		}
		for _, m := range n.ExtraPortMappings {
			if int(m.HostPort) == o.HostPort && m.ContainerPort != ingressNodePort {
				b.bad(fmt.Sprintf("maps host port %d to container port %d, but host-port %d is for the ingress (container port %d): choose another host-port, or drop that mapping", m.HostPort, m.ContainerPort, o.HostPort, ingressNodePort))
			}
		}
	}
	return first
}

// ingressMapping maps the ingress NodePort to host-port on cp, unless
// the kind config does already.
func (b *configBuilder) ingressMapping(cp *v1alpha4.Node) {
	o := b.o
	mapped := false
	for _, m := range cp.ExtraPortMappings {
		if m.ContainerPort != ingressNodePort {
			continue
		}
		if int(m.HostPort) != o.HostPort {
			b.bad(fmt.Sprintf("maps container port %d to host port %d, but host-port is %d: drop that mapping, or set host-port: %d", ingressNodePort, m.HostPort, o.HostPort, m.HostPort))
		}
		mapped = true
	}
	if !mapped {
		ours := v1alpha4.PortMapping{
			ContainerPort: ingressNodePort,
			HostPort:      int32(o.HostPort),
			ListenAddress: "127.0.0.1",
			Protocol:      v1alpha4.PortMappingProtocolTCP,
		}
		cp.ExtraPortMappings = append([]v1alpha4.PortMapping{ours}, cp.ExtraPortMappings...)
	}
}

// hostMountPath is where the runner's Docker finds an extraMounts
// hostPath of the kind config. A relative path is relative to the
// workspace, as kind-config's own path is: kind would make it absolute in
// this process's working directory, which in a container action is the
// container's workspace, a path the runner's Docker does not have. A path
// in the workspace as this process sees it becomes the host's path of it;
// other absolute paths are the host's already.
func hostMountPath(p string, o Options) string {
	if p == "" {
		return p
	}
	ws := o.Workspace
	if abs, err := filepath.Abs(ws); err == nil {
		ws = abs
	}
	host := o.HostWorkspace
	if host == "" {
		host = ws
	}
	if !filepath.IsAbs(p) {
		return filepath.Join(host, p)
	}
	if o.HostWorkspace != "" && input.Within(p, ws) {
		if rel, err := filepath.Rel(ws, filepath.Clean(p)); err == nil {
			return filepath.Join(host, rel)
		}
	}
	return p
}

// readKindConfig returns the kind-config input's YAML: the value itself, or
// the file it names. origin names it for messages ("" for content).
func readKindConfig(v, workspace string) (raw []byte, origin string, err error) {
	v = strings.TrimSpace(v)
	if isKindConfigContent(v) {
		return []byte(v), "", nil
	}
	path := v
	if !filepath.IsAbs(path) {
		path = filepath.Join(workspace, path)
	}
	raw, err = os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, v, fmt.Errorf("is not a file in the workspace (%s does not exist), nor kind config YAML", path)
	}
	if err != nil {
		return nil, v, fmt.Errorf("cannot be read: %v", err)
	}
	return raw, v, nil
}

// isKindConfigContent tells a kind-config value that is YAML from one that
// names a file.
func isKindConfigContent(v string) bool {
	return strings.Contains(v, "\n") || strings.Contains(v, ": ") || strings.HasPrefix(v, "{")
}

// parseKindConfig decodes a v1alpha4 Cluster strictly, as kind does, so a
// misspelt field is an error rather than ignored. kind and apiVersion may be
// left out.
func parseKindConfig(raw []byte) (*v1alpha4.Cluster, error) {
	cfg := &v1alpha4.Cluster{}
	d := yaml.NewDecoder(bytes.NewReader(raw))
	d.KnownFields(true)
	if err := d.Decode(cfg); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("is not a kind v1alpha4 Cluster: %s", oneLine(err.Error()))
	}
	var extra any
	if err := d.Decode(&extra); !errors.Is(err, io.EOF) {
		return nil, errors.New("holds more than one YAML document: give one kind Cluster")
	}
	if cfg.Kind != "" && cfg.Kind != configKind {
		return nil, fmt.Errorf("has kind %q, want %q", cfg.Kind, configKind)
	}
	if cfg.APIVersion != "" && cfg.APIVersion != configAPIVersion {
		return nil, fmt.Errorf("has apiVersion %q, want %q (the version the pinned kind library reads)", cfg.APIVersion, configAPIVersion)
	}
	return cfg, nil
}

// renderConfig is the kind config as YAML, as the plan shows it.
func renderConfig(cfg *v1alpha4.Cluster) (string, error) {
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(cfg); err != nil {
		return "", fmt.Errorf("rendering the kind config: %w", err)
	}
	if err := enc.Close(); err != nil {
		return "", fmt.Errorf("rendering the kind config: %w", err)
	}
	return b.String(), nil
}

// yamlLine is " (line N)" when a YAML error names the line, else empty.
func yamlLine(err error) string {
	if m := regexp.MustCompile(`line (\d+)`).FindStringSubmatch(err.Error()); m != nil {
		return " (line " + m[1] + "; the parser's words are not shown, as they quote the file)"
	}
	return " (the parser's words are not shown, as they quote the file)"
}

func oneLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	for i := range lines {
		lines[i] = strings.TrimSpace(lines[i])
	}
	return strings.Join(lines, " ")
}
