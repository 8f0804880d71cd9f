package install

import (
	"fmt"
	"slices"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/knative-preview/action/internal/apply"
)

const smallManifest = `apiVersion: v1
kind: Namespace
metadata:
  name: knative-serving
  labels:
    app.kubernetes.io/version: "1.23.0"
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: activator
  namespace: knative-serving
spec:
  template:
    spec:
      initContainers:
      - name: setup
        image: setup
        resources:
          limits:
            cpu: 1
      containers:
      - name: activator
        image: activator
        resources:
          requests:
            cpu: 300m
            memory: 60Mi
          limits:
            cpu: 1000m
            memory: 600Mi
      - name: small
        image: small
        resources:
          requests:
            cpu: 10m
      - name: bare
        image: bare
      - name: numeric
        image: numeric
        resources:
          requests:
            cpu: 0.5
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: gateway
  namespace: kourier-system
spec:
  template:
    spec:
      containers:
      - name: envoy
        image: envoy
        resources:
          requests:
            cpu: 200m
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: other
  namespace: elsewhere
spec:
  template:
    spec:
      containers:
      - name: app
        image: app
        resources:
          requests:
            cpu: 2
`

func TestLowerCPURequests(t *testing.T) {
	objs, err := apply.Decode("test", []byte(smallManifest))
	if err != nil {
		t.Fatal(err)
	}
	got, lowered, err := lowerCPURequests(objs, []string{"knative-serving", "kourier-system"})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"knative-serving/activator setup none (limit 1)",
		"knative-serving/activator activator 300m",
		"knative-serving/activator numeric 500m",
		"kourier-system/gateway envoy 200m",
	}
	slices.Sort(want)
	slices.Sort(lowered)
	if !slices.Equal(lowered, want) {
		t.Errorf("lowered\n %q\nwant\n %q", lowered, want)
	}
	if len(got) != len(objs) {
		t.Errorf("%d objects, want the %d given (the namespace is among them)", len(got), len(objs))
	}
	if v := got[0].GetAnnotations()[loweredAnnotation]; v != "25m" {
		t.Errorf("the namespace records %q, want 25m", v)
	}
	field := func(o *unstructured.Unstructured, list string, i int, path ...string) any {
		t.Helper()
		cs, _, _ := unstructured.NestedSlice(o.Object, "spec", "template", "spec", list)
		v, _, _ := unstructured.NestedFieldNoCopy(cs[i].(map[string]any), path...)
		return v
	}
	for _, c := range []struct {
		obj        int
		list       string
		i          int
		path       []string
		want       string
		whatItIsOf string
	}{
		{1, "initContainers", 0, []string{"resources", "requests", "cpu"}, "25m", "a limit without a request gets the cap"},
		{1, "initContainers", 0, []string{"resources", "limits", "cpu"}, "1", "the limit stays"},
		{1, "containers", 0, []string{"resources", "requests", "cpu"}, "25m", "a request above the cap is capped"},
		{1, "containers", 0, []string{"resources", "requests", "memory"}, "60Mi", "memory stays"},
		{1, "containers", 0, []string{"resources", "limits", "cpu"}, "1000m", "the limit stays"},
		{1, "containers", 1, []string{"resources", "requests", "cpu"}, "10m", "a request below the cap stays"},
		{1, "containers", 2, []string{"resources"}, "<nil>", "a container without resources stays without"},
		{1, "containers", 3, []string{"resources", "requests", "cpu"}, "25m", "a numeric request is read"},
		{2, "containers", 0, []string{"resources", "requests", "cpu"}, "25m", "the ingress namespace is capped"},
		{3, "containers", 0, []string{"resources", "requests", "cpu"}, "2", "another namespace is left alone"},
	} {
		if v := fmt.Sprint(field(got[c.obj], c.list, c.i, c.path...)); v != c.want {
			t.Errorf("%s: %s %s[%d] %v = %s, want %s", c.whatItIsOf, got[c.obj].GetName(), c.list, c.i, c.path, v, c.want)
		}
	}

	// Manifests without the namespace: it is added, to carry the record.
	got, _, err = lowerCPURequests(objs[1:2], []string{"knative-serving"})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[1].GetKind() != "Namespace" || got[1].GetName() != "knative-serving" || got[1].GetAnnotations()[loweredAnnotation] != "25m" {
		t.Errorf("got %v", got)
	}

	// A request that is not a quantity is an error that names it.
	bad, err := apply.Decode("test", []byte("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x, namespace: knative-serving}\nspec: {template: {spec: {containers: [{name: c, resources: {requests: {cpu: lots}}}]}}}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := lowerCPURequests(bad, []string{"knative-serving"}); err == nil || err.Error() != `Deployment knative-serving/x container c: its CPU request lots is not a quantity: quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'` {
		t.Errorf("got %v", err)
	}
}
