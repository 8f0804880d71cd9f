package gke

import (
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/oauth2"
	container "google.golang.org/api/container/v1"

	"github.com/knative-preview/action/internal/cluster/gke/gketest"
	"github.com/knative-preview/action/internal/log"
)

const (
	testProject = "my-project"
	testZone    = "us-central1-a"
	testName    = "knative"
	testToken   = "ya29.static-test-token-5f4dcc3b"
	testContext = "gke_my-project_us-central1-a_knative"
)

// pollStep is how far the fake clock moves on per request to the Container
// API: the default PollInterval, so that elapsed times read as in a real
// wait while the test's PollInterval is a millisecond.
const pollStep = defaultPollInterval

// env is one test's fakes: the Container API, the cluster's API server, a
// clock that each request to the Container API moves on by pollStep, and
// the progress lines.
type env struct {
	t     *testing.T
	api   *gketest.API
	kube  *gketest.KubeAPI
	clock *gketest.Clock

	mu    sync.Mutex
	lines []string
}

func newEnv(t *testing.T) *env {
	t.Helper()
	return newEnvAccepting(t, func(tok string) bool { return tok == testToken })
}

// newEnvAccepting is newEnv with an API server that accepts the tokens
// valid accepts.
func newEnvAccepting(t *testing.T, valid func(string) bool) *env {
	t.Helper()
	e := &env{t: t, clock: gketest.NewClock()}
	e.kube = gketest.NewKubeAPI(t, valid)
	e.api = gketest.NewAPI(t)
	e.api.Endpoint, e.api.CA = e.kube.Endpoint, e.kube.CA
	e.api.Tick = func() { e.clock.Advance(pollStep) }
	return e
}

func (e *env) progress(format string, args ...any) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.lines = append(e.lines, fmt.Sprintf(format, args...))
}

// log is every progress line so far.
func (e *env) log() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return strings.Join(e.lines, "\n")
}

// logger is the logger a target under test tells its progress.
func (e *env) logger() log.Logger { return log.Func(e.progress) }

// options are the inputs of a zonal cluster with a static token, pointed
// at the fakes.
func (e *env) options() Options {
	return Options{
		Project:      testProject,
		Location:     testZone,
		ClusterName:  testName,
		Getenv:       fakeEnv(nil),
		ReadFile:     noFiles(e.t),
		TokenSource:  oauth2.StaticTokenSource(&oauth2.Token{AccessToken: testToken}),
		Endpoint:     e.api.URL,
		Clock:        e.clock,
		PollInterval: time.Millisecond,
		ReachTimeout: 10 * time.Second,
	}
}

// running is a RUNNING cluster served by the fake API server.
func (e *env) running() *container.Cluster {
	return &container.Cluster{
		Name:                 testName,
		Status:               "RUNNING",
		Endpoint:             e.kube.Endpoint,
		MasterAuth:           &container.MasterAuth{ClusterCaCertificate: e.kube.CA},
		CurrentMasterVersion: "1.34.3-gke.1000",
		CurrentNodeCount:     1,
		NodePools:            []*container.NodePool{{Name: "default-pool", Config: &container.NodeConfig{MachineType: DefaultMachineType}}},
	}
}

// fakeEnv is an environment holding only vars.
func fakeEnv(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

// noFiles fails the test if a file is read.
func noFiles(t *testing.T) func(string) ([]byte, error) {
	return func(path string) ([]byte, error) {
		t.Errorf("unexpected read of %s", path)
		return nil, fmt.Errorf("no files in this test")
	}
}

// closedEndpoint is host:port on 127.0.0.1 where nothing listens.
func closedEndpoint(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// assertNoSecret fails when any secret appears in any of texts.
func assertNoSecret(t *testing.T, secrets []string, texts ...string) {
	t.Helper()
	for _, s := range secrets {
		if s == "" {
			continue
		}
		for _, text := range texts {
			if strings.Contains(text, s) {
				t.Errorf("secret %q appears in output:\n%s", s, text)
			}
		}
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
