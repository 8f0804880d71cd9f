package deploy

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"

	"github.com/knative-preview/action/internal/appfile"
	"github.com/knative-preview/action/internal/kube"
	"github.com/knative-preview/action/internal/log"
)

// defaultObjectsTimeout bounds the wait for the objects beside the
// Services without ready-timeout: a Deployment's own progress deadline.
const defaultObjectsTimeout = 10 * time.Minute

// workload is one of the app's objects that has pods to wait for.
type workload struct {
	kind, name string
}

func (w workload) String() string { return w.kind + " " + w.name }

// workloadsOf are the objects that have pods to wait for: those of apps/v1
// and batch/v1 that run them.
func workloadsOf(objs []*unstructured.Unstructured) []workload {
	var out []workload
	for _, o := range objs {
		gvk := o.GroupVersionKind()
		switch {
		case gvk.Group == "apps" && slices.Contains([]string{kube.KindDeployment, kube.KindStatefulSet, kube.KindDaemonSet}, gvk.Kind),
			gvk.Group == "batch" && gvk.Kind == kube.KindJob:
			out = append(out, workload{gvk.Kind, o.GetName()})
		}
	}
	return out
}

// objectsWait is one wait for the objects beside an app's Services.
type objectsWait struct {
	cs      kubernetes.Interface
	ns      string
	now     func() time.Time
	lines   int64
	l       log.Logger
	probes  *probeWatch
	pending []workload
	lastErr error
}

// waitObjects waits until every workload among objs is ready (Deployments
// rolled out, StatefulSets and DaemonSets available, Jobs complete), polling every
// poll for at most limit. A pod that cannot start (an image that cannot be
// pulled, a crash loop, missing configuration, no node for it) or a Job
// that failed ends the wait at once with the reason; a readiness probe
// that keeps failing is warned about; at the deadline the error is the
// diagnosis of what is not ready, with what its probe said.
func waitObjects(ctx context.Context, d *Deployer, cs kubernetes.Interface, ns string, objs []*unstructured.Unstructured, poll, limit time.Duration, l log.Logger) error {
	wls := workloadsOf(objs)
	if len(wls) == 0 {
		return nil
	}
	names := make([]string, len(wls))
	for i, w := range wls {
		names[i] = w.String()
	}
	l.Infof("waiting up to %s for %s: Deployments rolled out, StatefulSets and DaemonSets available, Jobs complete", limit, strings.Join(names, ", "))
	ow := &objectsWait{cs: cs, ns: ns, now: d.now, lines: d.LogLines, l: l, probes: newProbeWatch(workloadHint)}
	err := wait.PollUntilContextTimeout(ctx, poll, limit, true, func(ctx context.Context) (bool, error) {
		return ow.look(ctx, wls)
	})
	if err == nil {
		l.Infof("%s ready", strings.Join(names, ", "))
		return nil
	}
	if !wait.Interrupted(err) {
		return err
	}
	return ow.timeout(ctx, limit)
}

// look reads each workload and its pods once; done when every one is
// ready, an error when one cannot become so.
func (ow *objectsWait) look(ctx context.Context, wls []workload) (bool, error) {
	ow.pending = nil
	var pods []corev1.Pod
	for _, w := range wls {
		now, err := kube.ReadWorkload(ctx, ow.cs, w.kind, ow.ns, w.name)
		switch {
		case kube.CutShort(ctx, err):
			return false, nil
		case kube.Denied(err), apierrors.IsNotFound(err):
			return false, fmt.Errorf("reading %s in namespace %s while waiting for it: %w", w, ow.ns, err)
		case err != nil:
			ow.lastErr = err // may pass; the deadline bounds it
			return false, nil
		case now.Ready:
			continue
		}
		ow.pending = append(ow.pending, w)
		ps, err := ow.pods(ctx, w, now.Selector)
		if err != nil {
			ow.lastErr = err
			return false, nil
		}
		if now.Failed != "" {
			return false, ow.jobFailure(ctx, w, now.Failed, ps)
		}
		for i := range ps {
			if f := podFailure(&ps[i]); f != nil {
				f.Object = w.String()
				if f.Reason == "CrashLoopBackOff" {
					f.Log, f.LogError = logTail(ctx, ow.cs, ow.ns, f.Pod, f.Container, ow.lines)
				}
				return false, f
			}
		}
		pods = append(pods, ps...)
	}
	ow.lastErr = nil
	if len(ow.pending) == 0 {
		return true, nil
	}
	if events, err := ow.cs.CoreV1().Events(ow.ns).List(ctx, metav1.ListOptions{FieldSelector: "type=" + corev1.EventTypeWarning}); err == nil {
		for _, warning := range ow.probes.observe(ow.now(), pods, events.Items) {
			ow.l.Warnf("%s", warning)
		}
	}
	return false, nil
}

// jobFailure says why a Job failed, with the log of a container of its
// that exited with an error.
func (ow *objectsWait) jobFailure(ctx context.Context, w workload, failed string, pods []corev1.Pod) *failure {
	reason, msg, _ := strings.Cut(failed, ": ")
	f := &failure{Object: w.String(), Reason: reason, Message: msg}
	for i := len(pods) - 1; i >= 0 && f.Pod == ""; i-- {
		for _, cs := range pods[i].Status.ContainerStatuses {
			if t := cs.State.Terminated; t != nil && t.ExitCode != 0 {
				f.Pod, f.Container = pods[i].Name, cs.Name
				f.Message = strings.TrimSpace(fmt.Sprintf("%s (its container %s exited with code %d %s)", f.Message, cs.Name, t.ExitCode, t.Reason))
				f.Log, f.LogError = logTail(ctx, ow.cs, ow.ns, f.Pod, f.Container, ow.lines)
				break
			}
		}
	}
	return f
}

