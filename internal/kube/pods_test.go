package kube

import (
	"slices"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestDescribePod(t *testing.T) {
	tests := []struct {
		name   string
		status corev1.PodStatus
		want   string
	}{
		{"running and ready", corev1.PodStatus{Phase: corev1.PodRunning, ContainerStatuses: []corev1.ContainerStatus{
			{Name: "app", Ready: true, State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}},
		}}, "Running"},
		{"creating", corev1.PodStatus{Phase: corev1.PodPending, ContainerStatuses: []corev1.ContainerStatus{
			{Name: "user-container", State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "ContainerCreating"}}},
		}}, "Pending; container user-container waiting: ContainerCreating"},
		{"image pull with message", corev1.PodStatus{Phase: corev1.PodPending, ContainerStatuses: []corev1.ContainerStatus{
			{Name: "activator", State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "ImagePullBackOff", Message: `Back-off pulling image "x"`}}},
		}}, `Pending; container activator waiting: ImagePullBackOff Back-off pulling image "x"`},
		{"init container first, then terminated and not ready", corev1.PodStatus{Phase: corev1.PodRunning,
			InitContainerStatuses: []corev1.ContainerStatus{
				{Name: "setup", State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{Reason: "Error", ExitCode: 2, Message: "no config"}}},
			},
			ContainerStatuses: []corev1.ContainerStatus{
				{Name: "queue-proxy", State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}},
			}}, "Running; container setup terminated: Error (exit code 2) no config; container queue-proxy running but not ready"},
		{"unschedulable", corev1.PodStatus{Phase: corev1.PodPending, Conditions: []corev1.PodCondition{
			{Type: corev1.PodScheduled, Status: corev1.ConditionFalse, Reason: "Unschedulable", Message: "0/1 nodes are available"},
		}}, "Pending; not scheduled (Unschedulable: 0/1 nodes are available)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := DescribePod(&corev1.Pod{Status: tt.status}); got != tt.want {
				t.Errorf("DescribePod = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestEventsFor(t *testing.T) {
	at := func(s int) time.Time { return time.Unix(int64(1_700_000_000+s), 0) }
	ev := func(reason, object string) corev1.Event {
		return corev1.Event{Reason: reason, InvolvedObject: corev1.ObjectReference{Name: object}}
	}
	last := ev("last", "web-00001-deployment-5d8f-abcde")
	last.LastTimestamp = metav1.NewTime(at(30))
	created := ev("created-only", "web-00001")
	created.CreationTimestamp = metav1.NewTime(at(10))
	eventTime := ev("event-time", "web-00001-deployment")
	eventTime.EventTime = metav1.NewMicroTime(at(20))
	lastWins := ev("last-wins-over-created", "web-00001-deployment-5d8f")
	lastWins.LastTimestamp, lastWins.CreationTimestamp = metav1.NewTime(at(5)), metav1.NewTime(at(40))
	other := ev("other-revision", "web-00002-deployment-77c9")
	private := ev("private-service", "web-00001-private")

	got := EventsFor([]corev1.Event{last, other, created, eventTime, private, lastWins},
		[]string{"web-00001", "web-00001-deployment"}, []string{"web-00001-deployment-"})
	var reasons []string
	for _, e := range got {
		reasons = append(reasons, e.Reason)
	}
	want := []string{"last-wins-over-created", "created-only", "event-time", "last"}
	if !slices.Equal(reasons, want) {
		t.Errorf("EventsFor = %v, want %v", reasons, want)
	}
}
