package install

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/dynamic"

	"github.com/knative-preview/action/internal/ingress"
	"github.com/knative-preview/action/internal/manifests"
	"github.com/knative-preview/action/internal/release"
	"github.com/knative-preview/action/internal/testenv"
)

// layerCase is what a networking layer other than Kourier must leave on
// the cluster besides its gateway: its Knative controller (a Deployment in
// knative-serving) and one of the objects of its own CRDs.
type layerCase struct {
	ingress    string
	controller string
	custom     schema.GroupVersionResource
	customName string
}

func TestIntegrationIstioInstallUpgrade(t *testing.T) {
	testLayerInstallUpgrade(t, layerCase{
		ingress:    release.IngressIstio,
		controller: "net-istio-controller",
		custom:     schema.GroupVersionResource{Group: "networking.istio.io", Version: "v1beta1", Resource: "gateways"},
		customName: "knative-ingress-gateway",
	})
}

func TestIntegrationContourInstallUpgrade(t *testing.T) {
	testLayerInstallUpgrade(t, layerCase{
		ingress:    release.IngressContour,
		controller: "net-contour-controller",
		custom:     schema.GroupVersionResource{Group: "projectcontour.io", Version: "v1", Resource: "tlscertificatedelegations"},
		customName: "knative-serving-certs",
	})
}

