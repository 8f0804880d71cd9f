package testenv_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/knative-preview/action/internal/kube"
	"github.com/knative-preview/action/internal/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// The test bed is what every integration test stands on: a real API server
// of the pinned version that stores, serves and deletes objects, reachable
// both with the admin certificate and through the token kubeconfig.
func TestIntegrationAPIServerStoresObjects(t *testing.T) {
	env := testenv.Shared(t)
	ctx := t.Context()

	cs, err := kubernetes.NewForConfig(env.Config)
	if err != nil {
		t.Fatal(err)
	}
	v, err := cs.Discovery().ServerVersion()
	if err != nil {
		t.Fatalf("server version: %v", err)
	}
	if v.GitVersion != testenv.KubeVersion {
		t.Fatalf("API server reports %s, want %s (built without the version ldflags?)", v.GitVersion, testenv.KubeVersion)
	}

	cm := &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: "testbed-probe", Namespace: "default"},
		Data:       map[string]string{"hello": "world"},
	}
	if _, err := cs.CoreV1().ConfigMaps("default").Create(ctx, cm, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create: %v", err)
	}
	got, err := cs.CoreV1().ConfigMaps("default").Get(ctx, "testbed-probe", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("get: %v", err)
	}
	if got.Data["hello"] != "world" {
		t.Fatalf("read back %v, want hello=world", got.Data)
	}
	if err := cs.CoreV1().ConfigMaps("default").Delete(ctx, "testbed-probe", metav1.DeleteOptions{}); err != nil {
		t.Fatalf("delete: %v", err)
	}
	if _, err := cs.CoreV1().ConfigMaps("default").Get(ctx, "testbed-probe", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Fatalf("after delete, get returned %v, want NotFound", err)
	}

	// The token kubeconfig reaches the same server as a cluster admin.
	rc, err := clientcmd.RESTConfigFromKubeConfig(env.Kubeconfig("test"))
	if err != nil {
		t.Fatal(err)
	}
	tcs, err := kubernetes.NewForConfig(rc)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tcs.CoreV1().Namespaces().Get(context.Background(), "kube-system", metav1.GetOptions{}); err != nil {
		t.Fatalf("token kubeconfig: %v", err)
	}
}

// The fault proxy fails a share of the requests with every kind of fault
// a flaky API server shows, each one that the one classifier calls
// transient, and cuts watches short; the rest reach the API server.
func TestIntegrationFaultProxyInjectsEveryKind(t *testing.T) {
	env := testenv.Shared(t)
	p := env.Faults(t, testenv.FaultOptions{Seed: 1, Rate: 0.5})
	cfg := rest.CopyConfig(p.Config)
	cfg.QPS, cfg.Burst = -1, 0
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	ok := 0
	for i := range 80 {
		cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("fault-probe-%d", i), Namespace: "default"}}
		var err error
		if i%2 == 0 {
			_, err = cs.CoreV1().ConfigMaps("default").Create(ctx, cm, metav1.CreateOptions{})
		} else {
			_, err = cs.CoreV1().Namespaces().Get(ctx, "kube-system", metav1.GetOptions{})
		}
		switch {
		case err == nil:
			ok++
		case !kube.Transient(err):
			t.Errorf("request %d failed with an error the classifier does not call transient: %v", i, err)
		}
	}
	c := p.Counts()
	for _, f := range []testenv.Fault{testenv.Throttled, testenv.InternalError, testenv.Unavailable503, testenv.ResetBefore, testenv.ResetAfter, testenv.Latency} {
		if c[f] == 0 {
			t.Errorf("no %q fault in %s", f, p)
		}
	}
	if ok == 0 {
		t.Errorf("no request passed the proxy")
	}

	// A watch through a proxy that cuts every watch ends within a second.
	w := env.Faults(t, testenv.FaultOptions{Seed: 2, Rate: 1, Kinds: []testenv.Fault{testenv.WatchClosed}})
	wcs, err := kubernetes.NewForConfig(w.Config)
	if err != nil {
		t.Fatal(err)
	}
	wi, err := wcs.CoreV1().ConfigMaps("default").Watch(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatalf("opening a watch through the proxy: %v", err)
	}
	defer wi.Stop()
	timeout := time.After(10 * time.Second)
	for open := true; open; {
		select {
		case _, open = <-wi.ResultChan():
		case <-timeout:
			t.Fatalf("the watch was not closed within 10s: %s", w)
		}
	}
	if w.Counts()[testenv.WatchClosed] != 1 {
		t.Errorf("watch proxy: %s, want one watch closed", w)
	}
}
