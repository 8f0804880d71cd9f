package apply

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/wait"

	"github.com/knative-preview/action/internal/kube"
)

var crdResource = schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}

// waitEstablished waits until every CRD in crds is Established, so that the
// objects of their kinds can be applied next.
func (a *Applier) waitEstablished(ctx context.Context, crds []*unstructured.Unstructured) error {
	pending := map[string]string{} // name -> why not yet
	for _, c := range crds {
		pending[c.GetName()] = "not read yet"
	}
	err := wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, a.establishTimeout, true, func(ctx context.Context) (bool, error) {
		list, err := a.dyn.Resource(crdResource).List(ctx, metav1.ListOptions{})
		if err != nil {
			if kube.Transient(err) {
				return false, nil
			}
			return false, fmt.Errorf("listing CRDs: %w", err)
		}
		for _, item := range list.Items {
			if _, ok := pending[item.GetName()]; !ok {
				continue
			}
			established, why := crdCondition(&item)
			if established {
				delete(pending, item.GetName())
			} else {
				pending[item.GetName()] = why
			}
		}
		return len(pending) == 0, nil
	})
	if err != nil {
		var lines []string
		for name, why := range pending {
			lines = append(lines, fmt.Sprintf("%s: %s", name, why))
		}
		slices.Sort(lines)
		return fmt.Errorf("waiting up to %s for %d CRDs to be Established: %w; not established:\n  %s", a.establishTimeout, len(pending), err, strings.Join(lines, "\n  "))
	}
	a.log.Infof("%d CRDs established", len(crds))
	return nil
}

func crdCondition(u *unstructured.Unstructured) (bool, string) {
	conds, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
	why := "no Established condition yet"
	for _, c := range conds {
		m, ok := c.(map[string]any)
		if !ok {
			continue
		}
		switch m["type"] {
		case "Established":
			if m["status"] == "True" {
				return true, ""
			}
			why = fmt.Sprintf("Established=%v: %v", m["status"], m["message"])
		case "NamesAccepted":
			if m["status"] == "False" {
				return false, fmt.Sprintf("names not accepted: %v", m["message"])
			}
		}
	}
	return false, why
}
