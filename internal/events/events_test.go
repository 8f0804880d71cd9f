package events

import (
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestSort(t *testing.T) {
	at := func(s int) time.Time { return time.Unix(int64(1_700_000_000+s), 0) }
	list := []corev1.Event{
		{Reason: "last", LastTimestamp: metav1.NewTime(at(30))},
		{Reason: "created-only", ObjectMeta: metav1.ObjectMeta{CreationTimestamp: metav1.NewTime(at(10))}},
		{Reason: "event-time", EventTime: metav1.NewMicroTime(at(20))},
		{Reason: "last-wins-over-created", LastTimestamp: metav1.NewTime(at(5)), ObjectMeta: metav1.ObjectMeta{CreationTimestamp: metav1.NewTime(at(40))}},
	}
	Sort(list)
	var got []string
	for _, e := range list {
		got = append(got, e.Reason)
	}
	want := []string{"last-wins-over-created", "created-only", "event-time", "last"}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("order %v, want %v", got, want)
		}
	}
}
