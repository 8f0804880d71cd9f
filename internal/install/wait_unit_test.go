package install

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
	"k8s.io/utils/ptr"

	"github.com/knative-preview/action/internal/log"
)

// knativeDeployment is a Deployment of Knative Serving, available or not.
func knativeDeployment(name string, available bool) *appsv1.Deployment {
	status := corev1.ConditionFalse
	if available {
		status = corev1.ConditionTrue
	}
	labels := map[string]string{"app": name}
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: servingNS, Generation: 1},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To[int32](1),
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels}},
		},
		Status: appsv1.DeploymentStatus{ObservedGeneration: 1, Conditions: []appsv1.DeploymentCondition{
			{Type: appsv1.DeploymentAvailable, Status: status, Reason: "MinimumReplicasUnavailable", Message: "Deployment does not have minimum availability."},
		}},
	}
}

func webhookEndpoints(ready bool) *discoveryv1.EndpointSlice {
	return &discoveryv1.EndpointSlice{
		ObjectMeta:  metav1.ObjectMeta{Name: "webhook-x7k2p", Namespace: servingNS, Labels: map[string]string{discoveryv1.LabelServiceName: "webhook"}},
		AddressType: discoveryv1.AddressTypeIPv4,
		Endpoints:   []discoveryv1.Endpoint{{Addresses: []string{"10.244.0.7"}, Conditions: discoveryv1.EndpointConditions{Ready: ptr.To(ready)}}},
	}
}

func pullingPod(deployment string) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: deployment + "-6b8f9c-q2xkz", Namespace: servingNS, Labels: map[string]string{"app": deployment}},
		Status: corev1.PodStatus{Phase: corev1.PodPending, ContainerStatuses: []corev1.ContainerStatus{{
			Name:  deployment,
			State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "ImagePullBackOff", Message: `Back-off pulling image "gcr.io/knative-releases/activator"`}},
		}}},
	}
}

// runWaitReady runs waitReady in the background; the result comes on the
// channel.
func runWaitReady(ctx context.Context, cs *fake.Clientset, o Options) <-chan error {
	o.defaults()
	done := make(chan error, 1)
	go func() { done <- waitReady(ctx, log.Discard, cs, []string{servingNS}, o) }()
	return done
}

func waitResult(t *testing.T, done <-chan error, within time.Duration) error {
	t.Helper()
	select {
	case err := <-done:
		return err
	case <-time.After(within):
		t.Fatalf("waitReady did not return within %s", within)
		return nil
	}
}

// looks counts the wait's looks at the Deployments and reports each on the
// returned channel, after the look has read them.
func looks(cs *fake.Clientset) <-chan struct{} {
	ch := make(chan struct{}, 1024)
	cs.PrependReactor("list", "deployments", func(a k8stesting.Action) (bool, runtime.Object, error) {
		handled, obj, err := k8stesting.ObjectReaction(cs.Tracker())(a)
		select {
		case ch <- struct{}{}:
		default:
		}
		return handled, obj, err
	})
	return ch
}

func nextLook(t *testing.T, ch <-chan struct{}, done <-chan error) {
	t.Helper()
	select {
	case <-ch:
	case err := <-done:
		t.Fatalf("waitReady returned %v before looking at the Deployments", err)
	case <-time.After(10 * time.Second):
		t.Fatal("waitReady did not look at the Deployments within 10s")
	}
}

