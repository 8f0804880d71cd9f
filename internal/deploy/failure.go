package deploy

import (
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"knative.dev/pkg/apis"
	servingv1 "knative.dev/serving/pkg/apis/serving/v1"
)

// Reasons a Failure carries besides the kubelet's waiting reasons.
const (
	// reasonUnschedulable: no node can run the pod.
	reasonUnschedulable = "Unschedulable"
	// reasonFailedCreate: the ReplicaSet cannot create the pods.
	reasonFailedCreate = "FailedCreate"
	// reasonContainerMissing: Knative cannot resolve the image to a digest.
	reasonContainerMissing = servingv1.ReasonContainerMissing
)

// podWaitingFailures are container waiting reasons that do not pass by
// themselves: the kubelet keeps retrying, Knative reports them only after
// its progress deadline.
var podWaitingFailures = []string{
	"ErrImagePull", "ImagePullBackOff", "InvalidImageName",
	"CrashLoopBackOff", "CreateContainerConfigError", "CreateContainerError",
}

// failure says why the new revision cannot become Ready. Up returns it as
// soon as the pods, their events or the revision show it, or when Ready
// stays False for the error window.
type failure struct {
	// Reason is Kubernetes' or Knative's: ErrImagePull, ImagePullBackOff,
	// CrashLoopBackOff, CreateContainerConfigError, Unschedulable,
	// FailedCreate, ContainerMissing, or the Service's Ready reason.
	Reason string
	// Message is what Kubernetes or Knative said, secret values masked.
	Message string
	// Revision (or Object, for one of the objects beside an app's
	// Services), Pod and Container locate it; empty when not known.
	Revision  string
	Object    string
	Pod       string
	Container string
	// Probe is what the container's readiness probe said while it kept
	// failing, and Hint what most often makes it fail; empty when no
	// probe failed.
	Probe, Hint string
	// Log is the end of a crashing container's log, secret values masked;
	// LogError says why it could not be read.
	Log      string
	LogError string
}

func (f *failure) Error() string {
	var b strings.Builder
	switch {
	case f.Object != "":
		fmt.Fprintf(&b, "%s cannot become ready: ", f.Object)
	case f.Revision != "":
		fmt.Fprintf(&b, "revision %s cannot become Ready: ", f.Revision)
	default:
		b.WriteString("the Knative Service is not Ready: ")
	}
	if f.Pod != "" {
		fmt.Fprintf(&b, "pod %s: ", f.Pod)
	}
	if f.Container != "" {
		fmt.Fprintf(&b, "container %s: ", f.Container)
	}
	b.WriteString(f.Reason)
	if f.Message != "" {
		b.WriteString(": " + f.Message)
	}
	if a := advice(f.Reason); a != "" {
		b.WriteString(" (" + a + ")")
	}
	if f.Probe != "" {
		fmt.Fprintf(&b, "; its readiness probe kept failing: %s (%s)", f.Probe, f.Hint)
	}
	switch {
	case f.Log != "":
		fmt.Fprintf(&b, "\nlast lines of the container's log:\n%s", strings.TrimRight(f.Log, "\n"))
	case f.LogError != "":
		fmt.Fprintf(&b, "\nthe container's log is unavailable: %s", f.LogError)
	case f.Reason == "CrashLoopBackOff" || f.Probe != "":
		b.WriteString("\nthe container's log is empty")
	}
	return b.String()
}

func advice(reason string) string {
	switch reason {
	case "ErrImagePull", "ImagePullBackOff", "InvalidImageName":
		return "check that the image exists and that the cluster can pull it: a private registry needs an imagePullSecret on the pods' service account; an image loaded into the nodes must not be pulled"
	case "CrashLoopBackOff":
		return "the container exits soon after it starts: see its log; it must listen on $PORT (8080 unless input port says otherwise)"
	case "CreateContainerConfigError", "CreateContainerError":
		return "a Secret, ConfigMap or key the container refers to is missing, or the container's settings are refused"
	case reasonUnschedulable:
		return "no node can run the pod: check its resource requests and the nodes' capacity, taints and selectors"
	case reasonFailedCreate:
		return "check the namespace's ResourceQuotas, LimitRanges and Pod Security level"
	case reasonContainerMissing:
		return "Knative resolves the image's tag to a digest: check that the image exists and the registry answers Knative's controller; an image only loaded into the nodes needs its registry in config-deployment's registries-skipping-tag-resolving"
	}
	return ""
}

