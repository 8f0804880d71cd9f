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
	// ClusterLocal says the Service is visible only inside the cluster
	// (visibility cluster-local): its URL leads nowhere outside.
	ClusterLocal bool
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
	// Services are every Service deployed, the one above among them, in
	// the service file's order; for one image, that one Service. An
	// element's own Services is empty.
	Services []Result
}

// Up creates or updates the Knative Service, waits until it is Ready and
// checks that its URL answers, with a zero Deployer.
func Up(ctx context.Context, l log.Logger, cl *cluster.Cluster, opts Options) (*Result, error) {
	return (&Deployer{}).Up(ctx, l, cl, opts)
}

// Down removes the preview, with a zero Deployer.
func Down(ctx context.Context, l log.Logger, cl *cluster.Cluster, opts Options) error {
	return (&Deployer{}).Down(ctx, l, cl, opts)
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

// readyGrace is how long the wait for a Service goes on past its
// revision's progress deadline (ready-timeout): Knative gives up then and
// says so within a reconcile; this bounds a Knative that does not.
const readyGrace = 30 * time.Second

// timings are the Deployer's, with the wait for Ready bounded by the
// options' ready-timeout when the Deployer sets no bound of its own.
func (d *Deployer) timings(o Options) timings {
	t := d.Timings.withDefaults()
	if o.ReadyTimeout > 0 && d.Timings.Ready <= 0 {
		t.Ready = o.ReadyTimeout + readyGrace
	}
	return t
}

func (d *Deployer) now() time.Time {
	if d.Now != nil {
		return d.Now()
	}
	return time.Now()
}

// Up creates or updates the Knative Service, waits until it is Ready
// (failing early with the reason when the new revision cannot start), and
// checks that its URL answers through the ingress, telling l each step.
func (d *Deployer) Up(ctx context.Context, l log.Logger, cl *cluster.Cluster, o Options) (*Result, error) {
	if o.App != nil {
		return d.upApp(ctx, l, cl, o)
	}
	if o.Image == "" || o.Service == "" || o.Namespace == "" {
		return nil, fmt.Errorf("deploying needs an image, a service name and a namespace (got image %q, service %q, namespace %q)", o.Image, o.Service, o.Namespace)
	}
	u := &upRun{d: d, t: d.timings(o), l: l, cl: cl, o: o, id: randomID()}
	if o.Tag != "" {
		u.revision = o.Service + "-" + o.Tag + "-" + u.id
	}
	steps := []func(context.Context) error{
		u.connect,      // the clients, and the namespace
		u.readExisting, // the Service as it is
		u.writeSecrets, // the Secrets the new revision reads, before it starts
		u.write,        // the Service created, or updated
		u.readBack,     // the Service as written; the Secrets owned by it
		u.waitReady,    // the new revision Ready
		u.reach,        // its URL answers
	}
	for _, step := range steps {
		if err := step(ctx); err != nil {
			return u.result(), err
		}
	}
	return u.result(), nil
}

// result is what the run deployed as far as it got; nil before the
// Service was Ready.
func (u *upRun) result() *Result {
	if u.res == nil {
		return nil
	}
	out := *u.res
	out.Services = []Result{*u.res}
	return &out
}

// upRun is one Up under way: each step fills in what it found.
type upRun struct {
	d  *Deployer
	t  timings
	l  log.Logger
	cl *cluster.Cluster
	o  Options
	// id is this run's deploy ID; revision the new revision's name when a
	// tag makes this run choose it.
	id, revision string

	c        *clients
	services servingclient.ServiceInterface
	// existing is the Service before this run wrote it; nil when new.
	existing *servingv1.Service
	// written is the Service as this run wrote it.
	written *servingv1.Service
	// secretsOwned says the Secrets were written with the Service as owner.
	secretsOwned bool
	start        time.Time
	res          *Result
}

// name is how messages name the Service.
func (u *upRun) name() string { return u.o.Namespace + "/" + u.o.Service }

// connect builds the clients and makes sure the namespace exists.
func (u *upRun) connect(ctx context.Context) error {
	c, err := newClients(u.cl)
	if err != nil {
		return err
	}
	u.c, u.services = c, c.serving.Services(u.o.Namespace)
	_, err = ensureNamespace(ctx, c.kube, u.o, u.l)
	return err
}

// readExisting reads the Service as it is, if it exists.
func (u *upRun) readExisting(ctx context.Context) error {
	svc, err := readLive(ctx, u.services, u.o.Namespace, u.o.Service)
	u.existing = svc
	return err
}

// errDeleting is a Knative Service that is being deleted: nothing can be
// deployed under its name until it is gone.
type errDeleting struct{ ns, name string }

func (e *errDeleting) Error() string {
	return fmt.Sprintf("the Knative Service %s/%s is being deleted: wait until it is gone, or use another service name", e.ns, e.name)
}

// readLive reads Knative Service ns/name as it is: nil when there is none;
// an *errDeleting when it is being deleted.
func readLive(ctx context.Context, services servingclient.ServiceInterface, ns, name string) (*servingv1.Service, error) {
	svc, err := kube.Get(ctx, func(ctx context.Context) (*servingv1.Service, error) {
		return services.Get(ctx, name, metav1.GetOptions{})
	})
	switch {
	case apierrors.IsNotFound(err) && !missingAPI(err):
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("reading Knative Service %s/%s: %w%s", ns, name, err, installHint(err))
	case svc.DeletionTimestamp != nil:
		return nil, &errDeleting{ns, name}
	}
	return svc, nil
}

// writeSecrets writes the Secrets before the revision starts; they can
// belong to the Service only once the Service has a UID.
func (u *upRun) writeSecrets(ctx context.Context) error {
	if err := writeSecrets(ctx, u.c.kube, u.o, u.existing); err != nil {
		return err
	}
	u.secretsOwned = u.existing != nil
	return nil
}

// writeSecrets writes o's own Secrets (registry login, secret env), owned
// by owner when it exists.
func writeSecrets(ctx context.Context, cs kubernetes.Interface, o Options, owner *servingv1.Service) error {
	for _, s := range o.ownSecrets() {
		if err := ensureSecret(ctx, cs, o, s, owner); err != nil {
			return err
		}
	}
	return nil
}

// write creates the Service, or updates it.
func (u *upRun) write(ctx context.Context) error {
	u.start = u.d.now()
	if u.existing == nil {
		if err := u.create(ctx); err != nil {
			return err
		}
	}
	if u.existing != nil {
		return u.update(ctx)
	}
	return nil
}

// create creates the Service. When it exists already, a try whose answer
// was lost may have created it: read back, with this run's deploy ID it is
// ours, and updating it would make a second revision; else someone
// created it since it was read: existing is set to theirs, to update.
func (u *upRun) create(ctx context.Context) error {
	u.l.Infof("creating Knative Service %s with image %s", u.name(), u.o.Image)
	svc := newService(u.o)
	apply(svc, u.o, u.id, u.revision, u.cl.LocalRegistries)
	_, err := kube.Get(ctx, func(ctx context.Context) (*servingv1.Service, error) {
		return u.services.Create(ctx, svc, metav1.CreateOptions{})
	})
	switch {
	case err == nil:
		return nil
	case !apierrors.IsAlreadyExists(err):
		return fmt.Errorf("creating Knative Service %s: %w%s", u.name(), err, installHint(err))
	}
	cur, err := kube.Get(ctx, func(ctx context.Context) (*servingv1.Service, error) {
		return u.services.Get(ctx, u.o.Service, metav1.GetOptions{})
	})
	switch {
	case apierrors.IsNotFound(err):
		// It existed a moment ago and is gone: another run deleted it.
		return fmt.Errorf("creating Knative Service %s: another writer created and then deleted it meanwhile (mode down in another job?); run again", u.name())
	case err != nil:
		return fmt.Errorf("reading Knative Service %s back after creating it: %w", u.name(), err)
	case cur.Spec.Template.Annotations[deployIDKey] == u.id:
		u.l.Infof("created Knative Service %s (the answer to the create was lost; read back)", u.name())
	default:
		u.existing = cur
	}
	return nil
}

// update reads, changes and writes the Service; again when another writer
// came between or a request failed in a way that may pass. Writing the
// same deploy ID again changes nothing, so a lost answer makes no
// revision.
func (u *upRun) update(ctx context.Context) error {
	u.l.Infof("updating Knative Service %s to image %s (keeping fields this action did not set)", u.name(), u.o.Image)
	err := kube.Request(ctx, func(ctx context.Context) error {
		svc, err := u.services.Get(ctx, u.o.Service, metav1.GetOptions{})
		if err != nil {
			return err
		}
		if svc.DeletionTimestamp != nil {
			return fmt.Errorf("it is being deleted: wait until it is gone, or use another service name")
		}
		apply(svc, u.o, u.id, u.revision, u.cl.LocalRegistries)
		_, err = u.services.Update(ctx, svc, metav1.UpdateOptions{})
		return err
	})
	if err != nil {
		return fmt.Errorf("updating Knative Service %s: %w%s", u.name(), err, installHint(err))
	}
	return nil
}

// readBack reads the Service as written, and gives the Secrets written
// before it existed their owner.
func (u *upRun) readBack(ctx context.Context) error {
	svc, err := kube.Get(ctx, func(ctx context.Context) (*servingv1.Service, error) {
		return u.services.Get(ctx, u.o.Service, metav1.GetOptions{})
	})
	if err != nil {
		return fmt.Errorf("reading Knative Service %s back after writing it: %w", u.name(), err)
	}
	u.written = svc
	if !u.secretsOwned {
		if err := writeSecrets(ctx, u.c.kube, u.o, svc); err != nil {
			return err
		}
	}
	if u.o.Tag == "" && !routesLatest(svc) {
		u.l.Infof("note: spec.traffic of %s sends no traffic to the latest revision; the new revision is reachable only through its tags", u.o.Service)
	}
	return nil
}

// waitReady waits until the new revision is Ready, and finds its URL.
func (u *upRun) waitReady(ctx context.Context) error {
	w := &waiter{
		d: u.d, t: u.t, c: u.c, ns: u.o.Namespace, name: u.o.Service, deployID: u.id, revision: u.revision,
		port: containerPort(u.written), log: u.l,
	}
	ready, rev, err := w.wait(ctx, u.written.Generation)
	if err != nil {
		return err
	}
	u.res = &Result{
		Service:      u.o.Service,
		Namespace:    u.o.Namespace,
		Revision:     rev,
		ReadySeconds: u.d.now().Sub(u.start).Seconds(),
		ClusterLocal: u.o.ClusterLocal(u.o.Service),
	}
	u.l.Infof("Knative Service %s is Ready with revision %s after %.1fs", u.name(), rev, u.res.ReadySeconds)
	u.written = ready
	u.res.URL, err = serviceURL(ready, u.o.Tag)
	return err
}

// reach requests the URL until it answers: directly, else through the
// ingress with the URL's host as Host header.
func (u *upRun) reach(ctx context.Context) error {
	if u.o.ClusterLocal(u.o.Service) {
		u.res.Route = "skipped (cluster-local)"
		u.l.Infof("%s is cluster-local: not reachable from outside the cluster, so it is not requested", u.res.URL)
		return nil
	}
	ingress := func(ctx context.Context, scheme string) (string, string, error) {
		return ingressAddress(ctx, u.c.kube, u.cl, u.written, scheme)
	}
	var err error
	u.res.Route, u.res.Address, u.res.HTTPStatus, err = u.d.reach(ctx, u.t, u.res.URL, ingress, u.l)
	return err
}

// containerPort is the port the Service's serving container declares, or
// 0 for Knative's default.
func containerPort(svc *servingv1.Service) int32 {
	spec := svc.Spec.Template.Spec.PodSpec.DeepCopy()
	if c := servingContainer(spec); len(c.Ports) > 0 {
		return c.Ports[0].ContainerPort
	}
	return 0
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
// this action's (so Down may delete it) and, when it is the pull
// request's own, with the pull request's number; it says whether it
// created it. A pull request's own namespace that exists must carry that
// number: another's is left alone.
func ensureNamespace(ctx context.Context, cs kubernetes.Interface, o Options, l log.Logger) (bool, error) {
	name := o.Namespace
	ns, err := kube.Get(ctx, func(ctx context.Context) (*corev1.Namespace, error) {
		return cs.CoreV1().Namespaces().Get(ctx, name, metav1.GetOptions{})
	})
	switch {
	case err == nil:
		if ns.DeletionTimestamp != nil {
			return false, fmt.Errorf("namespace %s is being deleted: wait until it is gone (kubectl get namespace %s), or use another namespace", name, name)
		}
		if pr := o.Derived.PullRequest; o.Derived.OwnNamespace && !ownNamespace(ns, pr) {
			return false, fmt.Errorf("namespace %s exists and is not pull request #%d's preview (labels %s): it is left alone; set input namespace to deploy there", name, pr.Number, pr.describe())
		}
		return false, nil
	case !apierrors.IsNotFound(err):
		return false, fmt.Errorf("reading namespace %s: %w", name, err)
	}
	l.Infof("creating namespace %s", name)
	labels := map[string]string{kube.ManagedByLabel: kube.ManagedByValue}
	if o.Derived.OwnNamespace {
		labels = objectLabels(o.Derived.PullRequest)
	}
	// AlreadyExists: a try whose answer was lost, or someone else, made it.
	err = kube.Request(ctx, func(ctx context.Context) error {
		_, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels}}, metav1.CreateOptions{})
		return err
	})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		return false, fmt.Errorf("creating namespace %s: %w", name, err)
	}
	return err == nil, nil
}

// ownNamespace reports whether ns is pull request pr's own namespace, as
// this action labels it.
func ownNamespace(ns *corev1.Namespace, pr *PullRequest) bool {
	return ns.Labels[kube.ManagedByLabel] == kube.ManagedByValue && pr.owns(ns.Labels)
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
