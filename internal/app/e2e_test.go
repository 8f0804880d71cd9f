package app

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"knative.dev/pkg/apis"
	duckv1 "knative.dev/pkg/apis/duck/v1"
	servingv1 "knative.dev/serving/pkg/apis/serving/v1"
	servingclient "knative.dev/serving/pkg/client/clientset/versioned"
	servingtyped "knative.dev/serving/pkg/client/clientset/versioned/typed/serving/v1"

	"github.com/knative-preview/action/internal/report"
	"github.com/knative-preview/action/internal/testenv"
)

// The whole run through Main: cluster, install, deploy, measure, on a real
// API server. The test plays what does not run here: Knative's controllers
// (Deployments available, the Service's status, the revision's Deployment),
// the cloud's load balancer (the gateway's address is 127.0.0.1), and the
// ingress with the autoscaler and the kubelet behind it (an HTTP server on
// 127.0.0.1:80 that scales the revision up on a request at zero, and down
// again shortly after). No webhook server runs in the test bed, so the
// release manifests are used without their admission webhooks.
func TestIntegrationUpDeploysAndMeasures(t *testing.T) {
	const ns, svc, host = "e2e", "hello", "hello.e2e.127.0.0.1.sslip.io"
	ctx := t.Context()
	_, sv, kc, dir := servingBed(t, ns, svc)
	reportFile := filepath.Join(t.TempDir(), "report.json")
	r := runMain(ctx, []string{"up", "--cluster", "kubeconfig", "--kubeconfig", kc, "--manifests-url", dir,
		"--image", "ghcr.io/org/hello:v1", "--service", svc, "--namespace", ns,
		"--cold-start-samples", "1", "--smoke-requests", "2", "--expect-body", "^hello", "--output", "json", "--timeout", "5m",
		"--report-json", reportFile}, nil)
	if r.code != exitOK {
		t.Fatalf("exit %d:\n%s", r.code, r.stderr)
	}
	if os.Getenv("E2E_LOG") != "" {
		t.Logf("log:\n%s\noutputs:\n%s", r.stderr, r.stdout)
	}
	var out map[string]string
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
		t.Fatalf("stdout is not one JSON object: %v\n%s", err, r.stdout)
	}
	for k, want := range map[string]string{
		"url": "http://" + host, "service": svc, "namespace": ns, "revision": "hello-00001",
		"domain": "127.0.0.1.sslip.io", "knative-version": "1.23.0", "ingress": "kourier",
	} {
		if out[k] != want {
			t.Errorf("output %s = %q, want %q", k, out[k], want)
		}
	}
	var samples []struct {
		Verdict string `json:"verdict"`
		Pod     string `json:"pod"`
	}
	if err := json.Unmarshal([]byte(out["cold-start-samples-json"]), &samples); err != nil || len(samples) != 1 || samples[0].Verdict != "cold" {
		t.Errorf("cold-start-samples-json %s (%v)", out["cold-start-samples-json"], err)
	}
	if out["cold-start-ms"] == "" || out["warm-p50-ms"] == "" || out["ready-seconds"] == "" {
		t.Errorf("measure outputs missing: %v", out)
	}
	// The report says the same as the outputs, and more.
	data, err := os.ReadFile(reportFile)
	if err != nil {
		t.Fatalf("--report-json wrote no report: %v", err)
	}
	var rep report.Report
	if err := json.Unmarshal(data, &rep); err != nil {
		t.Fatalf("the report is not JSON of its schema's shape: %v\n%s", err, data)
	}
	if !rep.OK || rep.Knative.ServingVersion != "1.23.0" || rep.Cluster.KubernetesVersion != testenv.KubeVersion ||
		rep.Service == nil || rep.Service.Revision != "hello-00001" || rep.Measure == nil || len(rep.Measure.Samples) != 1 ||
		len(rep.Stages) != 5 || !rep.Checks.Ran || !rep.Checks.Passed || len(rep.Trend) != 1 {
		t.Errorf("report lacks what the run did:\n%s", data)
	}
	for _, want := range []string{"==> deploy", "through the ingress 127.0.0.1:80", "==> measure", "cold start 1/1"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("the log lacks %q:\n%s", want, r.stderr)
		}
	}
	// The measured revision was set up to return to zero quickly.
	ksvc, err := sv.Services(ns).Get(ctx, svc, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if ksvc.Spec.Template.Annotations["autoscaling.knative.dev/window"] != "6s" {
		t.Errorf("template annotations %v", ksvc.Spec.Template.Annotations)
	}
}

// servingBed is appBed for the Services named in namespace ns.
func servingBed(t *testing.T, ns string, services ...string) (kubernetes.Interface, servingtyped.ServingV1Interface, string, string) {
	t.Helper()
	_, cs, sv, kc, dir := servingBedEnv(t, ns, services...)
	return cs, sv, kc, dir
}

// servingBedEnv is servingBed that also returns its API server.
func servingBedEnv(t *testing.T, ns string, services ...string) (*testenv.Env, kubernetes.Interface, servingtyped.ServingV1Interface, string, string) {
	t.Helper()
	return appBedEnv(t, map[string][]string{ns: services})
}

