package deploy

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/wait"
	servingv1 "knative.dev/serving/pkg/apis/serving/v1"
	servingclient "knative.dev/serving/pkg/client/clientset/versioned/typed/serving/v1"

	"github.com/knative-preview/action/internal/appfile"
	applyengine "github.com/knative-preview/action/internal/apply"
	"github.com/knative-preview/action/internal/cluster"
	"github.com/knative-preview/action/internal/kube"
	"github.com/knative-preview/action/internal/log"
)

// appRun is one Up of a service file's app under way: each step fills in
// what it found.
type appRun struct {
	d  *Deployer
	t  timings
	l  log.Logger
	cl *cluster.Cluster
	o  Options
	id string

	c        *clients
	services servingclient.ServiceInterface
	applier  *applyengine.Applier
	// objects and desired are what is applied: the objects beside the
	// Services and the Services, as written.
	objects []*unstructured.Unstructured
	desired []*servingv1.Service
	// jobs are the app's Jobs that exist: each runs again.
	jobs []string
	// primary is the primary Service as it was before this run; nil when
	// new.
	primary *servingv1.Service
	// runs wait for each Service and request its URL, in the file's order.
	runs []*upRun
}

// upApp deploys the app of a service file: nothing is written before the
// cluster has accepted all of it in a dry run; then the objects beside the
// Services are applied and waited for, then every Service, each waited
// for until Ready and its URL requested.
func (d *Deployer) upApp(ctx context.Context, l log.Logger, cl *cluster.Cluster, o Options) (*Result, error) {
	a := &appRun{d: d, t: d.timings(o), l: l, cl: cl, o: o, id: randomID()}
	steps := []func(context.Context) error{
		a.connect,       // the clients and the apply engine
		a.prepare,       // the objects and the Services as they are written
		a.check,         // scope, ownership and the server's dry run, before any write
		a.writeSecrets,  // the primary's Secrets, before its revision starts
		a.applyObjects,  // the objects beside the Services, ready
		a.applyServices, // every Service written and read back
		a.waitServices,  // every new revision Ready
		a.reach,         // every external URL answers
	}
	for _, step := range steps {
		if err := step(ctx); err != nil {
			return a.result(), err
		}
	}
	return a.result(), nil
}

// connect builds the clients and the apply engine.
func (a *appRun) connect(context.Context) error {
	c, err := newClients(a.cl)
	if err != nil {
		return err
	}
	a.c, a.services = c, c.serving.Services(a.o.Namespace)
	a.applier, err = applyengine.New(a.cl.REST, applyengine.Options{}, a.l)
	return err
}

// prepare makes what is written: the objects in the preview's namespace,
// labelled, and the Services with the inputs on the primary and what every
// Service of the preview carries on each.
func (a *appRun) prepare(context.Context) error {
	a.objects = prepareObjects(a.o.App.Objects, a.o, a.cl.LocalRegistries)
	for _, s := range a.o.App.Services {
		svc := s.DeepCopy()
		svc.TypeMeta = metav1.TypeMeta{APIVersion: servingv1.SchemeGroupVersion.String(), Kind: "Service"}
		svc.Namespace = a.o.Namespace
		if svc.Name == a.o.Service {
			apply(svc, a.o, a.id, "", a.cl.LocalRegistries)
		} else {
			applyOther(svc, a.o, a.id, a.cl.LocalRegistries)
		}
		a.desired = append(a.desired, svc)
	}
	return nil
}

// check refuses the app before anything of it is written: an object that
// is not namespaced on this cluster, an object of someone else's by the
// same name, a Service being deleted, and whatever the API server's dry
// run refuses (its schema, strictly, and its admission webhooks). The dry
// run needs the namespace: one created for it is deleted again when the
// app is refused.
func (a *appRun) check(ctx context.Context) error {
	if err := a.applier.Namespaced(ctx, a.objects); err != nil {
		return refused(err)
	}
	if err := a.readLive(ctx); err != nil {
		return err
	}
	created, err := ensureNamespace(ctx, a.c.kube, a.o, a.l)
	if err != nil {
		return err
	}
	services, err := unstructuredServices(a.desired)
	if err != nil {
		return err
	}
	a.l.Infof("checking %d objects and %d Knative Services with the API server (dry run: nothing is written)", len(a.objects), len(services))
	if err := a.applier.DryRun(ctx, append(dryRunnable(a.objects), services...)); err != nil {
		if created {
			a.removeNamespace(ctx)
		}
		return refused(err)
	}
	return nil
}

