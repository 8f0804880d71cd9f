package deploy

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/util/retry"
	"knative.dev/pkg/apis"
	duckv1 "knative.dev/pkg/apis/duck/v1"
	servingv1 "knative.dev/serving/pkg/apis/serving/v1"
	servingclient "knative.dev/serving/pkg/client/clientset/versioned/typed/serving/v1"

	"github.com/knative-preview/action/internal/cluster"
	"github.com/knative-preview/action/internal/kube"
	"github.com/knative-preview/action/internal/log"
	"github.com/knative-preview/action/internal/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// failFast bounds how long after a pod (or event, or revision) reports a
// failure the wait may take to end with it: the acceptance bound.
const failFast = 10 * time.Second

// bed is a test API server with Knative's CRDs, an ingress stand-in (an
// HTTP server on 127.0.0.1 that records Host headers), and the hands to
// play Knative's controller.
type bed struct {
	t       *testing.T
	kube    kubernetes.Interface
	serving servingclient.ServingV1Interface
	cl      *cluster.Cluster
	ingress *httptest.Server
	hosts   *hostLog
}

// hostLog records the Host headers the ingress stand-in saw.
type hostLog struct {
	mu    sync.Mutex
	hosts []string
}

// in returns the bed for a subtest, so that its helpers fail that subtest.
func (b *bed) in(t *testing.T) *bed {
	c := *b
	c.t = t
	return &c
}

func newBed(t *testing.T) *bed {
	t.Helper()
	return newBedOn(t, testenv.Shared(t))
}

// newBedOn is a bed on env: a test API server of the test's own, for a
// test that stops it.
func newBedOn(t *testing.T, env *testenv.Env) *bed {
	t.Helper()
	env.InstallKnativeCRDs(t)
	kube, err := kubernetes.NewForConfig(env.Config)
	if err != nil {
		t.Fatal(err)
	}
	sc, err := servingclient.NewForConfig(env.Config)
	if err != nil {
		t.Fatal(err)
	}
	b := &bed{t: t, kube: kube, serving: sc, hosts: &hostLog{}}
	b.ingress = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b.hosts.mu.Lock()
		b.hosts.hosts = append(b.hosts.hosts, r.Host)
		b.hosts.mu.Unlock()
		fmt.Fprintln(w, "hello from", r.Host)
	}))
	t.Cleanup(b.ingress.Close)
	b.cl = &cluster.Cluster{Name: "test", REST: env.Config, IngressAddress: b.ingress.Listener.Addr().String()}
	return b
}

func (b *bed) seenHosts() []string {
	b.hosts.mu.Lock()
	defer b.hosts.mu.Unlock()
	return append([]string(nil), b.hosts.hosts...)
}

// deployer has fast timings, a clock that moves one second per reading,
// and a network that reaches 127.0.0.1 only.
func deployer() *Deployer {
	var mu sync.Mutex
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	return &Deployer{
		Timings: fastTimings(),
		Dial:    loopbackOnly,
		Now: func() time.Time {
			mu.Lock()
			defer mu.Unlock()
			now = now.Add(time.Second)
			return now
		},
	}
}

type upDone struct {
	res *Result
	err error
}

// up starts Up; the test plays the controller meanwhile.
func (b *bed) up(d *Deployer, o Options) (<-chan upDone, func() string) {
	progress, logged := collect()
	done := make(chan upDone, 1)
	go func() {
		res, err := d.Up(b.t.Context(), progress, b.cl, o)
		done <- upDone{res, err}
	}()
	return done, logged
}

func (b *bed) result(done <-chan upDone, within time.Duration, what string) upDone {
	b.t.Helper()
	select {
	case r := <-done:
		return r
	case <-time.After(within):
		b.t.Fatalf("Up did not end within %s of %s", within, what)
		return upDone{}
	}
}

// deployed waits for Up to write generation > after of the Service, as
// Knative's controller would notice it.
func (b *bed) deployed(ns, name string, after int64) *servingv1.Service {
	b.t.Helper()
	var svc *servingv1.Service
	err := wait.PollUntilContextTimeout(b.t.Context(), 10*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
		s, err := b.serving.Services(ns).Get(ctx, name, metav1.GetOptions{})
		if err != nil && !apierrors.IsNotFound(err) {
			return false, fmt.Errorf("reading the Service: %w", err)
		}
		if err == nil {
			svc = s
		}
		return err == nil && s.Generation > after, nil
	})
	if err != nil {
		b.t.Fatalf("Up wrote no generation after %d of %s/%s (last: %v): %v", after, ns, name, svc, err)
	}
	return svc
}

