package install

import (
	"fmt"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/knative-preview/action/internal/buildinfo"
)

// On small nodes (kind on a 2-CPU runner) Knative's and the ingress's
// Deployments request more CPU than the node has left beside kind's control
// plane, and some of their pods would never be scheduled. There the install
// caps every container's CPU request at cpuRequestCap in the objects it
// applies: the applied-hash then covers the lowered requests, so a re-run
// finds them unchanged and an upgrade lowers the new release's requests
// too. Limits and memory stay as released. (The activator's and webhook's
// HorizontalPodAutoscalers measure CPU against the request; kind runs no
// metrics-server, so they do not scale out on the lowered requests.)
const cpuRequestCap = "25m"

// loweredAnnotation, on the knative-serving Namespace, records that the
// install lowered the CPU requests on this cluster (its value is the cap):
// a later run that reuses the cluster lowers them again rather than undo
// it, even though its target cannot tell the cluster is small.
const loweredAnnotation = buildinfo.Name + "/lowered-cpu-requests"

var (
	deploymentKind = schema.GroupKind{Group: "apps", Kind: "Deployment"}
	namespaceKind  = schema.GroupKind{Kind: "Namespace"}
)

// lowerCPURequests caps the CPU request of every container and init
// container of the Deployments of namespaces among objs at cpuRequestCap, in
// place, and records that on the knative-serving Namespace (added to objs
// when the manifests lack it). A container with a CPU limit but no request
// gets the cap as its request (Kubernetes would default the request to the
// limit). It returns objs and what it lowered, as "<ns>/<deployment>
// <container> <old request>".
func lowerCPURequests(objs []*unstructured.Unstructured, namespaces []string) ([]*unstructured.Unstructured, []string, error) {
	limit := resource.MustParse(cpuRequestCap)
	var lowered []string
	marked := false
	for _, o := range objs {
		switch o.GroupVersionKind().GroupKind() {
		case namespaceKind:
			if o.GetName() == servingNS {
				markLowered(o)
				marked = true
			}
		case deploymentKind:
			if !slices.Contains(namespaces, o.GetNamespace()) {
				continue
			}
			for _, field := range []string{"containers", "initContainers"} {
				path := []string{"spec", "template", "spec", field}
				containers, found, err := unstructured.NestedSlice(o.Object, path...)
				if err != nil {
					return nil, nil, fmt.Errorf("Deployment %s/%s: %w", o.GetNamespace(), o.GetName(), err)
				}
				if !found {
					continue
				}
				changed := false
				for _, c := range containers {
					cm, ok := c.(map[string]any)
					if !ok {
						return nil, nil, fmt.Errorf("Deployment %s/%s: %s holds a %T, not a container", o.GetNamespace(), o.GetName(), field, c)
					}
					old, err := capCPURequest(cm, limit)
					if err != nil {
						return nil, nil, fmt.Errorf("Deployment %s/%s container %v: %w", o.GetNamespace(), o.GetName(), cm["name"], err)
					}
					if old != "" {
						lowered = append(lowered, fmt.Sprintf("%s/%s %v %s", o.GetNamespace(), o.GetName(), cm["name"], old))
						changed = true
					}
				}
				if changed {
					if err := unstructured.SetNestedSlice(o.Object, containers, path...); err != nil {
						return nil, nil, fmt.Errorf("Deployment %s/%s: %w", o.GetNamespace(), o.GetName(), err)
					}
				}
			}
		}
	}
	if !marked {
		ns := &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": "v1", "kind": "Namespace",
			"metadata": map[string]any{"name": servingNS},
		}}
		markLowered(ns)
		objs = append(objs, ns)
	}
	return objs, lowered, nil
}

func markLowered(ns *unstructured.Unstructured) {
	ann := ns.GetAnnotations()
	if ann == nil {
		ann = map[string]string{}
	}
	ann[loweredAnnotation] = cpuRequestCap
	ns.SetAnnotations(ann)
}

// capCPURequest lowers the CPU request of container c to limit when it is
// above it (or, with no request, when its CPU limit is), and returns what
// the request was ("" when nothing changed; "none (limit 1)" when the
// request came from the limit).
func capCPURequest(c map[string]any, limit resource.Quantity) (string, error) {
	request, hasRequest, err := cpuOf(c, "requests")
	if err != nil {
		return "", err
	}
	was := ""
	switch {
	case hasRequest && request.Cmp(limit) > 0:
		was = request.String()
	case !hasRequest:
		lim, hasLimit, err := cpuOf(c, "limits")
		if err != nil {
			return "", err
		}
		if !hasLimit || lim.Cmp(limit) <= 0 {
			return "", nil
		}
		was = "none (limit " + lim.String() + ")"
	default:
		return "", nil
	}
	if err := unstructured.SetNestedField(c, limit.String(), "resources", "requests", "cpu"); err != nil {
		return "", fmt.Errorf("setting its CPU request: %w", err)
	}
	return was, nil
}

// cpuOf reads resources.<kind>.cpu of a container, which YAML may have
// decoded as a string or a number.
func cpuOf(c map[string]any, kind string) (resource.Quantity, bool, error) {
	v, found, err := unstructured.NestedFieldNoCopy(c, "resources", kind, "cpu")
	if err != nil || !found || v == nil {
		return resource.Quantity{}, false, err
	}
	q, err := resource.ParseQuantity(strings.TrimSpace(fmt.Sprint(v)))
	if err != nil {
		return resource.Quantity{}, false, fmt.Errorf("its CPU %s %v is not a quantity: %w", strings.TrimSuffix(kind, "s"), v, err)
	}
	return q, true, nil
}
