package deploy

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	servingv1 "knative.dev/serving/pkg/apis/serving/v1"

	"github.com/knative-preview/action/internal/cluster"
	"github.com/knative-preview/action/internal/kube"
	"github.com/knative-preview/action/internal/log"
)

// Down removes the preview. Without a tag it deletes the Knative Service
// (Kubernetes then removes what it owns: revisions, routes, pods, the
// Secrets), and the namespace when this action created it and nothing of
// anyone else's is left in it. With a tag it removes only that tag's
// traffic entry and Secrets: the Service and its other tags stay. Removing
// what is not there is no error.
func (d *Deployer) Down(ctx context.Context, cl *cluster.Cluster, o Options) error {
	l := log.Or(o.Log)
	if o.Service == "" || o.Namespace == "" {
		return fmt.Errorf("deleting needs a service name and a namespace (got service %q, namespace %q)", o.Service, o.Namespace)
	}
	c, err := newClients(cl)
	if err != nil {
		return err
	}
	if o.Tag != "" {
		return removeTag(ctx, c, o, l)
	}
	id := o.Namespace + "/" + o.Service

	services := c.serving.Services(o.Namespace)
	var svc *servingv1.Service
	err = kube.Request(ctx, func(ctx context.Context) (err error) {
		svc, err = services.Get(ctx, o.Service, metav1.GetOptions{})
		return err
	})
	switch {
	case apierrors.IsNotFound(err) && !missingAPI(err):
		l.Infof("there is no Knative Service %s: nothing to delete", id)
	case err != nil:
		return fmt.Errorf("reading Knative Service %s before deleting it: %w%s", id, err, installHint(err))
	case svc.DeletionTimestamp != nil:
		l.Infof("Knative Service %s is already being deleted", id)
	case o.closing && svc.Labels[pullRequestLabel] != strconv.Itoa(o.pullRequest.Number):
		// A service input shared by pull requests, or with the branch's
		// own deploys: the closed pull request's preview is not this.
		whose := "no pull request deployed it last"
		if n := svc.Labels[pullRequestLabel]; n != "" {
			whose = "pull request #" + n + " deployed it last"
		}
		l.Infof("Knative Service %s is not pull request #%d's preview (%s): left as it is", id, o.pullRequest.Number, whose)
		return nil
	default:
		// Background propagation: the Service goes now, what it owns after.
		background := metav1.DeletePropagationBackground
		// NotFound: a try whose answer was lost deleted it.
		err := kube.Request(ctx, func(ctx context.Context) error {
			return services.Delete(ctx, o.Service, metav1.DeleteOptions{PropagationPolicy: &background})
		})
		if err != nil && !apierrors.IsNotFound(err) {
			return fmt.Errorf("deleting Knative Service %s: %w", id, err)
		}
		l.Infof("deleted Knative Service %s", id)
	}

	// The Secrets are owned by the Service; delete them too in case a
	// failed run left one without its owner.
	if err := deleteSecrets(ctx, c.kube, o, nil, l); err != nil {
		return err
	}
	return deleteNamespace(ctx, c, o, l)
}

