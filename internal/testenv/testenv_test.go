package testenv_test

import (
	"context"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

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
