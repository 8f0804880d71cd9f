package kubeconfig

import (
	"strings"
	"testing"

	"github.com/knative-preview/action/internal/cluster/internal/fakedocker"
	"github.com/knative-preview/action/internal/kubecfg"
	"github.com/knative-preview/action/internal/log"
	"github.com/knative-preview/action/internal/testenv"
)

func TestMain(m *testing.M) {
	fakedocker.Main()
	testenv.Main(m)
}

func TestIntegrationConnectReportsVersion(t *testing.T) {
	env := testenv.Shared(t)
	src, err := kubecfg.Load(string(env.Kubeconfig("ci")), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	target := New(Options{Source: src, Context: "ci"}, log.Func(func(f string, a ...any) { lines = append(lines, f) }))
	plan := strings.Join(target.Plan(), "\n")
	if !strings.Contains(plan, `use context "ci" from inline content`) || !strings.Contains(plan, env.Config.Host) {
		t.Errorf("plan does not say which context and server:\n%s", plan)
	}
	cl, err := target.Connect(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if cl.Version.GitVersion != testenv.KubeVersion || cl.Context != "ci" || cl.REST.Host != env.Config.Host {
		t.Errorf("got version %s, context %q, host %s", cl.Version.GitVersion, cl.Context, cl.REST.Host)
	}
}

func TestIntegrationWrongTokenIsExplained(t *testing.T) {
	env := testenv.Shared(t)
	kc := strings.ReplaceAll(string(env.Kubeconfig("ci")), env.Token, "not-the-right-token")
	src, err := kubecfg.Load(kc, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = New(Options{Source: src, Context: "ci"}, log.Discard).Connect(t.Context())
	if err == nil || !strings.Contains(err.Error(), `context "ci": the API server at`) || !strings.Contains(err.Error(), "401 Unauthorized") {
		t.Fatalf("got %v, want the context and a 401 explained", err)
	}
}
