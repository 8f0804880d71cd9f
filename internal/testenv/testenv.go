// Package testenv starts a real etcd and kube-apiserver for integration
// tests, on free loopback ports with a temporary directory, and refuses to
// do so outside a private network namespace that has only loopback.
package testenv

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
)

// Facts about the test bed, shared with hack/netns.sh and the Makefile.
const (
	// KubeVersion is the version the API server binary is built as.
	KubeVersion = "v1.34.3"
	// serviceRange is the API server's service ClusterIP range; the network
	// namespace puts all of it on loopback.
	serviceRange = "10.96.0.0/24"
	// advertiseAddress is the API server's advertised address, on loopback
	// in the namespace (the API server refuses a 127.x address).
	advertiseAddress = "10.200.0.1"
	// binDirEnv overrides where the binaries are looked for.
	binDirEnv = "KNATIVE_PREVIEW_TESTBIN"
	// provideCommand is the command that builds the binaries.
	provideCommand = "make testbin"
	// netnsCommand runs the tests in a private network namespace.
	netnsCommand = "make test"
)

// Env is a running API server.
type Env struct {
	// Config reaches the API server as a cluster admin (client certificate).
	Config *rest.Config
	// Token is a bearer token of a cluster admin, accepted by the server.
	Token string
	env   *envtest.Environment
	dir   string
	stop  sync.Once
	err   error
	// shared is set on the API server every test of the binary uses: it
	// is never stopped before the end.
	shared bool
	// apiserver serialises StopAPIServer and StartAPIServer.
	apiserver sync.Mutex
}

// Kubeconfig returns a kubeconfig with one context, named context, that
// reaches the API server with the admin token.
func (e *Env) Kubeconfig(context string) []byte {
	return kubeconfig(e.Config.Host, e.Config.CAData, e.Token, context)
}

// kubeconfig is a kubeconfig with one context that reaches server, whose
// certificate ca signs, with token.
func kubeconfig(server string, ca []byte, token, context string) []byte {
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["test"] = &clientcmdapi.Cluster{Server: server, CertificateAuthorityData: ca}
	cfg.AuthInfos["admin"] = &clientcmdapi.AuthInfo{Token: token}
	cfg.Contexts[context] = &clientcmdapi.Context{Cluster: "test", AuthInfo: "admin"}
	cfg.CurrentContext = context
	b, err := clientcmd.Write(*cfg)
	if err != nil {
		panic(err) // only a programming error can make a fixed config unserialisable
	}
	return b
}

// Stop stops the API server and etcd and removes their files. It may be
// called before the test's cleanup does: the second call does nothing.
func (e *Env) Stop() error {
	e.stop.Do(func() {
		e.err = e.env.Stop()
		if rmErr := os.RemoveAll(e.dir); e.err == nil {
			e.err = rmErr
		}
	})
	return e.err
}

// StopAPIServer stops the API server as a control plane upgrade does,
// and keeps etcd running: clients then find the port closed. The shared
// API server is never stopped: the test gets an error.
func (e *Env) StopAPIServer() error {
	if e.shared {
		return errors.New("the shared test API server is not to be stopped: start one of the test's own with testenv.Start")
	}
	e.apiserver.Lock()
	defer e.apiserver.Unlock()
	return e.env.ControlPlane.GetAPIServer().Stop()
}

// StartAPIServer starts the API server StopAPIServer stopped, on the same
// address, with the same certificates, tokens and etcd, and returns once
// it is healthy.
func (e *Env) StartAPIServer() error {
	e.apiserver.Lock()
	defer e.apiserver.Unlock()
	return e.env.ControlPlane.GetAPIServer().Start()
}

// Outage stops the API server for d, then starts it again, while the test
// goes on: what the test runs meanwhile finds it gone, then back. It
// returns a channel that is closed once the server is back (or the test
// failed trying), and makes the test wait for it before it ends. It may be
// called from any goroutine of the test.
func (e *Env) Outage(t testing.TB, d time.Duration) <-chan struct{} {
	t.Helper()
	done := make(chan struct{})
	if err := e.StopAPIServer(); err != nil {
		t.Errorf("stopping the test API server: %v", err)
		close(done)
		return done
	}
	stopped := time.Now()
	t.Cleanup(func() { <-done })
	go func() {
		defer close(done)
		time.Sleep(d) // the outage itself
		if err := e.StartAPIServer(); err != nil {
			t.Errorf("starting the test API server again after %s: %v", d, err)
			return
		}
		t.Logf("test API server: down for %s (stopped, then started again on %s)", time.Since(stopped).Round(100*time.Millisecond), e.Config.Host)
	}()
	return done
}

// Start starts a new API server for the test and stops it when the test
// ends. It skips the test (fails it when CI=true) when the binaries are
// missing or the test does not run in a loopback-only network namespace.
func Start(t testing.TB) *Env {
	t.Helper()
	if testing.Short() {
		t.Skip("integration test: skipped with -short")
	}
	e, err := start()
	if err != nil {
		unavailable(t, err)
	}
	t.Cleanup(func() {
		if err := e.Stop(); err != nil {
			t.Logf("stopping the test API server: %v", err)
		}
	})
	return e
}

var shared struct {
	once sync.Once
	env  *Env
	err  error
}