// removeTag removes the tag's traffic entry from the Service, and the
// tag's Secrets unless a route still serves a revision of the tag (then
// its pods still read them). When the Service is gone, the namespace may
// go as after an untagged Down.
func removeTag(ctx context.Context, c *clients, o Options, l log.Logger) error {
	id := o.Namespace + "/" + o.Service
	services := c.serving.Services(o.Namespace)
	var svc *servingv1.Service
	removed := false
	// Read, change, write; again when another writer (another preview's
	// run) came between.
	err := kube.Request(ctx, func(ctx context.Context) error {
		cur, err := services.Get(ctx, o.Service, metav1.GetOptions{})
		if err != nil || cur.DeletionTimestamp != nil {
			svc = cur
			return err
		}
		kept := slices.DeleteFunc(slices.Clone(cur.Spec.Traffic), func(t servingv1.TrafficTarget) bool { return t.Tag == o.Tag })
		if len(kept) == len(cur.Spec.Traffic) {
			svc, removed = cur, false
			return nil
		}
		cur.Spec.Traffic = kept
		svc, err = services.Update(ctx, cur, metav1.UpdateOptions{})
		removed = err == nil
		return err
	})
	gone := false
	switch {
	case apierrors.IsNotFound(err) && !missingAPI(err):
		l.Infof("there is no Knative Service %s: no tag %s to remove", id, o.Tag)
		gone = true
	case err != nil:
		return fmt.Errorf("removing tag %s from Knative Service %s: %w%s", o.Tag, id, err, installHint(err))
	case svc.DeletionTimestamp != nil:
		l.Infof("Knative Service %s is being deleted, with its tag %s", id, o.Tag)
		gone = true
	case removed:
		l.Infof("removed tag %s from Knative Service %s; the Service and its other tags stay", o.Tag, id)
	default:
		l.Infof("Knative Service %s has no traffic tagged %s: nothing to remove", id, o.Tag)
	}

	if !gone {
		if rev := servedRevisionOfTag(svc, o.Tag); rev != "" {
			l.Infof("kept the Secrets of tag %s: the Service's traffic still goes to its revision %s, whose pods read them", o.Tag, rev)
			return nil
		}
	}
	if err := deleteSecrets(ctx, c.kube, o, []string{o.secretName(), o.registrySecretName()}, l); err != nil {
		return err
	}
	if !gone {
		return nil // the namespace holds the Service
	}
	return deleteNamespace(ctx, c, o, l)
}

// servedRevisionOfTag is a revision made by a run with tag that a traffic
// entry of svc still names (a main route pinned to it, say), or empty.
// Such a revision is named <service>-<tag>-xxxxx (five characters).
func servedRevisionOfTag(svc *servingv1.Service, tag string) string {
	prefix := svc.Name + "-" + tag + "-"
	ofTag := func(rev string) bool { return len(rev) == len(prefix)+5 && strings.HasPrefix(rev, prefix) }
	latest := svc.Status.LatestReadyRevisionName
	if latest == "" {
		latest = svc.Status.LatestCreatedRevisionName
	}
	for _, t := range svc.Spec.Traffic {
		rev := t.RevisionName
		if t.LatestRevision != nil && *t.LatestRevision {
			rev = latest
		}
		if ofTag(rev) {
			return rev
		}
	}
	if len(svc.Spec.Traffic) == 0 && ofTag(latest) {
		return latest // no traffic block: all of it goes to the latest
	}
	return ""
}

// deleteNamespace deletes the namespace when this action created it and
// nothing of anyone else's is left in it.
func deleteNamespace(ctx context.Context, c *clients, o Options, l log.Logger) error {
	var ns *corev1.Namespace
	err := kube.Request(ctx, func(ctx context.Context) (err error) {
		ns, err = c.kube.CoreV1().Namespaces().Get(ctx, o.Namespace, metav1.GetOptions{})
		return err
	})
	switch {
	case apierrors.IsNotFound(err):
		return nil
	case err != nil:
		return fmt.Errorf("reading namespace %s: %w", o.Namespace, err)
	case ns.Labels[kube.ManagedByLabel] != kube.ManagedByValue || ns.DeletionTimestamp != nil:
		return nil
	}
	left, err := leftovers(ctx, c, o)
	if err != nil {
		return fmt.Errorf("checking what is left in namespace %s before deleting it: %w", o.Namespace, err)
	}
	if len(left) > 0 {
		l.Infof("kept namespace %s (created by this action): it still holds %s", o.Namespace, strings.Join(left, ", "))
		return nil
	}
	err = kube.Request(ctx, func(ctx context.Context) error {
		return c.kube.CoreV1().Namespaces().Delete(ctx, o.Namespace, metav1.DeleteOptions{})
	})
	if err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("deleting namespace %s: %w", o.Namespace, err)
	}
	l.Infof("deleted namespace %s (created by this action, now empty)", o.Namespace)
	return nil
}

