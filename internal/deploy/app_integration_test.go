package deploy

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/knative-preview/action/internal/kube"
	"github.com/knative-preview/action/internal/testenv"
)

// playObjects plays, until the test ends, the controllers and the kubelet
// for the objects beside an app in namespace ns: every Deployment
// Available, every Job complete.
func playObjects(t *testing.T, cs kubernetes.Interface, ns string) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	t.Cleanup(func() { cancel(); <-done })
	go func() {
		defer close(done)
		for ctx.Err() == nil {
			if list, err := cs.AppsV1().Deployments(ns).List(ctx, metav1.ListOptions{}); err == nil {
				for _, d := range list.Items {
					if kube.DeploymentRolledOut(&d) {
						continue
					}
					testenv.RolledOut(&d)
					_, _ = cs.AppsV1().Deployments(ns).UpdateStatus(ctx, &d, metav1.UpdateOptions{})
				}
			}
			if list, err := cs.BatchV1().Jobs(ns).List(ctx, metav1.ListOptions{}); err == nil {
				for _, j := range list.Items {
					if done, _ := kube.JobFinished(&j); done {
						continue
					}
					now := metav1.Now()
					j.Status.StartTime, j.Status.CompletionTime, j.Status.Succeeded = &now, &now, 1
					j.Status.Conditions = []batchv1.JobCondition{
						{Type: batchv1.JobSuccessCriteriaMet, Status: corev1.ConditionTrue},
						{Type: batchv1.JobComplete, Status: corev1.ConditionTrue},
					}
					_, _ = cs.BatchV1().Jobs(ns).UpdateStatus(ctx, &j, metav1.UpdateOptions{})
				}
			}
			select {
			case <-ctx.Done():
			case <-time.After(50 * time.Millisecond):
			}
		}
	}()
}

// writeFile writes a file of the test's and returns its path.
func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

const migrateJob = `apiVersion: batch/v1
kind: Job
metadata: {name: migrate}
spec:
  template:
    spec:
      restartPolicy: Never
      containers: [{name: migrate, image: $IMAGE, args: [migrate]}]
`

