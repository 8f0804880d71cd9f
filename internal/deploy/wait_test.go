package deploy

import (
	"bytes"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"knative.dev/pkg/apis"
	duckv1 "knative.dev/pkg/apis/duck/v1"
	servingv1 "knative.dev/serving/pkg/apis/serving/v1"

	"github.com/knative-preview/action/internal/console"
)

func waiting(reason, msg string) corev1.ContainerStatus {
	return corev1.ContainerStatus{Name: "user-container", State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: reason, Message: msg}}}
}

func TestPodFailure(t *testing.T) {
	cases := []struct {
		name   string
		status corev1.PodStatus
		reason string // "" : no failure
	}{
		{"creating", corev1.PodStatus{Phase: corev1.PodPending, ContainerStatuses: []corev1.ContainerStatus{waiting("ContainerCreating", "")}}, ""},
		{"running", corev1.PodStatus{Phase: corev1.PodRunning, ContainerStatuses: []corev1.ContainerStatus{{Name: "user-container", State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}}}}, ""},
		{"pull", corev1.PodStatus{ContainerStatuses: []corev1.ContainerStatus{waiting("ErrImagePull", "not found")}}, "ErrImagePull"},
		{"backoff", corev1.PodStatus{ContainerStatuses: []corev1.ContainerStatus{waiting("ImagePullBackOff", "back-off")}}, "ImagePullBackOff"},
		{"init container", corev1.PodStatus{InitContainerStatuses: []corev1.ContainerStatus{waiting("CrashLoopBackOff", "")}}, "CrashLoopBackOff"},
		{"config", corev1.PodStatus{ContainerStatuses: []corev1.ContainerStatus{waiting("CreateContainerConfigError", `secret "db" not found`)}}, "CreateContainerConfigError"},
		{"unschedulable", corev1.PodStatus{Conditions: []corev1.PodCondition{{Type: corev1.PodScheduled, Status: corev1.ConditionFalse, Reason: "Unschedulable", Message: "0/1 nodes"}}}, reasonUnschedulable},
		{"scheduling in progress", corev1.PodStatus{Conditions: []corev1.PodCondition{{Type: corev1.PodScheduled, Status: corev1.ConditionFalse, Reason: "SchedulingGated"}}}, ""},
	}
	for _, c := range cases {
		pod := &corev1.Pod{Status: c.status}
		pod.Name = "p"
		f := podFailure(pod)
		switch {
		case c.reason == "" && f != nil:
			t.Errorf("%s: failure %v, want none", c.name, f)
		case c.reason != "" && (f == nil || f.Reason != c.reason):
			t.Errorf("%s: failure %v, want reason %s", c.name, f, c.reason)
		}
	}
}

func TestRevisionFailure(t *testing.T) {
	rev := &servingv1.Revision{}
	rev.Name = "web-00001"
	if f := revisionFailure(rev); f != nil {
		t.Errorf("a revision without conditions failed: %v", f)
	}
	rev.Status.Status = duckv1.Status{Conditions: duckv1.Conditions{
		{Type: servingv1.RevisionConditionResourcesAvailable, Status: "Unknown", Reason: "Deploying"},
	}}
	if f := revisionFailure(rev); f != nil {
		t.Errorf("a deploying revision failed: %v", f)
	}
	rev.Status.Conditions = append(rev.Status.Conditions, apis.Condition{
		Type: servingv1.RevisionConditionContainerHealthy, Status: "False", Reason: reasonContainerMissing,
		Message: "Unable to fetch image \"ghcr.io/o/nope:v1\": failed to resolve image to digest: 404",
	})
	f := revisionFailure(rev)
	if f == nil || f.Reason != reasonContainerMissing || !strings.Contains(f.Error(), "failed to resolve image to digest") {
		t.Errorf("got %v, want the digest failure", f)
	}
}

// A crashing app may print its environment: the failure keeps the log as
// the cluster gave it, and the run's console, through which it reaches
// the user, shows no secret-env value.
func TestFailureMasksSecrets(t *testing.T) {
	w := &waiter{}
	f := w.located(&failure{Reason: "CrashLoopBackOff", Message: "exit: token hunter2 rejected", Log: "TOKEN=hunter2\npanic\n"}, "web-00001")
	var b bytes.Buffer
	con := console.NewActions(&b, func(string) string { return "" })
	con.Mask("hunter2")
	con.Errorf("stage deploy: %v", f)
	if s := b.String(); strings.Contains(strings.ReplaceAll(s, "::add-mask::hunter2", ""), "hunter2") || !strings.Contains(s, "TOKEN=***") || !strings.Contains(s, "revision web-00001") {
		t.Errorf("the log: %s", s)
	}
}
