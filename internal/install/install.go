// Package install brings a cluster from "Kubernetes only" to "Knative
// Serving ready": it resolves the release, checks the cluster can run it,
// fetches and applies its manifests, waits until Knative is up and
// configures the networking layer, the domain and the user's overrides.
package install

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"

	"github.com/knative-preview/action/internal/apply"
	"github.com/knative-preview/action/internal/buildinfo"
	"github.com/knative-preview/action/internal/cluster"
	"github.com/knative-preview/action/internal/ingress"
	"github.com/knative-preview/action/internal/knconfig"
	"github.com/knative-preview/action/internal/kube"
	"github.com/knative-preview/action/internal/log"
	"github.com/knative-preview/action/internal/manifests"
	"github.com/knative-preview/action/internal/release"
)

// Field managers: one for the release manifests, one for the settings we
// own in Knative's ConfigMaps, so a re-apply of either leaves the other be.
const (
	configManager = kube.FieldManager + "-config"
	servingNS     = "knative-serving"
	// nodePortServiceName is the Service we put in front of the gateway when the
	// cluster target asks for a NodePort (kind).
	nodePortServiceName = buildinfo.Name + "-ingress"
)

// defaultSkipRegistries is Knative's default for
// registries-skipping-tag-resolving, kept when we add registries to it.
var defaultSkipRegistries = []string{"kind.local", "ko.local", "dev.local"}

// Options is what to install and how long to wait.
type Options struct {
	// Spec is the serving-version input.
	Spec release.Spec
	// Ingress is the networking layer: kourier, istio or contour.
	Ingress string
	// Domain is the domain input; empty lets the cluster target or the
	// gateway's load balancer decide.
	Domain string
	// ServingConfig overrides Knative's ConfigMaps, applied last.
	ServingConfig knconfig.Overrides
	// Resolver and Fetcher find and fetch the release; nil means defaults.
	Resolver *release.Resolver
	Fetcher  *manifests.Fetcher
	// ReadyTimeout bounds the wait for Knative to be up (default 10m).
	ReadyTimeout time.Duration
	// LoadBalancerTimeout bounds the wait for the gateway's load balancer
	// address when the domain comes from it (default 5m).
	LoadBalancerTimeout time.Duration
	// ConfigRetryFor bounds the retries of one object while an admission
	// webhook is not answering (default 2m).
	ConfigRetryFor time.Duration
	// Poll is the interval of the waits (default 1s).
	Poll time.Duration
	// CreatedClusterSettings, when set, turns ServingConfig into the
	// settings of a cluster this run created (the measure stage's shorter
	// scale-to-zero grace period, under the user's own).
	CreatedClusterSettings func(knconfig.Overrides) (knconfig.Overrides, error)
}

func (o *Options) defaults() {
	if o.Resolver == nil {
		o.Resolver = &release.Resolver{}
	}
	if o.Fetcher == nil {
		o.Fetcher = &manifests.Fetcher{}
	}
	if o.ReadyTimeout == 0 {
		o.ReadyTimeout = 10 * time.Minute
	}
	if o.LoadBalancerTimeout == 0 {
		o.LoadBalancerTimeout = 5 * time.Minute
	}
	if o.ConfigRetryFor == 0 {
		o.ConfigRetryFor = 2 * time.Minute
	}
	if o.Poll == 0 {
		o.Poll = time.Second
	}
}

// Result is what was installed.
type Result struct {
	Versions release.Versions
	Ingress  string
	// Domain is the domain Knative gives services; empty when none could
	// be chosen (Knative's default then applies).
	Domain  string
	Applied apply.Result
	// Upgraded is the version that was installed before, when it differed.
	Upgraded string
}