// leftovers lists what in the namespace is someone else's: objects that
// nothing owns and that are neither this deploy's nor made by Kubernetes
// for every namespace. It looks at the kinds people create: Knative
// Services, Configurations and Routes, workloads, pods, Services,
// ConfigMaps, Secrets, PersistentVolumeClaims and ServiceAccounts.
func leftovers(ctx context.Context, c *clients, o Options) ([]string, error) {
	ns := o.Namespace
	list := metav1.ListOptions{}
	var out []string
	// Owned objects go with their owner; Knative labels what it makes for
	// the Service.
	mine := func(m metav1.Object) bool {
		return len(m.GetOwnerReferences()) > 0 || m.GetDeletionTimestamp() != nil || m.GetLabels()[serviceLabel] == o.Service
	}
	add := func(kind string, objs []metav1.Object, skip func(metav1.Object) bool) {
		for _, m := range objs {
			if !mine(m) && (skip == nil || !skip(m)) {
				out = append(out, kind+"/"+m.GetName())
			}
		}
	}

	type lister struct {
		kind string
		list func() ([]metav1.Object, error)
		skip func(metav1.Object) bool
	}
	sv := c.serving
	core := c.kube.CoreV1()
	apps := c.kube.AppsV1()
	batch := c.kube.BatchV1()
	listers := []lister{
		{"ksvc", func() ([]metav1.Object, error) { l, err := sv.Services(ns).List(ctx, list); return objects(l, err) },
			func(m metav1.Object) bool { return m.GetName() == o.Service }},
		{"configuration", func() ([]metav1.Object, error) {
			l, err := sv.Configurations(ns).List(ctx, list)
			return objects(l, err)
		}, nil},
		{"route", func() ([]metav1.Object, error) { l, err := sv.Routes(ns).List(ctx, list); return objects(l, err) }, nil},
		{"deployment", func() ([]metav1.Object, error) {
			l, err := apps.Deployments(ns).List(ctx, list)
			return objects(l, err)
		}, nil},
		{"statefulset", func() ([]metav1.Object, error) {
			l, err := apps.StatefulSets(ns).List(ctx, list)
			return objects(l, err)
		}, nil},
		{"daemonset", func() ([]metav1.Object, error) { l, err := apps.DaemonSets(ns).List(ctx, list); return objects(l, err) }, nil},
		{"job", func() ([]metav1.Object, error) { l, err := batch.Jobs(ns).List(ctx, list); return objects(l, err) }, nil},
		{"cronjob", func() ([]metav1.Object, error) { l, err := batch.CronJobs(ns).List(ctx, list); return objects(l, err) }, nil},
		{"pod", func() ([]metav1.Object, error) { l, err := core.Pods(ns).List(ctx, list); return objects(l, err) }, nil},
		{"service", func() ([]metav1.Object, error) { l, err := core.Services(ns).List(ctx, list); return objects(l, err) }, nil},
		{"configmap", func() ([]metav1.Object, error) { l, err := core.ConfigMaps(ns).List(ctx, list); return objects(l, err) },
			func(m metav1.Object) bool { return m.GetName() == "kube-root-ca.crt" }},
		{"secret", func() ([]metav1.Object, error) {
			l, err := core.Secrets(ns).List(ctx, list)
			if err != nil {
				return nil, err
			}
			var out []metav1.Object
			for i, s := range l.Items {
				if s.Type != corev1.SecretTypeServiceAccountToken {
					out = append(out, &l.Items[i])
				}
			}
			return out, nil
		}, nil},
		{"persistentvolumeclaim", func() ([]metav1.Object, error) {
			l, err := core.PersistentVolumeClaims(ns).List(ctx, list)
			return objects(l, err)
		}, nil},
		{"serviceaccount", func() ([]metav1.Object, error) {
			l, err := core.ServiceAccounts(ns).List(ctx, list)
			return objects(l, err)
		},
			func(m metav1.Object) bool { return m.GetName() == "default" }},
	}
	for _, l := range listers {
		var ms []metav1.Object
		err := kube.Request(ctx, func(context.Context) (err error) {
			ms, err = l.list() // bound to the outer ctx, which Request's is
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("listing %ss: %w", l.kind, err)
		}
		add(l.kind, ms, l.skip)
	}
	return out, nil
}

// objects returns the items of a typed list.
func objects(list runtime.Object, err error) ([]metav1.Object, error) {
	if err != nil {
		return nil, err
	}
	items, err := meta.ExtractList(list)
	if err != nil {
		return nil, err
	}
	out := make([]metav1.Object, 0, len(items))
	for _, it := range items {
		a, err := meta.Accessor(it)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, nil
}