// revision creates the revision Knative would make for svc's generation.
func (b *bed) revision(svc *servingv1.Service) *servingv1.Revision {
	b.t.Helper()
	name := svc.Spec.Template.Name
	if name == "" {
		name = fmt.Sprintf("%s-%05d", svc.Name, svc.Generation)
	}
	ann := map[string]string{}
	for k, v := range svc.Spec.Template.Annotations {
		ann[k] = v
	}
	labels := map[string]string{}
	for k, v := range svc.Spec.Template.Labels {
		labels[k] = v
	}
	labels[serviceLabel], labels["serving.knative.dev/configuration"] = svc.Name, svc.Name
	rev := &servingv1.Revision{
		ObjectMeta: metav1.ObjectMeta{
			Name: name, Namespace: svc.Namespace, Annotations: ann, Labels: labels,
		},
		Spec: svc.Spec.Template.Spec,
	}
	rev, err := b.serving.Revisions(svc.Namespace).Create(b.t.Context(), rev, metav1.CreateOptions{})
	if err != nil {
		b.t.Fatalf("creating revision %s: %v", name, err)
	}
	return rev
}

func cond(t apis.ConditionType, status corev1.ConditionStatus, reason, msg string) apis.Condition {
	return apis.Condition{Type: t, Status: status, Reason: reason, Message: msg,
		LastTransitionTime: apis.VolatileTime{Inner: metav1.Now()}}
}

// status writes the Service's status as Knative's controller would for its
// current generation.
func (b *bed) status(ns, name string, edit func(*servingv1.Service)) {
	b.t.Helper()
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		svc, err := b.serving.Services(ns).Get(b.t.Context(), name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		svc.Status.ObservedGeneration = svc.Generation
		edit(svc)
		_, err = b.serving.Services(ns).UpdateStatus(b.t.Context(), svc, metav1.UpdateOptions{})
		return err
	})
	if err != nil {
		b.t.Fatalf("writing the status of %s/%s: %v", ns, name, err)
	}
}

// ready marks the Service Ready with rev serving all traffic.
func (b *bed) ready(ns, name, rev string) {
	b.status(ns, name, func(svc *servingv1.Service) {
		svc.Status.Conditions = duckv1.Conditions{cond(apis.ConditionReady, corev1.ConditionTrue, "", "")}
		svc.Status.URL = &apis.URL{Scheme: "http", Host: fmt.Sprintf("%s.%s.example.com", name, ns)}
		svc.Status.LatestCreatedRevisionName = rev
		svc.Status.LatestReadyRevisionName = rev
		svc.Status.Traffic = []servingv1.TrafficTarget{{RevisionName: rev, LatestRevision: ptr(true), Percent: ptr(int64(100))}}
	})
}

// deploying marks the Service as Knative does while a revision starts.
func (b *bed) deploying(ns, name, rev string) {
	b.status(ns, name, func(svc *servingv1.Service) {
		svc.Status.Conditions = duckv1.Conditions{cond(apis.ConditionReady, corev1.ConditionUnknown, "RevisionMissing", "Configuration \""+name+"\" is waiting for a Revision to become ready.")}
		svc.Status.LatestCreatedRevisionName = rev
	})
}

// pod creates a pod of the revision and gives it status. A pod with a
// node name is one whose log the API server asks that node's kubelet for.
func (b *bed) pod(ns, svc, rev, name string, status corev1.PodStatus) {
	b.podOn(ns, svc, rev, name, "", status)
}

func (b *bed) podOn(ns, svc, rev, name, node string, status corev1.PodStatus) {
	b.t.Helper()
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Labels: map[string]string{revisionLabel: rev, serviceLabel: svc}},
		Spec: corev1.PodSpec{NodeName: node, Containers: []corev1.Container{
			{Name: "user-container", Image: "ghcr.io/o/app:v1"},
			{Name: "queue-proxy", Image: "queue:v1"},
		}},
	}
	p, err := b.kube.CoreV1().Pods(ns).Create(b.t.Context(), p, metav1.CreateOptions{})
	if err != nil {
		b.t.Fatalf("creating pod %s: %v", name, err)
	}
	p.Status = status
	if _, err := b.kube.CoreV1().Pods(ns).UpdateStatus(b.t.Context(), p, metav1.UpdateOptions{}); err != nil {
		b.t.Fatalf("writing the status of pod %s: %v", name, err)
	}
}

func (b *bed) event(ns, kind, object, reason, msg string) {
	b.t.Helper()
	e := &corev1.Event{
		ObjectMeta:     metav1.ObjectMeta{GenerateName: object + ".", Namespace: ns},
		InvolvedObject: corev1.ObjectReference{Kind: kind, Name: object, Namespace: ns},
		Reason:         reason, Message: msg, Type: corev1.EventTypeWarning,
		FirstTimestamp: metav1.Now(), LastTimestamp: metav1.Now(), Count: 1,
		Source: corev1.EventSource{Component: "test"},
	}
	if _, err := b.kube.CoreV1().Events(ns).Create(b.t.Context(), e, metav1.CreateOptions{}); err != nil {
		b.t.Fatalf("creating event %s: %v", reason, err)
	}
}