// refused says that the cluster refused the app before it was written.
func refused(err error) error {
	return fmt.Errorf("the app is refused before anything of it was written:\n%w", err)
}

// removeNamespace deletes the namespace this run created for a dry run
// that refused the app: it holds nothing.
func (a *appRun) removeNamespace(ctx context.Context) {
	err := kube.Request(ctx, func(ctx context.Context) error {
		return a.c.kube.CoreV1().Namespaces().Delete(ctx, a.o.Namespace, metav1.DeleteOptions{})
	})
	if err != nil && !apierrors.IsNotFound(err) {
		a.l.Warnf("the namespace %s, created for the check, is not deleted again: %v", a.o.Namespace, err)
		return
	}
	a.l.Infof("deleted namespace %s again: it was created only for the check", a.o.Namespace)
}

// readLive reads what exists of the app: an object of the same name that
// is not this action's is refused, the app's Jobs run again, and a Service
// being deleted is refused.
func (a *appRun) readLive(ctx context.Context) error {
	live, err := a.applier.Live(ctx, a.objects)
	if err != nil {
		return err
	}
	var errs []error
	for i, m := range live {
		switch o := a.objects[i]; {
		case m == nil:
		case m.Labels[kube.ManagedByLabel] != kube.ManagedByValue:
			errs = append(errs, fmt.Errorf("%s %s exists in namespace %s and is not this action's (label %s=%s): it is left alone; rename yours or delete it", o.GetKind(), o.GetName(), a.o.Namespace, kube.ManagedByLabel, kube.ManagedByValue))
		case o.GetKind() == kube.KindJob && o.GroupVersionKind().Group == "batch":
			a.jobs = append(a.jobs, o.GetName())
		}
	}
	for _, s := range a.desired {
		svc, err := readLive(ctx, a.services, a.o.Namespace, s.Name)
		var deleting *errDeleting
		switch {
		case errors.As(err, &deleting):
			errs = append(errs, err)
		case err != nil:
			return err
		case s.Name == a.o.Service:
			a.primary = svc
		}
	}
	if len(errs) > 0 {
		return refused(errors.Join(errs...))
	}
	return nil
}

// dryRunnable are the objects as the dry run checks them: a Job runs
// anew, so it is checked as a new one beside the one that exists.
func dryRunnable(objs []*unstructured.Unstructured) []*unstructured.Unstructured {
	out := make([]*unstructured.Unstructured, len(objs))
	for i, o := range objs {
		out[i] = o
		if o.GetKind() == kube.KindJob && o.GroupVersionKind().Group == "batch" {
			c := o.DeepCopy()
			c.SetGenerateName(o.GetName() + "-")
			c.SetName("")
			out[i] = c
		}
	}
	return out
}

// unstructuredServices are the Services as server-side apply sends them.
func unstructuredServices(svcs []*servingv1.Service) ([]*unstructured.Unstructured, error) {
	out := make([]*unstructured.Unstructured, len(svcs))
	for i, s := range svcs {
		m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(s)
		if err != nil {
			return nil, fmt.Errorf("encoding Knative Service %s: %w", s.Name, err)
		}
		u := &unstructured.Unstructured{Object: m}
		delete(u.Object, "status")
		unstructured.RemoveNestedField(u.Object, "metadata", "creationTimestamp")
		unstructured.RemoveNestedField(u.Object, "spec", "template", "metadata", "creationTimestamp")
		out[i] = u
	}
	return out, nil
}

// writeSecrets writes the primary Service's Secrets before its revision
// starts; they belong to it once it has a UID.
func (a *appRun) writeSecrets(ctx context.Context) error {
	return writeSecrets(ctx, a.c.kube, a.o, a.primary)
}

// applyObjects runs the app's Jobs anew, applies the objects server-side
// and waits until they are ready.
func (a *appRun) applyObjects(ctx context.Context) error {
	if len(a.objects) == 0 {
		return nil
	}
	if err := a.deleteJobs(ctx); err != nil {
		return err
	}
	a.l.Infof("applying %d objects beside the Services into namespace %s", len(a.objects), a.o.Namespace)
	if _, err := a.applier.Apply(ctx, a.objects); err != nil {
		return fmt.Errorf("applying the objects beside the Services: %w", err)
	}
	limit := a.o.ReadyTimeout
	if limit <= 0 {
		limit = defaultObjectsTimeout
	}
	return waitObjects(ctx, a.d, a.c.kube, a.o.Namespace, a.objects, a.t.Poll, limit, a.l)
}

