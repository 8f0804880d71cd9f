package kind

import (
	"context"
	"fmt"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/knative-preview/action/internal/cluster"
	"github.com/knative-preview/action/internal/kube"
	"github.com/knative-preview/action/internal/log"
)

// waitNodesReady waits up to within for every node to be Ready. kind's own
// wait only warns when it runs out of time, and a reused cluster's nodes
// may not be Ready after Docker restarted.
func waitNodesReady(ctx context.Context, rc *rest.Config, within time.Duration, l log.Logger) error {
	c := rest.CopyConfig(rc)
	if c.Timeout == 0 {
		c.Timeout = 10 * time.Second
	}
	c.QPS = -1
	cs, err := kubernetes.NewForConfig(c)
	if err != nil {
		return fmt.Errorf("building a client for %s: %w", rc.Host, err)
	}
	var notReady []string
	var last error
	attempt := 0
	err = wait.PollUntilContextTimeout(ctx, 2*time.Second, within, true, func(ctx context.Context) (bool, error) {
		attempt++
		list, err := cs.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
		if err != nil {
			if kube.CutShort(ctx, err) && (last != nil || len(notReady) > 0) {
				return false, nil // cut short by the deadline: what came before says more
			}
			last = err
			return false, nil
		}
		last = nil
		notReady = notReady[:0]
		for _, n := range list.Items {
			if why := nodeNotReady(n); why != "" {
				notReady = append(notReady, n.Name+" ("+why+")")
			}
		}
		if len(list.Items) == 0 {
			notReady = append(notReady, "no node has registered yet")
		}
		if len(notReady) == 0 {
			l.Infof("all %d node(s) are Ready", len(list.Items))
			return true, nil
		}
		if attempt == 1 || attempt%5 == 0 {
			l.Infof("waiting up to %s for the nodes to be Ready: %s", within, strings.Join(notReady, ", "))
		}
		return false, nil
	})
	switch {
	case err == nil:
		return nil
	case last != nil:
		return fmt.Errorf("listing the nodes to see whether they are Ready, for %s: %w", within, cluster.Explain(rc.Host, last))
	case len(notReady) > 0 && ctx.Err() != nil:
		return fmt.Errorf("stopped waiting for the nodes to be Ready (%s not Ready): %w", strings.Join(notReady, ", "), context.Cause(ctx))
	case len(notReady) > 0:
		return fmt.Errorf("the nodes are not Ready after %s: %s; look at `kubectl describe nodes` with the kubeconfig output, or set reuse-cluster: recreate", within, strings.Join(notReady, ", "))
	}
	return fmt.Errorf("waiting for the nodes to be Ready: %w", err)
}

// nodeNotReady says why a node is not Ready, or "" when it is.
func nodeNotReady(n corev1.Node) string {
	for _, c := range n.Status.Conditions {
		if c.Type != corev1.NodeReady {
			continue
		}
		if c.Status == corev1.ConditionTrue {
			return ""
		}
		if c.Message != "" {
			return c.Message
		}
		return "Ready is " + string(c.Status)
	}
	return "no Ready condition yet"
}