// Plan says what Run will do with o, without doing any of it.
func (o Options) Plan() []string {
	o.defaults()
	src := "GitHub releases"
	switch {
	case manifests.IsFolder(o.Fetcher.Source):
		src = o.Fetcher.Source
	case o.Fetcher.Source != "":
		src = manifests.Redact(o.Fetcher.Source)
	}
	cache := o.Fetcher.CacheDir
	if cache == "" {
		cache = "no cache"
	}
	files := []string{}
	if refs, err := manifests.Files(o.Ingress); err == nil {
		for _, r := range refs {
			files = append(files, r.File)
		}
	}
	domain := o.Domain
	if domain == "" {
		domain = "chosen by the cluster target, else <load balancer IP>.sslip.io"
	}
	lines := []string{
		fmt.Sprintf("resolve Knative Serving %s and the matching %s release", o.Spec, o.Ingress),
		"refuse a Kubernetes older than that release's minimum",
		fmt.Sprintf("fetch %s from %s (cache: %s)", strings.Join(files, ", "), src, cache),
		"apply them server-side: CRDs (wait until Established), namespaces, the rest concurrently, admission webhooks last",
		fmt.Sprintf("wait up to %s for every Deployment and DaemonSet in knative-serving and the %s namespaces, and the webhook endpoint", o.ReadyTimeout, o.Ingress),
		fmt.Sprintf("configure ingress class %s, domain %s", ingressClass(o.Ingress), domain),
	}
	lines = slices.Insert(lines, 3, fmt.Sprintf("on a cluster the target created on small nodes (kind on a 2-CPU runner), or one where an earlier run did so, cap the CPU requests of the Deployments in knative-serving and the %s namespaces at %s before applying", o.Ingress, cpuRequestCap))
	if len(o.ServingConfig) > 0 {
		names := make([]string, 0, len(o.ServingConfig))
		for n := range o.ServingConfig {
			names = append(names, n)
		}
		slices.Sort(names)
		lines = append(lines, "apply serving-config overrides to "+strings.Join(names, ", "))
	}
	return lines
}

// Stage is the install stage: it installs Knative Serving on the cluster
// an earlier stage reached.
type Stage struct {
	o      Options
	src    cluster.Source
	result *Result
}

// NewStage returns the install stage for o, on the cluster src reaches.
func NewStage(o Options, src cluster.Source) *Stage { return &Stage{o: o, src: src} }

// Name is the stage's name.
func (s *Stage) Name() string { return "install" }

// Plan says what Run will do.
func (s *Stage) Plan() []string { return s.o.Plan() }

// Run installs Knative Serving.
func (s *Stage) Run(ctx context.Context, l log.Logger) error {
	res, err := Run(ctx, l, s.src.Cluster(), s.o)
	if err == nil {
		s.result = res
	}
	return err
}

// Result is what Run installed; nil before it succeeded.
func (s *Stage) Result() *Result { return s.result }

// LeftBehind says what a cut-short Run may leave behind.
func (s *Stage) LeftBehind() string {
	ns := []string{servingNS}
	if g, err := ingress.GatewayOf(s.o.Ingress); err == nil {
		ns = append(ns, g.Namespaces...)
	}
	return fmt.Sprintf("Knative Serving may be partly applied; run again to finish, or delete namespace %s", strings.Join(ns, ", "))
}

// Run installs Knative Serving on cl, telling l each step.
func Run(ctx context.Context, l log.Logger, cl *cluster.Cluster, o Options) (*Result, error) {
	if cl == nil || cl.REST == nil {
		return nil, errors.New("no cluster to install on (a programming error: the cluster stage gives one)")
	}
	o.defaults()
	gw, err := ingress.GatewayOf(o.Ingress)
	if err != nil {
		return nil, err
	}
	in := &installation{l: l, cl: cl, o: o, gw: gw, res: &Result{Ingress: o.Ingress}}
	steps := []func(context.Context) error{
		in.settings,      // the settings of a cluster this run created
		in.resolve,       // the release, and whether this cluster can run it
		in.fetch,         // its manifests, decoded
		in.readInstalled, // what an earlier run installed
		in.lowerRequests, // on small nodes, the CPU requests capped
		in.apply,         // applied server-side
		in.waitReady,     // every workload available
		in.chooseDomain,  // the domain services get
		in.configure,     // Knative's ConfigMaps
	}
	for _, step := range steps {
		if err := step(ctx); err != nil {
			if in.applied {
				return in.res, err
			}
			return nil, err
		}
	}
	return in.res, nil
}

// installation is one Run under way: each step fills in what it found.
type installation struct {
	l   log.Logger
	cl  *cluster.Cluster
	o   Options
	gw  ingress.Gateway
	res *Result

	cs      kubernetes.Interface
	objs    []*unstructured.Unstructured
	applier *apply.Applier
	// recorded says an earlier run lowered the CPU requests here.
	recorded bool
	// applied is set once the manifests were applied (in part or whole).
	applied bool
}

