package install

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	admissionv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/apimachinery/pkg/version"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"

	"github.com/knative-preview/action/internal/cluster"
	"github.com/knative-preview/action/internal/knconfig"
	"github.com/knative-preview/action/internal/log"
	"github.com/knative-preview/action/internal/manifests"
	"github.com/knative-preview/action/internal/release"
	"github.com/knative-preview/action/internal/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

func TestSkipRegistries(t *testing.T) {
	tests := []struct {
		current string
		add     []string
		want    string
	}{
		{"", []string{"index.docker.io"}, "kind.local,ko.local,dev.local,index.docker.io"},
		{"ko.local, registry.example", []string{"registry.example", "ghcr.io"}, "ko.local,registry.example,ghcr.io"},
	}
	for _, tt := range tests {
		if got := skipRegistries(tt.current, tt.add); got != tt.want {
			t.Errorf("skipRegistries(%q, %v) = %q, want %q", tt.current, tt.add, got, tt.want)
		}
	}
}

// fakeGitHub serves the releases API for every repository with the given
// tags, and counts the requests.
func fakeGitHub(t *testing.T, tags ...string) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var rel []map[string]any
		for _, tag := range tags {
			rel = append(rel, map[string]any{"tag_name": tag, "draft": false, "prerelease": false})
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(rel)
	}))
	t.Cleanup(srv.Close)
	return srv
}

type bed struct {
	env  *testenv.Env
	cs   kubernetes.Interface
	dir  string
	gh   *httptest.Server
	cl   *cluster.Cluster
	logs []string
	mu   sync.Mutex
}

func newBed(t *testing.T, versions ...string) *bed {
	env := testenv.Start(t)
	b := &bed{env: env, cs: kubernetes.NewForConfigOrDie(env.Config), dir: t.TempDir()}
	testenv.WriteReleaseManifests(t, b.dir, versions...)
	var tags []string
	for _, v := range versions {
		tags = append(tags, "knative-v"+v)
	}
	b.gh = fakeGitHub(t, tags...)
	b.cl = &cluster.Cluster{Name: "test", REST: env.Config, Version: &version.Info{GitVersion: testenv.KubeVersion}}
	return b
}

func (b *bed) options(t *testing.T, spec string) Options {
	s, err := release.ParseSpec(spec)
	if err != nil {
		t.Fatal(err)
	}
	return Options{
		Spec:                s,
		Ingress:             "kourier",
		Domain:              "",
		Resolver:            &release.Resolver{BaseURL: b.gh.URL},
		Fetcher:             &manifests.Fetcher{Source: b.dir},
		ReadyTimeout:        time.Minute,
		LoadBalancerTimeout: 2 * time.Second,
		Poll:                100 * time.Millisecond,
	}
}

// progress is the logger the bed's runs tell.
func (b *bed) progress() log.Logger {
	return log.Func(func(f string, a ...any) {
		b.mu.Lock()
		defer b.mu.Unlock()
		b.logs = append(b.logs, fmt.Sprintf(f, a...))
	})
}

func (b *bed) log() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return strings.Join(b.logs, "\n")
}

func (b *bed) configMap(t *testing.T, name string) map[string]string {
	t.Helper()
	cm, err := b.cs.CoreV1().ConfigMaps("knative-serving").Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return cm.Data
}