// pods are the pods of w that selector selects, by name. Of a Deployment,
// only those of its newest ReplicaSet: a pod of an older one (draining, or
// crashing since the last deploy) is not this rollout's.
func (ow *objectsWait) pods(ctx context.Context, w workload, selector *metav1.LabelSelector) ([]corev1.Pod, error) {
	sel, err := metav1.LabelSelectorAsSelector(selector)
	if err != nil || selector == nil {
		return nil, nil // no pods of its own to look at
	}
	opts := metav1.ListOptions{LabelSelector: sel.String()}
	list, err := ow.cs.CoreV1().Pods(ow.ns).List(ctx, opts)
	if err != nil {
		return nil, err
	}
	pods := list.Items
	if w.kind == kube.KindDeployment {
		rss, err := ow.cs.AppsV1().ReplicaSets(ow.ns).List(ctx, opts)
		if err != nil {
			return nil, err
		}
		if newest := newestReplicaSet(w.name, rss.Items); newest != "" {
			pods = slices.DeleteFunc(pods, func(p corev1.Pod) bool {
				owner := metav1.GetControllerOf(&p)
				return owner == nil || owner.Kind != "ReplicaSet" || owner.Name != newest
			})
		}
	}
	sort.Slice(pods, func(i, j int) bool { return pods[i].Name < pods[j].Name })
	return pods, nil
}

// newestReplicaSet names the ReplicaSet of Deployment name with the
// highest revision (the deployment.kubernetes.io/revision annotation its
// controller sets); empty when there is none.
func newestReplicaSet(name string, rss []appsv1.ReplicaSet) string {
	newest, highest := "", int64(0)
	for i := range rss {
		owner := metav1.GetControllerOf(&rss[i])
		if owner == nil || owner.Kind != kube.KindDeployment || owner.Name != name {
			continue
		}
		if rev, err := strconv.ParseInt(rss[i].Annotations[revisionAnnotation], 10, 64); err == nil && rev > highest {
			newest, highest = rss[i].Name, rev
		}
	}
	return newest
}

// revisionAnnotation is where the Deployment controller numbers its
// ReplicaSets, the newest highest.
const revisionAnnotation = "deployment.kubernetes.io/revision"

// timeout is the diagnosis of what was not ready at the deadline: each
// workload as install describes Knative's own, what a failing probe said,
// and the end of that container's log.
func (ow *objectsWait) timeout(ctx context.Context, limit time.Duration) error {
	dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 20*time.Second)
	defer cancel()
	var b strings.Builder
	for _, w := range ow.pending {
		kube.DescribeWorkload(dctx, ow.cs, &b, w.kind, ow.ns, w.name)
	}
	if f := ow.probes.last(); f != nil {
		fmt.Fprintf(&b, "- %s\n", ow.probes.lastSaid())
		if tail, why := logTail(dctx, ow.cs, ow.ns, f.Pod, f.Container, ow.lines); tail != "" {
			fmt.Fprintf(&b, "  last lines of its log:\n%s\n", strings.TrimRight(tail, "\n"))
		} else if why != "" {
			fmt.Fprintf(&b, "  its log is unavailable: %s\n", why)
		}
	}
	if ow.lastErr != nil {
		fmt.Fprintf(&b, "- the last look failed: %v\n", ow.lastErr)
	}
	diag := strings.TrimRight(b.String(), "\n")
	if ctx.Err() != nil {
		return fmt.Errorf("stopped waiting for the objects beside the Services in namespace %s: %w\n%s", ow.ns, context.Cause(ctx), diag)
	}
	return fmt.Errorf("the objects beside the Services in namespace %s were not ready within %s (ready-timeout):\n%s: %w", ow.ns, limit, diag, context.DeadlineExceeded)
}

// objectLabels are what the action labels the app's objects with: its
// own label, and the pull request's number in one.
func objectLabels(pr *PullRequest) map[string]string {
	out := map[string]string{kube.ManagedByLabel: kube.ManagedByValue}
	if pr != nil {
		maps.Copy(out, pr.identity())
	}
	return out
}

// prepareObjects are the app's objects as they are applied: in the
// preview's namespace, labelled, with images loaded into the nodes not
// pulled, and the registry login among their pods' imagePullSecrets.
func prepareObjects(objs []*unstructured.Unstructured, o Options, local []string) []*unstructured.Unstructured {
	out := make([]*unstructured.Unstructured, len(objs))
	for i, obj := range objs {
		c := obj.DeepCopy()
		c.SetNamespace(o.Namespace)
		labels := c.GetLabels()
		if labels == nil {
			labels = map[string]string{}
		}
		for k, v := range objectLabels(o.Derived.PullRequest) {
			labels[k] = v
		}
		c.SetLabels(labels)
		appfile.EditContainers(c, func(ct map[string]any) {
			img, _ := ct["image"].(string)
			if policy, _ := ct["imagePullPolicy"].(string); loadedIntoNodes(img, local) && policy != string(corev1.PullNever) {
				ct["imagePullPolicy"] = string(corev1.PullIfNotPresent)
			}
		})
		if o.Registry != nil {
			appfile.EditPodSpecs(c, func(spec map[string]any) { addPullSecret(spec, o.registrySecretName()) })
		}
		out[i] = c
	}
	return out
}

// addPullSecret lists the Secret name among a pod spec's imagePullSecrets,
// once.
func addPullSecret(spec map[string]any, name string) {
	refs, _ := spec["imagePullSecrets"].([]any)
	for _, r := range refs {
		if m, ok := r.(map[string]any); ok && m["name"] == name {
			return
		}
	}
	spec["imagePullSecrets"] = append(refs, map[string]any{"name": name})
}
