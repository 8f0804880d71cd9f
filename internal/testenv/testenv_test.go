package testenv_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
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

// The control plane goes away and comes back, as a GKE control plane does
// during an upgrade: stopped, its port refuses connections, which the one
// classifier calls transient; started again on the same address with the
// same certificates and etcd, the same clients reach the same objects,
// and a watch open before the outage opens again and sees what changed.
// The fault proxy's outage cuts the streams and resets the requests the
// same way, while the server stays up. The shared server is never stopped.
func TestIntegrationAPIServerOutage(t *testing.T) {
	if err := testenv.Shared(t).StopAPIServer(); err == nil {
		t.Fatal("the shared test API server was stopped")
	}
	env := testenv.Start(t)
	ctx := t.Context()
	cs := kubernetes.NewForConfigOrDie(env.Config)
	token, err := clientcmd.RESTConfigFromKubeConfig(env.Kubeconfig("test"))
	if err != nil {
		t.Fatal(err)
	}
	tcs := kubernetes.NewForConfigOrDie(token)
	before := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "before", Namespace: "default"}}
	if _, err := cs.CoreV1().ConfigMaps("default").Create(ctx, before, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	wr, err := kube.Watch(ctx, "the config maps", func(ctx context.Context) (watch.Interface, error) {
		return tcs.CoreV1().ConfigMaps("default").Watch(ctx, metav1.ListOptions{})
	})
	if err != nil {
		t.Fatal(err)
	}

	back := env.Outage(t, 3*time.Second)
	_, err = tcs.CoreV1().ConfigMaps("default").Get(ctx, "before", metav1.GetOptions{})
	if err == nil || !kube.Transient(err) {
		t.Errorf("during the outage: %v, want an error the classifier calls transient", err)
	}
	<-back
	if _, err := tcs.CoreV1().ConfigMaps("default").Get(ctx, "before", metav1.GetOptions{}); err != nil {
		t.Fatalf("after the outage, the token kubeconfig: %v", err)
	}
	after := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "after", Namespace: "default"}}
	if _, err := cs.CoreV1().ConfigMaps("default").Create(ctx, after, metav1.CreateOptions{}); err != nil {
		t.Fatalf("after the outage, the admin certificate: %v", err)
	}
	timeout := time.After(time.Minute)
	for seen := false; !seen; {
		select {
		case ev, ok := <-wr.Events():
			if !ok {
				t.Fatalf("the watch ended: %v", wr.Err())
			}
			seen = ev.Object.(*corev1.ConfigMap).Name == "after"
		case <-timeout:
			t.Fatal("the watch did not see the config map made after the outage")
		}
	}

	p := env.Faults(t, testenv.FaultOptions{Seed: 7, Rate: 0.01})
	pcs := kubernetes.NewForConfigOrDie(p.Config)
	pw, err := pcs.CoreV1().ConfigMaps("default").Watch(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer pw.Stop()
	p.Outage(2 * time.Second)
	select {
	case <-pw.ResultChan():
		for range pw.ResultChan() {
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the proxy's outage did not cut the watch")
	}
	// (client-go makes a GET again by itself on a reset: a create shows
	// what the caller sees.)
	during := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "during", Namespace: "default"}}
	if _, err := pcs.CoreV1().ConfigMaps("default").Create(ctx, during, metav1.CreateOptions{}); err == nil || !kube.Transient(err) {
		t.Errorf("during the proxy's outage: %v, want an error the classifier calls transient", err)
	}
	if p.Counts()[testenv.Outage] == 0 {
		t.Errorf("no request was reset during the proxy's outage: %s", p)
	}
	t.Logf("through the proxy: %s", p)
}