func TestIntegrationInstallConfigureReinstallUpgrade(t *testing.T) {
	b := newBed(t, "1.23.0", "1.23.1")
	testenv.PlayKnative(t, b.cs)
	ctx := t.Context()
	b.cl.Domain = "127.0.0.1.sslip.io"
	b.cl.IngressNodePort = 31080
	b.cl.LocalRegistries = []string{"index.docker.io"}

	o := b.options(t, "1.23.0")
	overrides, err := knconfig.Parse("config-features: {kubernetes.podspec-affinity: enabled}\nconfig-network: {http-protocol: redirected}\n")
	if err != nil {
		t.Fatal(err)
	}
	o.ServingConfig = overrides
	res, err := Run(ctx, b.progress(), b.cl, o)
	if err != nil {
		t.Fatalf("install: %v\nlog:\n%s", err, b.log())
	}
	if res.Versions.Serving != "1.23.0" || res.Versions.Ingress != "1.23.1" || res.Domain != "127.0.0.1.sslip.io" {
		t.Errorf("result %+v", res)
	}
	if res.Applied.Created == 0 || res.Applied.Updated != 0 || res.Applied.Unchanged != 0 {
		t.Errorf("first install applied %s", res.Applied)
	}
	for name, want := range map[string]map[string]string{
		"config-network":    {"ingress-class": "kourier.ingress.networking.knative.dev", "http-protocol": "redirected"},
		"config-domain":     {"127.0.0.1.sslip.io": ""},
		"config-deployment": {"registries-skipping-tag-resolving": "kind.local,ko.local,dev.local,index.docker.io"},
		"config-features":   {"kubernetes.podspec-affinity": "enabled"},
	} {
		got := b.configMap(t, name)
		for k, v := range want {
			if got[k] != v {
				t.Errorf("%s %s = %q, want %q", name, k, got[k], v)
			}
		}
		if _, ok := got["_example"]; !ok {
			t.Errorf("%s lost the release's _example while being configured", name)
		}
	}
	svc, err := b.cs.CoreV1().Services("kourier-system").Get(ctx, nodePortServiceName, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if p := svc.Spec.Ports[0]; svc.Spec.Type != corev1.ServiceTypeNodePort || p.NodePort != 31080 || p.TargetPort.IntValue() != 8080 || svc.Spec.Selector["app"] != "3scale-kourier-gateway" {
		t.Errorf("NodePort service %+v", svc.Spec)
	}

	// Not marked small (a cluster the user sized): the release's requests.
	b.checkCPURequests(t, map[string]string{"knative-serving/activator": "300m", "knative-serving/net-kourier-controller": "200m", "kourier-system/3scale-kourier-gateway": "200m"}, "")

	// Second run: nothing changes.
	res, err = Run(ctx, b.progress(), b.cl, o)
	if err != nil {
		t.Fatalf("second run: %v", err)
	}
	if res.Applied.Created != 0 || res.Applied.Updated != 0 || res.Applied.Unchanged == 0 {
		t.Errorf("second run applied %s, want everything unchanged", res.Applied)
	}

	// Upgrade to the newest patch of 1.23. serving-core's webhooks have no
	// server in the test bed and would refuse the Knative objects that
	// change, so this test, which is not about webhooks, removes them.
	for _, n := range []string{"validation.webhook.serving.knative.dev", "config.webhook.serving.knative.dev"} {
		_ = b.cs.AdmissionregistrationV1().ValidatingWebhookConfigurations().Delete(ctx, n, metav1.DeleteOptions{})
	}
	_ = b.cs.AdmissionregistrationV1().MutatingWebhookConfigurations().Delete(ctx, "webhook.serving.knative.dev", metav1.DeleteOptions{})
	res, err = Run(ctx, b.progress(), b.cl, b.options(t, "1.23"))
	if err != nil {
		t.Fatalf("upgrade: %v", err)
	}
	if res.Versions.Serving != "1.23.1" || res.Upgraded != "1.23.0" || res.Applied.Updated == 0 {
		t.Errorf("upgrade result %+v", res)
	}
	dep, err := b.cs.AppsV1().Deployments("knative-serving").Get(ctx, "activator", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if img := dep.Spec.Template.Spec.Containers[0].Image; !strings.HasSuffix(img, ":v1.23.1") {
		t.Errorf("activator image after upgrade: %s", img)
	}
	if got := b.configMap(t, "config-network")["ingress-class"]; got != "kourier.ingress.networking.knative.dev" {
		t.Errorf("the upgrade lost our ingress-class: %q", got)
	}
	if !strings.Contains(b.log(), "upgrading Knative Serving from 1.23.0 to 1.23.1") {
		t.Errorf("the log does not say it upgraded:\n%s", b.log())
	}
}

// checkCPURequests checks the CPU request of the first container of
// Deployments ("<namespace>/<name>": request) and the record of lowered
// requests on the knative-serving namespace.
func (b *bed) checkCPURequests(t *testing.T, want map[string]string, record string) {
	t.Helper()
	for name, cpu := range want {
		ns, n, _ := strings.Cut(name, "/")
		d, err := b.cs.AppsV1().Deployments(ns).Get(t.Context(), n, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if got := d.Spec.Template.Spec.Containers[0].Resources.Requests.Cpu().String(); got != cpu {
			t.Errorf("%s requests %s CPU, want %s", name, got, cpu)
		}
	}
	ns, err := b.cs.CoreV1().Namespaces().Get(t.Context(), "knative-serving", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := ns.Annotations[loweredAnnotation]; got != record {
		t.Errorf("the namespace records %q, want %q", got, record)
	}
}

// On a cluster created on small nodes the CPU requests are lowered in what
// is applied; a re-run on the reused cluster (not marked small by its
// target) keeps them from the record, and so does an upgrade.
func TestIntegrationSmallNodesGetLoweredCPURequests(t *testing.T) {
	b := newBed(t, "1.23.0", "1.23.1")
	testenv.PlayKnative(t, b.cs)
	ctx := t.Context()
	b.cl.SmallNodes = true
	res, err := Run(ctx, b.progress(), b.cl, b.options(t, "1.23.0"))
	if err != nil {
		t.Fatalf("install: %v\nlog:\n%s", err, b.log())
	}
	lowered := map[string]string{"knative-serving/activator": "25m", "knative-serving/autoscaler": "25m", "knative-serving/controller": "25m", "knative-serving/webhook": "25m", "knative-serving/net-kourier-controller": "25m", "kourier-system/3scale-kourier-gateway": "25m"}
	b.checkCPURequests(t, lowered, "25m")
	d, err := b.cs.AppsV1().Deployments("knative-serving").Get(ctx, "activator", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if r := d.Spec.Template.Spec.Containers[0].Resources; r.Limits.Cpu().String() != "1" || r.Requests.Memory().String() != "60Mi" || r.Limits.Memory().String() != "600Mi" {
		t.Errorf("activator resources %+v, want the release's limits and memory", r)
	}
	for _, want := range []string{
		"capping the CPU requests of the Deployments in knative-serving, kourier-system at 25m, so that they schedule on one node, because the cluster target created this cluster on nodes with fewer CPUs",
		"knative-serving/activator activator 300m",
		"kourier-system/3scale-kourier-gateway kourier-gateway 200m",
	} {
		if !strings.Contains(b.log(), want) {
			t.Errorf("the log lacks %q:\n%s", want, b.log())
		}
	}
	if res.Applied.Created == 0 {
		t.Errorf("first install applied %s", res.Applied)
	}

	// A re-run reuses the cluster, which its target does not mark small.
	b.cl.SmallNodes = false
	res, err = Run(ctx, b.progress(), b.cl, b.options(t, "1.23.0"))
	if err != nil {
		t.Fatalf("second run: %v", err)
	}
	if res.Applied.Created != 0 || res.Applied.Updated != 0 {
		t.Errorf("second run applied %s, want everything unchanged", res.Applied)
	}
	b.checkCPURequests(t, lowered, "25m")
	if !strings.Contains(b.log(), "because an earlier run lowered them on this cluster (annotation knative-preview/lowered-cpu-requests on the namespace knative-serving)") {
		t.Errorf("the second run does not say why it lowers:\n%s", b.log())
	}

	// The upgrade applies the new release's Deployments, lowered too (the
	// webhooks have no server here: see the upgrade above).
	for _, n := range []string{"validation.webhook.serving.knative.dev", "config.webhook.serving.knative.dev"} {
		_ = b.cs.AdmissionregistrationV1().ValidatingWebhookConfigurations().Delete(ctx, n, metav1.DeleteOptions{})
	}
	_ = b.cs.AdmissionregistrationV1().MutatingWebhookConfigurations().Delete(ctx, "webhook.serving.knative.dev", metav1.DeleteOptions{})
	res, err = Run(ctx, b.progress(), b.cl, b.options(t, "1.23"))
	if err != nil {
		t.Fatalf("upgrade: %v", err)
	}
	if res.Upgraded != "1.23.0" || res.Applied.Updated == 0 {
		t.Errorf("upgrade result %+v", res)
	}
	b.checkCPURequests(t, lowered, "25m")
	if d, err := b.cs.AppsV1().Deployments("knative-serving").Get(ctx, "activator", metav1.GetOptions{}); err != nil || !strings.HasSuffix(d.Spec.Template.Spec.Containers[0].Image, ":v1.23.1") {
		t.Errorf("activator after the upgrade: %v", err)
	}
}

func TestIntegrationDomainFromLoadBalancer(t *testing.T) {
	b := newBed(t, "1.23.0")
	testenv.PlayKnative(t, b.cs)
	ctx := t.Context()
	// Play the cloud's load balancer controller: once Run has created the
	// kourier Service, give it an address.
	lb := make(chan error, 1)
	go func() {
		lb <- wait.PollUntilContextTimeout(ctx, 20*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
			svc, err := b.cs.CoreV1().Services("kourier-system").Get(ctx, "kourier", metav1.GetOptions{})
			if apierrors.IsNotFound(err) {
				return false, nil
			}
			if err != nil {
				return false, err
			}
			svc.Status.LoadBalancer.Ingress = []corev1.LoadBalancerIngress{{IP: "203.0.113.7"}}
			_, err = b.cs.CoreV1().Services("kourier-system").UpdateStatus(ctx, svc, metav1.UpdateOptions{})
			if apierrors.IsConflict(err) {
				return false, nil // Run changed the Service meanwhile: read it again
			}
			return err == nil, err
		})
	}()
	o := b.options(t, "1.23.0")
	o.LoadBalancerTimeout = 30 * time.Second
	res, err := Run(ctx, b.progress(), b.cl, o)
	if err != nil {
		t.Fatal(err)
	}
	if err := <-lb; err != nil {
		t.Errorf("playing the load balancer: %v", err)
	}
	if res.Domain != "203.0.113.7.sslip.io" {
		t.Errorf("domain %q", res.Domain)
	}
	if got := b.configMap(t, "config-domain"); got["203.0.113.7.sslip.io"] != "" || len(got) < 2 {
		t.Errorf("config-domain %v", got)
	}
}

func TestIntegrationNotReadyIsDiagnosed(t *testing.T) {
	b := newBed(t, "1.23.0")
	testenv.PlayKnative(t, b.cs, "activator", "webhook-endpoint")
	ctx := t.Context()
	// The activator's pod cannot pull its image, as a kubelet would report:
	// it is created as soon as Run has created the knative-serving namespace.
	kubelet := make(chan error, 1)
	go func() {
		pod := &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: "activator-7d9f-abcde", Namespace: "knative-serving", Labels: map[string]string{"app": "activator", "role": "activator"}},
			Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "activator", Image: "registry.invalid/activator"}}},
		}
		err := wait.PollUntilContextTimeout(ctx, 20*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
			p, err := b.cs.CoreV1().Pods("knative-serving").Create(ctx, pod, metav1.CreateOptions{})
			if apierrors.IsNotFound(err) {
				return false, nil // no namespace yet
			}
			if err == nil {
				pod = p
			}
			return err == nil, err
		})
		if err != nil {
			kubelet <- fmt.Errorf("creating the pod: %w", err)
			return
		}
		pod.Status.Phase = corev1.PodPending
		pod.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: "activator", State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "ImagePullBackOff", Message: "Back-off pulling image \"registry.invalid/activator\""}}}}
		if _, err := b.cs.CoreV1().Pods("knative-serving").UpdateStatus(ctx, pod, metav1.UpdateOptions{}); err != nil {
			kubelet <- fmt.Errorf("writing the pod's status: %w", err)
			return
		}
		ev := &corev1.Event{
			ObjectMeta:     metav1.ObjectMeta{Name: "activator-pull", Namespace: "knative-serving"},
			InvolvedObject: corev1.ObjectReference{Kind: "Pod", Name: pod.Name, Namespace: "knative-serving"},
			Reason:         "Failed", Type: "Warning", LastTimestamp: metav1.Now(),
			Message: "Failed to pull image \"registry.invalid/activator\": name unknown",
		}
		_, err = b.cs.CoreV1().Events("knative-serving").Create(ctx, ev, metav1.CreateOptions{})
		kubelet <- err
	}()
	o := b.options(t, "1.23.0")
	o.ReadyTimeout = 3 * time.Second
	_, err := Run(ctx, b.progress(), b.cl, o)
	var nr *notReadyError
	if err == nil || !asNotReady(err, &nr) {
		t.Fatalf("got %v, want a NotReadyError", err)
	}
	if err := <-kubelet; err != nil {
		t.Fatalf("playing the kubelet: %v", err)
	}
	for _, want := range []string{
		"Deployment knative-serving/activator: 0/1 replicas ready",
		"pod activator-7d9f-abcde: Pending; container activator waiting: ImagePullBackOff",
		"event Warning Failed: Failed to pull image",
		"knative-serving/webhook has no ready endpoint",
	} {
		if !strings.Contains(nr.Diagnosis, want) {
			t.Errorf("diagnosis lacks %q:\n%s", want, nr.Diagnosis)
		}
	}
	if strings.Contains(nr.Diagnosis, "Deployment knative-serving/controller") {
		t.Errorf("a ready Deployment is in the diagnosis:\n%s", nr.Diagnosis)
	}
	if !strings.Contains(b.log(), "not yet: knative-serving/activator") {
		t.Errorf("progress does not say which Deployment is not ready:\n%s", b.log())
	}
}

