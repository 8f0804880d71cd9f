package kube

import (
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/utils/ptr"
)

// A workload is ready only once its controller has seen its current
// generation and every replica it wants is updated and ready.
func TestWorkloadReadiness(t *testing.T) {
	ds := func(edit func(*appsv1.DaemonSetStatus)) *appsv1.DaemonSet {
		d := &appsv1.DaemonSet{ObjectMeta: metav1.ObjectMeta{Generation: 2}, Status: appsv1.DaemonSetStatus{
			ObservedGeneration: 2, DesiredNumberScheduled: 1, UpdatedNumberScheduled: 1, NumberAvailable: 1}}
		edit(&d.Status)
		return d
	}
	if !DaemonSetAvailable(ds(func(*appsv1.DaemonSetStatus) {})) {
		t.Error("a DaemonSet with its pod available is not")
	}
	for name, edit := range map[string]func(*appsv1.DaemonSetStatus){
		"an older generation": func(s *appsv1.DaemonSetStatus) { s.ObservedGeneration = 1 },
		"not updated":         func(s *appsv1.DaemonSetStatus) { s.UpdatedNumberScheduled = 0 },
		"no node to run on":   func(s *appsv1.DaemonSetStatus) { s.DesiredNumberScheduled, s.NumberAvailable = 0, 0 },
	} {
		if DaemonSetAvailable(ds(edit)) {
			t.Errorf("a DaemonSet with %s is available", name)
		}
	}

	sts := func(edit func(*appsv1.StatefulSetStatus)) *appsv1.StatefulSet {
		s := &appsv1.StatefulSet{ObjectMeta: metav1.ObjectMeta{Generation: 3}, Spec: appsv1.StatefulSetSpec{Replicas: ptr.To[int32](2)},
			Status: appsv1.StatefulSetStatus{ObservedGeneration: 3, ReadyReplicas: 2, UpdatedReplicas: 2, CurrentRevision: "r2", UpdateRevision: "r2"}}
		edit(&s.Status)
		return s
	}
	if !StatefulSetReady(sts(func(*appsv1.StatefulSetStatus) {})) {
		t.Error("a StatefulSet with both replicas ready is not")
	}
	for name, edit := range map[string]func(*appsv1.StatefulSetStatus){
		"an older generation":  func(s *appsv1.StatefulSetStatus) { s.ObservedGeneration = 2 },
		"one replica ready":    func(s *appsv1.StatefulSetStatus) { s.ReadyReplicas = 1 },
		"a rollout under way":  func(s *appsv1.StatefulSetStatus) { s.CurrentRevision = "r1" },
		"one replica outdated": func(s *appsv1.StatefulSetStatus) { s.UpdatedReplicas = 1 },
	} {
		if StatefulSetReady(sts(edit)) {
			t.Errorf("a StatefulSet with %s is ready", name)
		}
	}

	job := func(conds ...batchv1.JobCondition) *batchv1.Job {
		return &batchv1.Job{Status: batchv1.JobStatus{Conditions: conds}}
	}
	if done, failed := JobFinished(job()); done || failed != "" {
		t.Error("a running Job is finished")
	}
	if done, _ := JobFinished(job(batchv1.JobCondition{Type: batchv1.JobComplete, Status: corev1.ConditionTrue})); !done {
		t.Error("a complete Job is not")
	}
	if _, failed := JobFinished(job(batchv1.JobCondition{Type: batchv1.JobFailed, Status: corev1.ConditionTrue, Reason: "BackoffLimitExceeded", Message: "Job has reached the specified backoff limit"})); failed != "BackoffLimitExceeded: Job has reached the specified backoff limit" {
		t.Errorf("a failed Job says %q", failed)
	}
}

// The diagnosis of a Job names its counts, its pods and their events.
func TestDescribeWorkloadJob(t *testing.T) {
	sel := &metav1.LabelSelector{MatchLabels: map[string]string{"job-name": "migrate"}}
	cs := fake.NewClientset(
		&batchv1.Job{ObjectMeta: metav1.ObjectMeta{Name: "migrate", Namespace: "shop"}, Spec: batchv1.JobSpec{Selector: sel},
			Status: batchv1.JobStatus{Failed: 2, Active: 1}},
		&corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "migrate-x1", Namespace: "shop", Labels: sel.MatchLabels},
			Status: corev1.PodStatus{Phase: corev1.PodPending, ContainerStatuses: []corev1.ContainerStatus{{Name: "m",
				State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "ImagePullBackOff", Message: "Back-off pulling image"}}}}}},
		&corev1.Event{ObjectMeta: metav1.ObjectMeta{Name: "e1", Namespace: "shop"}, Type: corev1.EventTypeWarning, Reason: "Failed",
			Message: "Failed to pull image", InvolvedObject: corev1.ObjectReference{Kind: "Pod", Name: "migrate-x1"}},
	)
	var b strings.Builder
	DescribeWorkload(t.Context(), cs, &b, KindJob, "shop", "migrate")
	DescribeWorkload(t.Context(), cs, &b, KindStatefulSet, "shop", "db")
	for _, want := range []string{
		"- Job shop/migrate: 0 succeeded, 2 failed, 1 active",
		"    pod migrate-x1: Pending; container m waiting: ImagePullBackOff Back-off pulling image",
		"    event Warning Failed: Failed to pull image",
		"- StatefulSet shop/db: ", "not found",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("the diagnosis lacks %q:\n%s", want, b.String())
		}
	}
}