// play runs f every 50 ms until it returns true or the test ends.
func play(t *testing.T, f func() bool) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	t.Cleanup(func() { cancel(); <-done })
	go func() {
		defer close(done)
		for ctx.Err() == nil && !f() {
			select {
			case <-ctx.Done():
			case <-time.After(50 * time.Millisecond):
			}
		}
	}()
}

func withoutWebhooks(t *testing.T, path string) {
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var kept []string
	for _, doc := range strings.Split(string(data), "\n---\n") {
		if !strings.Contains(doc, "kind: MutatingWebhookConfiguration") && !strings.Contains(doc, "kind: ValidatingWebhookConfiguration") {
			kept = append(kept, doc)
		}
	}
	if err := os.WriteFile(path, []byte(strings.Join(kept, "\n---\n")), 0o644); err != nil {
		t.Fatal(err)
	}
}

// loadBalancer gives the gateway Service the address 127.0.0.1.
func loadBalancer(ctx context.Context, cs kubernetes.Interface) bool {
	s, err := cs.CoreV1().Services("kourier-system").Get(ctx, "kourier", metav1.GetOptions{})
	if err != nil {
		return false
	}
	s.Status.LoadBalancer.Ingress = []corev1.LoadBalancerIngress{{IP: "127.0.0.1"}}
	_, err = cs.CoreV1().Services("kourier-system").UpdateStatus(ctx, s, metav1.UpdateOptions{})
	return err == nil
}

// knativeController makes the revision of the Service's new generation,
// its Deployment with one ready pod, and marks the Service Ready.
func knativeController(ctx context.Context, t *testing.T, cs kubernetes.Interface, sv servingtyped.ServingV1Interface, ns, name string) {
	ksvc, err := sv.Services(ns).Get(ctx, name, metav1.GetOptions{})
	if err != nil || ksvc.Status.ObservedGeneration == ksvc.Generation {
		return
	}
	rev := fmt.Sprintf("%s-%05d", name, ksvc.Generation)
	ann := map[string]string{}
	for k, v := range ksvc.Spec.Template.Annotations {
		ann[k] = v
	}
	r := &servingv1.Revision{
		ObjectMeta: metav1.ObjectMeta{Name: rev, Namespace: ns, Annotations: ann,
			Labels: map[string]string{"serving.knative.dev/service": name, "serving.knative.dev/configuration": name}},
		Spec: ksvc.Spec.Template.Spec,
	}
	if _, err := sv.Revisions(ns).Create(ctx, r, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Errorf("playing Knative: creating revision %s: %v", rev, err)
		return
	}
	labels := map[string]string{"serving.knative.dev/revision": rev}
	one := int32(1)
	d := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: rev + "-deployment", Namespace: ns},
		Spec: appsv1.DeploymentSpec{Replicas: &one, Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "user-container", Image: "ghcr.io/org/hello:v1"}}}}},
	}
	if _, err := cs.AppsV1().Deployments(ns).Create(ctx, d, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Errorf("playing Knative: creating the revision's Deployment: %v", err)
		return
	}
	readyPod(ctx, t, cs, ns, rev)
	now := apis.VolatileTime{Inner: metav1.Now()}
	ksvc.Status.ObservedGeneration = ksvc.Generation
	ksvc.Status.Conditions = duckv1.Conditions{{Type: apis.ConditionReady, Status: corev1.ConditionTrue, LastTransitionTime: now}}
	// Knative gives a cluster-local Service its address inside the
	// cluster, and every other one an address under the domain.
	ksvc.Status.URL = &apis.URL{Scheme: "http", Host: name + "." + ns + ".127.0.0.1.sslip.io"}
	if ksvc.Labels["networking.knative.dev/visibility"] == "cluster-local" {
		ksvc.Status.URL.Host = name + "." + ns + ".svc.cluster.local"
	}
	ksvc.Status.LatestCreatedRevisionName, ksvc.Status.LatestReadyRevisionName = rev, rev
	yes, all := true, int64(100)
	ksvc.Status.Traffic = []servingv1.TrafficTarget{{RevisionName: rev, LatestRevision: &yes, Percent: &all}}
	if _, err := sv.Services(ns).UpdateStatus(ctx, ksvc, metav1.UpdateOptions{}); err != nil && !apierrors.IsConflict(err) {
		t.Errorf("playing Knative: Service status: %v", err)
	}
}

// podSeq numbers the pods the test's kubelet makes; the controller and the
// ingress both make them, from different goroutines.
var podSeq atomic.Int64

