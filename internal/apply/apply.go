// Package apply puts manifests onto a cluster: server-side apply with our
// field manager, in dependency order (CRDs, then namespaces, then the rest
// concurrently, admission webhooks last), retrying what may pass and
// skipping objects that already hold what we applied before.
package apply

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"

	"github.com/knative-preview/action/internal/buildinfo"
	"github.com/knative-preview/action/internal/kube"
	"github.com/knative-preview/action/internal/log"
)

// hashAnnotation records, on every object we apply, a hash of what we
// applied; an object that carries the hash of the wanted state is skipped.
const hashAnnotation = buildinfo.Name + "/applied-hash"

// Applier applies objects to one cluster.
type Applier struct {
	dyn     dynamic.Interface
	meta    metadata.Interface
	mapper  *restmapper.DeferredDiscoveryRESTMapper
	manager string
	workers int
	// retryFor bounds how long one object is retried while errors may pass
	// (a webhook that is not answering yet, 429, 5xx, resets).
	retryFor time.Duration
	// establishTimeout bounds the wait for CRDs to be Established.
	establishTimeout time.Duration
	log              log.Logger
}

// Options say how an Applier works; zero values mean the defaults.
type Options struct {
	// RetryFor bounds the retries of one object on errors that may pass
	// (default 2m).
	RetryFor time.Duration
}

// New returns an Applier for the cluster cfg reaches, telling l what it
// does.
func New(cfg *rest.Config, o Options, l log.Logger) (*Applier, error) {
	c := rest.CopyConfig(cfg)
	// Applying a release is a burst of requests: client-go's default of
	// 5 QPS would make the client, not the server, the bottleneck.
	c.QPS, c.Burst = 200, 400
	dyn, err := dynamic.NewForConfig(c)
	if err != nil {
		return nil, fmt.Errorf("building a dynamic client: %w", err)
	}
	md, err := metadata.NewForConfig(c)
	if err != nil {
		return nil, fmt.Errorf("building a metadata client: %w", err)
	}
	dc, err := discovery.NewDiscoveryClientForConfig(c)
	if err != nil {
		return nil, fmt.Errorf("building a discovery client: %w", err)
	}
	a := &Applier{
		dyn:              dyn,
		meta:             md,
		mapper:           restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(dc)),
		manager:          kube.FieldManager,
		workers:          16,
		retryFor:         o.RetryFor,
		establishTimeout: time.Minute,
		log:              l,
	}
	if a.retryFor <= 0 {
		a.retryFor = 2 * time.Minute
	}
	return a, nil
}

// Result counts what Apply did.
type Result struct {
	Created, Updated, Unchanged int
}

func (r Result) String() string {
	return fmt.Sprintf("%d created, %d updated, %d unchanged", r.Created, r.Updated, r.Unchanged)
}

var (
	crdKind    = schema.GroupKind{Group: "apiextensions.k8s.io", Kind: "CustomResourceDefinition"}
	nsKind     = schema.GroupKind{Kind: "Namespace"}
	mutating   = schema.GroupKind{Group: "admissionregistration.k8s.io", Kind: "MutatingWebhookConfiguration"}
	validating = schema.GroupKind{Group: "admissionregistration.k8s.io", Kind: "ValidatingWebhookConfiguration"}
)

// Apply applies objs in dependency order: CRDs (then waits until they are
// Established), namespaces, everything else concurrently, and admission
// webhook configurations last, so that objects the webhooks would check
// are admitted before their webhook exists on a first install.
func (a *Applier) Apply(ctx context.Context, objs []*unstructured.Unstructured) (Result, error) {
	var crds, namespaces, rest, webhooks []*unstructured.Unstructured
	for _, o := range objs {
		switch o.GroupVersionKind().GroupKind() {
		case crdKind:
			crds = append(crds, o)
		case nsKind:
			namespaces = append(namespaces, o)
		case mutating, validating:
			webhooks = append(webhooks, o)
		default:
			rest = append(rest, o)
		}
	}
	var total Result
	fresh := map[schema.GroupKind]bool{}
	if len(crds) > 0 {
		before, err := a.liveHashes(ctx, crds, nil)
		if err != nil {
			return total, err
		}
		for _, c := range crds {
			if _, ok := before[key{crdResource, "", c.GetName()}]; !ok {
				group, _, _ := unstructured.NestedString(c.Object, "spec", "group")
				kind, _, _ := unstructured.NestedString(c.Object, "spec", "names", "kind")
				fresh[schema.GroupKind{Group: group, Kind: kind}] = true
			}
		}
		r, err := a.applyAll(ctx, "CRDs", crds, nil)
		total = add(total, r)
		if err != nil {
			return total, err
		}
		if err := a.waitEstablished(ctx, crds); err != nil {
			return total, err
		}
		a.mapper.Reset()
	}
	for _, phase := range []struct {
		name string
		objs []*unstructured.Unstructured
	}{{"namespaces", namespaces}, {"objects", rest}, {"admission webhooks", webhooks}} {
		if len(phase.objs) == 0 {
			continue
		}
		r, err := a.applyAll(ctx, phase.name, phase.objs, fresh)
		total = add(total, r)
		if err != nil {
			return total, err
		}
	}
	return total, nil
}

