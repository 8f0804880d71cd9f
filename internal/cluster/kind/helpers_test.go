package kind

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"sigs.k8s.io/kind/pkg/apis/config/v1alpha4"

	"github.com/knative-preview/action/internal/cluster/internal/fakedocker"
	"github.com/knative-preview/action/internal/cluster/kind/docker"
)

func TestMain(m *testing.M) {
	fakedocker.Main()
	os.Exit(m.Run())
}

func readFixture(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "docker", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// containerFixture decodes a `docker container inspect` fixture.
func containerFixture(t *testing.T, name string) *docker.Container {
	t.Helper()
	var list []docker.Container
	if err := json.Unmarshal([]byte(readFixture(t, name)), &list); err != nil || len(list) != 1 {
		t.Fatalf("fixture %s: %v", name, err)
	}
	return &list[0]
}

func infoFixture(t *testing.T) *docker.Info {
	t.Helper()
	var info docker.Info
	if err := json.Unmarshal([]byte(readFixture(t, "info.json")), &info); err != nil {
		t.Fatal(err)
	}
	return &info
}

// apiServer is a fake API server on 127.0.0.1 that answers /version and
// lists nodes, with a kind-style kubeconfig for it.
type apiServer struct {
	srv        *httptest.Server
	notReady   bool
	clientKey  string // base64 of the client key's PEM, as in the kubeconfig
	caData     string
	clientCert string
}

func newAPIServer(t *testing.T) *apiServer {
	t.Helper()
	a := &apiServer{}
	a.srv = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/version":
			_, _ = w.Write([]byte(`{"major":"1","minor":"35","gitVersion":"v1.35.1"}`))
		case "/api/v1/nodes":
			status := "True"
			if a.notReady {
				status = "False"
			}
			fmt.Fprintf(w, `{"kind":"NodeList","apiVersion":"v1","metadata":{},"items":[{"metadata":{"name":"knative-control-plane"},"status":{"conditions":[{"type":"Ready","status":%q,"message":"container runtime network not ready"}]}}]}`, status)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(a.srv.Close)
	a.caData = base64.StdEncoding.EncodeToString(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: a.srv.Certificate().Raw}))
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "kubernetes-admin", Organization: []string{"kubeadm:cluster-admins"}},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	a.clientCert = base64.StdEncoding.EncodeToString(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
	a.clientKey = base64.StdEncoding.EncodeToString(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}))
	return a
}

// kubeconfig is a kubeconfig as kind writes it, with server.
func (a *apiServer) kubeconfig(clusterName, server string) string {
	key := "kind-" + clusterName
	return fmt.Sprintf(`apiVersion: v1
clusters:
- cluster:
    certificate-authority-data: %s
    server: %s
  name: %s
contexts:
- context:
    cluster: %s
    user: %s
  name: %s
current-context: %s
kind: Config
preferences: {}
users:
- name: %s
  user:
    client-certificate-data: %s
    client-key-data: %s
`, a.caData, server, key, key, key, key, key, key, a.clientCert, a.clientKey)
}

// adminConf is /etc/kubernetes/admin.conf as kubeadm writes it on a kind
// node.
func (a *apiServer) adminConf(clusterName string) string {
	return fmt.Sprintf(`apiVersion: v1
clusters:
- cluster:
    certificate-authority-data: %s
    server: https://%s-control-plane:6443
  name: %s
contexts:
- context:
    cluster: %s
    user: kubernetes-admin
  name: kubernetes-admin@%s
current-context: kubernetes-admin@%s
kind: Config
preferences: {}
users:
- name: kubernetes-admin
  user:
    client-certificate-data: %s
    client-key-data: %s
`, a.caData, clusterName, clusterName, clusterName, clusterName, clusterName, a.clientCert, a.clientKey)
}

// fakeClusters stands in for the kind library.
type fakeClusters struct {
	existing           []string
	external, internal string
	nodes              []string
	createErr          error
	created            *v1alpha4.Cluster
	calls              []string
}

func (f *fakeClusters) List() ([]string, error) {
	f.calls = append(f.calls, "list")
	return f.existing, nil
}

func (f *fakeClusters) Create(cfg *v1alpha4.Cluster, wait time.Duration, kubeconfigPath string) error {
	f.calls = append(f.calls, "create "+cfg.Name)
	f.created = cfg
	if f.createErr != nil {
		return f.createErr
	}
	f.existing = append(f.existing, cfg.Name)
	return nil
}

