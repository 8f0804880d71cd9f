package deploy

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// probeGrace is how long a running container's readiness probe may keep
// failing before a warning says so. A slow starter that is ready sooner is
// told nothing, and nothing fails for it either way: the deadline of the
// wait (ready-timeout) decides that.
const probeGrace = 20 * time.Second

// Hints a probe warning ends with.
const (
	// portHint is for a Knative revision, whose container must listen on
	// $PORT.
	portHint = "a container that runs but never becomes ready most often listens on another port than $PORT (%s): make it listen on $PORT, or set input port to the port it listens on"
	// workloadHint is for the objects beside the Services.
	workloadHint = "check that the probe's port and path are where the container listens and answers"
)

// probeFailure is a readiness probe seen failing in a pod that runs.
type probeFailure struct {
	Pod, Container string
	// Message is the kubelet's, without its "Readiness probe failed: ".
	Message string
	// Since is when this run first saw the probe fail.
	Since time.Time
}

// probeWatch follows the readiness probes that fail in pods that run,
// from the kubelet's Unhealthy events, on this run's clock (the cluster's
// may differ): when each pod's probe was first seen failing, the last
// message, and which pods were warned about.
type probeWatch struct {
	// hint ends each warning: what most often makes such a probe fail.
	hint   string
	failed map[string]*probeFailure
	warned map[string]bool
}

func newProbeWatch(hint string) *probeWatch {
	return &probeWatch{hint: hint, failed: map[string]*probeFailure{}, warned: map[string]bool{}}
}

// observe takes one look at pods and the warning events about them at
// now, and returns the warnings due: one per pod whose readiness probe has
// kept failing for probeGrace while it runs and is not ready. A pod that
// is ready (or gone) starts again from nothing.
func (p *probeWatch) observe(now time.Time, pods []corev1.Pod, events []corev1.Event) []string {
	running := map[string]*corev1.Pod{}
	for i := range pods {
		if pods[i].Status.Phase == corev1.PodRunning && !podReady(&pods[i]) && pods[i].DeletionTimestamp == nil {
			running[pods[i].Name] = &pods[i]
		}
	}
	for name := range p.failed {
		if running[name] == nil {
			delete(p.failed, name)
		}
	}
	for _, e := range events {
		o := e.InvolvedObject
		msg, ok := strings.CutPrefix(strings.TrimSpace(e.Message), "Readiness probe failed:")
		if e.Reason != "Unhealthy" || o.Kind != "Pod" || !ok || running[o.Name] == nil {
			continue
		}
		f := p.failed[o.Name]
		if f == nil {
			f = &probeFailure{Pod: o.Name, Since: now}
			p.failed[o.Name] = f
		}
		f.Message = strings.TrimSpace(msg)
		f.Container = probedContainer(running[o.Name], o.FieldPath)
	}
	var out []string
	for _, name := range slices.Sorted(maps.Keys(p.failed)) {
		f := p.failed[name]
		if p.warned[name] || now.Sub(f.Since) < probeGrace {
			continue
		}
		p.warned[name] = true
		out = append(out, fmt.Sprintf("pod %s: the readiness probe of container %s has failed for %s: %s; %s", f.Pod, f.Container, now.Sub(f.Since).Round(time.Second), f.Message, p.hint))
	}
	return out
}

// last is the failing probe seen most recently first, or nil: what a
// failure at the deadline quotes.
func (p *probeWatch) last() *probeFailure {
	var out *probeFailure
	for _, name := range slices.Sorted(maps.Keys(p.failed)) {
		if f := p.failed[name]; out == nil || f.Since.After(out.Since) {
			out = f
		}
	}
	return out
}

// lastSaid says, for a diagnosis, which readiness probe failed last and
// what it said, with the hint; empty when none is failing.
func (p *probeWatch) lastSaid() string {
	f := p.last()
	if f == nil {
		return ""
	}
	return fmt.Sprintf("the readiness probe of container %s in pod %s keeps failing: %s (%s)", f.Container, f.Pod, f.Message, p.hint)
}

// podReady reports whether the pod's Ready condition is True.
func podReady(p *corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// probedContainer is the container whose log says why the probe fails:
// the user's. An event names the container it probed
// (spec.containers{queue-proxy} for a Knative revision, whose queue-proxy
// probes the user's container); a sidecar of Knative's own is skipped for
// the first other container that is not ready.
func probedContainer(pod *corev1.Pod, fieldPath string) string {
	if name, ok := strings.CutPrefix(fieldPath, "spec.containers{"); ok {
		if name = strings.TrimSuffix(name, "}"); name != queueProxy {
			return name
		}
	}
	for _, cs := range pod.Status.ContainerStatuses {
		if cs.Name != queueProxy && !cs.Ready {
			return cs.Name
		}
	}
	for _, c := range pod.Spec.Containers {
		if c.Name != queueProxy {
			return c.Name
		}
	}
	return ""
}

// queueProxy is the container Knative adds to every revision's pods.
const queueProxy = "queue-proxy"
