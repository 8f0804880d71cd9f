package app

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"knative.dev/pkg/apis"
	duckv1 "knative.dev/pkg/apis/duck/v1"
	servingv1 "knative.dev/serving/pkg/apis/serving/v1"
	servingtyped "knative.dev/serving/pkg/client/clientset/versioned/typed/serving/v1"

	"github.com/knative-preview/action/internal/github/githubtest"
	"github.com/knative-preview/action/internal/kube"
	"github.com/knative-preview/action/internal/testenv"
)

// appBed is releaseBed with what does not run here played for the apps
// of the given namespaces, each with its Services: Knative's controllers
// (as servingBed plays them), the objects' controllers (a Deployment this
// action applied becomes Available), and the ingress on 127.0.0.1:80 with
// the autoscaler behind it. It returns clients, a kubeconfig file and the
// release manifests' folder, which is the workspace too.
func appBed(t *testing.T, apps map[string][]string) (kubernetes.Interface, servingtyped.ServingV1Interface, string, string) {
	t.Helper()
	_, cs, sv, kc, dir := appBedEnv(t, apps)
	return cs, sv, kc, dir
}

// appBedEnv is appBed that also returns its API server.
func appBedEnv(t *testing.T, apps map[string][]string) (*testenv.Env, kubernetes.Interface, servingtyped.ServingV1Interface, string, string) {
	t.Helper()
	env, cs, sv, dir := releaseBed(t)
	ctx := t.Context()
	testenv.PlayKnative(t, cs)
	play(t, func() bool { return loadBalancer(ctx, cs) })
	for ns, services := range apps {
		for _, svc := range services {
			play(t, func() bool { knativeController(ctx, t, cs, sv, ns, svc); return false })
		}
		play(t, func() bool { availableObjects(ctx, cs, ns); return false })
	}
	var mu sync.Mutex
	ingressOn80(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		svc, rest, _ := strings.Cut(r.Host, ".")
		ns, ok := strings.CutSuffix(rest, ".127.0.0.1.sslip.io")
		if !ok || !slices.Contains(apps[ns], svc) {
			http.NotFound(w, r)
			return
		}
		mu.Lock()
		defer mu.Unlock()
		rev := latestRevision(ctx, sv, ns, svc)
		if rev == "" || !scaledUp(ctx, t, cs, ns, rev) {
			http.Error(w, "no revision", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "hello from", rev)
		time.AfterFunc(300*time.Millisecond, func() { scaleToZero(cs, ns, rev) })
	}))
	kc := filepath.Join(t.TempDir(), "kubeconfig")
	if err := os.WriteFile(kc, env.Kubeconfig("e2e"), 0o600); err != nil {
		t.Fatal(err)
	}
	return env, cs, sv, kc, dir
}

// availableObjects plays the Deployment controller and the kubelet for
// the Deployments this action applied beside an app in ns.
func availableObjects(ctx context.Context, cs kubernetes.Interface, ns string) {
	list, err := cs.AppsV1().Deployments(ns).List(ctx, metav1.ListOptions{LabelSelector: "app.kubernetes.io/managed-by=knative-preview"})
	if err != nil {
		return
	}
	for _, d := range list.Items {
		if kube.DeploymentRolledOut(&d) {
			continue
		}
		testenv.RolledOut(&d)
		_, _ = cs.AppsV1().Deployments(ns).UpdateStatus(ctx, &d, metav1.UpdateOptions{})
	}
}