// A pull request's preview of the shop: two Services (web calls api by
// its name), a Deployment, a Service and a ConfigMap beside them, and a
// migration Job, in the pull request's own namespace. Both Services are
// Ready and reported; the inputs win over the file on the primary; a
// second deploy runs the Job again; closing the pull request deletes its
// namespace and nothing else.
func TestIntegrationAppPreview(t *testing.T) {
	b := newBed(t)
	env := map[string]string{"GITHUB_REPOSITORY": "acme/shop"}
	raw := shopInputs(map[string]string{"namespace": "auto", "env": "GREETING=from the input", "ready-timeout": "2m",
		"objects": shopObjects + "\n" + writeFile(t, "migrate.yaml", migrateJob)})
	o, errs := parseWith(raw, env, "", &PullRequest{Number: 7, HeadSHA: "0123456789abcdef0123456789abcdef01234567"})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	ns := o.Namespace
	// Another pull request's namespace, which nothing here may touch.
	other := PullRequestNamespace("acme/shop", 8)
	if _, err := b.kube.CoreV1().Namespaces().Create(t.Context(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: other, Labels: objectLabels(&PullRequest{Number: 8})}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	playObjects(t, b.kube, ns)

	res, logged := b.upApp(o, 0)
	if len(res.Services) != 2 || res.Service != "web" || res.URL != "http://web."+ns+".example.com" {
		t.Fatalf("result %+v", res)
	}
	api := res.Services[1]
	if api.Service != "api" || api.URL != "http://api."+ns+".example.com" || api.Route != "skipped (cluster-local)" || api.Revision != "api-00001" {
		t.Errorf("api's result %+v", api)
	}
	for _, want := range []string{"checking 4 objects and 2 Knative Services with the API server", "applying 4 objects", "Deployment redis, Job migrate ready", "the primary: the inputs over the file"} {
		if !strings.Contains(logged, want) {
			t.Errorf("the log lacks %q:\n%s", want, logged)
		}
	}

	nsObj, err := b.kube.CoreV1().Namespaces().Get(t.Context(), ns, metav1.GetOptions{})
	if err != nil || nsObj.Labels[pullRequestLabel] != "7" || nsObj.Labels[kube.ManagedByLabel] != kube.ManagedByValue {
		t.Errorf("namespace %s: %v %v", ns, nsObj.Labels, err)
	}
	web, err := b.serving.Services(ns).Get(t.Context(), "web", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	c := web.Spec.Template.Spec.Containers[0]
	env2 := map[string]string{}
	for _, e := range c.Env {
		env2[e.Name] = e.Value
	}
	if c.Image != "ghcr.io/acme/shop-web:pr-7" || env2["GREETING"] != "from the input" || env2["API_URL"] != "http://api" || len(c.EnvFrom) != 1 || c.ReadinessProbe == nil {
		t.Errorf("web's container: the input must win and the file's fields stay: %+v", c)
	}
	apiSvc, err := b.serving.Services(ns).Get(t.Context(), "api", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	tmpl := apiSvc.Spec.Template
	if tmpl.Spec.Containers[0].Image != "ghcr.io/acme/shop-api:pr-7" || len(tmpl.Spec.Volumes) != 1 || tmpl.Annotations[progressDeadlineKey] != "120s" ||
		tmpl.Annotations["autoscaling.knative.dev/min-scale"] != "1" || tmpl.Labels[pullRequestLabel] != "7" || apiSvc.Labels[kube.ManagedByLabel] != kube.ManagedByValue {
		t.Errorf("api as written: %+v / %+v", apiSvc.ObjectMeta, tmpl)
	}
	redis, err := b.kube.AppsV1().Deployments(ns).Get(t.Context(), "redis", metav1.GetOptions{})
	if err != nil || redis.Labels[pullRequestLabel] != "7" || redis.Labels[kube.ManagedByLabel] != kube.ManagedByValue {
		t.Errorf("redis beside the Services: %v %v", redis, err)
	}
	job, err := b.kube.BatchV1().Jobs(ns).Get(t.Context(), "migrate", metav1.GetOptions{})
	if err != nil || job.Spec.Template.Spec.Containers[0].Image != "ghcr.io/acme/shop-web:pr-7" {
		t.Fatalf("the migration Job: %v", err)
	}

	// A second deploy: a new revision of each, and the Job runs anew.
	if _, logged := b.upApp(o, 1); !strings.Contains(logged, "deleting Job "+ns+"/migrate of the last deploy") {
		t.Errorf("the second deploy did not run the Job anew:\n%s", logged)
	}
	again, err := b.kube.BatchV1().Jobs(ns).Get(t.Context(), "migrate", metav1.GetOptions{})
	if err != nil || again.UID == job.UID {
		t.Errorf("the Job is the first deploy's (%v)", err)
	}

	closed, errs := parseWith(map[string]string{"service-file": "not-checked-out.yaml", "namespace": "auto"}, env, "", &PullRequest{Number: 7, Closed: true})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	if logged := b.down(closed); !strings.Contains(logged, "deleted namespace "+ns+", pull request #7's preview, with everything in it") {
		t.Errorf("Down's log:\n%s", logged)
	}
	if gone, err := b.kube.CoreV1().Namespaces().Get(t.Context(), ns, metav1.GetOptions{}); err == nil && gone.DeletionTimestamp == nil {
		t.Errorf("namespace %s is not being deleted", ns)
	}
	if kept, err := b.kube.CoreV1().Namespaces().Get(t.Context(), other, metav1.GetOptions{}); err != nil || kept.DeletionTimestamp != nil {
		t.Errorf("pull request #8's namespace was touched: %v", err)
	}
	// Closing pull request #8 with #7's namespace name is refused by the
	// labels: only a namespace labelled with the closing pull request goes.
	wrong := closed
	wrong.Namespace = other
	if logged := b.down(wrong); !strings.Contains(logged, "is not pull request #7's preview") {
		t.Errorf("another pull request's namespace:\n%s", logged)
	}
	if kept, err := b.kube.CoreV1().Namespaces().Get(t.Context(), other, metav1.GetOptions{}); err != nil || kept.DeletionTimestamp != nil {
		t.Errorf("pull request #8's namespace was deleted by a close of #7 naming it: %v", err)
	}
}

// upApp runs Up of an app while playing Knative's controller for each of
// its Services (their generation after after), and returns its result and
// log.
func (b *bed) upApp(o Options, after int64) (*Result, string) {
	b.t.Helper()
	done, logged := b.up(deployer(), o)
	for _, name := range o.App.Names() {
		b.serve(o.Namespace, name, after)
	}
	r := b.result(done, time.Minute, "every Service turning Ready")
	if r.err != nil {
		b.t.Fatalf("Up of the app in %s: %v\nlog:\n%s", o.Namespace, r.err, logged())
	}
	return r.res, logged()
}

// What the cluster refuses is refused before anything of the app is
// written, all at once: a namespace made for the check goes again.
func TestIntegrationAppRefusedBeforeAnyWrite(t *testing.T) {
	b := newBed(t)
	env := map[string]string{"GITHUB_REPOSITORY": "acme/refused"}
	twice := writeFile(t, "services.yaml", `apiVersion: serving.knative.dev/v1
kind: Service
metadata: {name: web}
spec:
  template:
    spec:
      containers:
        - image: ghcr.io/acme/web:1
          env: [{name: MODE, value: a}, {name: MODE, value: b}]
`)
	flow := writeFile(t, "flow.yaml", "apiVersion: flowcontrol.apiserver.k8s.io/v1\nkind: FlowSchema\nmetadata: {name: mine}\nspec: {priorityLevelConfiguration: {name: global-default}}\n")
	settings := writeFile(t, "settings.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings}\ndata: {a: b}\n")
	cases := []struct {
		name, namespace string
		raw             map[string]string
		before          func(ns string)
		says            []string
	}{
		{"a Service the API server's schema refuses", "refused-schema", map[string]string{"service-file": twice},
			nil, []string{"Service refused-schema/web", `duplicate entries for key [name="MODE"]`}},
		{"a kind this cluster serves cluster-scoped", "refused-scope", map[string]string{"service-file": shopFile, "image": "ghcr.io/acme/web:1", "objects": flow},
			nil, []string{"FlowSchema mine is cluster-scoped on this cluster"}},
		{"someone else's object of the same name", "refused-theirs", map[string]string{"service-file": shopFile, "image": "ghcr.io/acme/web:1", "objects": settings},
			func(ns string) {
				b.namespace(ns)
				if _, err := b.kube.CoreV1().ConfigMaps(ns).Create(t.Context(), &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "settings"}}, metav1.CreateOptions{}); err != nil {
					t.Fatal(err)
				}
			}, []string{"ConfigMap settings exists in namespace refused-theirs and is not this action's"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b := b.in(t)
			raw := map[string]string{"namespace": c.namespace}
			for k, v := range c.raw {
				raw[k] = v
			}
			o, errs := parseWith(raw, env, "", nil)
			if len(errs) > 0 {
				t.Fatal(errs)
			}
			if c.before != nil {
				c.before(c.namespace)
			}
			done, logged := b.up(deployer(), o)
			r := b.result(done, time.Minute, "the check")
			if r.err == nil || !strings.Contains(r.err.Error(), "refused before anything of it was written") {
				t.Fatalf("Up: %v\n%s", r.err, logged())
			}
			for _, want := range c.says {
				if !strings.Contains(r.err.Error(), want) {
					t.Errorf("the refusal lacks %q:\n%v", want, r.err)
				}
			}
			svcs, err := b.serving.Services(c.namespace).List(t.Context(), metav1.ListOptions{})
			if err != nil && !apierrors.IsNotFound(err) || err == nil && len(svcs.Items) > 0 {
				t.Errorf("a Knative Service was written: %v", svcs)
			}
			if c.before == nil {
				ns, err := b.kube.CoreV1().Namespaces().Get(t.Context(), c.namespace, metav1.GetOptions{})
				if err == nil && ns.DeletionTimestamp == nil {
					t.Errorf("namespace %s is left behind", c.namespace)
				}
			}
			if c.before != nil {
				cm, _ := b.kube.CoreV1().ConfigMaps(c.namespace).Get(t.Context(), "settings", metav1.GetOptions{})
				if cm == nil || len(cm.Data) > 0 || cm.Labels[kube.ManagedByLabel] != "" {
					t.Errorf("their ConfigMap was changed: %+v", cm)
				}
			}
		})
	}
}