// Shared returns one API server for every test of the test binary, started
// on first use; call StopShared from TestMain after m.Run. Tests that use it
// must use their own namespaces and names.
func Shared(t testing.TB) *Env {
	t.Helper()
	if testing.Short() {
		t.Skip("integration test: skipped with -short")
	}
	shared.once.Do(func() {
		shared.env, shared.err = start()
		if shared.env != nil {
			shared.env.shared = true
		}
	})
	if shared.err != nil {
		unavailable(t, shared.err)
	}
	return shared.env
}

// stopShared stops the shared API server, if one was started.
func stopShared() {
	if shared.env != nil {
		if err := shared.env.Stop(); err != nil {
			fmt.Fprintf(os.Stderr, "stopping the shared test API server: %v\n", err)
		}
	}
}

// Main runs the tests of a package that uses Shared and stops it after.
func Main(m *testing.M) {
	code := m.Run()
	stopShared()
	os.Exit(code)
}

// unavailableError says the test bed cannot run here, and why.
type unavailableError struct{ msg string }

func (e *unavailableError) Error() string { return e.msg }

func unavailable(t testing.TB, err error) {
	t.Helper()
	if _, ok := err.(*unavailableError); ok {
		Unavailable(t, "test API server: %v", err)
	}
	t.Fatalf("test API server: %v", err)
}

// Unavailable ends a test that cannot run here for want of something the
// test bed provides: it skips the test, or fails it when CI=true, where
// every integration test must run.
func Unavailable(t testing.TB, format string, args ...any) {
	t.Helper()
	if os.Getenv("CI") != "true" {
		t.Skipf("integration test skipped: "+format, args...)
	}
	t.Fatalf("integration test cannot run (CI=true): "+format, args...)
}

func start() (*Env, error) {
	if err := checkIsolated(); err != nil {
		return nil, err
	}
	bin, err := binDir()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "knative-preview-apiserver-")
	if err != nil {
		return nil, err
	}
	token, err := randomToken()
	if err != nil {
		return nil, err
	}
	tokenFile := filepath.Join(dir, "tokens.csv")
	if err := os.WriteFile(tokenFile, []byte(token+`,test-admin,test-admin-uid,"system:masters"`+"\n"), 0o600); err != nil {
		return nil, err
	}
	env := &envtest.Environment{
		BinaryAssetsDirectory:    bin,
		ControlPlaneStartTimeout: 90 * time.Second,
		ControlPlaneStopTimeout:  30 * time.Second,
	}
	// A folder of the Env's own for the API server's certificates: envtest
	// makes a new one, with a new CA, for every start in a folder of its
	// choosing, and a restart (StartAPIServer) must serve the same ones.
	api := env.ControlPlane.GetAPIServer()
	api.CertDir = filepath.Join(dir, "apiserver")
	if err := os.Mkdir(api.CertDir, 0o700); err != nil {
		return nil, err
	}
	api.Configure().
		// Stopping, it answers 429 Retry-After to what arrives while it
		// drains the requests in flight, then closes every connection within
		// 2 s, watches included (by default it waits a minute for them).
		Set("shutdown-send-retry-after", "true").
		Set("service-cluster-ip-range", serviceRange).
		Set("advertise-address", advertiseAddress).
		Set("token-auth-file", tokenFile)
	cfg, err := env.Start()
	if err != nil {
		_ = env.Stop()
		_ = os.RemoveAll(dir)
		return nil, fmt.Errorf("starting etcd and kube-apiserver from %s: %w", bin, err)
	}
	return &Env{Config: cfg, Token: token, env: env, dir: dir}, nil
}

// checkIsolated refuses to start an API server that could dial addresses
// off this machine (webhook ClusterIPs, node addresses): every network
// interface must be loopback.
func checkIsolated() error {
	ifaces, err := net.Interfaces()
	if err != nil {
		return fmt.Errorf("listing network interfaces: %w", err)
	}
	for _, i := range ifaces {
		if i.Flags&net.FlagLoopback == 0 {
			return &unavailableError{fmt.Sprintf("not inside a private network namespace (interface %s is not loopback); the API server could dial other hosts. Run the tests with %q (or hack/netns.sh go test ./...)", i.Name, netnsCommand)}
		}
	}
	return nil
}

// binDir finds the folder holding etcd and kube-apiserver: $KNATIVE_PREVIEW_TESTBIN,
// else .testbin at the module root.
func binDir() (string, error) {
	dir := os.Getenv(binDirEnv)
	if dir == "" {
		root, err := moduleRoot()
		if err != nil {
			return "", err
		}
		dir = filepath.Join(root, ".testbin")
	}
	for _, b := range []string{"etcd", "kube-apiserver"} {
		if _, err := os.Stat(filepath.Join(dir, b)); err != nil {
			return "", &unavailableError{fmt.Sprintf("%s is missing from %s: run %q to build it", b, dir, provideCommand)}
		}
	}
	return dir, nil
}

func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			if _, err := os.Stat(filepath.Join(dir, "action.yml")); err == nil {
				return dir, nil
			}
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no module root with action.yml above the test's directory")
		}
		dir = parent
	}
}

func randomToken() (string, error) {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return hex.EncodeToString(b), nil
}
