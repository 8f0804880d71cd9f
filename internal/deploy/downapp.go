package deploy

import (
	"context"
	"errors"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	applyengine "github.com/knative-preview/action/internal/apply"
	"github.com/knative-preview/action/internal/cluster"
	"github.com/knative-preview/action/internal/kube"
	"github.com/knative-preview/action/internal/log"
)

// deleteOwnNamespace deletes a pull request's own namespace as a whole:
// Kubernetes removes everything in it. One that is not labelled as that
// pull request's (by this action) is left as it is.
func deleteOwnNamespace(ctx context.Context, c *clients, o Options, l log.Logger) error {
	name, pr := o.Namespace, o.Derived.PullRequest
	ns, err := kube.Get(ctx, func(ctx context.Context) (*corev1.Namespace, error) {
		return c.kube.CoreV1().Namespaces().Get(ctx, name, metav1.GetOptions{})
	})
	switch {
	case apierrors.IsNotFound(err):
		l.Infof("there is no namespace %s: nothing to delete", name)
		return nil
	case err != nil:
		return fmt.Errorf("reading namespace %s before deleting it: %w", name, err)
	case !ownNamespace(ns, pr):
		l.Infof("namespace %s is not pull request #%d's preview (labels %s): left as it is", name, pr.Number, pr.describe())
		return nil
	case ns.DeletionTimestamp != nil:
		l.Infof("namespace %s is already being deleted", name)
		return nil
	}
	// The UID precondition: a namespace made anew since it was read is
	// not the one looked at.
	err = kube.Request(ctx, func(ctx context.Context) error {
		return c.kube.CoreV1().Namespaces().Delete(ctx, name, metav1.DeleteOptions{Preconditions: metav1.NewUIDPreconditions(string(ns.UID))})
	})
	if err != nil && !apierrors.IsNotFound(err) && !apierrors.IsConflict(err) {
		return fmt.Errorf("deleting namespace %s: %w", name, err)
	}
	l.Infof("deleted namespace %s, pull request #%d's preview, with everything in it", name, pr.Number)
	return nil
}

// deleteApp deletes, after the primary Service, the app's other Services
// and the objects beside them that this action labelled (when a closed
// pull request removes its preview, those labelled with its number).
func deleteApp(ctx context.Context, cl *cluster.Cluster, c *clients, o Options, l log.Logger) error {
	for _, name := range o.App.Names() {
		if name == o.Service {
			continue
		}
		other := o
		other.Service = name
		if err := deleteService(ctx, c, other, l); err != nil && !errors.Is(err, errNotTheirs) {
			return err
		}
	}
	if len(o.App.Objects) == 0 {
		return nil
	}
	a, err := applyengine.New(cl.REST, applyengine.Options{}, l)
	if err != nil {
		return err
	}
	objs := prepareObjects(o.App.Objects, o, nil)
	live, err := a.Live(ctx, objs)
	if err != nil {
		return fmt.Errorf("reading the objects beside the Services before deleting them: %w", err)
	}
	for i, m := range live {
		switch {
		case m == nil:
		case m.Labels[kube.ManagedByLabel] != kube.ManagedByValue,
			o.Derived.Closing && !o.Derived.PullRequest.owns(m.Labels):
			l.Infof("%s %s/%s is not this preview's: left as it is", objs[i].GetKind(), o.Namespace, objs[i].GetName())
		default:
			if err := a.Delete(ctx, objs[i]); err != nil {
				return err
			}
			l.Infof("deleted %s %s/%s", objs[i].GetKind(), o.Namespace, objs[i].GetName())
		}
	}
	return nil
}
