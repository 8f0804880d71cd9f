package deploy

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	servingv1 "knative.dev/serving/pkg/apis/serving/v1"
	servingclient "knative.dev/serving/pkg/client/clientset/versioned/typed/serving/v1"

	"github.com/knative-preview/action/internal/cluster"
	imageref "github.com/knative-preview/action/internal/image"
	"github.com/knative-preview/action/internal/kube"
	"github.com/knative-preview/action/internal/log"
)

// timings bound every wait; zero fields take the defaults.
type timings struct {
	// Ready is the longest wait for the Service to be Ready (default 10m,
	// Knative's progress deadline, after which Knative gives up itself).
	Ready time.Duration
	// ErrorWindow is how long Ready=False must last before it counts: it
	// flickers while a revision starts (default 2s, as kn).
	ErrorWindow time.Duration
	// Poll is how often the state is read again when no watch event came
	// (default 2s).
	Poll time.Duration
	// Reach is the longest wait for the URL to answer (default 2m).
	Reach time.Duration
	// Retry is the pause between two HTTP attempts (default 1s).
	Retry time.Duration
	// Request bounds one HTTP attempt (default 10s).
	Request time.Duration
}

func (t timings) withDefaults() timings {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&t.Ready, 10*time.Minute)
	def(&t.ErrorWindow, 2*time.Second)
	def(&t.Poll, 2*time.Second)
	def(&t.Reach, 2*time.Minute)
	def(&t.Retry, time.Second)
	def(&t.Request, 10*time.Second)
	return t
}

// dialFunc opens a network connection, like net.Dialer.DialContext.
type dialFunc func(ctx context.Context, network, address string) (net.Conn, error)

// Deployer deploys with injectable clock, timings and network; its zero
// value is ready to use with real ones. Up and Down use a zero Deployer.
type Deployer struct {
	// Now is the clock for ReadySeconds and the error window; nil: time.Now.
	Now func() time.Time
	// Timings bound the waits.
	Timings timings
	// Dial opens every connection of the HTTP check; nil: a net.Dialer.
	Dial dialFunc
	// LogLines is how many lines of a crashing container's log an error
	// shows (default 20).
	LogLines int64
}

// Result is what Up did.
type Result struct {
	// URL is the Service's URL, or its tag's URL when Options.Tag is set.
	URL string
	// Service and Namespace name the Knative Service.
	Service   string
	Namespace string
	// Revision is the revision this run created, now Ready.
	Revision string
	// ReadySeconds is the time from creating or updating the Service to
	// seeing it Ready.
	ReadySeconds float64
	// Route says how the HTTP check reached the Service: "url" (the URL
	// itself), "ingress <host:port> with Host header <host>", or, for a
	// cluster-local Service, "skipped (cluster-local)".
	Route string
	// Address is the host:port the HTTP check connected to instead of the
	// URL's host (the ingress, with the URL's host as Host header); empty
	// when the URL answered directly.
	Address string
	// HTTPStatus is the status code of the answer; 0 when skipped.
	HTTPStatus int
}

// Up creates or updates the Knative Service, waits until it is Ready and
// checks that its URL answers, with a zero Deployer.
func Up(ctx context.Context, cl *cluster.Cluster, opts Options) (*Result, error) {
	return (&Deployer{}).Up(ctx, cl, opts)
}

// Down deletes the Knative Service, with a zero Deployer.
func Down(ctx context.Context, cl *cluster.Cluster, opts Options) error {
	return (&Deployer{}).Down(ctx, cl, opts)
}

// clients are the API clients of one run.
type clients struct {
	kube    kubernetes.Interface
	serving servingclient.ServingV1Interface
}

func newClients(cl *cluster.Cluster) (*clients, error) {
	if cl == nil || cl.REST == nil {
		return nil, errors.New("no cluster to deploy to (a programming error: the cluster stage gives one)")
	}
	cfg := cluster.ForWaits(cl.REST) // the wait reads the Service, revision, pods and events every poll
	kube, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("building a Kubernetes client for %s: %w", cfg.Host, err)
	}
	sc, err := servingclient.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("building a Knative Serving client for %s: %w", cfg.Host, err)
	}
	return &clients{kube: kube, serving: sc}, nil
}

func (d *Deployer) now() time.Time {
	if d.Now != nil {
		return d.Now()
	}
	return time.Now()
}