func (b *bed) namespace(name string) {
	b.t.Helper()
	_, err := b.kube.CoreV1().Namespaces().Create(b.t.Context(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		b.t.Fatal(err)
	}
}

func TestIntegrationUpCreatesTheService(t *testing.T) {
	b := newBed(t)
	b.cl.LocalRegistries = []string{"ghcr.io"} // as if kind had loaded the image into the nodes
	const ns, secret = "create-test", "top-secret-value-42"
	o := Options{
		Service: "hello", Namespace: ns, Image: "ghcr.io/o/hello:v1", Visibility: VisibilityExternal,
		Env:       []EnvVar{{"GREETING", "hi"}},
		SecretEnv: []EnvVar{{"API_TOKEN", secret}},
		Port:      8080,
		MinScale:  ptr(int32(1)),
		Labels:    map[string]string{"team": "web"},
	}
	done, logged := b.up(deployer(), o)

	svc := b.deployed(ns, "hello", 0)
	rev := b.revision(svc)
	b.ready(ns, "hello", rev.Name)
	r := b.result(done, 30*time.Second, "the Service turning Ready")
	if r.err != nil {
		t.Fatalf("Up: %v\nlog:\n%s", r.err, logged())
	}

	res := r.res
	wantRoute := "ingress " + b.cl.IngressAddress + " with Host header hello.create-test.example.com"
	if res.URL != "http://hello.create-test.example.com" || res.Service != "hello" || res.Namespace != ns ||
		res.Revision != rev.Name || res.Route != wantRoute || res.HTTPStatus != 200 {
		t.Errorf("result %+v\nwant URL http://hello.create-test.example.com, revision %s, route %q", res, rev.Name, wantRoute)
	}
	if res.ReadySeconds < 1 {
		t.Errorf("ReadySeconds %v: the test clock moves 1s per reading, so at least 1", res.ReadySeconds)
	}
	if h := b.seenHosts(); len(h) == 0 || h[len(h)-1] != "hello.create-test.example.com" {
		t.Errorf("the ingress saw Host headers %q", h)
	}

	nsObj, err := b.kube.CoreV1().Namespaces().Get(t.Context(), ns, metav1.GetOptions{})
	if err != nil || nsObj.Labels[kube.ManagedByLabel] != kube.ManagedByValue {
		t.Errorf("namespace: %v, labels %v; want it created and labelled %s=%s", err, nsObj.Labels, kube.ManagedByLabel, kube.ManagedByValue)
	}
	svc, err = b.serving.Services(ns).Get(t.Context(), "hello", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	c := svc.Spec.Template.Spec.Containers[0]
	if c.Image != o.Image || svc.Labels[kube.ManagedByLabel] != kube.ManagedByValue || svc.Labels["team"] != "web" ||
		svc.Spec.Template.Annotations[minScaleKey] != "1" || c.Ports[0].ContainerPort != 8080 || c.ImagePullPolicy != corev1.PullIfNotPresent {
		t.Errorf("service as written: labels %v, template annotations %v, container %+v", svc.Labels, svc.Spec.Template.Annotations, c)
	}
	s, err := b.kube.CoreV1().Secrets(ns).Get(t.Context(), "hello-secret-env", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("the secret-env Secret: %v", err)
	}
	if string(s.Data["API_TOKEN"]) != secret {
		t.Errorf("secret data keys %v", len(s.Data))
	}
	if len(s.OwnerReferences) != 1 || s.OwnerReferences[0].UID != svc.UID || s.OwnerReferences[0].Kind != "Service" {
		t.Errorf("secret owner references %+v, want the Knative Service %s", s.OwnerReferences, svc.UID)
	}
	var ref *corev1.SecretKeySelector
	for _, e := range c.Env {
		if e.Name == "API_TOKEN" && e.ValueFrom != nil {
			ref = e.ValueFrom.SecretKeyRef
		}
		if strings.Contains(e.Value, secret) {
			t.Errorf("the secret value is in the Service's spec: %+v", e)
		}
	}
	if ref == nil || ref.Name != "hello-secret-env" || ref.Key != "API_TOKEN" {
		t.Errorf("API_TOKEN env: %+v", ref)
	}

	// The secret value is nowhere in what Up printed or returned.
	if out := logged() + fmt.Sprintf("%+v", *res); strings.Contains(out, secret) {
		t.Errorf("a secret-env value was printed or returned:\n%s", out)
	}
	for _, want := range []string{"creating namespace create-test", "creating Knative Service create-test/hello", "waiting up to 1m0s for the Knative Service create-test/hello to be Ready", "is Ready with revision " + rev.Name} {
		if !strings.Contains(logged(), want) {
			t.Errorf("progress does not say %q:\n%s", want, logged())
		}
	}
}

func TestIntegrationUpUpdatesKeepingTheUsersFields(t *testing.T) {
	b := newBed(t)
	const ns = "update-test"
	b.namespace(ns)
	user := userService()
	user.Namespace = ns
	user.Spec.Template.Name = ""
	if _, err := b.serving.Services(ns).Create(t.Context(), user, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	first := b.deployed(ns, "web", 0)
	b.ready(ns, "web", b.revision(first).Name)

	o := Options{Service: "web", Namespace: ns, Image: "ghcr.io/o/web:v2", Env: []EnvVar{{"MODE", "preview"}}, Labels: map[string]string{"team": "web"}}
	done, logged := b.up(deployer(), o)
	svc := b.deployed(ns, "web", first.Generation)
	rev := b.revision(svc)
	b.ready(ns, "web", rev.Name)
	r := b.result(done, 30*time.Second, "the Service turning Ready")
	if r.err != nil {
		t.Fatalf("Up: %v\nlog:\n%s", r.err, logged())
	}
	if r.res.Revision != rev.Name || rev.Name == "web-00001" {
		t.Errorf("revision %q, want the new one %q", r.res.Revision, rev.Name)
	}
	if !strings.Contains(logged(), "updating Knative Service update-test/web") {
		t.Errorf("progress does not say it updates:\n%s", logged())
	}

	svc, err := b.serving.Services(ns).Get(t.Context(), "web", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if svc.Labels["owner"] != "alice" || svc.Labels[kube.ManagedByLabel] != "helm" || svc.Labels["team"] != "web" || svc.Annotations["example.com/ticket"] != "T-1" {
		t.Errorf("metadata: labels %v annotations %v", svc.Labels, svc.Annotations)
	}
	tm := svc.Spec.Template
	if tm.Annotations["autoscaling.knative.dev/target"] != "70" || tm.Labels["tier"] != "front" {
		t.Errorf("template metadata: %v %v", tm.Annotations, tm.Labels)
	}
	cs := tm.Spec.Containers
	if len(cs) != 2 || cs[0].Image != "fluent:1" || cs[1].Image != "ghcr.io/o/web:v2" {
		t.Fatalf("containers: %+v", cs)
	}
	if cs[1].Resources.Limits.Memory().String() != "256Mi" || len(tm.Spec.ImagePullSecrets) != 1 || cs[1].Ports[0].ContainerPort != 9000 {
		t.Errorf("the user's container settings changed: %+v, pull secrets %v", cs[1], tm.Spec.ImagePullSecrets)
	}
	env := map[string]string{}
	for _, e := range cs[1].Env {
		env[e.Name] = e.Value
	}
	if env["USER_VAR"] != "kept" || env["A"] != "old" || env["MODE"] != "preview" {
		t.Errorf("env: %v", env)
	}
	nsObj, err := b.kube.CoreV1().Namespaces().Get(t.Context(), ns, metav1.GetOptions{})
	if err != nil || nsObj.Labels[kube.ManagedByLabel] != "" {
		t.Errorf("a namespace the user made was labelled as ours: %v %v", err, nsObj.Labels)
	}
}

func TestIntegrationTagURLIsTheTagsEntry(t *testing.T) {
	b := newBed(t)
	const ns = "tag-test"
	b.namespace(ns)
	if _, err := b.serving.Services(ns).Create(t.Context(), &servingv1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: ns},
		Spec: servingv1.ServiceSpec{
			ConfigurationSpec: servingv1.ConfigurationSpec{Template: servingv1.RevisionTemplateSpec{Spec: servingv1.RevisionSpec{
				PodSpec: corev1.PodSpec{Containers: []corev1.Container{{Image: "ghcr.io/o/web:v1"}}},
			}}},
			RouteSpec: servingv1.RouteSpec{Traffic: []servingv1.TrafficTarget{{LatestRevision: ptr(true), Percent: ptr(int64(100))}}},
		},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	first := b.deployed(ns, "web", 0)
	b.ready(ns, "web", b.revision(first).Name)

	done, logged := b.up(deployer(), Options{Service: "web", Namespace: ns, Image: "ghcr.io/o/web:pr-7", Tag: "pr-7"})
	svc := b.deployed(ns, "web", first.Generation)
	if !strings.HasPrefix(svc.Spec.Template.Name, "web-pr-7-") {
		t.Fatalf("tagged revision name %q, want web-pr-7-xxxxx", svc.Spec.Template.Name)
	}
	main := svc.Spec.Traffic[0]
	if main.RevisionName != "web-00001" || *main.Percent != 100 || (main.LatestRevision != nil && *main.LatestRevision) {
		t.Errorf("main route %s: it must stay on web-00001", traffic(svc.Spec.Traffic))
	}
	rev := b.revision(svc)
	url := func(h string) *apis.URL { return &apis.URL{Scheme: "http", Host: h + ".tag-test.example.com"} }
	b.status(ns, "web", func(s *servingv1.Service) {
		s.Status.Conditions = duckv1.Conditions{cond(apis.ConditionReady, corev1.ConditionTrue, "", "")}
		s.Status.URL = url("web")
		s.Status.LatestCreatedRevisionName, s.Status.LatestReadyRevisionName = rev.Name, rev.Name
		s.Status.Traffic = []servingv1.TrafficTarget{
			{RevisionName: "web-00001", Percent: ptr(int64(100))},
			{Tag: "pr-1", RevisionName: "web-pr-1-aaaaa", Percent: ptr(int64(0)), URL: url("pr-1-web")},
			{Tag: "pr-70", RevisionName: "web-pr-70-bbbbb", Percent: ptr(int64(0)), URL: url("pr-70-web")},
			{Tag: "pr-7", RevisionName: rev.Name, Percent: ptr(int64(0)), URL: url("pr-7-web")},
		}
	})
	r := b.result(done, 30*time.Second, "the Service turning Ready")
	if r.err != nil {
		t.Fatalf("Up: %v\nlog:\n%s", r.err, logged())
	}
	if r.res.URL != "http://pr-7-web.tag-test.example.com" || r.res.Revision != rev.Name {
		t.Errorf("URL %q revision %q, want the pr-7 entry's URL and %s", r.res.URL, r.res.Revision, rev.Name)
	}
	if h := b.seenHosts(); len(h) == 0 || h[len(h)-1] != "pr-7-web.tag-test.example.com" {
		t.Errorf("the ingress saw Host headers %q", h)
	}
}

// Each failure of the new revision ends the wait with its reason soon after
// it is reported, not at the Ready timeout (a minute here, ten in use).
func TestIntegrationEarlyFailures(t *testing.T) {
	b := newBed(t)
	waitingPod := func(reason, msg string) corev1.PodStatus {
		return corev1.PodStatus{Phase: corev1.PodPending, ContainerStatuses: []corev1.ContainerStatus{
			{Name: "user-container", Image: "ghcr.io/o/app:v1", State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: reason, Message: msg}}},
			{Name: "queue-proxy", Image: "queue:v1", State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}},
		}}
	}
	cases := []struct {
		name   string
		cause  func(b *bed, ns, svc, rev string)
		reason string
		says   []string
	}{
		{"image pull", func(b *bed, ns, svc, rev string) {
			b.pod(ns, svc, rev, rev+"-deployment-5d8f-abcde", waitingPod("ErrImagePull", `failed to pull and unpack image "ghcr.io/o/app:v1": not found`))
		}, "ErrImagePull", []string{"container user-container", "not found", "cluster can pull it"}},
		{"image pull backoff", func(b *bed, ns, svc, rev string) {
			b.pod(ns, svc, rev, rev+"-deployment-5d8f-abcde", waitingPod("ImagePullBackOff", `Back-off pulling image "ghcr.io/o/app:v1"`))
		}, "ImagePullBackOff", []string{"Back-off pulling image"}},
		{"crash loop", func(b *bed, ns, svc, rev string) {
			st := waitingPod("CrashLoopBackOff", "back-off 10s restarting failed container")
			st.ContainerStatuses[0].RestartCount = 3
			st.ContainerStatuses[0].LastTerminationState.Terminated = &corev1.ContainerStateTerminated{ExitCode: 1, Reason: "Error"}
			// No kubelet runs here: the API server cannot fetch the log.
			b.podOn(ns, svc, rev, rev+"-deployment-5d8f-abcde", "no-such-node", st)
		}, "CrashLoopBackOff", []string{"restarted 3 times; last exit code 1", "the container's log is unavailable: "}},
		{"container config", func(b *bed, ns, svc, rev string) {
			b.pod(ns, svc, rev, rev+"-deployment-5d8f-abcde", waitingPod("CreateContainerConfigError", `secret "db" not found`))
		}, "CreateContainerConfigError", []string{`secret "db" not found`}},
		{"unschedulable condition", func(b *bed, ns, svc, rev string) {
			b.pod(ns, svc, rev, rev+"-deployment-5d8f-abcde", corev1.PodStatus{Phase: corev1.PodPending, Conditions: []corev1.PodCondition{{
				Type: corev1.PodScheduled, Status: corev1.ConditionFalse, Reason: corev1.PodReasonUnschedulable,
				Message: "0/3 nodes are available: 3 Insufficient cpu.",
			}}})
		}, reasonUnschedulable, []string{"Insufficient cpu"}},
		{"unschedulable event", func(b *bed, ns, svc, rev string) {
			pod := rev + "-deployment-5d8f-abcde"
			b.pod(ns, svc, rev, pod, corev1.PodStatus{Phase: corev1.PodPending})
			b.event(ns, "Pod", pod, "FailedScheduling", "0/1 nodes are available: 1 node(s) had untolerated taint {dedicated: gpu}.")
		}, reasonUnschedulable, []string{"untolerated taint"}},
		{"replicaset cannot create pods", func(b *bed, ns, svc, rev string) {
			b.event(ns, "ReplicaSet", rev+"-deployment-5d8f", "FailedCreate", `pods "x" is forbidden: exceeded quota: compute`)
		}, reasonFailedCreate, []string{"exceeded quota"}},
		{"image digest", func(b *bed, ns, svc, rev string) {
			t := b.t
			r, err := b.serving.Revisions(ns).Get(t.Context(), rev, metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			msg := `Unable to fetch image "ghcr.io/o/app:v1": failed to resolve image to digest: GET https://ghcr.io/v2/o/app/manifests/v1: MANIFEST_UNKNOWN`
			r.Status.Conditions = duckv1.Conditions{
				cond(servingv1.RevisionConditionContainerHealthy, corev1.ConditionFalse, reasonContainerMissing, msg),
				cond(servingv1.RevisionConditionReady, corev1.ConditionFalse, reasonContainerMissing, msg),
			}
			if _, err := b.serving.Revisions(ns).UpdateStatus(t.Context(), r, metav1.UpdateOptions{}); err != nil {
				t.Fatal(err)
			}
		}, reasonContainerMissing, []string{"failed to resolve image to digest", "registries-skipping-tag-resolving"}},
		{"service ready false", func(b *bed, ns, svc, rev string) {
			b.status(ns, svc, func(s *servingv1.Service) {
				s.Status.Conditions = duckv1.Conditions{cond(apis.ConditionReady, corev1.ConditionFalse, "RevisionFailed", `Revision "`+rev+`" failed with message: quota exceeded.`)}
			})
		}, "RevisionFailed", []string{"quota exceeded"}},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b := b.in(t)
			ns := fmt.Sprintf("fail-%d", i)
			done, logged := b.up(deployer(), Options{Service: "app", Namespace: ns, Image: "ghcr.io/o/app:v1"})
			svc := b.deployed(ns, "app", 0)
			rev := b.revision(svc)
			b.deploying(ns, "app", rev.Name)
			c.cause(b, ns, "app", rev.Name)
			r := b.result(done, failFast, "the failure being reported")
			if r.err == nil {
				t.Fatalf("Up succeeded: %+v", r.res)
			}
			var f *failure
			if !errors.As(r.err, &f) {
				t.Fatalf("error is not a *Failure: %v\nlog:\n%s", r.err, logged())
			}
			if f.Reason != c.reason || f.Revision != rev.Name {
				t.Errorf("reason %q revision %q, want %q %q", f.Reason, f.Revision, c.reason, rev.Name)
			}
			for _, s := range c.says {
				if !strings.Contains(r.err.Error(), s) {
					t.Errorf("error does not say %q: %v", s, r.err)
				}
			}
		})
	}
}