// testLayerInstallUpgrade installs Knative 1.23.0 with the layer from a
// manifests-url folder while only 1.23.0 is released, the domain coming
// from the gateway's load balancer; then 1.23.1 is released and "1.23"
// upgrades both Serving and the layer in place.
func testLayerInstallUpgrade(t *testing.T, lc layerCase) {
	b := newBed(t, "1.23.0", "1.23.1")
	b.gh = fakeGitHub(t, release.TagPrefix+"1.23.0")
	testenv.PlayKnative(t, b.cs)
	ctx := t.Context()
	gw, err := ingress.GatewayOf(lc.ingress)
	if err != nil {
		t.Fatal(err)
	}
	refs, err := manifests.Files(lc.ingress)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range refs {
		if _, err := os.Stat(testenv.ManifestFile(b.dir, r.Component, "1.23.0", r.File)); err != nil {
			t.Fatalf("the manifests-url folder lacks %s: %v", r, err)
		}
	}
	lb := playLoadBalancer(t, b, gw, "203.0.113.9")
	b.cl.IngressNodePort = 31080

	o := b.options(t, "1.23.0")
	o.Ingress = lc.ingress
	o.LoadBalancerTimeout = 30 * time.Second
	res, err := Run(ctx, b.progress(), b.cl, o)
	if err != nil {
		t.Fatalf("install: %v\nlog:\n%s", err, b.log())
	}
	if err := <-lb; err != nil {
		t.Errorf("playing the load balancer: %v", err)
	}
	if res.Versions.Serving != "1.23.0" || res.Versions.Ingress != "1.23.0" || res.Upgraded != "" || res.Domain != "203.0.113.9.sslip.io" {
		t.Errorf("install result %+v", res)
	}
	if got := b.configMap(t, "config-network")["ingress-class"]; got != gw.Class {
		t.Errorf("config-network ingress-class %q, want %q", got, gw.Class)
	}
	if _, ok := b.configMap(t, "config-domain")["203.0.113.9.sslip.io"]; !ok {
		t.Errorf("config-domain %v", b.configMap(t, "config-domain"))
	}
	for _, ns := range gw.Namespaces {
		if !strings.Contains(b.log(), ns) {
			t.Errorf("the wait did not say it waits for %s:\n%s", ns, b.log())
		}
	}
	if !strings.Contains(b.log(), "Knative Serving is ready") {
		t.Errorf("the log does not say Knative is ready:\n%s", b.log())
	}
	checkNodePortReachesGateway(t, b, gw)
	dyn := dynamic.NewForConfigOrDie(b.env.Config)
	if _, err := dyn.Resource(lc.custom).Namespace(servingNS).Get(ctx, lc.customName, metav1.GetOptions{}); err != nil {
		t.Errorf("the layer's %s %s: %v", lc.custom.Resource, lc.customName, err)
	}
	before, err := b.cs.AppsV1().Deployments(servingNS).Get(ctx, lc.controller, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}

	// 1.23.1 is released. serving-core's webhooks have no server in the
	// test bed and would refuse the Knative objects that change, so this
	// test, which is not about webhooks, removes them (as the Kourier one).
	for _, n := range []string{"validation.webhook.serving.knative.dev", "config.webhook.serving.knative.dev"} {
		_ = b.cs.AdmissionregistrationV1().ValidatingWebhookConfigurations().Delete(ctx, n, metav1.DeleteOptions{})
	}
	_ = b.cs.AdmissionregistrationV1().MutatingWebhookConfigurations().Delete(ctx, "webhook.serving.knative.dev", metav1.DeleteOptions{})
	b.gh = fakeGitHub(t, release.TagPrefix+"1.23.0", release.TagPrefix+"1.23.1")
	o = b.options(t, "1.23")
	o.Ingress = lc.ingress
	res, err = Run(ctx, b.progress(), b.cl, o)
	if err != nil {
		t.Fatalf("upgrade: %v\nlog:\n%s", err, b.log())
	}
	if res.Versions.Serving != "1.23.1" || res.Versions.Ingress != "1.23.1" || res.Upgraded != "1.23.0" || res.Applied.Updated == 0 || res.Domain != "203.0.113.9.sslip.io" {
		t.Errorf("upgrade result %+v", res)
	}
	if !strings.Contains(b.log(), "upgrading Knative Serving from 1.23.0 to 1.23.1") {
		t.Errorf("the log does not say it upgraded:\n%s", b.log())
	}
	after, err := b.cs.AppsV1().Deployments(servingNS).Get(ctx, lc.controller, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if after.UID != before.UID {
		t.Errorf("%s was replaced, not updated in place", lc.controller)
	}
	if img := after.Spec.Template.Spec.Containers[0].Image; !strings.HasSuffix(img, ":v1.23.1") {
		t.Errorf("%s image after the upgrade: %s", lc.controller, img)
	}
	if got := b.configMap(t, "config-network")["ingress-class"]; got != gw.Class {
		t.Errorf("the upgrade lost our ingress-class: %q", got)
	}
	checkNothingOld(t, b, dyn, append([]string{servingNS}, gw.Namespaces...), "1.23.0")
}

// playLoadBalancer plays the cloud's load balancer controller: once Run
// has created the gateway Service, it gets the address ip.
func playLoadBalancer(t *testing.T, b *bed, gw ingress.Gateway, ip string) <-chan error {
	t.Helper()
	ctx := t.Context()
	lb := make(chan error, 1)
	go func() {
		lb <- wait.PollUntilContextTimeout(ctx, 20*time.Millisecond, 60*time.Second, true, func(ctx context.Context) (bool, error) {
			svc, err := b.cs.CoreV1().Services(gw.Namespace).Get(ctx, gw.Service, metav1.GetOptions{})
			if apierrors.IsNotFound(err) {
				return false, nil
			}
			if err != nil {
				return false, err
			}
			svc.Status.LoadBalancer.Ingress = []corev1.LoadBalancerIngress{{IP: ip}}
			_, err = b.cs.CoreV1().Services(gw.Namespace).UpdateStatus(ctx, svc, metav1.UpdateOptions{})
			if apierrors.IsConflict(err) {
				return false, nil // Run changed the Service meanwhile: read it again
			}
			return err == nil, err
		})
	}()
	return lb
}

// checkNodePortReachesGateway checks that the NodePort Service made for
// kind is in the gateway's namespace and selects the pods of a workload the
// layer's release runs there, on a port those pods serve.
func checkNodePortReachesGateway(t *testing.T, b *bed, gw ingress.Gateway) {
	t.Helper()
	ctx := t.Context()
	svc, err := b.cs.CoreV1().Services(gw.Namespace).Get(ctx, nodePortServiceName, metav1.GetOptions{})
	if err != nil {
		t.Fatalf("the NodePort Service: %v", err)
	}
	var templates []corev1.PodTemplateSpec
	deps, err := b.cs.AppsV1().Deployments(gw.Namespace).List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range deps.Items {
		templates = append(templates, d.Spec.Template)
	}
	dss, err := b.cs.AppsV1().DaemonSets(gw.Namespace).List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range dss.Items {
		templates = append(templates, d.Spec.Template)
	}
	sel := labels.SelectorFromSet(svc.Spec.Selector)
	target := svc.Spec.Ports[0].TargetPort.IntValue()
	for _, tmpl := range templates {
		if !sel.Matches(labels.Set(tmpl.Labels)) {
			continue
		}
		for _, c := range tmpl.Spec.Containers {
			for _, p := range c.Ports {
				if int(p.ContainerPort) == target {
					return
				}
			}
		}
	}
	t.Errorf("the NodePort Service selects %v on port %d: no pod of %s has those labels and serves that port", svc.Spec.Selector, target, gw.Namespace)
}

// checkNothingOld checks that after an upgrade no object of the release in
// namespaces (and no cluster-wide one) still carries the old version's
// label or images.
func checkNothingOld(t *testing.T, b *bed, dyn dynamic.Interface, namespaces []string, old string) {
	t.Helper()
	ctx := t.Context()
	oldLabel := metav1.ListOptions{LabelSelector: "app.kubernetes.io/version=" + old}
	namespaced := []schema.GroupVersionResource{
		{Group: "apps", Version: "v1", Resource: "deployments"},
		{Group: "apps", Version: "v1", Resource: "daemonsets"},
		{Version: "v1", Resource: "services"},
		{Version: "v1", Resource: "configmaps"},
		{Version: "v1", Resource: "secrets"},
		{Version: "v1", Resource: "serviceaccounts"},
		{Group: "batch", Version: "v1", Resource: "jobs"},
	}
	for _, ns := range namespaces {
		for _, gvr := range namespaced {
			list, err := dyn.Resource(gvr).Namespace(ns).List(ctx, oldLabel)
			if err != nil {
				t.Fatal(err)
			}
			for _, o := range list.Items {
				t.Errorf("%s %s/%s still has version %s after the upgrade", gvr.Resource, ns, o.GetName(), old)
			}
		}
		deps, err := b.cs.AppsV1().Deployments(ns).List(ctx, metav1.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range deps.Items {
			for _, c := range d.Spec.Template.Spec.Containers {
				if strings.HasSuffix(c.Image, ":v"+old) {
					t.Errorf("Deployment %s/%s still runs %s", ns, d.Name, c.Image)
				}
			}
		}
	}
	for _, gvr := range []schema.GroupVersionResource{
		{Version: "v1", Resource: "namespaces"},
		{Group: "rbac.authorization.k8s.io", Version: "v1", Resource: "clusterroles"},
		{Group: "admissionregistration.k8s.io", Version: "v1", Resource: "validatingwebhookconfigurations"},
		{Group: "admissionregistration.k8s.io", Version: "v1", Resource: "mutatingwebhookconfigurations"},
		{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"},
	} {
		list, err := dyn.Resource(gvr).List(ctx, oldLabel)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range list.Items {
			t.Errorf("%s %s still has version %s after the upgrade", gvr.Resource, o.GetName(), old)
		}
	}
}

// Contour's gateway is a DaemonSet (envoy): while its pods are not
// available, Knative is not ready, and the diagnosis names it.
func TestIntegrationContourWaitsForEnvoy(t *testing.T) {
	b := newBed(t, "1.23.0")
	testenv.PlayKnative(t, b.cs, "envoy")
	o := b.options(t, "1.23.0")
	o.Ingress = release.IngressContour
	o.ReadyTimeout = 3 * time.Second
	_, err := Run(t.Context(), b.progress(), b.cl, o)
	var nr *notReadyError
	if err == nil || !asNotReady(err, &nr) {
		t.Fatalf("got %v with envoy not available, want a NotReadyError\nlog:\n%s", err, b.log())
	}
	for _, want := range []string{"DaemonSet contour-external/envoy: 0/0 pods available", "DaemonSet contour-internal/envoy"} {
		if !strings.Contains(nr.Diagnosis, want) {
			t.Errorf("the diagnosis lacks %q:\n%s", want, nr.Diagnosis)
		}
	}
	if strings.Contains(nr.Diagnosis, "Deployment contour-external/contour") {
		t.Errorf("an available Deployment is in the diagnosis:\n%s", nr.Diagnosis)
	}
	if !strings.Contains(b.log(), "not yet: DaemonSet contour-external/envoy, DaemonSet contour-internal/envoy") {
		t.Errorf("progress does not name the envoy DaemonSets:\n%s", b.log())
	}
}