// copyShop copies the test data's shop into the folder sub of dir and
// returns the paths of its service file and objects folder there.
func copyShop(t *testing.T, dir, sub string) (string, string) {
	t.Helper()
	for dst, data := range shopFiles(t, filepath.Join(dir, sub)) {
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dst, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return filepath.Join(dir, sub, "services.yaml"), filepath.Join(dir, sub, "objects")
}

// shopFiles are the shop test app's files as they would be under dir: path
// to content.
func shopFiles(t *testing.T, dir string) map[string]string {
	t.Helper()
	src := filepath.Join("..", "..", "testdata", "shop")
	out := map[string]string{}
	for _, f := range []string{"services.yaml", "objects/redis.yaml", "objects/settings.yaml"} {
		data, err := os.ReadFile(filepath.Join(src, f))
		if err != nil {
			t.Fatal(err)
		}
		out[filepath.Join(dir, f)] = string(data)
	}
	return out
}

// A pull request's preview of a whole app, as a workflow runs the action:
// the shop's two Services (web calls api by its in-namespace name), a
// Deployment, a Service and a ConfigMap beside them, two images the job
// built, namespace auto. Both Services are Ready, both URLs are in the
// outputs and the comment; another pull request's app lives beside it;
// closing the first removes its namespace and nothing else.
func TestIntegrationAppPreviewOfAPullRequest(t *testing.T) {
	const token = "ghs_app_preview_token_0123456789"
	pr7, pr8 := "shop-pr-7", "shop-pr-8"
	cs, sv, kc, dir := appBed(t, map[string][]string{pr7: {"web", "api"}, pr8: {"web", "api"}})
	ctx := t.Context()
	fake := githubtest.New(t)
	kubeconfig, err := os.ReadFile(kc)
	if err != nil {
		t.Fatal(err)
	}
	file, objects := copyShop(t, dir, "shop")

	step := func(action string, number int, with map[string]string) (result, map[string]string, string) {
		t.Helper()
		work := t.TempDir()
		outFile, summaryFile := filepath.Join(work, "output"), filepath.Join(work, "summary.md")
		env := map[string]string{
			"GITHUB_ACTIONS": "true", "GITHUB_OUTPUT": outFile, "GITHUB_STEP_SUMMARY": summaryFile, "GITHUB_WORKSPACE": dir,
			"GITHUB_REPOSITORY": "acme/shop", "GITHUB_ACTOR": "octocat", "GITHUB_API_URL": fake.URL(),
			"GITHUB_EVENT_NAME": "pull_request", "GITHUB_EVENT_PATH": pullRequestEvent(t, action, number, fmt.Sprintf("%040d", number), false),
			"INPUT_CLUSTER": "kubeconfig", "INPUT_KUBECONFIG": string(kubeconfig), "INPUT_MANIFESTS-URL": dir,
			"INPUT_SERVING-VERSION": "1.23", "INPUT_NAMESPACE": "auto", "INPUT_TIMEOUT": "3m", "INPUT_GITHUB-TOKEN": token,
			"INPUT_SERVICE-FILE": file, "INPUT_OBJECTS": objects,
			"INPUT_IMAGE":  fmt.Sprintf("ghcr.io/acme/shop-web:pr-%d", number),
			"INPUT_IMAGES": fmt.Sprintf("ghcr.io/acme/shop-api=ghcr.io/acme/shop-api:pr-%d", number),
		}
		for k, v := range with {
			env["INPUT_"+strings.ToUpper(k)] = v
		}
		r := runMain(ctx, nil, env)
		outs, _ := os.ReadFile(outFile)
		sum, _ := os.ReadFile(summaryFile)
		if r.code != exitOK {
			t.Fatalf("%s #%d: exit %d:\n%s", action, number, r.code, r.stdout)
		}
		return r, parseOutputs(string(outs)), string(sum)
	}

	_, out, sum := step("opened", 7, map[string]string{"cold-start-samples": "1", "smoke-requests": "1"})
	var urls map[string]string
	if err := json.Unmarshal([]byte(out["urls"]), &urls); err != nil {
		t.Fatalf("output urls %q: %v", out["urls"], err)
	}
	// api is cluster-local in the shop's file: Knative gives it the
	// cluster's own address, which the comment shows but does not link.
	web, api := "http://web."+pr7+".127.0.0.1.sslip.io", "http://api."+pr7+".svc.cluster.local"
	if urls["web"] != web || urls["api"] != api || len(urls) != 2 || out["url"] != web || out["service"] != "web" || out["namespace"] != pr7 {
		t.Errorf("#7's outputs: %v", out)
	}
	if out["cold-start-ms"] == "" {
		t.Errorf("the primary's cold start was not measured: %v", out)
	}
	comments := fake.Comments(7)
	if len(comments) != 1 {
		t.Fatalf("#7's comments: %+v", comments)
	}
	for what, md := range map[string]string{"comment": comments[0].Body, "job summary": sum} {
		for _, want := range []string{web, "`" + api + "`", "`web-00001`", "`api-00001`"} {
			if !strings.Contains(md, want) {
				t.Errorf("#7's %s lacks %s:\n%s", what, want, md)
			}
		}
		if strings.Contains(md, "](<"+api) {
			t.Errorf("#7's %s links the cluster-local %s:\n%s", what, api, md)
		}
	}
	webSvc, err := sv.Services(pr7).Get(ctx, "web", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if img := webSvc.Spec.Template.Spec.Containers[0].Image; img != "ghcr.io/acme/shop-web:pr-7" || !hasEnv(webSvc, "API_URL", "http://api") {
		t.Errorf("web runs %s with env %v", img, webSvc.Spec.Template.Spec.Containers[0].Env)
	}
	apiSvc, err := sv.Services(pr7).Get(ctx, "api", metav1.GetOptions{})
	if err != nil || apiSvc.Spec.Template.Spec.Containers[0].Image != "ghcr.io/acme/shop-api:pr-7" {
		t.Errorf("api: %v", err)
	}
	for _, name := range []string{"redis"} {
		if _, err := cs.AppsV1().Deployments(pr7).Get(ctx, name, metav1.GetOptions{}); err != nil {
			t.Errorf("Deployment %s beside the Services: %v", name, err)
		}
	}
	if _, err := cs.CoreV1().ConfigMaps(pr7).Get(ctx, "shop-settings", metav1.GetOptions{}); err != nil {
		t.Errorf("the ConfigMap beside the Services: %v", err)
	}

	step("opened", 8, nil)

	// The close runs without the repository checked out: the namespace
	// goes as a whole.
	step("closed", 7, map[string]string{"service-file": filepath.Join(dir, "not-checked-out.yaml"), "objects": ""})
	ns, err := cs.CoreV1().Namespaces().Get(ctx, pr7, metav1.GetOptions{})
	if err == nil && ns.DeletionTimestamp == nil {
		t.Errorf("#7's namespace is not being deleted")
	}
	ns, err = cs.CoreV1().Namespaces().Get(ctx, pr8, metav1.GetOptions{})
	if err != nil || ns.DeletionTimestamp != nil {
		t.Errorf("#8's namespace after #7 closed: %v", err)
	}
	for _, name := range []string{"web", "api"} {
		if s, err := sv.Services(pr8).Get(ctx, name, metav1.GetOptions{}); err != nil || s.DeletionTimestamp != nil {
			t.Errorf("#8's Service %s after #7 closed: %v", name, err)
		}
	}
	if _, err := cs.AppsV1().Deployments(pr8).Get(ctx, "redis", metav1.GetOptions{}); apierrors.IsNotFound(err) {
		t.Error("#8's redis is gone")
	}
	if c := fake.Comments(7); len(c) != 1 || !strings.Contains(c[0].Body, "removed") {
		t.Errorf("#7's comment after the close: %+v", c)
	}
}

func hasEnv(s *servingv1.Service, name, value string) bool {
	return slices.ContainsFunc(s.Spec.Template.Spec.Containers[0].Env, func(e corev1.EnvVar) bool { return e.Name == name && e.Value == value })
}

// Refused before anything is written, through the whole run: an unknown
// field (named by its path), a cluster-scoped object, an object of another
// namespace, a file without a Service. The run exits as for bad inputs and
// the cluster has nothing of the app.
func TestIntegrationAppRefusedInputsWriteNothing(t *testing.T) {
	env := testenv.Shared(t)
	kc := filepath.Join(t.TempDir(), "kubeconfig")
	if err := os.WriteFile(kc, env.Kubeconfig("e2e"), 0o600); err != nil {
		t.Fatal(err)
	}
	cs := kubernetes.NewForConfigOrDie(env.Config)
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := write("good.yaml", "apiVersion: serving.knative.dev/v1\nkind: Service\nmetadata: {name: web}\nspec: {template: {spec: {containers: [{image: $IMAGE}]}}}\n")
	cases := []struct {
		name, file, objects string
		says                []string
	}{
		{"an unknown field", write("unknown.yaml", "apiVersion: serving.knative.dev/v1\nkind: Service\nmetadata: {name: web}\nspec: {template: {spec: {containers: [{image: $IMAGE, imagePullPolcy: Always}]}}}\n"), "",
			[]string{"error: --service-file: ", `unknown field "spec.template.spec.containers[0].imagePullPolcy"`}},
		{"a cluster-scoped object", good, write("role.yaml", "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: me-admin}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}\n"),
			[]string{"error: --objects: ", "ClusterRoleBinding me-admin is cluster-scoped"}},
		{"an object of another namespace", good, write("other.yaml", "apiVersion: v1\nkind: Secret\nmetadata: {name: stolen, namespace: kube-system}\n"),
			[]string{"error: --objects: ", "Secret stolen names namespace kube-system"}},
		{"a file without a Service", write("empty.yaml", "# nothing here yet\n"), "",
			[]string{"error: --service-file: ", "holds no Knative Service"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			args := []string{"up", "--cluster", "kubeconfig", "--kubeconfig", kc, "--namespace", "refused", "--image", "ghcr.io/acme/web:1", "--service-file", c.file}
			if c.objects != "" {
				args = append(args, "--objects", c.objects)
			}
			r := runMain(t.Context(), args, map[string]string{"GITHUB_REPOSITORY": "acme/refused"})
			if r.code != exitFailed {
				t.Fatalf("exit %d, want %d for refused inputs:\n%s", r.code, exitFailed, r.stderr)
			}
			for _, want := range c.says {
				if !strings.Contains(r.stderr, want) {
					t.Errorf("the refusal lacks %q:\n%s", want, r.stderr)
				}
			}
			if _, err := cs.CoreV1().Namespaces().Get(t.Context(), "refused", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
				t.Errorf("namespace refused exists (%v): something was written", err)
			}
		})
	}
}

// stuckController plays Knative's controller and the kubelet for a Service
// whose container runs but never passes its readiness probe: the pod runs
// unready, the kubelet reports the failing probe every second, and once
// the revision's progress deadline (its annotation) has passed, Knative
// gives up as it does.
func stuckController(ctx context.Context, t *testing.T, cs kubernetes.Interface, sv servingtyped.ServingV1Interface, ns, name string, began *time.Time) {
	ksvc, err := sv.Services(ns).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return
	}
	rev := fmt.Sprintf("%s-%05d", name, ksvc.Generation)
	pod := rev + "-deployment-stuck"
	if began.IsZero() {
		*began = time.Now()
		r := &servingv1.Revision{
			ObjectMeta: metav1.ObjectMeta{Name: rev, Namespace: ns, Annotations: ksvc.Spec.Template.Annotations,
				Labels: map[string]string{"serving.knative.dev/service": name, "serving.knative.dev/configuration": name}},
			Spec: ksvc.Spec.Template.Spec,
		}
		if _, err := sv.Revisions(ns).Create(ctx, r, metav1.CreateOptions{}); err != nil {
			t.Errorf("playing Knative: creating revision %s: %v", rev, err)
			return
		}
		p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: pod, Namespace: ns, Labels: map[string]string{"serving.knative.dev/revision": rev, "serving.knative.dev/service": name}},
			Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "user-container", Image: "ghcr.io/acme/web:1"}, {Name: "queue-proxy", Image: "queue"}}}}
		if p, err = cs.CoreV1().Pods(ns).Create(ctx, p, metav1.CreateOptions{}); err != nil {
			t.Errorf("playing the kubelet: %v", err)
			return
		}
		p.Status.Phase = corev1.PodRunning
		p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodScheduled, Status: corev1.ConditionTrue}, {Type: corev1.PodReady, Status: corev1.ConditionFalse}}
		p.Status.ContainerStatuses = []corev1.ContainerStatus{
			{Name: "user-container", State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}},
			{Name: "queue-proxy", State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}},
		}
		if _, err := cs.CoreV1().Pods(ns).UpdateStatus(ctx, p, metav1.UpdateOptions{}); err != nil {
			t.Errorf("playing the kubelet: %v", err)
		}
	}
	e := &corev1.Event{ObjectMeta: metav1.ObjectMeta{GenerateName: pod + ".", Namespace: ns}, Type: corev1.EventTypeWarning, Reason: "Unhealthy",
		Message:        "Readiness probe failed: dial tcp 127.0.0.1:8080: connect: connection refused",
		InvolvedObject: corev1.ObjectReference{Kind: "Pod", Name: pod, Namespace: ns, FieldPath: "spec.containers{queue-proxy}"},
		FirstTimestamp: metav1.Now(), LastTimestamp: metav1.Now(), Count: 1}
	_, _ = cs.CoreV1().Events(ns).Create(ctx, e, metav1.CreateOptions{})
	deadline, _ := time.ParseDuration(ksvc.Spec.Template.Annotations["serving.knative.dev/progress-deadline"])
	ready := duckv1.Conditions{{Type: apis.ConditionReady, Status: corev1.ConditionUnknown, Reason: "Deploying"}}
	if deadline > 0 && time.Since(*began) > deadline {
		ready = duckv1.Conditions{{Type: apis.ConditionReady, Status: corev1.ConditionFalse, Reason: "RevisionFailed",
			Message: fmt.Sprintf("Revision %q failed with message: Initial scale was never achieved.", rev)}}
	}
	ksvc.Status.ObservedGeneration = ksvc.Generation
	ksvc.Status.Conditions = ready
	ksvc.Status.LatestCreatedRevisionName = rev
	_, _ = sv.Services(ns).UpdateStatus(ctx, ksvc, metav1.UpdateOptions{})
}

