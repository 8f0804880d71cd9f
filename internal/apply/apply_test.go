package apply

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	admissionv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"

	"github.com/knative-preview/action/internal/kube"
	"github.com/knative-preview/action/internal/log"
	"github.com/knative-preview/action/internal/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

func TestDecode(t *testing.T) {
	objs, err := Decode("test.yaml", []byte(`
# a comment-only document
---
apiVersion: v1
kind: List
items:
- {apiVersion: v1, kind: ConfigMap, metadata: {name: a}}
- {apiVersion: v1, kind: ConfigMap, metadata: {name: b}}
---
---
apiVersion: v1
kind: Namespace
metadata: {name: c}
`))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, o := range objs {
		names = append(names, o.GetKind()+"/"+o.GetName())
	}
	if got := strings.Join(names, ","); got != "ConfigMap/a,ConfigMap/b,Namespace/c" {
		t.Errorf("got %s", got)
	}
	for _, bad := range []string{"apiVersion: v1\nkind: ConfigMap\n", "a: [b\n"} {
		if _, err := Decode("bad.yaml", []byte(bad)); err == nil || !strings.Contains(err.Error(), "bad.yaml: document 1") {
			t.Errorf("Decode(%q) = %v, want an error naming the document", bad, err)
		}
	}
}

func TestHashIgnoresOwnAnnotation(t *testing.T) {
	a := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": "ConfigMap", "metadata": map[string]any{"name": "x"}, "data": map[string]any{"k": "v"}}}
	b := a.DeepCopy()
	b.SetAnnotations(map[string]string{hashAnnotation: "old"})
	ha, _ := hash(a)
	hb, _ := hash(b)
	if ha != hb {
		t.Error("the hash annotation changes the hash")
	}
	c := a.DeepCopy()
	c.Object["data"] = map[string]any{"k": "w"}
	if hc, _ := hash(c); hc == ha {
		t.Error("different data, same hash")
	}
}

func manifests(t *testing.T, dir, version string) []*unstructured.Unstructured {
	t.Helper()
	var all []*unstructured.Unstructured
	for _, f := range [][2]string{{"serving", "serving-core.yaml"}, {"net-kourier", "kourier.yaml"}} {
		data, err := os.ReadFile(testenv.ManifestFile(dir, f[0], version, f[1]))
		if err != nil {
			t.Fatal(err)
		}
		objs, err := Decode(f[1], data)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, objs...)
	}
	return all
}

// unique counts objects by kind, namespace and name (serving-core carries
// the CRDs of serving-crds too, as real releases do).
func unique(objs []*unstructured.Unstructured) int {
	seen := map[string]bool{}
	for _, o := range objs {
		seen[o.GetKind()+"/"+o.GetNamespace()+"/"+o.GetName()] = true
	}
	return len(seen)
}