// Up creates or updates the Knative Service, waits until it is Ready
// (failing early with the reason when the new revision cannot start), and
// checks that its URL answers through the ingress.
func (d *Deployer) Up(ctx context.Context, cl *cluster.Cluster, o Options) (*Result, error) {
	l := log.Or(o.Log)
	t := d.Timings.withDefaults()
	if o.Image == "" || o.Service == "" || o.Namespace == "" {
		return nil, fmt.Errorf("deploying needs an image, a service name and a namespace (got image %q, service %q, namespace %q)", o.Image, o.Service, o.Namespace)
	}
	c, err := newClients(cl)
	if err != nil {
		return nil, err
	}
	o.pullIfNotPresent = loadedIntoNodes(o.Image, cl.LocalRegistries)
	if err := ensureNamespace(ctx, c.kube, o.Namespace, l); err != nil {
		return nil, err
	}

	services := c.serving.Services(o.Namespace)
	var existing *servingv1.Service
	err = kube.Request(ctx, func(ctx context.Context) (err error) {
		existing, err = services.Get(ctx, o.Service, metav1.GetOptions{})
		return err
	})
	switch {
	case apierrors.IsNotFound(err) && !missingAPI(err):
		existing = nil
	case err != nil:
		return nil, fmt.Errorf("reading Knative Service %s/%s: %w%s", o.Namespace, o.Service, err, installHint(err))
	case existing.DeletionTimestamp != nil:
		return nil, fmt.Errorf("the Knative Service %s/%s is being deleted: wait until it is gone, or use another service name", o.Namespace, o.Service)
	}

	// The Secrets must exist before the revision starts; they can belong
	// to the Service only once the Service has a UID.
	secrets := o.ownSecrets()
	for _, s := range secrets {
		if err := ensureSecret(ctx, c.kube, o, s, existing); err != nil {
			return nil, err
		}
	}
	secretsOwned := existing != nil

	id := randomID()
	revision := ""
	if o.Tag != "" {
		revision = o.Service + "-" + o.Tag + "-" + id
	}
	start := d.now()
	if existing == nil {
		l.Infof("creating Knative Service %s/%s with image %s", o.Namespace, o.Service, o.Image)
		svc := newService(o)
		apply(svc, o, id, revision)
		err := kube.Request(ctx, func(ctx context.Context) error {
			_, err := services.Create(ctx, svc, metav1.CreateOptions{})
			return err
		})
		if err != nil {
			if !apierrors.IsAlreadyExists(err) {
				return nil, fmt.Errorf("creating Knative Service %s/%s: %w%s", o.Namespace, o.Service, err, installHint(err))
			}
			// A try whose answer was lost may have created it: read it
			// back. With this run's deploy ID it is ours, and updating it
			// would make a second revision; else someone created it since
			// we looked: update theirs.
			var cur *servingv1.Service
			err := kube.Request(ctx, func(ctx context.Context) (err error) {
				cur, err = services.Get(ctx, o.Service, metav1.GetOptions{})
				return err
			})
			switch {
			case apierrors.IsNotFound(err):
				// It existed a moment ago and is gone: another run deleted it.
				return nil, fmt.Errorf("creating Knative Service %s/%s: another writer created and then deleted it meanwhile (mode down in another job?); run again", o.Namespace, o.Service)
			case err != nil:
				return nil, fmt.Errorf("reading Knative Service %s/%s back after creating it: %w", o.Namespace, o.Service, err)
			case cur.Spec.Template.Annotations[deployIDKey] == id:
				l.Infof("created Knative Service %s/%s (the answer to the create was lost; read back)", o.Namespace, o.Service)
			default:
				existing = cur
			}
		}
	}
	if existing != nil {
		l.Infof("updating Knative Service %s/%s to image %s (keeping fields this action did not set)", o.Namespace, o.Service, o.Image)
		// Read, change, write; again when another writer came between or
		// a request failed in a way that may pass. Writing the same deploy
		// ID again changes nothing, so a lost answer makes no revision.
		err := kube.Request(ctx, func(ctx context.Context) error {
			svc, err := services.Get(ctx, o.Service, metav1.GetOptions{})
			if err != nil {
				return err
			}
			if svc.DeletionTimestamp != nil {
				return fmt.Errorf("it is being deleted: wait until it is gone, or use another service name")
			}
			apply(svc, o, id, revision)
			_, err = services.Update(ctx, svc, metav1.UpdateOptions{})
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("updating Knative Service %s/%s: %w%s", o.Namespace, o.Service, err, installHint(err))
		}
	}
	var svc *servingv1.Service
	err = kube.Request(ctx, func(ctx context.Context) (err error) {
		svc, err = services.Get(ctx, o.Service, metav1.GetOptions{})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("reading Knative Service %s/%s back after writing it: %w", o.Namespace, o.Service, err)
	}
	if !secretsOwned {
		for _, s := range secrets {
			if err := ensureSecret(ctx, c.kube, o, s, svc); err != nil {
				return nil, err
			}
		}
	}
	if o.Tag == "" && !routesLatest(svc) {
		l.Infof("note: spec.traffic of %s sends no traffic to the latest revision; the new revision is reachable only through its tags", o.Service)
	}

	w := &waiter{
		d: d, t: t, c: c, ns: o.Namespace, name: o.Service, deployID: id, revision: revision,
		log: l,
	}
	ready, rev, err := w.wait(ctx, svc.Generation)
	if err != nil {
		return nil, err
	}
	res := &Result{
		Service:      o.Service,
		Namespace:    o.Namespace,
		Revision:     rev,
		ReadySeconds: d.now().Sub(start).Seconds(),
	}
	l.Infof("Knative Service %s/%s is Ready with revision %s after %.1fs", o.Namespace, o.Service, rev, res.ReadySeconds)

	res.URL, err = serviceURL(ready, o.Tag)
	if err != nil {
		return res, err
	}
	if o.Visibility == VisibilityClusterLocal {
		res.Route = "skipped (cluster-local)"
		l.Infof("%s is cluster-local: not reachable from outside the cluster, so it is not requested", res.URL)
		return res, nil
	}
	ingress := func(ctx context.Context, scheme string) (string, string, error) {
		return ingressAddress(ctx, c.kube, cl, ready, scheme)
	}
	res.Route, res.Address, res.HTTPStatus, err = d.reach(ctx, t, res.URL, ingress, l)
	if err != nil {
		return res, err
	}
	return res, nil
}

// routesLatest reports whether the Service's main route sends traffic to
// its latest revision (no traffic block means it does).
func routesLatest(svc *servingv1.Service) bool {
	if len(svc.Spec.Traffic) == 0 {
		return true
	}
	for _, t := range svc.Spec.Traffic {
		if t.LatestRevision != nil && *t.LatestRevision && t.Percent != nil && *t.Percent > 0 {
			return true
		}
	}
	return false
}

// serviceURL is the Service's URL, or the URL of its traffic entry tagged
// tag (matched by tag: other entries have URLs too).
func serviceURL(svc *servingv1.Service, tag string) (string, error) {
	if tag == "" {
		if svc.Status.URL == nil || svc.Status.URL.String() == "" {
			return "", fmt.Errorf("the Knative Service %s/%s is Ready but has no status.url: check the Route %s (kubectl get route -n %s %s)", svc.Namespace, svc.Name, svc.Name, svc.Namespace, svc.Name)
		}
		return svc.Status.URL.String(), nil
	}
	var tags []string
	for _, t := range svc.Status.Traffic {
		if t.Tag == tag {
			if t.URL == nil || t.URL.String() == "" {
				return "", fmt.Errorf("the Knative Service %s/%s: the traffic entry tagged %q has no URL yet", svc.Namespace, svc.Name, tag)
			}
			return t.URL.String(), nil
		}
		if t.Tag != "" {
			tags = append(tags, t.Tag)
		}
	}
	return "", fmt.Errorf("the Knative Service %s/%s is Ready but status.traffic has no entry tagged %q (tags there: %v)", svc.Namespace, svc.Name, tag, tags)
}

// missingAPI reports whether err says the cluster has no Knative Serving
// API: the resource type is unknown, not the object.
func missingAPI(err error) bool {
	return apierrors.IsNotFound(err) && strings.Contains(err.Error(), "the server could not find the requested resource")
}

// installHint adds advice to an error that says Knative's API is missing.
func installHint(err error) string {
	if missingAPI(err) {
		return "; is Knative Serving installed on this cluster (the install stage installs it)?"
	}
	return ""
}

// ensureNamespace creates the namespace when it is missing, labelled as
// this action's, so Down may delete it.
func ensureNamespace(ctx context.Context, cs kubernetes.Interface, name string, l log.Logger) error {
	var ns *corev1.Namespace
	err := kube.Request(ctx, func(ctx context.Context) (err error) {
		ns, err = cs.CoreV1().Namespaces().Get(ctx, name, metav1.GetOptions{})
		return err
	})
	switch {
	case err == nil:
		if ns.DeletionTimestamp != nil {
			return fmt.Errorf("namespace %s is being deleted: wait until it is gone (kubectl get namespace %s), or use another namespace", name, name)
		}
		return nil
	case !apierrors.IsNotFound(err):
		return fmt.Errorf("reading namespace %s: %w", name, err)
	}
	l.Infof("creating namespace %s", name)
	// AlreadyExists: a try whose answer was lost, or someone else, made it.
	err = kube.Request(ctx, func(ctx context.Context) error {
		_, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{
			Name:   name,
			Labels: map[string]string{kube.ManagedByLabel: kube.ManagedByValue},
		}}, metav1.CreateOptions{})
		return err
	})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("creating namespace %s: %w", name, err)
	}
	return nil
}

// randomID is five random characters of [a-z0-9], a DNS label part.
func randomID() string {
	const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, 5)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

// loadedIntoNodes reports whether image is of a registry whose images the
// cluster target loaded into the nodes (kind), so it must not be pulled.
// Registries are named as Knative names them (index.docker.io).
func loadedIntoNodes(image string, registries []string) bool {
	r := imageref.Registry(image)
	return r != "" && slices.Contains(registries, r)
}