func (f *fakeClusters) Delete(name, kubeconfigPath string) error {
	f.calls = append(f.calls, "delete "+name)
	var kept []string
	for _, n := range f.existing {
		if n != name {
			kept = append(kept, n)
		}
	}
	f.existing = kept
	return nil
}

func (f *fakeClusters) KubeConfig(name string, internal bool) (string, error) {
	f.calls = append(f.calls, fmt.Sprintf("kubeconfig %s internal=%v", name, internal))
	if internal {
		return f.internal, nil
	}
	return f.external, nil
}

func (f *fakeClusters) Nodes(name string) ([]string, error) {
	f.calls = append(f.calls, "nodes "+name)
	return f.nodes, nil
}

// fakeDocker stands in for the docker CLI.
type fakeDocker struct {
	mu               sync.Mutex
	info             *docker.Info
	infoErr          error
	containers       map[string]*docker.Container // by name, short id and id
	publishers       map[int][]string
	images           map[string]string            // ref -> id
	nodeImages       map[string]map[string]string // node -> ref -> id
	containerdConfig string
	calls            []string
}

func (f *fakeDocker) record(format string, args ...any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, fmt.Sprintf(format, args...))
}

func (f *fakeDocker) Info(ctx context.Context) (*docker.Info, error) {
	f.record("info")
	return f.info, f.infoErr
}

func (f *fakeDocker) InspectContainer(ctx context.Context, name string) (*docker.Container, error) {
	f.record("inspect %s", name)
	if c, ok := f.containers[name]; ok {
		return c, nil
	}
	return nil, fmt.Errorf("%w: no such container %s", docker.ErrNotFound, name)
}

func (f *fakeDocker) ConnectNetwork(ctx context.Context, network, container string) error {
	f.record("network connect %s %s", network, container)
	return nil
}

func (f *fakeDocker) Publishers(ctx context.Context, hostPort int) ([]string, error) {
	f.record("publishers %d", hostPort)
	return f.publishers[hostPort], nil
}

func (f *fakeDocker) ImageID(ctx context.Context, ref, platform string) (string, error) {
	f.record("image id %s%s", ref, platformSuffix(platform))
	if id, ok := f.images[ref]; ok {
		return id, nil
	}
	return "", fmt.Errorf("%w: no such image %s", docker.ErrNotFound, ref)
}

func (f *fakeDocker) Save(ctx context.Context, path, platform string, refs ...string) error {
	f.record("save %s%s", strings.Join(refs, " "), platformSuffix(platform))
	return os.WriteFile(path, []byte("archive of "+strings.Join(refs, " ")), 0o600)
}

func (f *fakeDocker) Exec(ctx context.Context, container string, stdin io.Reader, args ...string) ([]byte, error) {
	line := fmt.Sprintf("exec %s %s", container, strings.Join(args, " "))
	if stdin != nil {
		b, err := io.ReadAll(stdin)
		if err != nil {
			return nil, err
		}
		line += " < " + string(b)
	}
	f.record("%s", line)
	switch args[0] {
	case "crictl":
		id, ok := f.nodeImages[container][args[len(args)-1]]
		if !ok {
			return nil, errors.New("no such image")
		}
		return fmt.Appendf(nil, `{"status":{"id":%q,"repoTags":[]}}`, id), nil
	case "containerd":
		return []byte(f.containerdConfig), nil
	case "ctr":
		return []byte("unpacking done\n"), nil
	}
	return nil, fmt.Errorf("unexpected exec %v", args)
}

// platformSuffix is how a call's record shows the platform asked for.
func platformSuffix(platform string) string {
	if platform == "" {
		return ""
	}
	return " --platform " + platform
}

func (f *fakeDocker) Calls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.calls...)
}

// containerdConfigV3 is the part of `containerd config dump` on a kind
// v0.33 node that names the snapshotter.
const containerdConfigV3 = `version = 3
root = "/var/lib/containerd"
state = "/run/containerd"

[plugins]
  [plugins."io.containerd.cri.v1.images"]
    snapshotter = "overlayfs"
    disable_snapshot_annotations = true
    discard_unpacked_layers = true
  [plugins."io.containerd.cri.v1.runtime"]
    enable_selinux = false
`