func TestIntegrationInstallReapplyUpgrade(t *testing.T) {
	env := testenv.Start(t)
	dir := t.TempDir()
	testenv.WriteReleaseManifests(t, dir, "1.23.0", "1.23.1")
	ctx := t.Context()

	a, err := New(env.Config, Options{RetryFor: 10 * time.Second}, log.Discard)
	if err != nil {
		t.Fatal(err)
	}
	v0 := Dedupe(manifests(t, dir, "1.23.0"))
	res, err := a.Apply(ctx, v0)
	if err != nil {
		t.Fatalf("first install: %v", err)
	}
	if res.Created != unique(v0) || res.Updated != 0 || res.Unchanged != 0 {
		t.Errorf("first install: %s, want %d created", res, unique(v0))
	}

	cs := kubernetes.NewForConfigOrDie(env.Config)
	dep, err := cs.AppsV1().Deployments("knative-serving").Get(ctx, "controller", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if img := dep.Spec.Template.Spec.Containers[0].Image; img != "registry.invalid/knative/serving/controller:v1.23.0" {
		t.Errorf("controller image %q", img)
	}
	if m := dep.ManagedFields; len(m) == 0 || m[0].Manager != kube.FieldManager || m[0].Operation != metav1.ManagedFieldsOperationApply {
		t.Errorf("managed fields %+v, want server-side apply by %s", m, kube.FieldManager)
	}

	// A fresh Applier, as a second run would have: nothing to change.
	a2, _ := New(env.Config, Options{}, log.Discard)
	res, err = a2.Apply(ctx, Dedupe(manifests(t, dir, "1.23.0")))
	if err != nil {
		t.Fatalf("re-apply: %v", err)
	}
	if res.Created != 0 || res.Updated != 0 || res.Unchanged != unique(v0) {
		t.Errorf("re-apply: %s, want all %d unchanged", res, unique(v0))
	}

	// The webhooks of serving-core now exist and nothing serves them; the
	// upgrade would be refused by them for Knative objects (Certificate),
	// so this test, which is not about webhooks, removes them.
	deleteWebhooks(t, cs)
	v1 := Dedupe(manifests(t, dir, "1.23.1"))
	res, err = a2.Apply(ctx, v1)
	if err != nil {
		t.Fatalf("upgrade: %v", err)
	}
	if res.Updated == 0 || res.Created+res.Updated+res.Unchanged != unique(v1) {
		t.Errorf("upgrade: %s", res)
	}
	dep, _ = cs.AppsV1().Deployments("knative-serving").Get(ctx, "controller", metav1.GetOptions{})
	if img := dep.Spec.Template.Spec.Containers[0].Image; img != "registry.invalid/knative/serving/controller:v1.23.1" {
		t.Errorf("after upgrade controller image %q", img)
	}
	if v := dep.Labels["app.kubernetes.io/version"]; v != "1.23.1" {
		t.Errorf("after upgrade version label %q", v)
	}
}

func deleteWebhooks(t testing.TB, cs kubernetes.Interface) {
	t.Helper()
	ctx := context.Background()
	for _, n := range []string{"webhook.serving.knative.dev"} {
		_ = cs.AdmissionregistrationV1().MutatingWebhookConfigurations().Delete(ctx, n, metav1.DeleteOptions{})
	}
	for _, n := range []string{"validation.webhook.serving.knative.dev", "config.webhook.serving.knative.dev"} {
		_ = cs.AdmissionregistrationV1().ValidatingWebhookConfigurations().Delete(ctx, n, metav1.DeleteOptions{})
	}
}

// An admission webhook that is not answering is retried, then named.
func TestIntegrationDeadWebhookIsRetriedThenNamed(t *testing.T) {
	env := testenv.Shared(t)
	cs := kubernetes.NewForConfigOrDie(env.Config)
	ctx := t.Context()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "dead-webhook"}}
	if _, err := cs.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	// The Service has a ClusterIP in the test range, which the network
	// namespace puts on loopback where nothing listens on 443.
	svc := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "webhook", Namespace: "dead-webhook"},
		Spec: corev1.ServiceSpec{Ports: []corev1.ServicePort{{Port: 443}}}}
	if _, err := cs.CoreV1().Services("dead-webhook").Create(ctx, svc, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	fail := admissionv1.Fail
	none := admissionv1.SideEffectClassNone
	vwc := &admissionv1.ValidatingWebhookConfiguration{
		ObjectMeta: metav1.ObjectMeta{Name: "config.webhook.test.knative.dev"},
		Webhooks: []admissionv1.ValidatingWebhook{{
			Name:                    "config.webhook.test.knative.dev",
			ClientConfig:            admissionv1.WebhookClientConfig{Service: &admissionv1.ServiceReference{Namespace: "dead-webhook", Name: "webhook", Path: ptr.To("/config-validation")}},
			Rules:                   []admissionv1.RuleWithOperations{{Operations: []admissionv1.OperationType{admissionv1.Create, admissionv1.Update}, Rule: admissionv1.Rule{APIGroups: []string{""}, APIVersions: []string{"v1"}, Resources: []string{"configmaps"}}}},
			NamespaceSelector:       &metav1.LabelSelector{MatchLabels: map[string]string{"kubernetes.io/metadata.name": "dead-webhook"}},
			FailurePolicy:           &fail,
			SideEffects:             &none,
			AdmissionReviewVersions: []string{"v1"},
			TimeoutSeconds:          ptr.To[int32](2),
		}},
	}
	if _, err := cs.AdmissionregistrationV1().ValidatingWebhookConfigurations().Create(ctx, vwc, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cs.AdmissionregistrationV1().ValidatingWebhookConfigurations().Delete(context.Background(), vwc.Name, metav1.DeleteOptions{})
	})

	var progress []string
	a, err := New(env.Config, Options{RetryFor: 2 * time.Second}, log.Func(func(f string, args ...any) { progress = append(progress, f) }))
	if err != nil {
		t.Fatal(err)
	}
	cm := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1", "kind": "ConfigMap",
		"metadata": map[string]any{"name": "config-network", "namespace": "dead-webhook"},
		"data":     map[string]any{"ingress-class": "kourier.ingress.networking.knative.dev"},
	}}
	err = a.ApplyObject(ctx, cm, "knative-preview-config")
	if err == nil {
		t.Fatal("applying through a dead webhook succeeded")
	}
	for _, want := range []string{"ConfigMap dead-webhook/config-network", "gave up after retrying for 2s", `the admission webhook "config.webhook.test.knative.dev" is not answering`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	if len(progress) == 0 {
		t.Error("no progress line said the apply was being retried")
	}
}