// Ready=False is not a failure until it has lasted the error window: a
// revision that recovers within it is Ready.
func TestIntegrationReadyFalseMustLast(t *testing.T) {
	b := newBed(t)
	const ns = "flicker-test"
	d := deployer()
	d.Timings.ErrorWindow = time.Hour
	progress, logged := collect()
	seen := make(chan struct{})
	var once sync.Once
	done := make(chan upDone, 1)
	go func() {
		res, err := d.Up(t.Context(), log.Func(func(f string, a ...any) {
			progress(f, a...)
			if strings.Contains(fmt.Sprintf(f, a...), "Ready=False") {
				once.Do(func() { close(seen) })
			}
		}), b.cl, Options{Service: "app", Namespace: ns, Image: "x/app:v1"})
		done <- upDone{res, err}
	}()
	svc := b.deployed(ns, "app", 0)
	rev := b.revision(svc)
	b.status(ns, "app", func(s *servingv1.Service) {
		s.Status.Conditions = duckv1.Conditions{cond(apis.ConditionReady, corev1.ConditionFalse, "RevisionFailed", "probe failed")}
	})
	select {
	case <-seen:
	case r := <-done:
		t.Fatalf("Up ended before Ready=False lasted its window: %v", r.err)
	case <-time.After(30 * time.Second):
		t.Fatalf("Up never reported Ready=False:\n%s", logged())
	}
	b.ready(ns, "app", rev.Name)
	r := b.result(done, 30*time.Second, "the Service turning Ready")
	if r.err != nil {
		t.Fatalf("Up: %v", r.err)
	}
}

