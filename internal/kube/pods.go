package kube

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// DescribePod is a pod's phase followed by what keeps it from running and
// being ready, for example
// "Pending; container app waiting: ImagePullBackOff Back-off pulling image".
func DescribePod(p *corev1.Pod) string {
	return strings.Join(append([]string{string(p.Status.Phase)}, podProblems(p)...), "; ")
}

// podProblems says, one phrase each, why the pod is not scheduled and which
// of its containers (init containers first) wait, ended or are not ready.
func podProblems(p *corev1.Pod) []string {
	var out []string
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodScheduled && c.Status == corev1.ConditionFalse {
			out = append(out, fmt.Sprintf("not scheduled (%s: %s)", c.Reason, c.Message))
		}
	}
	for _, cs := range append(slices.Clone(p.Status.InitContainerStatuses), p.Status.ContainerStatuses...) {
		switch {
		case cs.State.Waiting != nil:
			out = append(out, strings.TrimSpace(fmt.Sprintf("container %s waiting: %s %s", cs.Name, cs.State.Waiting.Reason, cs.State.Waiting.Message)))
		case cs.State.Terminated != nil:
			t := cs.State.Terminated
			out = append(out, strings.TrimSpace(fmt.Sprintf("container %s terminated: %s (exit code %d) %s", cs.Name, t.Reason, t.ExitCode, t.Message)))
		case !cs.Ready:
			out = append(out, fmt.Sprintf("container %s running but not ready", cs.Name))
		}
	}
	return out
}

// EventsFor keeps the events about an object named one of names or whose
// name begins with one of prefixes (a Deployment's ReplicaSets and pods
// begin with its name and a dash), oldest first, newest last.
func EventsFor(events []corev1.Event, names, prefixes []string) []corev1.Event {
	var out []corev1.Event
	for _, e := range events {
		o := e.InvolvedObject.Name
		if slices.Contains(names, o) || slices.ContainsFunc(prefixes, func(p string) bool { return strings.HasPrefix(o, p) }) {
			out = append(out, e)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return eventTime(out[i]).Before(eventTime(out[j])) })
	return out
}

// eventTime is when e last happened: its lastTimestamp, else its eventTime
// (events.k8s.io writers), else when it was created.
func eventTime(e corev1.Event) time.Time {
	switch {
	case !e.LastTimestamp.IsZero():
		return e.LastTimestamp.Time
	case !e.EventTime.IsZero():
		return e.EventTime.Time
	}
	return e.CreationTimestamp.Time
}
