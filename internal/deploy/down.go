package deploy

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	servingv1 "knative.dev/serving/pkg/apis/serving/v1"

	"github.com/knative-preview/action/internal/cluster"
	"github.com/knative-preview/action/internal/history"
	"github.com/knative-preview/action/internal/kube"
	"github.com/knative-preview/action/internal/log"
)

// Down removes the preview, telling l each step. A pull request's own
// namespace (namespace auto) is deleted as a whole, with everything in
// it, and nothing else is touched. Otherwise a pull request's own
// preview leaves no history behind (with KeepsHistory): the history goes
// first, so that the namespace may go after the Service; a smoke check's
// (or a shared Service's) history outlives its Service. Without a tag it
// deletes the Knative Service (Kubernetes then removes what it owns:
// revisions, routes, pods, the Secrets), with a service file the app's
// other Services and the objects beside them (those this action labelled),
// and the namespace when this action
// created it and nothing of anyone else's is left in it. With a tag it
// removes only that tag's traffic entry and Secrets: the Service and its
// other tags stay. Removing what is not there is no error.
func (d *Deployer) Down(ctx context.Context, l log.Logger, cl *cluster.Cluster, o Options) error {
	if (o.Service == "" && !o.Derived.OwnNamespace) || o.Namespace == "" {
		return fmt.Errorf("deleting needs a service name and a namespace (got service %q, namespace %q)", o.Service, o.Namespace)
	}
	c, err := newClients(cl)
	if err != nil {
		return err
	}
	if o.Derived.OwnNamespace {
		return deleteOwnNamespace(ctx, c, o, l)
	}
	if o.PullRequestsOwn() && o.KeepsHistory {
		if err := history.Forget(ctx, c.kube, o.Namespace, o.Preview()); err != nil {
			// Only figures are left over; the preview itself goes below.
			l.Warnf("the preview's history is not removed: %v", err)
		}
	}
	if o.Tag != "" {
		return removeTag(ctx, c, o, l)
	}
	if err := deleteService(ctx, c, o, l); err != nil {
		return ignore(err, errNotTheirs)
	}
	if o.App != nil {
		if err := deleteApp(ctx, cl, c, o, l); err != nil {
			return err
		}
	}
	// The Secrets are owned by the Service; delete them too in case a
	// failed run left one without its owner.
	if err := deleteSecrets(ctx, c.kube, o, nil, l); err != nil {
		return err
	}
	return deleteNamespace(ctx, c, o, l)
}

// errNotTheirs says the Service is not the closed pull request's preview:
// it is left as it is, and so is what is beside it.
var errNotTheirs = errors.New("not the pull request's preview")

// ignore returns err unless it is target.
func ignore(err, target error) error {
	if errors.Is(err, target) {
		return nil
	}
	return err
}

// deleteService deletes the Knative Service, unless a closing pull
// request's run finds it is another's (then errNotTheirs).
func deleteService(ctx context.Context, c *clients, o Options, l log.Logger) error {
	id := o.Namespace + "/" + o.Service
	services := c.serving.Services(o.Namespace)
	svc, err := kube.Get(ctx, func(ctx context.Context) (*servingv1.Service, error) {
		return services.Get(ctx, o.Service, metav1.GetOptions{})
	})
	pr := o.Derived.PullRequest
	switch {
	case apierrors.IsNotFound(err) && !missingAPI(err):
		l.Infof("there is no Knative Service %s: nothing to delete", id)
	case err != nil:
		return fmt.Errorf("reading Knative Service %s before deleting it: %w%s", id, err, installHint(err))
	case svc.DeletionTimestamp != nil:
		l.Infof("Knative Service %s is already being deleted", id)
	case o.Derived.Closing && !pr.owns(svc.Labels):
		// A service input shared by pull requests, or with the branch's
		// own deploys: the closed pull request's preview is not this.
		whose := "no pull request deployed it last"
		if n := svc.Labels[pullRequestLabel]; n != "" {
			whose = "pull request #" + n + " deployed it last"
		}
		l.Infof("Knative Service %s is not pull request #%d's preview (%s): left as it is", id, pr.Number, whose)
		return errNotTheirs
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
	return nil
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
	ns, err := kube.Get(ctx, func(ctx context.Context) (*corev1.Namespace, error) {
		return c.kube.CoreV1().Namespaces().Get(ctx, o.Namespace, metav1.GetOptions{})
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
		list func(ctx context.Context) (runtime.Object, error)
		skip func(metav1.Object) bool
	}
	sv, core, apps, batch := c.serving, c.kube.CoreV1(), c.kube.AppsV1(), c.kube.BatchV1()
	named := func(name string) func(metav1.Object) bool {
		return func(m metav1.Object) bool { return m.GetName() == name }
	}
	listers := []lister{
		{"ksvc", func(ctx context.Context) (runtime.Object, error) { return sv.Services(ns).List(ctx, list) }, named(o.Service)},
		{"configuration", func(ctx context.Context) (runtime.Object, error) { return sv.Configurations(ns).List(ctx, list) }, nil},
		{"route", func(ctx context.Context) (runtime.Object, error) { return sv.Routes(ns).List(ctx, list) }, nil},
		{"deployment", func(ctx context.Context) (runtime.Object, error) { return apps.Deployments(ns).List(ctx, list) }, nil},
		{"statefulset", func(ctx context.Context) (runtime.Object, error) { return apps.StatefulSets(ns).List(ctx, list) }, nil},
		{"daemonset", func(ctx context.Context) (runtime.Object, error) { return apps.DaemonSets(ns).List(ctx, list) }, nil},
		{"job", func(ctx context.Context) (runtime.Object, error) { return batch.Jobs(ns).List(ctx, list) }, nil},
		{"cronjob", func(ctx context.Context) (runtime.Object, error) { return batch.CronJobs(ns).List(ctx, list) }, nil},
		{"pod", func(ctx context.Context) (runtime.Object, error) { return core.Pods(ns).List(ctx, list) }, nil},
		{"service", func(ctx context.Context) (runtime.Object, error) { return core.Services(ns).List(ctx, list) }, nil},
		{"configmap", func(ctx context.Context) (runtime.Object, error) { return core.ConfigMaps(ns).List(ctx, list) }, named("kube-root-ca.crt")},
		{"secret", func(ctx context.Context) (runtime.Object, error) { return core.Secrets(ns).List(ctx, list) }, serviceAccountToken},
		{"persistentvolumeclaim", func(ctx context.Context) (runtime.Object, error) {
			return core.PersistentVolumeClaims(ns).List(ctx, list)
		}, nil},
		{"serviceaccount", func(ctx context.Context) (runtime.Object, error) { return core.ServiceAccounts(ns).List(ctx, list) }, named("default")},
	}
	for _, l := range listers {
		ms, err := kube.Get(ctx, func(ctx context.Context) ([]metav1.Object, error) { return objects(l.list(ctx)) })
		if err != nil {
			return nil, fmt.Errorf("listing %ss: %w", l.kind, err)
		}
		add(l.kind, ms, l.skip)
	}
	return out, nil
}

// serviceAccountToken reports whether m is a service account's token
// Secret, which Kubernetes makes itself.
func serviceAccountToken(m metav1.Object) bool {
	s, ok := m.(*corev1.Secret)
	return ok && s.Type == corev1.SecretTypeServiceAccountToken
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