func TestIntegrationTimeoutSaysWhatItSaw(t *testing.T) {
	b := newBed(t)
	t.Run("pods stuck", func(t *testing.T) {
		b := b.in(t)
		const ns = "timeout-test"
		d := deployer()
		d.Timings.Ready = 2 * time.Second
		done, _ := b.up(d, Options{Service: "app", Namespace: ns, Image: "x/app:v1"})
		svc := b.deployed(ns, "app", 0)
		rev := b.revision(svc)
		b.deploying(ns, "app", rev.Name)
		b.pod(ns, "app", rev.Name, rev.Name+"-deployment-5d8f-abcde", corev1.PodStatus{Phase: corev1.PodPending, ContainerStatuses: []corev1.ContainerStatus{
			{Name: "user-container", State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "ContainerCreating"}}},
		}})
		r := b.result(done, 30*time.Second, "its 2s Ready timeout")
		if r.err == nil {
			t.Fatal("Up succeeded")
		}
		if !errors.Is(r.err, context.DeadlineExceeded) {
			t.Errorf("error does not wrap the deadline: %v", r.err)
		}
		for _, s := range []string{"was not Ready within 2s", "Ready=Unknown RevisionMissing", rev.Name + "-deployment-5d8f-abcde Pending", "user-container waiting: ContainerCreating"} {
			if !strings.Contains(r.err.Error(), s) {
				t.Errorf("error does not say %q: %v", s, r.err)
			}
		}
	})
	t.Run("no controller", func(t *testing.T) {
		b := b.in(t)
		d := deployer()
		d.Timings.Ready = time.Second
		done, _ := b.up(d, Options{Service: "app", Namespace: "timeout-test-2", Image: "x/app:v1"})
		r := b.result(done, 30*time.Second, "its 1s Ready timeout")
		if r.err == nil || !strings.Contains(r.err.Error(), "Knative has not processed generation 1") || !strings.Contains(r.err.Error(), "controller running") {
			t.Errorf("got %v, want a diagnosis that Knative's controller did not act", r.err)
		}
	})
}

