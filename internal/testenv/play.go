package testenv

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"

	"github.com/knative-preview/action/internal/ingress"
	"github.com/knative-preview/action/internal/kube"
)

// PlayKnative plays, until the test ends, the parts of a cluster that do not
// run in the test bed and that installing Knative waits for: it marks every
// Deployment and DaemonSet in knative-serving and in every networking
// layer's namespaces Available (except those named in stuck) and gives the
// webhook Service a ready endpoint (unless stuck names "webhook-endpoint").
func PlayKnative(t testing.TB, cs kubernetes.Interface, stuck ...string) {
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	t.Cleanup(func() { cancel(); wg.Wait() })
	namespaces := []string{"knative-serving"}
	for _, g := range ingress.All() {
		namespaces = append(namespaces, g.Namespaces...)
	}
	go func() {
		defer wg.Done()
		for ctx.Err() == nil {
			for _, ns := range namespaces {
				playDaemonSets(ctx, cs, ns, stuck)
				list, err := cs.AppsV1().Deployments(ns).List(ctx, metav1.ListOptions{})
				if err != nil {
					continue
				}
				for _, d := range list.Items {
					if slices.Contains(stuck, d.Name) || kube.DeploymentRolledOut(&d) {
						continue
					}
					RolledOut(&d)
					_, _ = cs.AppsV1().Deployments(ns).UpdateStatus(ctx, &d, metav1.UpdateOptions{})
				}
			}
			if !slices.Contains(stuck, "webhook-endpoint") {
				es := &discoveryv1.EndpointSlice{
					ObjectMeta:  metav1.ObjectMeta{Name: "webhook-test", Namespace: "knative-serving", Labels: map[string]string{discoveryv1.LabelServiceName: "webhook"}},
					AddressType: discoveryv1.AddressTypeIPv4,
					Endpoints:   []discoveryv1.Endpoint{{Addresses: []string{"10.96.0.200"}, Conditions: discoveryv1.EndpointConditions{Ready: ptr.To(true)}}},
				}
				if _, err := cs.DiscoveryV1().EndpointSlices("knative-serving").Create(ctx, es, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) && !apierrors.IsNotFound(err) && ctx.Err() == nil {
					t.Logf("playing Knative: endpoint slice: %v", err)
				}
			}
			select {
			case <-ctx.Done():
			case <-time.After(100 * time.Millisecond):
			}
		}
	}()
}

// playDaemonSets plays the DaemonSet controller and a one-node cluster's
// kubelet: one pod per DaemonSet, up to date and available.
func playDaemonSets(ctx context.Context, cs kubernetes.Interface, ns string, stuck []string) {
	list, err := cs.AppsV1().DaemonSets(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		return
	}
	for _, d := range list.Items {
		if slices.Contains(stuck, d.Name) || d.Status.ObservedGeneration == d.Generation && d.Status.NumberAvailable > 0 {
			continue
		}
		d.Status = appsv1.DaemonSetStatus{
			ObservedGeneration:     d.Generation,
			CurrentNumberScheduled: 1, DesiredNumberScheduled: 1, NumberReady: 1,
			UpdatedNumberScheduled: 1, NumberAvailable: 1,
		}
		_, _ = cs.AppsV1().DaemonSets(ns).UpdateStatus(ctx, &d, metav1.UpdateOptions{})
	}
}

// RolledOut sets d's status as the Deployment controller does once d's
// current generation is rolled out with every replica it wants.
func RolledOut(d *appsv1.Deployment) {
	n := int32(1)
	if d.Spec.Replicas != nil {
		n = *d.Spec.Replicas
	}
	d.Status.ObservedGeneration = d.Generation
	d.Status.Replicas, d.Status.UpdatedReplicas, d.Status.ReadyReplicas, d.Status.AvailableReplicas = n, n, n, n
	d.Status.Conditions = []appsv1.DeploymentCondition{{Type: appsv1.DeploymentAvailable, Status: corev1.ConditionTrue, Reason: "MinimumReplicasAvailable"}}
}