// namespaces are Knative's and the networking layer's namespaces.
func (in *installation) namespaces() []string {
	return append([]string{servingNS}, in.gw.Namespaces...)
}

// settings adds the settings of a cluster this run created under the
// user's serving-config.
func (in *installation) settings(context.Context) error {
	if !in.cl.Created || in.o.CreatedClusterSettings == nil {
		return nil
	}
	sc, err := in.o.CreatedClusterSettings(in.o.ServingConfig)
	if err != nil {
		return err
	}
	in.o.ServingConfig = sc
	return nil
}

// resolve resolves the release and refuses a Kubernetes too old for it.
func (in *installation) resolve(ctx context.Context) error {
	v, err := in.o.Resolver.Resolve(ctx, in.l, in.o.Spec, in.o.Ingress)
	if err != nil {
		return fmt.Errorf("resolving Knative Serving %s: %w", in.o.Spec, err)
	}
	for _, n := range v.Notes {
		in.l.Warnf("%s", n)
	}
	in.res.Versions = v
	in.l.Infof("installing Knative Serving %s with %s %s", v.Serving, in.o.Ingress, v.Ingress)
	warning, err := release.CheckKubernetes(v.Serving, in.cl.Version.GitVersion)
	if err != nil {
		return err
	}
	if warning != "" {
		in.l.Warnf("%s", warning)
	}
	return nil
}

// fetch fetches the release's manifests and decodes their objects.
func (in *installation) fetch(ctx context.Context) error {
	files, err := in.o.Fetcher.FetchAll(ctx, in.l, in.o.Ingress, in.res.Versions)
	if err != nil {
		return fmt.Errorf("fetching the release manifests: %w", err)
	}
	for _, f := range files {
		decoded, err := apply.Decode(f.Ref.String(), f.Data)
		if err != nil {
			return err
		}
		in.objs = append(in.objs, decoded...)
	}
	in.objs = apply.Dedupe(in.objs)
	return nil
}

// readInstalled reads what is installed, to tell an upgrade.
func (in *installation) readInstalled(ctx context.Context) error {
	cs, err := kubernetes.NewForConfig(cluster.ForWaits(in.cl.REST))
	if err != nil {
		return fmt.Errorf("building a Kubernetes client: %w", err)
	}
	in.cs = cs
	before, recorded, err := installed(ctx, cs)
	if err != nil {
		return err
	}
	if v := in.res.Versions.Serving; before != "" && before != v {
		in.l.Infof("upgrading Knative Serving from %s to %s", before, v)
		in.res.Upgraded = before
	}
	in.recorded = recorded
	return nil
}

// lowerRequests caps the CPU requests of Knative's Deployments on small
// nodes, or where an earlier run did so.
func (in *installation) lowerRequests(context.Context) error {
	if !in.cl.SmallNodes && !in.recorded {
		return nil
	}
	why := "the cluster target created this cluster on nodes with fewer CPUs than they request (kind on a small runner)"
	if !in.cl.SmallNodes {
		why = fmt.Sprintf("an earlier run lowered them on this cluster (annotation %s on the namespace %s)", loweredAnnotation, servingNS)
	}
	objs, lowered, err := lowerCPURequests(in.objs, in.namespaces())
	if err != nil {
		return fmt.Errorf("lowering the CPU requests of Knative Serving %s: %w", in.res.Versions.Serving, err)
	}
	in.objs = objs
	what := "none was higher"
	if len(lowered) > 0 {
		what = "lowered " + strings.Join(lowered, ", ")
	}
	in.l.Infof("capping the CPU requests of the Deployments in %s at %s, so that they schedule on one node, because %s; limits and memory stay as released: %s", strings.Join(in.namespaces(), ", "), cpuRequestCap, why, what)
	return nil
}

// apply applies the manifests, and the gateway's NodePort Service when the
// cluster target asks for one.
func (in *installation) apply(ctx context.Context) error {
	applier, err := apply.New(in.cl.REST, apply.Options{RetryFor: in.o.ConfigRetryFor}, in.l)
	if err != nil {
		return err
	}
	in.applier = applier
	in.applied = true
	applied, err := applier.Apply(ctx, in.objs)
	in.res.Applied = applied
	if err != nil {
		return fmt.Errorf("applying Knative Serving %s: %w", in.res.Versions.Serving, err)
	}
	in.l.Infof("manifests applied: %s", applied)
	if p := in.cl.IngressNodePort; p != 0 {
		if err := applier.ApplyObject(ctx, nodePortService(in.gw, p), configManager); err != nil {
			return fmt.Errorf("exposing the %s gateway on NodePort %d: %w", in.o.Ingress, p, err)
		}
	}
	return nil
}

