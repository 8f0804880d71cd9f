package install

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"

	"github.com/knative-preview/action/internal/kube"
	"github.com/knative-preview/action/internal/log"
)

// notReadyError says Knative did not become ready in time; Diagnosis says
// what was not ready and why, for the log and the job summary.
type notReadyError struct {
	Waited    time.Duration
	Diagnosis string
}

func (e *notReadyError) Error() string {
	return fmt.Sprintf("Knative Serving was not ready after %s:\n%s", e.Waited, e.Diagnosis)
}

// readiness is one look at what is ready.
type readiness struct {
	// Deployments as namespace/name, DaemonSets (Contour's envoy gateway
	// is one) as "DaemonSet namespace/name".
	ready, notReady []string
	webhook         bool
}

const daemonSetPrefix = "DaemonSet "

func (r readiness) done() bool { return len(r.notReady) == 0 && len(r.ready) > 0 && r.webhook }

func (r readiness) String() string {
	s := fmt.Sprintf("%d/%d workloads available", len(r.ready), len(r.ready)+len(r.notReady))
	if len(r.notReady) > 0 {
		s += "; not yet: " + strings.Join(r.notReady, ", ")
	}
	if r.webhook {
		s += "; webhook endpoint ready"
	} else {
		s += "; webhook endpoint not ready"
	}
	return s
}

// waitReady waits until every Deployment in namespaces is Available for
// its current generation, every DaemonSet there has all its pods updated
// and available, and the webhook Service has a ready endpoint.
func waitReady(ctx context.Context, l log.Logger, cs kubernetes.Interface, namespaces []string, o Options) error {
	l.Infof("waiting up to %s for Knative Serving: every Deployment and DaemonSet in %s available and the webhook endpoint ready", o.ReadyTimeout, strings.Join(namespaces, ", "))
	start := time.Now()
	var last readiness
	var lastErr error
	lastLine, lastTime := "", time.Time{}
	err := wait.PollUntilContextTimeout(ctx, o.Poll, o.ReadyTimeout, true, func(ctx context.Context) (bool, error) {
		r, err := look(ctx, cs, namespaces)
		switch {
		case kube.Denied(err):
			// Waiting cannot give a user rights they lack. Other errors may
			// pass (or are the deadline arriving): the timeout bounds them.
			return false, fmt.Errorf("reading Knative's Deployments, DaemonSets and the webhook's endpoints: %w", err)
		case kube.CutShort(ctx, err):
			return false, nil // the deadline arriving: what came before says more
		case err != nil:
			lastErr = err // the next look may work; the timeout bounds it
			return false, nil
		}
		last, lastErr = r, nil
		if line := r.String(); line != lastLine || time.Since(lastTime) > 15*time.Second {
			l.Infof("%s", line)
			lastLine, lastTime = line, time.Now()
		}
		return r.done(), nil
	})
	if err == nil {
		l.Infof("Knative Serving is ready after %s", time.Since(start).Round(100*time.Millisecond))
		return nil
	}
	if !wait.Interrupted(err) {
		return err
	}
	diagCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 20*time.Second)
	defer cancel()
	diag := diagnose(diagCtx, cs, namespaces, last)
	if lastErr != nil {
		diag += "\n- the last look at the cluster failed: " + lastErr.Error()
	}
	if ctx.Err() != nil {
		return fmt.Errorf("waiting for Knative Serving: %w\n%s", context.Cause(ctx), diag)
	}
	return &notReadyError{Waited: o.ReadyTimeout, Diagnosis: diag}
}

func look(ctx context.Context, cs kubernetes.Interface, namespaces []string) (readiness, error) {
	var r readiness
	for _, ns := range namespaces {
		list, err := cs.AppsV1().Deployments(ns).List(ctx, metav1.ListOptions{})
		if err != nil {
			return r, err
		}
		for _, d := range list.Items {
			if available(&d) {
				r.ready = append(r.ready, ns+"/"+d.Name)
			} else {
				r.notReady = append(r.notReady, ns+"/"+d.Name)
			}
		}
		dss, err := cs.AppsV1().DaemonSets(ns).List(ctx, metav1.ListOptions{})
		if err != nil {
			return r, err
		}
		for _, d := range dss.Items {
			if daemonSetAvailable(&d) {
				r.ready = append(r.ready, daemonSetPrefix+ns+"/"+d.Name)
			} else {
				r.notReady = append(r.notReady, daemonSetPrefix+ns+"/"+d.Name)
			}
		}
	}
	slices.Sort(r.ready)
	slices.Sort(r.notReady)
	ok, err := webhookReady(ctx, cs)
	if err != nil {
		return r, err
	}
	r.webhook = ok
	return r, nil
}