// Without an ingress address from the cluster target, the networking
// layer's gateway Service says where the ingress is.
func TestIntegrationIngressFromTheGatewayService(t *testing.T) {
	b := newBed(t)
	b.cl.IngressAddress = ""
	ctx := t.Context()
	for _, n := range []string{"knative-serving", "kourier-system", "istio-system"} {
		b.namespace(n)
	}
	setClass := func(t *testing.T, class string) {
		cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "config-network", Namespace: "knative-serving"}, Data: map[string]string{"ingress-class": class}}
		if _, err := b.kube.CoreV1().ConfigMaps("knative-serving").Update(ctx, cm, metav1.UpdateOptions{}); apierrors.IsNotFound(err) {
			_, err = b.kube.CoreV1().ConfigMaps("knative-serving").Create(ctx, cm, metav1.CreateOptions{})
			if err != nil {
				t.Fatal(err)
			}
		} else if err != nil {
			t.Fatal(err)
		}
	}
	deploy := func(b *bed, ns string) *Result {
		t := b.t
		t.Helper()
		done, logged := b.up(deployer(), Options{Service: "app", Namespace: ns, Image: "x/app:v1"})
		svc := b.deployed(ns, "app", 0)
		b.ready(ns, "app", b.revision(svc).Name)
		r := b.result(done, 30*time.Second, "the Service turning Ready")
		if r.err != nil {
			t.Fatalf("Up: %v\nlog:\n%s", r.err, logged())
		}
		return r.res
	}

	t.Run("load balancer", func(t *testing.T) {
		_, port, _ := net.SplitHostPort(b.ingress.Listener.Addr().String())
		p, err := strconv.Atoi(port)
		if err != nil {
			t.Fatal(err)
		}
		setClass(t, "kourier.ingress.networking.knative.dev")
		gw, err := b.kube.CoreV1().Services("kourier-system").Create(ctx, &corev1.Service{
			ObjectMeta: metav1.ObjectMeta{Name: "kourier", Namespace: "kourier-system"},
			Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeLoadBalancer, Selector: map[string]string{"app": "3scale-kourier-gateway"},
				AllocateLoadBalancerNodePorts: ptr(false),
				Ports:                         []corev1.ServicePort{{Name: "http2", Port: int32(p)}}},
		}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		gw.Status.LoadBalancer.Ingress = []corev1.LoadBalancerIngress{{IP: "127.0.0.1"}}
		if _, err := b.kube.CoreV1().Services("kourier-system").UpdateStatus(ctx, gw, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
		res := deploy(b.in(t), "gateway-lb")
		if want := "ingress 127.0.0.1:" + port + " with Host header app.gateway-lb.example.com"; res.Route != want {
			t.Errorf("route %q, want %q", res.Route, want)
		}
	})

	t.Run("node port", func(t *testing.T) {
		const nodePort = 31080
		ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", nodePort))
		if err != nil {
			t.Fatalf("listening on the NodePort: %v", err)
		}
		srv := httptest.NewUnstartedServer(b.ingress.Config.Handler)
		srv.Listener.Close()
		srv.Listener = ln
		srv.Start()
		defer srv.Close()

		setClass(t, "istio.ingress.networking.knative.dev")
		if _, err := b.kube.CoreV1().Services("istio-system").Create(ctx, &corev1.Service{
			ObjectMeta: metav1.ObjectMeta{Name: "istio-ingressgateway", Namespace: "istio-system"},
			Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeNodePort, Selector: map[string]string{"istio": "ingressgateway"},
				Ports: []corev1.ServicePort{{Name: "https", Port: 443, NodePort: nodePort + 1}, {Name: "http2", Port: 80, NodePort: nodePort}}},
		}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		node, err := b.kube.CoreV1().Nodes().Create(ctx, &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "node-1"}}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		node.Status.Addresses = []corev1.NodeAddress{{Type: corev1.NodeHostName, Address: "node-1"}, {Type: corev1.NodeInternalIP, Address: "127.0.0.1"}}
		if _, err := b.kube.CoreV1().Nodes().UpdateStatus(ctx, node, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
		res := deploy(b.in(t), "gateway-np")
		if want := fmt.Sprintf("ingress 127.0.0.1:%d with Host header app.gateway-np.example.com", nodePort); res.Route != want {
			t.Errorf("route %q, want %q", res.Route, want)
		}
	})
}