// waitReady waits until Knative's and the networking layer's workloads are
// available.
func (in *installation) waitReady(ctx context.Context) error {
	return waitReady(ctx, in.l, in.cs, in.namespaces(), in.o)
}

// chooseDomain picks the domain services get.
func (in *installation) chooseDomain(ctx context.Context) error {
	domain, err := chooseDomain(ctx, in.l, in.cs, in.cl, in.gw, in.o)
	in.res.Domain = domain
	return err
}

// configure writes Knative's ConfigMaps.
func (in *installation) configure(ctx context.Context) error {
	return configure(ctx, in.l, in.applier, in.cs, in.cl, in.gw, in.res.Domain, in.o)
}

// installed reads the knative-serving namespace: the Knative version its
// label says is installed ("" when none is), and whether an earlier run
// recorded there that it lowered the CPU requests. A read that fails after
// its retries fails the install: taken as "none", an upgrade would not be
// reported as one, and lowered requests would be put back.
func installed(ctx context.Context, cs kubernetes.Interface) (version string, lowered bool, err error) {
	ns, err := kube.Get(ctx, func(ctx context.Context) (*corev1.Namespace, error) {
		return cs.CoreV1().Namespaces().Get(ctx, servingNS, metav1.GetOptions{})
	})
	switch {
	case apierrors.IsNotFound(err):
		return "", false, nil
	case err != nil:
		return "", false, fmt.Errorf("reading the namespace %s to see what is installed: %w", servingNS, err)
	}
	return ns.Labels["app.kubernetes.io/version"], ns.Annotations[loweredAnnotation] != "", nil
}

func nodePortService(gw ingress.Gateway, port int32) *unstructured.Unstructured {
	selector := map[string]any{}
	for k, v := range gw.Selector {
		selector[k] = v
	}
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1",
		"kind":       "Service",
		"metadata": map[string]any{
			"name":      nodePortServiceName,
			"namespace": gw.Namespace,
			"labels":    map[string]any{kube.ManagedByLabel: kube.ManagedByValue},
		},
		"spec": map[string]any{
			"type":     "NodePort",
			"selector": selector,
			"ports": []any{map[string]any{
				"name": "http", "protocol": "TCP", "port": int64(80),
				"targetPort": int64(gw.TargetPort), "nodePort": int64(port),
			}},
		},
	}}
}