// A revision whose container runs but never passes its readiness probe
// (it listens on another port than $PORT): the run warns with the probe's
// message and the hint, and ends when Knative gives up at ready-timeout,
// with the probe's reason, not at the run's overall timeout.
func TestIntegrationReadinessThatNeverPasses(t *testing.T) {
	const ns = "stuck"
	env, cs, sv, dir := releaseBed(t)
	ctx := t.Context()
	testenv.PlayKnative(t, cs)
	play(t, func() bool { return loadBalancer(ctx, cs) })
	var began time.Time
	play(t, func() bool {
		stuckController(ctx, t, cs, sv, ns, "web", &began)
		time.Sleep(time.Second) // the kubelet probes every second
		return false
	})
	kc := filepath.Join(t.TempDir(), "kubeconfig")
	if err := os.WriteFile(kc, env.Kubeconfig("e2e"), 0o600); err != nil {
		t.Fatal(err)
	}
	r := runMain(ctx, []string{"up", "--cluster", "kubeconfig", "--kubeconfig", kc, "--manifests-url", dir,
		"--image", "ghcr.io/acme/web:1", "--service", "web", "--namespace", ns, "--ready-timeout", "30s", "--timeout", "10m",
		"--cold-start-samples", "0", "--smoke-requests", "0"}, nil)
	if os.Getenv("E2E_LOG") != "" {
		t.Logf("log:\n%s", r.stderr)
	}
	if r.code == exitOK {
		t.Fatalf("the run passed:\n%s", r.stderr)
	}
	for _, want := range []string{
		"warning: Knative Service stuck/web: pod web-00001-deployment-stuck: the readiness probe of container user-container has failed for",
		"listens on another port than $PORT",
		"RevisionFailed", "Initial scale was never achieved",
		"its readiness probe kept failing: dial tcp 127.0.0.1:8080: connect: connection refused",
	} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("the run's log lacks %q:\n%s", want, r.stderr)
		}
	}
	if strings.Contains(r.stderr, "was not Ready within") || strings.Contains(r.stderr, "context deadline exceeded") {
		t.Errorf("the run ended at a timeout, not when Knative gave up:\n%s", r.stderr)
	}
}
