// Package events orders Kubernetes events the way people read them: by
// when they last happened.
package events

import (
	"sort"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// Time is when e last happened: its lastTimestamp, else its eventTime
// (events.k8s.io writers), else when it was created.
func Time(e corev1.Event) time.Time {
	switch {
	case !e.LastTimestamp.IsZero():
		return e.LastTimestamp.Time
	case !e.EventTime.IsZero():
		return e.EventTime.Time
	}
	return e.CreationTimestamp.Time
}

// Sort orders list oldest first, keeping the order of events of the same time.
func Sort(list []corev1.Event) {
	sort.SliceStable(list, func(i, j int) bool { return Time(list[i]).Before(Time(list[j])) })
}