// readyPod creates a ready pod of the revision, as the kubelet would run one.
func readyPod(ctx context.Context, t *testing.T, cs kubernetes.Interface, ns, rev string) {
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("%s-deployment-%d", rev, podSeq.Add(1)), Namespace: ns, Labels: map[string]string{"serving.knative.dev/revision": rev}},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "user-container", Image: "ghcr.io/org/hello:v1"}}},
	}
	p, err := cs.CoreV1().Pods(ns).Create(ctx, p, metav1.CreateOptions{})
	if err != nil {
		t.Errorf("playing the kubelet: %v", err)
		return
	}
	p.Status.Phase = corev1.PodRunning
	p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodScheduled, Status: corev1.ConditionTrue}, {Type: corev1.PodReady, Status: corev1.ConditionTrue}}
	p.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: "user-container", Ready: true, State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}}}
	if _, err := cs.CoreV1().Pods(ns).UpdateStatus(ctx, p, metav1.UpdateOptions{}); err != nil {
		t.Errorf("playing the kubelet: %v", err)
	}
}

func latestRevision(ctx context.Context, sv servingtyped.ServingV1Interface, ns, name string) string {
	ksvc, err := sv.Services(ns).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return ""
	}
	return ksvc.Status.LatestReadyRevisionName
}

// scaledUp plays the autoscaler for a request: a revision at zero is scaled
// to one pod, which the kubelet makes ready, before the request is served.
func scaledUp(ctx context.Context, t *testing.T, cs kubernetes.Interface, ns, rev string) bool {
	d, err := cs.AppsV1().Deployments(ns).Get(ctx, rev+"-deployment", metav1.GetOptions{})
	if err != nil {
		return false
	}
	if d.Spec.Replicas != nil && *d.Spec.Replicas > 0 {
		return true
	}
	one := int32(1)
	d.Spec.Replicas = &one
	if _, err := cs.AppsV1().Deployments(ns).Update(ctx, d, metav1.UpdateOptions{}); err != nil {
		return false
	}
	// The measure stage waits for its watches to see the pod ready (its
	// settle wait), and takes readiness seen shortly after the first byte.
	readyPod(ctx, t, cs, ns, rev)
	return true
}

// scaleToZero plays the autoscaler after the stable window.
func scaleToZero(cs kubernetes.Interface, ns, rev string) {
	ctx := context.Background()
	d, err := cs.AppsV1().Deployments(ns).Get(ctx, rev+"-deployment", metav1.GetOptions{})
	if err != nil {
		return
	}
	zero := int32(0)
	d.Spec.Replicas = &zero
	if _, err := cs.AppsV1().Deployments(ns).Update(ctx, d, metav1.UpdateOptions{}); err != nil {
		return
	}
	_ = cs.CoreV1().Pods(ns).DeleteCollection(ctx, metav1.DeleteOptions{}, metav1.ListOptions{LabelSelector: "serving.knative.dev/revision=" + rev})
}

// portHolder says which process listens on the TCP port in this network
// namespace, from /proc, for the message of a test that cannot have it.
func portHolder(port int) string {
	inodes := map[string]bool{}
	for _, table := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		data, err := os.ReadFile(table)
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(data), "\n")[1:] {
			f := strings.Fields(line)
			// local_address is ADDR:PORT in hex; state 0A is LISTEN.
			if len(f) > 9 && f[3] == "0A" && strings.HasSuffix(f[1], fmt.Sprintf(":%04X", port)) {
				inodes["socket:["+f[9]+"]"] = true
			}
		}
	}
	if len(inodes) == 0 {
		return fmt.Sprintf("no process listens on port %d here", port)
	}
	var holders []string
	fds, _ := filepath.Glob("/proc/[0-9]*/fd/*")
	for _, fd := range fds {
		if target, err := os.Readlink(fd); err == nil && inodes[target] {
			pid := strings.Split(fd, "/")[2]
			cmd, _ := os.ReadFile("/proc/" + pid + "/cmdline")
			holders = append(holders, fmt.Sprintf("pid %s (%s)", pid, strings.TrimSpace(strings.ReplaceAll(string(cmd), "\x00", " "))))
		}
	}
	if len(holders) == 0 {
		return fmt.Sprintf("port %d is held by a process this test cannot see", port)
	}
	return fmt.Sprintf("port %d is held by %s", port, strings.Join(holders, ", "))
}

// releaseBed is a fresh test API server with release 1.23.0's manifests
// (without their admission webhooks: no webhook server runs here) in a
// folder, and clients of it.
func releaseBed(t *testing.T) (*testenv.Env, kubernetes.Interface, servingtyped.ServingV1Interface, string) {
	t.Helper()
	env := testenv.Start(t)
	dir := t.TempDir()
	testenv.WriteReleaseManifests(t, dir, "1.23.0")
	withoutWebhooks(t, testenv.ManifestFile(dir, "serving", "1.23.0", "serving-core.yaml"))
	return env, kubernetes.NewForConfigOrDie(env.Config), servingclient.NewForConfigOrDie(env.Config).ServingV1(), dir
}

// ingressOn80 serves h on 127.0.0.1:80 for the test: the stand-in of the
// ingress that kind's host port leads to.
func ingressOn80(t *testing.T, h http.Handler) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:80")
	if err != nil {
		testenv.Unavailable(t, "the stand-in ingress needs 127.0.0.1:80 in the test's network namespace: %v; %s", err, portHolder(80))
	}
	srv := &http.Server{Handler: h}
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close() })
}