func asNotReady(err error, target **notReadyError) bool {
	e, ok := err.(*notReadyError)
	if ok {
		*target = e
	}
	return ok
}

// The configuration webhook fills in its rules at run time; when it has
// and then stops answering, the config step retries and names it.
func TestIntegrationDeadConfigWebhookIsNamed(t *testing.T) {
	b := newBed(t, "1.23.0")
	testenv.PlayKnative(t, b.cs)
	ctx := t.Context()
	if _, err := Run(ctx, b.progress(), b.cl, b.options(t, "1.23.0")); err != nil {
		t.Fatal(err)
	}
	vwc, err := b.cs.AdmissionregistrationV1().ValidatingWebhookConfigurations().Get(ctx, "config.webhook.serving.knative.dev", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	vwc.Webhooks[0].Rules = []admissionv1.RuleWithOperations{{
		Operations: []admissionv1.OperationType{admissionv1.Create, admissionv1.Update},
		Rule:       admissionv1.Rule{APIGroups: []string{""}, APIVersions: []string{"v1"}, Resources: []string{"configmaps"}},
	}}
	vwc.Webhooks[0].TimeoutSeconds = ptr.To[int32](1)
	if _, err := b.cs.AdmissionregistrationV1().ValidatingWebhookConfigurations().Update(ctx, vwc, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	o := b.options(t, "1.23.0")
	o.Domain = "changed.example"
	o.ConfigRetryFor = 2 * time.Second
	_, err = Run(ctx, b.progress(), b.cl, o)
	if err == nil {
		t.Fatal("configuring through a dead webhook succeeded")
	}
	for _, want := range []string{"configuring Knative", `the admission webhook "config.webhook.serving.knative.dev" is not answering`, "gave up after retrying for 2s"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
}

func TestIntegrationOldKubernetesIsRefusedBeforeApplying(t *testing.T) {
	b := newBed(t, "1.23.0")
	b.cl.Version = &version.Info{GitVersion: "v1.31.4"}
	_, err := Run(t.Context(), b.progress(), b.cl, b.options(t, "1.23.0"))
	if err == nil || !strings.Contains(err.Error(), "v1.31.4") || !strings.Contains(err.Error(), "1.34") {
		t.Fatalf("got %v, want a refusal naming both versions", err)
	}
	if _, err := b.cs.CoreV1().Namespaces().Get(t.Context(), "knative-serving", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("something was applied before the refusal: %v", err)
	}
}