func TestIntegrationDown(t *testing.T) {
	b := newBed(t)
	ctx := t.Context()
	upReady := func(b *bed, ns string, o Options) {
		t := b.t
		t.Helper()
		done, logged := b.up(deployer(), o)
		svc := b.deployed(ns, o.Service, 0)
		rev := b.revision(svc)
		b.ready(ns, o.Service, rev.Name)
		b.pod(ns, o.Service, rev.Name, rev.Name+"-deployment-5d8f-abcde", corev1.PodStatus{Phase: corev1.PodRunning})
		if r := b.result(done, 30*time.Second, "the Service turning Ready"); r.err != nil {
			t.Fatalf("Up: %v\nlog:\n%s", r.err, logged())
		}
	}
	down := func(t *testing.T, o Options) string {
		t.Helper()
		progress, logged := collect()
		if err := deployer().Down(ctx, progress, b.cl, o); err != nil {
			t.Fatalf("Down: %v", err)
		}
		return logged()
	}
	deleting := func(t *testing.T, ns string) bool {
		n, err := b.kube.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return n.DeletionTimestamp != nil
	}

	t.Run("service, secret and our empty namespace", func(t *testing.T) {
		o := Options{Service: "app", Namespace: "down-test", Image: "x/app:v1", SecretEnv: []EnvVar{{"K", "v"}}}
		upReady(b.in(t), "down-test", o)
		logged := down(t, o)
		if _, err := b.serving.Services("down-test").Get(ctx, "app", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
			t.Errorf("the Knative Service is still there: %v", err)
		}
		if _, err := b.kube.CoreV1().Secrets("down-test").Get(ctx, "app-secret-env", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
			t.Errorf("the secret-env Secret is still there: %v", err)
		}
		if !deleting(t, "down-test") {
			t.Errorf("the namespace this action created is not being deleted:\n%s", logged)
		}
	})

	t.Run("our namespace with someone else's things", func(t *testing.T) {
		o := Options{Service: "app", Namespace: "down-shared", Image: "x/app:v1"}
		upReady(b.in(t), "down-shared", o)
		if _, err := b.kube.CoreV1().ConfigMaps("down-shared").Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "settings"}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		logged := down(t, o)
		if deleting(t, "down-shared") {
			t.Errorf("a namespace holding the user's ConfigMap is being deleted")
		}
		if !strings.Contains(logged, "kept namespace down-shared") || !strings.Contains(logged, "configmap/settings") {
			t.Errorf("progress does not say why the namespace stays:\n%s", logged)
		}
	})

	t.Run("a namespace the user made", func(t *testing.T) {
		b.in(t).namespace("down-user")
		o := Options{Service: "app", Namespace: "down-user", Image: "x/app:v1"}
		upReady(b.in(t), "down-user", o)
		down(t, o)
		if deleting(t, "down-user") {
			t.Errorf("a namespace this action did not create is being deleted")
		}
	})

	t.Run("nothing to delete", func(t *testing.T) {
		b.in(t).namespace("down-none")
		logged := down(t, Options{Service: "ghost", Namespace: "down-none"})
		if !strings.Contains(logged, "nothing to delete") {
			t.Errorf("progress: %s", logged)
		}
	})
}