func add(a, b Result) Result {
	return Result{a.Created + b.Created, a.Updated + b.Updated, a.Unchanged + b.Unchanged}
}

type outcome int

const (
	created outcome = iota
	updated
	unchanged
)

// applyAll applies objs concurrently and reports every object that failed.
func (a *Applier) applyAll(ctx context.Context, phase string, objs []*unstructured.Unstructured, fresh map[schema.GroupKind]bool) (Result, error) {
	live, err := a.liveHashes(ctx, objs, fresh)
	if err != nil {
		return Result{}, err
	}
	var (
		mu   sync.Mutex
		res  Result
		errs []error
	)
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(a.workers)
	for _, o := range objs {
		g.Go(func() error {
			out, err := a.applyOne(gctx, o, live)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, err)
				return nil // keep going: report every object that fails
			}
			switch out {
			case created:
				res.Created++
			case updated:
				res.Updated++
			default:
				res.Unchanged++
			}
			return nil
		})
	}
	_ = g.Wait()
	if len(errs) > 0 {
		sort.Slice(errs, func(i, j int) bool { return errs[i].Error() < errs[j].Error() })
		return res, fmt.Errorf("applying %s: %d of %d failed:\n%w", phase, len(errs), len(objs), errors.Join(errs...))
	}
	a.log.Infof("applied %d %s: %s", len(objs), phase, res)
	return res, nil
}

// key identifies an object for the live-hash lookup.
type key struct {
	gvr       schema.GroupVersionResource
	namespace string
	name      string
}

// liveHashes reads the applied-hash annotation of every existing object
// among objs with one metadata-only list per resource and namespace,
// instead of one GET per object.
//
// Kinds in fresh have a CRD created moments ago, so nothing of them exists;
// they are not listed (the first read of a new resource waits for its
// watch cache, about a second).
func (a *Applier) liveHashes(ctx context.Context, objs []*unstructured.Unstructured, fresh map[schema.GroupKind]bool) (map[key]string, error) {
	type scope struct {
		gvr       schema.GroupVersionResource
		namespace string
	}
	scopes := map[scope]bool{}
	for _, o := range objs {
		if fresh[o.GroupVersionKind().GroupKind()] {
			continue
		}
		m, err := a.mapping(ctx, o)
		if err != nil {
			return nil, err
		}
		scopes[scope{m.Resource, namespaceOf(o, m)}] = true
	}
	var (
		mu  sync.Mutex
		out = map[key]string{}
	)
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(a.workers)
	for s := range scopes {
		g.Go(func() error {
			var list *metav1.PartialObjectMetadataList
			err := a.retry(gctx, fmt.Sprintf("listing %s", s.gvr.Resource), func(ctx context.Context) error {
				var err error
				list, err = a.meta.Resource(s.gvr).Namespace(s.namespace).List(ctx, metav1.ListOptions{})
				return err
			})
			if apierrors.IsNotFound(err) {
				return nil // the namespace or resource does not exist yet: nothing is live
			}
			if err != nil {
				return fmt.Errorf("listing %s in %q to see what is installed: %w", s.gvr.Resource, s.namespace, err)
			}
			mu.Lock()
			defer mu.Unlock()
			for _, item := range list.Items {
				out[key{s.gvr, item.Namespace, item.Name}] = item.Annotations[hashAnnotation]
			}
			return nil
		})
	}
	return out, g.Wait()
}