// Knative is ready once every Deployment is available and the webhook
// has a ready endpoint; the wait notices both as they happen.
func TestWaitReadyEndsWhenAllIsReady(t *testing.T) {
	cs := fake.NewClientset(
		knativeDeployment("activator", false), knativeDeployment("autoscaler", true), knativeDeployment("webhook", true),
		webhookEndpoints(false),
	)
	seen := looks(cs)
	done := runWaitReady(t.Context(), cs, Options{ReadyTimeout: time.Minute, Poll: 5 * time.Millisecond})
	ctx := t.Context()

	nextLook(t, seen, done)
	if _, err := cs.AppsV1().Deployments(servingNS).UpdateStatus(ctx, knativeDeployment("activator", true), metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	// Every Deployment is available, the webhook not yet: the wait goes on.
	nextLook(t, seen, done)
	nextLook(t, seen, done)
	if _, err := cs.DiscoveryV1().EndpointSlices(servingNS).Update(ctx, webhookEndpoints(true), metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := waitResult(t, done, 10*time.Second); err != nil {
		t.Fatalf("waitReady: %v", err)
	}
}

// A Deployment that never becomes available ends the wait at its timeout
// with a diagnosis naming it and why its pods wait.
func TestWaitReadyNamesWhatIsNotReady(t *testing.T) {
	cs := fake.NewClientset(
		knativeDeployment("activator", false), knativeDeployment("autoscaler", true), knativeDeployment("webhook", true),
		webhookEndpoints(true), pullingPod("activator"),
	)
	done := runWaitReady(t.Context(), cs, Options{ReadyTimeout: 300 * time.Millisecond, Poll: 10 * time.Millisecond})
	err := waitResult(t, done, 10*time.Second)
	var nr *notReadyError
	if !errors.As(err, &nr) {
		t.Fatalf("got %v, want a *NotReadyError", err)
	}
	for _, want := range []string{"knative-serving/activator", "activator-6b8f9c-q2xkz", "ImagePullBackOff"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the error lacks %q:\n%v", want, err)
		}
	}
	if strings.Contains(nr.Diagnosis, "autoscaler") {
		t.Errorf("the diagnosis names the available Deployment autoscaler:\n%s", nr.Diagnosis)
	}
}

// An error that waiting cannot fix ends the wait at once; one that may
// pass is retried.
func TestWaitReadyErrors(t *testing.T) {
	gr := schema.GroupResource{Group: "apps", Resource: "deployments"}
	cases := []struct {
		name  string
		err   error
		times int32 // how many looks fail
		want  func(error) bool
	}{
		{"forbidden ends at once", apierrors.NewForbidden(gr, "", errors.New("RBAC: access denied")), 1 << 30, apierrors.IsForbidden},
		{"unauthorized ends at once", apierrors.NewUnauthorized("token expired"), 1 << 30, apierrors.IsUnauthorized},
		{"a server error is retried", apierrors.NewInternalError(errors.New("etcdserver: leader changed")), 2, func(err error) bool { return err == nil }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cs := fake.NewClientset(knativeDeployment("activator", true), webhookEndpoints(true))
			var failed atomic.Int32
			cs.PrependReactor("list", "deployments", func(k8stesting.Action) (bool, runtime.Object, error) {
				if failed.Add(1) <= c.times {
					return true, nil, c.err
				}
				return false, nil, nil
			})
			// The timeout is an hour: only an error that ends the wait at
			// once returns within the test's bound.
			done := runWaitReady(t.Context(), cs, Options{ReadyTimeout: time.Hour, Poll: 5 * time.Millisecond})
			err := waitResult(t, done, 10*time.Second)
			if !c.want(err) {
				t.Fatalf("got %v", err)
			}
			if err != nil && !strings.Contains(err.Error(), "Deployments") {
				t.Errorf("the error does not say what was being read: %v", err)
			}
		})
	}
}

// Contour's gateway, envoy, is a DaemonSet: Knative is not ready while its
// pods are not, and the diagnosis says so.
func TestWaitReadyWaitsForDaemonSets(t *testing.T) {
	envoy := func(available int32) *appsv1.DaemonSet {
		labels := map[string]string{"app": "envoy"}
		return &appsv1.DaemonSet{
			ObjectMeta: metav1.ObjectMeta{Name: "envoy", Namespace: servingNS, Generation: 2},
			Spec:       appsv1.DaemonSetSpec{Selector: &metav1.LabelSelector{MatchLabels: labels}},
			Status: appsv1.DaemonSetStatus{ObservedGeneration: 2, DesiredNumberScheduled: 1,
				UpdatedNumberScheduled: 1, NumberAvailable: available},
		}
	}
	cs := fake.NewClientset(knativeDeployment("webhook", true), webhookEndpoints(true), envoy(0))
	err := waitResult(t, runWaitReady(t.Context(), cs, Options{ReadyTimeout: 300 * time.Millisecond, Poll: 10 * time.Millisecond}), 10*time.Second)
	var nr *notReadyError
	if !errors.As(err, &nr) {
		t.Fatalf("got %v with envoy unavailable, want a *NotReadyError", err)
	}
	if want := "DaemonSet knative-serving/envoy: 0/1 pods available, 1 updated"; !strings.Contains(nr.Diagnosis, want) {
		t.Errorf("the diagnosis lacks %q:\n%s", want, nr.Diagnosis)
	}

	cs = fake.NewClientset(knativeDeployment("webhook", true), webhookEndpoints(true), envoy(1))
	if err := waitResult(t, runWaitReady(t.Context(), cs, Options{ReadyTimeout: time.Minute, Poll: 10 * time.Millisecond}), 10*time.Second); err != nil {
		t.Errorf("with envoy available: %v", err)
	}
}