// Invalid objects fail at once, without retries, and every failing object
// is named.
func TestIntegrationInvalidObjectFailsFast(t *testing.T) {
	env := testenv.Shared(t)
	a, err := New(env.Config, Options{RetryFor: time.Hour}, log.Discard)
	if err != nil {
		t.Fatal(err)
	}
	objs, err := Decode("bad.yaml", []byte(`
apiVersion: v1
kind: Namespace
metadata: {name: invalid-objects}
---
apiVersion: v1
kind: Service
metadata: {name: no-ports, namespace: invalid-objects}
spec: {type: ClusterIP}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: Not_A_Name, namespace: invalid-objects}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: fine, namespace: invalid-objects}
`))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	_, err = a.Apply(ctx, objs)
	if err == nil {
		t.Fatal("invalid objects were accepted")
	}
	if ctx.Err() != nil {
		t.Fatal("invalid objects were retried instead of failing at once")
	}
	for _, want := range []string{"2 of 3 failed", "Service invalid-objects/no-ports", "ConfigMap invalid-objects/Not_A_Name"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
}

// Before an app is applied, every object it may not apply is named at
// once, and its dry run checks each against the server's schema, strictly,
// writing nothing.
func TestIntegrationDryRunAndScopeNameEveryRefusal(t *testing.T) {
	env := testenv.Shared(t)
	a, err := New(env.Config, Options{RetryFor: 5 * time.Second}, log.Discard)
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	cs := kubernetes.NewForConfigOrDie(env.Config)
	if _, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "dry"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	objs, err := Decode("app.yaml", []byte(`apiVersion: v1
kind: ConfigMap
metadata: {name: settings, namespace: dry}
data: {a: b}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: redis, namespace: dry}
spec:
  selector: {matchLabels: {app: redis}}
  template:
    metadata: {labels: {app: redis}}
    spec:
      containers: [{name: redis, image: redis:7, imagePullPolcy: Always}]
---
apiVersion: v1
kind: Service
metadata: {name: redis, namespace: dry}
spec: {ports: [{port: 99999}]}
---
apiVersion: batch/v1
kind: Job
metadata: {name: migrate, namespace: dry}
spec:
  template:
    spec:
      restartPolicy: Sometimes
      containers: [{name: m, image: app}]
`))
	if err != nil {
		t.Fatal(err)
	}
	objs[3].SetName("")
	objs[3].SetGenerateName("migrate-")
	err = a.DryRun(ctx, objs)
	if err == nil {
		t.Fatal("the dry run refused nothing")
	}
	for _, want := range []string{
		"Deployment dry/redis", `.spec.template.spec.containers[name="redis"].imagePullPolcy: field not declared in schema`,
		"Service dry/redis", "spec.ports[0].port",
		"Job dry/migrate-*", "restartPolicy",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the dry run's error lacks %q:\n%v", want, err)
		}
	}
	if strings.Contains(err.Error(), "ConfigMap") {
		t.Errorf("a valid ConfigMap was refused: %v", err)
	}
	if cms, _ := cs.CoreV1().ConfigMaps("dry").Get(ctx, "settings", metav1.GetOptions{}); cms != nil && cms.Name != "" {
		t.Error("the dry run wrote the ConfigMap")
	}

	scoped, _ := Decode("scope.yaml", []byte(`apiVersion: v1
kind: ConfigMap
metadata: {name: ok}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: all}
---
apiVersion: example.com/v1
kind: Gadget
metadata: {name: g}
`))
	err = a.Namespaced(ctx, scoped)
	for _, want := range []string{"ClusterRole all is cluster-scoped on this cluster", "Gadget g: the cluster does not serve this kind"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Namespaced = %v, want it to say %q", err, want)
		}
	}
	if err != nil && strings.Contains(err.Error(), "ConfigMap") {
		t.Errorf("a ConfigMap is namespaced: %v", err)
	}
}
