package install

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

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
			if kube.DeploymentAvailable(&d) {
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
			if kube.DaemonSetAvailable(&d) {
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
		kind := kube.KindDeployment
		if ds, ok := strings.CutPrefix(ref, daemonSetPrefix); ok {
			kind, ref = kube.KindDaemonSet, ds
		}
		ns, name, _ := strings.Cut(ref, "/")
		kube.DescribeWorkload(ctx, cs, &b, kind, ns, name)
	}
	if !last.webhook {
		b.WriteString("- the Service knative-serving/webhook has no ready endpoint: the webhook pod is not ready, so Knative objects and its ConfigMaps cannot be changed\n")
	}
	return strings.TrimRight(b.String(), "\n")
}
