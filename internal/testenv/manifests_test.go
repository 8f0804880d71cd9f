package testenv_test

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/knative-preview/action/internal/apply"
	"github.com/knative-preview/action/internal/ingress"
	"github.com/knative-preview/action/internal/manifests"
	"github.com/knative-preview/action/internal/release"
	"github.com/knative-preview/action/internal/testenv"
)

// The generated releases hold, for every networking layer, the files the
// installer fetches, in the mirror-folder layout, with the namespaces and
// the gateway Service (selector, ports) that installing relies on, and a
// version that shows in the Knative-built images and labels.
func TestReleaseManifestsHoldWhatInstallingExpects(t *testing.T) {
	dir := t.TempDir()
	testenv.WriteReleaseManifests(t, dir, "1.23.4")
	for _, name := range release.Ingresses() {
		refs, err := manifests.Files(name)
		if err != nil {
			t.Fatal(err)
		}
		var objs []*unstructured.Unstructured
		for _, r := range refs {
			data, err := os.ReadFile(testenv.ManifestFile(dir, r.Component, "1.23.4", r.File))
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if r.Component != release.Serving && (strings.Contains(string(data), "ko://") || strings.Contains(string(data), ": devel")) {
				t.Errorf("%s still has module-source images or devel labels", r)
			}
			decoded, err := apply.Decode(r.String(), data)
			if err != nil {
				t.Fatal(err)
			}
			objs = append(objs, decoded...)
		}
		gw, err := ingress.GatewayOf(name)
		if err != nil {
			t.Fatal(err)
		}
		find := func(kind, ns, n string) *unstructured.Unstructured {
			for _, o := range objs {
				if o.GetKind() == kind && o.GetNamespace() == ns && o.GetName() == n {
					return o
				}
			}
			return nil
		}
		for _, ns := range gw.Namespaces {
			if find("Namespace", "", ns) == nil {
				t.Errorf("%s: no Namespace %s", name, ns)
			}
		}
		svc := find("Service", gw.Namespace, gw.Service)
		if svc == nil {
			t.Errorf("%s: no gateway Service %s/%s", name, gw.Namespace, gw.Service)
			continue
		}
		if typ, _, _ := unstructured.NestedString(svc.Object, "spec", "type"); typ != "LoadBalancer" {
			t.Errorf("%s: gateway Service type %q", name, typ)
		}
		sel, _, _ := unstructured.NestedStringMap(svc.Object, "spec", "selector")
		for k, v := range gw.Selector {
			if sel[k] != v {
				t.Errorf("%s: gateway Service selector %v lacks %s=%s", name, sel, k, v)
			}
		}
		ports, _, _ := unstructured.NestedSlice(svc.Object, "spec", "ports")
		if !slices.ContainsFunc(ports, func(p any) bool { return fmt.Sprint(p.(map[string]any)["targetPort"]) == fmt.Sprint(gw.TargetPort) }) {
			t.Errorf("%s: no gateway port targets %d: %v", name, gw.TargetPort, ports)
		}
		// The gateway's pods come from a workload of the layer whose pod
		// labels the selector matches.
		if !slices.ContainsFunc(objs, func(o *unstructured.Unstructured) bool {
			labels, _, _ := unstructured.NestedStringMap(o.Object, "spec", "template", "metadata", "labels")
			if o.GetNamespace() != gw.Namespace || o.GetKind() != "Deployment" && o.GetKind() != "DaemonSet" {
				return false
			}
			for k, v := range gw.Selector {
				if labels[k] != v {
					return false
				}
			}
			return true
		}) {
			t.Errorf("%s: no Deployment or DaemonSet in %s runs the gateway's pods (%v)", name, gw.Namespace, gw.Selector)
		}
	}
}