// revisionFailure reports a revision whose container cannot run: Knative
// could not resolve its image to a digest, or the container exited.
func revisionFailure(rev *servingv1.Revision) *failure {
	for _, t := range []apis.ConditionType{servingv1.RevisionConditionContainerHealthy, servingv1.RevisionConditionReady} {
		c := rev.Status.GetCondition(t)
		if c == nil || !c.IsFalse() {
			continue
		}
		if t == servingv1.RevisionConditionContainerHealthy || c.Reason == reasonContainerMissing {
			return &failure{Reason: c.Reason, Message: c.Message, Revision: rev.Name}
		}
	}
	return nil
}

// podFailure reports a container stuck in a waiting reason that does not
// pass by itself, or a pod no node can take.
func podFailure(pod *corev1.Pod) *failure {
	statuses := append(append([]corev1.ContainerStatus{}, pod.Status.InitContainerStatuses...), pod.Status.ContainerStatuses...)
	for _, cs := range statuses {
		wt := cs.State.Waiting
		if wt == nil || !slices.Contains(podWaitingFailures, wt.Reason) {
			continue
		}
		f := &failure{Reason: wt.Reason, Message: wt.Message, Pod: pod.Name, Container: cs.Name}
		if t := cs.LastTerminationState.Terminated; t != nil && wt.Reason == "CrashLoopBackOff" {
			f.Message = strings.TrimSpace(fmt.Sprintf("%s (restarted %d times; last exit code %d %s)", f.Message, cs.RestartCount, t.ExitCode, t.Reason))
		}
		return f
	}
	for _, c := range pod.Status.Conditions {
		if c.Type == corev1.PodScheduled && c.Status == corev1.ConditionFalse && c.Reason == corev1.PodReasonUnschedulable {
			return &failure{Reason: reasonUnschedulable, Message: c.Message, Pod: pod.Name}
		}
	}
	return nil
}

// eventFailure reports a pod the scheduler cannot place (while it is still
// unscheduled) or a ReplicaSet that cannot create pods.
func eventFailure(events []corev1.Event, pods []corev1.Pod, revision string) *failure {
	scheduled := map[string]bool{}
	for _, p := range pods {
		for _, c := range p.Status.Conditions {
			if c.Type == corev1.PodScheduled && c.Status == corev1.ConditionTrue {
				scheduled[p.Name] = true
			}
		}
		if p.Spec.NodeName != "" {
			scheduled[p.Name] = true
		}
	}
	for i := len(events) - 1; i >= 0; i-- {
		e := events[i]
		o := e.InvolvedObject
		switch {
		case o.Kind == "Pod" && e.Reason == "FailedScheduling" && !scheduled[o.Name]:
			return &failure{Reason: reasonUnschedulable, Message: e.Message, Pod: o.Name, Revision: revision}
		case o.Kind == "ReplicaSet" && e.Reason == reasonFailedCreate:
			return &failure{Reason: reasonFailedCreate, Message: fmt.Sprintf("ReplicaSet %s: %s", o.Name, e.Message), Revision: revision}
		}
	}
	return nil
}

// conflictError says that another writer (another run of this action, or a
// person) changed the Service's template while this run waited for its own
// revision: the Service now runs theirs, so this run did not deploy.
type conflictError struct {
	Namespace, Name string
	Generation      int64
}

func (e *conflictError) Error() string {
	return fmt.Sprintf("the Knative Service %s/%s was changed by another deploy while this run waited for it (now at generation %d, not made by this run): the other deploy's revision takes its place; this run's image is not deployed, run again to deploy it", e.Namespace, e.Name, e.Generation)
}