// chooseDomain picks the domain: the input, else the cluster target's, else
// <IP>.sslip.io from the gateway's load balancer once it has an address.
func chooseDomain(ctx context.Context, l log.Logger, cs kubernetes.Interface, cl *cluster.Cluster, gw ingress.Gateway, o Options) (string, error) {
	if o.Domain != "" {
		return o.Domain, nil
	}
	if cl.Domain != "" {
		return cl.Domain, nil
	}
	l.Infof("waiting up to %s for the load balancer address of Service %s/%s (for the domain <IP>.sslip.io)", o.LoadBalancerTimeout, gw.Namespace, gw.Service)
	var domain, hostname string
	var lastErr error
	err := wait.PollUntilContextTimeout(ctx, o.Poll, o.LoadBalancerTimeout, true, func(ctx context.Context) (bool, error) {
		svc, err := cs.CoreV1().Services(gw.Namespace).Get(ctx, gw.Service, metav1.GetOptions{})
		switch {
		case apierrors.IsNotFound(err):
			return false, fmt.Errorf("the gateway Service %s/%s does not exist: is %s installed?", gw.Namespace, gw.Service, o.Ingress)
		case kube.Denied(err):
			return false, fmt.Errorf("reading the gateway Service %s/%s for its load balancer address (the credentials need get on Services in %s): %w", gw.Namespace, gw.Service, gw.Namespace, err)
		case err != nil:
			lastErr = err
			return false, nil
		}
		if svc.Spec.Type != corev1.ServiceTypeLoadBalancer {
			return false, fmt.Errorf("the gateway Service %s/%s is of type %s, not LoadBalancer", gw.Namespace, gw.Service, svc.Spec.Type)
		}
		for _, in := range svc.Status.LoadBalancer.Ingress {
			if in.IP != "" {
				domain = in.IP + ".sslip.io"
				return true, nil
			}
			if in.Hostname != "" {
				hostname = in.Hostname
			}
		}
		return false, nil
	})
	switch {
	case domain != "":
		return domain, nil
	case kube.Denied(err):
		// Waiting cannot give a user rights they lack; without them the
		// install cannot go on either.
		return "", err
	case ctx.Err() != nil:
		return "", fmt.Errorf("waiting for the load balancer address of %s/%s: %w", gw.Namespace, gw.Service, context.Cause(ctx))
	case hostname != "":
		l.Warnf("the gateway's load balancer has a hostname (%s), not an IP, so no <IP>.sslip.io domain: set the domain input to a DNS suffix whose wildcard points at it; services keep Knative's default domain", hostname)
	default:
		why := fmt.Sprintf("none within %s", o.LoadBalancerTimeout)
		switch {
		case !wait.Interrupted(err):
			why = err.Error()
		case lastErr != nil:
			why += "; the last read failed: " + lastErr.Error()
		}
		l.Warnf("no domain: the gateway Service %s/%s got no load balancer address (%s); set the domain input; services keep Knative's default domain and are reached through the gateway with a Host header", gw.Namespace, gw.Service, why)
	}
	return "", nil
}

// configure writes our settings and the user's overrides into Knative's
// ConfigMaps, one apply per ConfigMap, retrying while the configuration
// webhook is not answering.
func configure(ctx context.Context, l log.Logger, applier *apply.Applier, cs kubernetes.Interface, cl *cluster.Cluster, gw ingress.Gateway, domain string, o Options) error {
	want := map[string]map[string]string{
		"config-network": {"ingress-class": gw.Class},
	}
	if domain != "" {
		want["config-domain"] = map[string]string{domain: ""}
	}
	if len(cl.LocalRegistries) > 0 {
		// A read that failed would replace the user's list with ours.
		current := ""
		cm, err := kube.Get(ctx, func(ctx context.Context) (*corev1.ConfigMap, error) {
			return cs.CoreV1().ConfigMaps(servingNS).Get(ctx, "config-deployment", metav1.GetOptions{})
		})
		switch {
		case err == nil:
			current = cm.Data["registries-skipping-tag-resolving"]
		case !apierrors.IsNotFound(err):
			return fmt.Errorf("reading ConfigMap %s/config-deployment to add to its registries-skipping-tag-resolving: %w", servingNS, err)
		}
		want["config-deployment"] = map[string]string{"registries-skipping-tag-resolving": skipRegistries(current, cl.LocalRegistries)}
	}
	for name, data := range o.ServingConfig {
		if want[name] == nil {
			want[name] = map[string]string{}
		}
		for k, v := range data {
			want[name][k] = v
		}
	}
	names := make([]string, 0, len(want))
	for n := range want {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, name := range names {
		data := map[string]any{}
		for k, v := range want[name] {
			data[k] = v
		}
		cm := &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": "v1", "kind": "ConfigMap",
			"metadata": map[string]any{"name": name, "namespace": servingNS},
			"data":     data,
		}}
		if err := applier.ApplyObject(ctx, cm, configManager); err != nil {
			return fmt.Errorf("configuring Knative: %w", err)
		}
	}
	l.Infof("configured %s", strings.Join(names, ", "))
	return nil
}

// skipRegistries adds registries to current (or Knative's default when
// current is empty), keeping order and dropping repeats.
func skipRegistries(current string, add []string) string {
	var out []string
	base := defaultSkipRegistries
	if strings.TrimSpace(current) != "" {
		base = strings.Split(current, ",")
	}
	for _, r := range append(slices.Clone(base), add...) {
		r = strings.TrimSpace(r)
		if r != "" && !slices.Contains(out, r) {
			out = append(out, r)
		}
	}
	return strings.Join(out, ",")
}

func ingressClass(name string) string {
	g, err := ingress.GatewayOf(name)
	if err != nil {
		return "(unknown ingress " + name + ")"
	}
	return g.Class
}