func available(d *appsv1.Deployment) bool {
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

// daemonSetAvailable says a DaemonSet's controller has seen its current
// generation and every pod it wants is updated and available. One that
// wants no pod (no node it may run on) is not: a gateway without pods
// serves nothing.
func daemonSetAvailable(d *appsv1.DaemonSet) bool {
	st := d.Status
	return st.ObservedGeneration >= d.Generation && st.DesiredNumberScheduled > 0 &&
		st.UpdatedNumberScheduled >= st.DesiredNumberScheduled && st.NumberAvailable >= st.DesiredNumberScheduled
}

func webhookReady(ctx context.Context, cs kubernetes.Interface) (bool, error) {
	list, err := cs.DiscoveryV1().EndpointSlices(servingNS).List(ctx, metav1.ListOptions{
		LabelSelector: discoveryv1.LabelServiceName + "=webhook",
	})
	if err != nil {
		return false, err
	}
	for _, s := range list.Items {
		for _, e := range s.Endpoints {
			if e.Conditions.Ready == nil || *e.Conditions.Ready {
				return true, nil
			}
		}
	}
	return false, nil
}

// diagnose describes each not-ready Deployment: its condition, its pods'
// waiting reasons, and the last events about them.
func diagnose(ctx context.Context, cs kubernetes.Interface, namespaces []string, last readiness) string {
	var b strings.Builder
	if len(last.ready)+len(last.notReady) == 0 {
		fmt.Fprintf(&b, "no Deployment found in %s: were the manifests applied?\n", strings.Join(namespaces, ", "))
	}
	for _, ref := range last.notReady {
		if ds, ok := strings.CutPrefix(ref, daemonSetPrefix); ok {
			diagnoseDaemonSet(ctx, cs, &b, ds)
			continue
		}
		ns, name, _ := strings.Cut(ref, "/")
		d, err := cs.AppsV1().Deployments(ns).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			fmt.Fprintf(&b, "- Deployment %s: %v\n", ref, err)
			continue
		}
		fmt.Fprintf(&b, "- Deployment %s: %d/%d replicas ready", ref, d.Status.ReadyReplicas, ptrOr(d.Spec.Replicas, 1))
		for _, c := range d.Status.Conditions {
			if c.Type == appsv1.DeploymentAvailable || c.Type == appsv1.DeploymentProgressing && c.Status != corev1.ConditionTrue {
				fmt.Fprintf(&b, "; %s=%s", c.Type, c.Status)
				if c.Reason != "" {
					fmt.Fprintf(&b, " (%s: %s)", c.Reason, c.Message)
				}
			}
		}
		b.WriteString("\n")
		describePods(ctx, cs, &b, ns, name, d.Spec.Selector)
	}
	if !last.webhook {
		b.WriteString("- the Service knative-serving/webhook has no ready endpoint: the webhook pod is not ready, so Knative objects and its ConfigMaps cannot be changed\n")
	}
	return strings.TrimRight(b.String(), "\n")
}

func diagnoseDaemonSet(ctx context.Context, cs kubernetes.Interface, b *strings.Builder, ref string) {
	ns, name, _ := strings.Cut(ref, "/")
	d, err := cs.AppsV1().DaemonSets(ns).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		fmt.Fprintf(b, "- DaemonSet %s: %v\n", ref, err)
		return
	}
	st := d.Status
	fmt.Fprintf(b, "- DaemonSet %s: %d/%d pods available, %d updated", ref, st.NumberAvailable, st.DesiredNumberScheduled, st.UpdatedNumberScheduled)
	if st.DesiredNumberScheduled == 0 {
		b.WriteString(" (no node it may run on, or its controller has not run)")
	}
	b.WriteString("\n")
	describePods(ctx, cs, b, ns, name, d.Spec.Selector)
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
				fmt.Fprintf(b, "    pod %s: %s\n", p.Name, kube.DescribePod(&p))
			}
		}
	}
	for _, e := range lastEvents(ctx, cs, ns, name, names, 5) {
		fmt.Fprintf(b, "    event %s %s: %s\n", e.Type, e.Reason, strings.TrimSpace(e.Message))
	}
}

// lastEvents returns the newest events about the Deployment, its
// ReplicaSets (named after it) and its pods.
func lastEvents(ctx context.Context, cs kubernetes.Interface, ns, deployment string, names []string, n int) []corev1.Event {
	list, err := cs.CoreV1().Events(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil
	}
	out := kube.EventsFor(list.Items, names, []string{deployment + "-"})
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