func (a *Applier) mapping(ctx context.Context, o *unstructured.Unstructured) (*meta.RESTMapping, error) {
	gvk := o.GroupVersionKind()
	// Discovery is reads: made again while its errors may pass.
	m, err := kube.Get(ctx, func(context.Context) (*meta.RESTMapping, error) {
		m, err := a.mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
		if err != nil {
			// A CRD applied moments ago may be missing from a discovery
			// cache, and an answer lost on the way is kept in it too.
			a.mapper.Reset()
			return a.mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
		}
		return m, nil
	})
	if err != nil {
		return nil, fmt.Errorf("%s %s: the cluster does not serve this kind (%w): is its CRD installed?", gvk.Kind, o.GetName(), err)
	}
	return m, nil
}

func namespaceOf(o *unstructured.Unstructured, m *meta.RESTMapping) string {
	if m.Scope.Name() != meta.RESTScopeNameNamespace {
		return ""
	}
	if ns := o.GetNamespace(); ns != "" {
		return ns
	}
	return metav1.NamespaceDefault
}

func (a *Applier) applyOne(ctx context.Context, o *unstructured.Unstructured, live map[key]string) (outcome, error) {
	m, err := a.mapping(ctx, o)
	if err != nil {
		return 0, err
	}
	ns := namespaceOf(o, m)
	desired := o.DeepCopy()
	desired.SetNamespace(ns)
	h, err := hash(o)
	if err != nil {
		return 0, err
	}
	liveHash, exists := live[key{m.Resource, ns, o.GetName()}]
	if exists && liveHash == h {
		return unchanged, nil
	}
	ann := desired.GetAnnotations()
	if ann == nil {
		ann = map[string]string{}
	}
	ann[hashAnnotation] = h
	desired.SetAnnotations(ann)
	what := describe(o)
	err = a.retry(ctx, "applying "+what, func(ctx context.Context) error {
		_, err := a.dyn.Resource(m.Resource).Namespace(ns).Apply(ctx, o.GetName(), desired, metav1.ApplyOptions{FieldManager: a.manager, Force: true})
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("%s: %w", what, err)
	}
	if exists {
		return updated, nil
	}
	return created, nil
}

// ApplyObject applies one object with field manager manager, retrying errors
// that may pass (such as a validating webhook that is not answering yet).
// Unlike Apply it never skips: it is for settings that others may change.
func (a *Applier) ApplyObject(ctx context.Context, o *unstructured.Unstructured, manager string) error {
	m, err := a.mapping(ctx, o)
	if err != nil {
		return err
	}
	what := describe(o)
	err = a.retry(ctx, "applying "+what, func(ctx context.Context) error {
		_, err := a.dyn.Resource(m.Resource).Namespace(namespaceOf(o, m)).Apply(ctx, o.GetName(), o, metav1.ApplyOptions{FieldManager: manager, Force: true})
		return err
	})
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}

func describe(o *unstructured.Unstructured) string {
	name := nameOf(o)
	if ns := o.GetNamespace(); ns != "" {
		return fmt.Sprintf("%s %s/%s", o.GetKind(), ns, name)
	}
	return fmt.Sprintf("%s %s", o.GetKind(), name)
}

// nameOf is o's name, or its generateName followed by * when the server
// is to make the name.
func nameOf(o *unstructured.Unstructured) string {
	if name := o.GetName(); name != "" {
		return name
	}
	return o.GetGenerateName() + "*"
}

// hash is the hash of an object as we apply it, without our annotation.
func hash(o *unstructured.Unstructured) (string, error) {
	c := o.DeepCopy()
	if ann := c.GetAnnotations(); ann != nil {
		delete(ann, hashAnnotation)
		if len(ann) == 0 {
			unstructured.RemoveNestedField(c.Object, "metadata", "annotations")
		} else {
			c.SetAnnotations(ann)
		}
	}
	b, err := json.Marshal(c.Object) // map keys are sorted: the encoding is canonical
	if err != nil {
		return "", fmt.Errorf("hashing %s: %w", describe(o), err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:12]), nil
}

var webhookName = regexp.MustCompile(`failed calling webhook "([^"]+)"`)

// retry runs fn until it succeeds, fails with an error that will not pass,
// or retryFor has passed; backoff grows from 100 ms to 5 s, then stays;
// the first retry is announced.
func (a *Applier) retry(ctx context.Context, what string, fn func(context.Context) error) error {
	q := kube.Requester{For: a.retryFor, Cap: 5 * time.Second, Classify: classify, Retrying: func(err error) {
		a.log.Infof("retrying %s: %s", what, short(explain(err)))
	}}
	if err := q.Do(ctx, fn); err != nil {
		return explain(err)
	}
	return nil
}

// classify says which errors of an apply may pass: kube.Transient's,
// except the one a server-side apply of an object its schema does not
// describe gets (a field it does not declare, say), which comes as an
// internal error but is the object's own.
func classify(err error) (time.Duration, bool) {
	if strings.Contains(err.Error(), "failed to create typed patch object") {
		return 0, false
	}
	return 0, kube.Transient(err)
}

// explain names the admission webhook behind an error, when there is one.
func explain(err error) error {
	if m := webhookName.FindStringSubmatch(err.Error()); m != nil {
		return fmt.Errorf("the admission webhook %q is not answering (is the Knative webhook Deployment running and its Service backed by a ready pod?): %w", m[1], err)
	}
	return err
}

func short(err error) string {
	s := err.Error()
	if len(s) > 200 {
		s = s[:200] + "..."
	}
	return s
}

// Namespaced refuses, before anything is written, every object whose kind
// the cluster serves without a namespace, or does not serve at all; nil
// when each is namespaced. Every object refused is named at once.
func (a *Applier) Namespaced(ctx context.Context, objs []*unstructured.Unstructured) error {
	var errs []error
	for _, o := range objs {
		m, err := a.mapping(ctx, o)
		switch {
		case err != nil:
			errs = append(errs, err)
		case m.Scope.Name() != meta.RESTScopeNameNamespace:
			errs = append(errs, fmt.Errorf("%s %s is cluster-scoped on this cluster: only namespaced objects may be applied here", o.GetKind(), nameOf(o)))
		}
	}
	return errors.Join(errs...)
}

// DryRun applies every object as Apply would, with the server's dry run
// and strict field validation: the API server checks each against its
// schema (an unknown field is an error naming it) and its admission
// webhooks, and nothing is written. An object with a generateName and no
// name is checked as a create. Every object refused is named at once.
func (a *Applier) DryRun(ctx context.Context, objs []*unstructured.Unstructured) error {
	var errs []error
	for _, o := range objs {
		m, err := a.mapping(ctx, o)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		data, err := json.Marshal(o.Object)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", describe(o), err))
			continue
		}
		force := true
		opts := metav1.PatchOptions{DryRun: []string{metav1.DryRunAll}, Force: &force, FieldManager: a.manager, FieldValidation: metav1.FieldValidationStrict}
		res := a.dyn.Resource(m.Resource).Namespace(namespaceOf(o, m))
		err = a.retry(ctx, "checking "+describe(o), func(ctx context.Context) error {
			if o.GetName() == "" {
				// Only a generateName: checked as a new object beside
				// what exists (a Job to be made anew, say).
				_, err := res.Create(ctx, o, metav1.CreateOptions{DryRun: opts.DryRun, FieldManager: a.manager, FieldValidation: opts.FieldValidation})
				return err
			}
			_, err := res.Patch(ctx, o.GetName(), types.ApplyPatchType, data, opts)
			return err
		})
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", describe(o), err))
		}
	}
	return errors.Join(errs...)
}

