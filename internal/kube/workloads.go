package kube

import (
	"context"
	"fmt"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// Kinds of workload a diagnosis describes.
const (
	KindDeployment  = "Deployment"
	KindStatefulSet = "StatefulSet"
	KindDaemonSet   = "DaemonSet"
	KindJob         = "Job"
)

// DeploymentAvailable reports whether the Deployment's controller has seen
// its current generation and says it is Available (minimum availability):
// enough for Knative's own components while installing, whose replicas
// beyond the first may wait for room on a small cluster.
func DeploymentAvailable(d *appsv1.Deployment) bool {
	if d.Status.ObservedGeneration < d.Generation {
		return false
	}
	for _, c := range d.Status.Conditions {
		if c.Type == appsv1.DeploymentAvailable {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// DeploymentRolledOut reports whether the Deployment's controller has seen
// its current generation and finished rolling it out, as `kubectl rollout
// status` judges it (k8s.io/kubectl pkg/polymorphichelpers/rollout_status.go):
// every wanted replica runs the current template, no pod of an older one
// is left, and every updated replica is available. An update of a
// Deployment that was Available is not rolled out while its old pods still
// serve.
func DeploymentRolledOut(d *appsv1.Deployment) bool {
	st := d.Status
	return st.ObservedGeneration >= d.Generation && st.UpdatedReplicas >= ptrOr(d.Spec.Replicas, 1) &&
		st.Replicas <= st.UpdatedReplicas && st.AvailableReplicas >= st.UpdatedReplicas
}

// DaemonSetAvailable says a DaemonSet's controller has seen its current
// generation and every pod it wants is updated and available. One that
// wants no pod (no node it may run on) is not: a gateway without pods
// serves nothing.
func DaemonSetAvailable(d *appsv1.DaemonSet) bool {
	st := d.Status
	return st.ObservedGeneration >= d.Generation && st.DesiredNumberScheduled > 0 &&
		st.UpdatedNumberScheduled >= st.DesiredNumberScheduled && st.NumberAvailable >= st.DesiredNumberScheduled
}

// StatefulSetReady says a StatefulSet's controller has seen its current
// generation and all its replicas run the current revision and are ready.
func StatefulSetReady(s *appsv1.StatefulSet) bool {
	want := ptrOr(s.Spec.Replicas, 1)
	st := s.Status
	return st.ObservedGeneration >= s.Generation && st.ReadyReplicas >= want && st.UpdatedReplicas >= want &&
		(st.UpdateRevision == "" || st.CurrentRevision == st.UpdateRevision)
}

// JobFinished says whether the Job completed, or failed and why (its
// Failed condition's reason and message); neither while it runs.
func JobFinished(j *batchv1.Job) (complete bool, failed string) {
	for _, c := range j.Status.Conditions {
		if c.Status != corev1.ConditionTrue {
			continue
		}
		switch c.Type {
		case batchv1.JobComplete:
			return true, ""
		case batchv1.JobFailed:
			return false, strings.TrimSpace(c.Reason + ": " + c.Message)
		}
	}
	return false, ""
}

// Workload is a Deployment, StatefulSet, DaemonSet or Job as it is now.
type Workload struct {
	// Ready says it is done: a Deployment rolled out (DeploymentRolledOut),
	// a StatefulSet ready, a DaemonSet available, a Job complete.
	Ready bool
	// Failed says why a Job failed; empty otherwise.
	Failed string
	// Selector selects its pods.
	Selector *metav1.LabelSelector
	// Line says its counts and conditions, for a diagnosis.
	Line string
}

// ReadWorkload reads workload kind ns/name once.
func ReadWorkload(ctx context.Context, cs kubernetes.Interface, kind, ns, name string) (Workload, error) {
	get := metav1.GetOptions{}
	switch kind {
	case KindDeployment:
		d, err := cs.AppsV1().Deployments(ns).Get(ctx, name, get)
		if err != nil {
			return Workload{}, err
		}
		return Workload{Ready: DeploymentRolledOut(d), Selector: d.Spec.Selector, Line: describeDeployment(d)}, nil
	case KindStatefulSet:
		s, err := cs.AppsV1().StatefulSets(ns).Get(ctx, name, get)
		if err != nil {
			return Workload{}, err
		}
		line := fmt.Sprintf("%d/%d replicas ready, %d updated", s.Status.ReadyReplicas, ptrOr(s.Spec.Replicas, 1), s.Status.UpdatedReplicas)
		return Workload{Ready: StatefulSetReady(s), Selector: s.Spec.Selector, Line: line}, nil
	case KindDaemonSet:
		d, err := cs.AppsV1().DaemonSets(ns).Get(ctx, name, get)
		if err != nil {
			return Workload{}, err
		}
		return Workload{Ready: DaemonSetAvailable(d), Selector: d.Spec.Selector, Line: describeDaemonSet(d)}, nil
	case KindJob:
		j, err := cs.BatchV1().Jobs(ns).Get(ctx, name, get)
		if err != nil {
			return Workload{}, err
		}
		complete, failed := JobFinished(j)
		return Workload{Ready: complete, Failed: failed, Selector: j.Spec.Selector, Line: describeJob(j)}, nil
	}
	return Workload{}, fmt.Errorf("%s is not a workload", kind)
}

// DescribeWorkload writes, as lines of a diagnosis, what keeps a
// Deployment, StatefulSet, DaemonSet or Job from being ready: its counts
// and conditions, each of its pods (DescribePod), and the newest events
// about it, its ReplicaSets and its pods. It is the one diagnosis of
// Knative's own workloads and of an app's.
func DescribeWorkload(ctx context.Context, cs kubernetes.Interface, b *strings.Builder, kind, ns, name string) {
	ref := ns + "/" + name
	w, err := ReadWorkload(ctx, cs, kind, ns, name)
	if err != nil {
		fmt.Fprintf(b, "- %s %s: %v\n", kind, ref, err)
		return
	}
	fmt.Fprintf(b, "- %s %s: %s\n", kind, ref, w.Line)
	describePods(ctx, cs, b, ns, name, w.Selector)
}

func describeDeployment(d *appsv1.Deployment) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d/%d replicas ready", d.Status.ReadyReplicas, ptrOr(d.Spec.Replicas, 1))
	for _, c := range d.Status.Conditions {
		if c.Type == appsv1.DeploymentAvailable || c.Type == appsv1.DeploymentProgressing && c.Status != corev1.ConditionTrue {
			fmt.Fprintf(&b, "; %s=%s", c.Type, c.Status)
			if c.Reason != "" {
				fmt.Fprintf(&b, " (%s: %s)", c.Reason, c.Message)
			}
		}
	}
	return b.String()
}

func describeDaemonSet(d *appsv1.DaemonSet) string {
	st := d.Status
	line := fmt.Sprintf("%d/%d pods available, %d updated", st.NumberAvailable, st.DesiredNumberScheduled, st.UpdatedNumberScheduled)
	if st.DesiredNumberScheduled == 0 {
		line += " (no node it may run on, or its controller has not run)"
	}
	return line
}

func describeJob(j *batchv1.Job) string {
	st := j.Status
	line := fmt.Sprintf("%d succeeded, %d failed, %d active", st.Succeeded, st.Failed, st.Active)
	if _, failed := JobFinished(j); failed != "" {
		line += "; Failed (" + failed + ")"
	}
	return line
}

// describePods writes the pods a workload selects and the last events
// about the workload and them.
func describePods(ctx context.Context, cs kubernetes.Interface, b *strings.Builder, ns, name string, selector *metav1.LabelSelector) {
	names := []string{name}
	if sel, err := metav1.LabelSelectorAsSelector(selector); err == nil && selector != nil {
		pods, err := cs.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: sel.String()})
		if err == nil {
			if len(pods.Items) == 0 {
				b.WriteString("    no pods: nothing created them yet (is the cluster's controller manager running?)\n")
			}
			for _, p := range pods.Items {
				names = append(names, p.Name)
				fmt.Fprintf(b, "    pod %s: %s\n", p.Name, DescribePod(&p))
			}
		}
	}
	for _, e := range lastEvents(ctx, cs, ns, name, names, 5) {
		fmt.Fprintf(b, "    event %s %s: %s\n", e.Type, e.Reason, strings.TrimSpace(e.Message))
	}
}

// lastEvents returns the newest n events about the workload, what it
// makes (named after it) and its pods.
func lastEvents(ctx context.Context, cs kubernetes.Interface, ns, workload string, names []string, n int) []corev1.Event {
	list, err := cs.CoreV1().Events(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil
	}
	out := EventsFor(list.Items, names, []string{workload + "-"})
	if len(out) > n {
		out = out[len(out)-n:]
	}
	return out
}

func ptrOr(p *int32, d int32) int32 {
	if p == nil {
		return d
	}
	return *p
}