// deleteJobs deletes the app's Jobs an earlier run made, and waits until
// they are gone, so that each runs again (a Job's pods cannot change).
func (a *appRun) deleteJobs(ctx context.Context) error {
	jobs := a.c.kube.BatchV1().Jobs(a.o.Namespace)
	background := metav1.DeletePropagationBackground
	for _, name := range a.jobs {
		a.l.Infof("deleting Job %s/%s of the last deploy, so that it runs again", a.o.Namespace, name)
		err := kube.Request(ctx, func(ctx context.Context) error {
			return jobs.Delete(ctx, name, metav1.DeleteOptions{PropagationPolicy: &background})
		})
		if err != nil && !apierrors.IsNotFound(err) {
			return fmt.Errorf("deleting Job %s/%s to run it again: %w", a.o.Namespace, name, err)
		}
		var last error
		err = wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
			_, err := jobs.Get(ctx, name, metav1.GetOptions{})
			switch {
			case apierrors.IsNotFound(err):
				return true, nil
			case kube.Denied(err):
				return false, err
			}
			last = err // nil while it is still there; else may pass
			return false, nil
		})
		switch {
		case err != nil && last != nil:
			return fmt.Errorf("waiting up to 1m for Job %s/%s of the last deploy to be gone: %w (the last read failed: %v)", a.o.Namespace, name, err, last)
		case err != nil:
			return fmt.Errorf("waiting up to 1m for Job %s/%s of the last deploy to be gone (a finalizer holds it?): %w", a.o.Namespace, name, err)
		}
	}
	return nil
}

// applyServices applies every Service server-side, in the file's order,
// and reads each back; the primary's Secrets are then given their owner.
func (a *appRun) applyServices(ctx context.Context) error {
	objs, err := unstructuredServices(a.desired)
	if err != nil {
		return err
	}
	for i, s := range a.desired {
		id := a.o.Namespace + "/" + s.Name
		role := ""
		if s.Name == a.o.Service {
			role = " (the primary: the inputs over the file)"
		}
		a.l.Infof("applying Knative Service %s%s, running %s", id, role, strings.Join(appfile.ContainerImages([]*servingv1.Service{s}, nil), ", "))
		start := a.d.now()
		if err := a.applier.ApplyObject(ctx, objs[i], kube.FieldManager); err != nil {
			return fmt.Errorf("applying Knative Service %s: %w", id, err)
		}
		written, err := kube.Get(ctx, func(ctx context.Context) (*servingv1.Service, error) {
			return a.services.Get(ctx, s.Name, metav1.GetOptions{})
		})
		if err != nil {
			return fmt.Errorf("reading Knative Service %s back after applying it: %w", id, err)
		}
		o := a.o
		o.Service = s.Name
		a.runs = append(a.runs, &upRun{d: a.d, t: a.t, l: a.l, cl: a.cl, o: o, id: a.id, c: a.c, services: a.services, written: written, start: start})
		if s.Name == a.o.Service && a.primary == nil {
			if err := writeSecrets(ctx, a.c.kube, a.o, written); err != nil {
				return err
			}
		}
	}
	return nil
}

// waitServices waits for every Service's new revision at once; the first
// that cannot become Ready ends the wait.
func (a *appRun) waitServices(ctx context.Context) error {
	g, gctx := errgroup.WithContext(ctx)
	for _, r := range a.runs {
		g.Go(func() error { return r.waitReady(gctx) })
	}
	return g.Wait()
}

// reach requests each Service's URL until it answers, the cluster-local
// ones excepted.
func (a *appRun) reach(ctx context.Context) error {
	for _, r := range a.runs {
		if err := r.reach(ctx); err != nil {
			return err
		}
	}
	return nil
}

// result is what the run deployed as far as it got: the primary Service,
// and every Service that is Ready; nil before the primary is.
func (a *appRun) result() *Result {
	var primary *Result
	var all []Result
	for _, r := range a.runs {
		if r.res == nil {
			continue
		}
		all = append(all, *r.res)
		if r.o.Service == a.o.Service {
			primary = r.res
		}
	}
	if primary == nil {
		return nil
	}
	out := *primary
	out.Services = all
	return &out
}