// Live reads the metadata of each object as the cluster has it, in the
// order given: nil for one that does not exist.
func (a *Applier) Live(ctx context.Context, objs []*unstructured.Unstructured) ([]*metav1.PartialObjectMetadata, error) {
	out := make([]*metav1.PartialObjectMetadata, len(objs))
	for i, o := range objs {
		m, err := a.mapping(ctx, o)
		if err != nil {
			return nil, err
		}
		err = a.retry(ctx, "reading "+describe(o), func(ctx context.Context) error {
			live, err := a.meta.Resource(m.Resource).Namespace(namespaceOf(o, m)).Get(ctx, o.GetName(), metav1.GetOptions{})
			if apierrors.IsNotFound(err) {
				return nil
			}
			out[i] = live
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", describe(o), err)
		}
	}
	return out, nil
}

// Delete deletes the object, letting Kubernetes remove what it owns in
// the background; one that is gone already is no error.
func (a *Applier) Delete(ctx context.Context, o *unstructured.Unstructured) error {
	m, err := a.mapping(ctx, o)
	if err != nil {
		return err
	}
	background := metav1.DeletePropagationBackground
	err = a.retry(ctx, "deleting "+describe(o), func(ctx context.Context) error {
		return a.dyn.Resource(m.Resource).Namespace(namespaceOf(o, m)).Delete(ctx, o.GetName(), metav1.DeleteOptions{PropagationPolicy: &background})
	})
	if err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("deleting %s: %w", describe(o), err)
	}
	return nil
}
