package deploy

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	kubefake "k8s.io/client-go/kubernetes/fake"

	"github.com/knative-preview/action/internal/appfile"
)

const objNS = "shop-pr-7"

// tickingClock moves one second each time it is read: a look of the wait
// reads it once.
func tickingClock() func() time.Time {
	var mu sync.Mutex
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	return func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		now = now.Add(time.Second)
		return now
	}
}

func redisObjects(t *testing.T) []*unstructured.Unstructured {
	t.Helper()
	objs, problems := appfile.ReadObjects("objects.yaml", []byte(`apiVersion: apps/v1
kind: Deployment
metadata: {name: redis}
spec: {selector: {matchLabels: {app: redis}}, template: {metadata: {labels: {app: redis}}, spec: {containers: [{name: redis, image: redis:7}]}}}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: settings}
---
apiVersion: batch/v1
kind: Job
metadata: {name: migrate}
spec: {template: {spec: {restartPolicy: Never, containers: [{name: migrate, image: app}]}}}
`))
	if len(problems) > 0 {
		t.Fatal(problems)
	}
	return objs
}

// redis is the app's redis Deployment, at generation 2: rolled out, or
// with its update still rolling out while the old pod of generation 1
// serves (Available all along, as the controller says).
func redis(rolledOut bool) *appsv1.Deployment {
	d := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "redis", Namespace: objNS, Generation: 2, UID: "redis-uid"},
		Spec: appsv1.DeploymentSpec{Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "redis"}}}}
	d.Status.ObservedGeneration = 2
	d.Status.Conditions = []appsv1.DeploymentCondition{{Type: appsv1.DeploymentAvailable, Status: corev1.ConditionTrue}}
	d.Status.Replicas, d.Status.UpdatedReplicas, d.Status.ReadyReplicas, d.Status.AvailableReplicas = 2, 1, 1, 1
	if rolledOut {
		d.Status.Replicas = 1
	}
	return d
}

// redisSet is the ReplicaSet of revision rev of the redis Deployment.
func redisSet(rev string) *appsv1.ReplicaSet {
	yes := true
	return &appsv1.ReplicaSet{ObjectMeta: metav1.ObjectMeta{Name: "redis-" + rev, Namespace: objNS, Labels: map[string]string{"app": "redis"},
		Annotations:     map[string]string{revisionAnnotation: rev},
		OwnerReferences: []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "Deployment", Name: "redis", UID: "redis-uid", Controller: &yes}}}}
}

// ownedBy makes p a pod of the redis ReplicaSet of revision rev.
func ownedBy(p *corev1.Pod, rev string) *corev1.Pod {
	yes := true
	p.Name = "redis-" + rev + "-x1"
	p.OwnerReferences = []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "ReplicaSet", Name: "redis-" + rev, Controller: &yes}}
	return p
}

func migrate(conds ...batchv1.JobCondition) *batchv1.Job {
	return &batchv1.Job{ObjectMeta: metav1.ObjectMeta{Name: "migrate", Namespace: objNS},
		Spec:   batchv1.JobSpec{Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"job-name": "migrate"}}},
		Status: batchv1.JobStatus{Conditions: conds}}
}

// redisPod is a pod of redis with status; its container is named redis,
// as the Deployment's template names it.
func redisPod(status corev1.PodStatus) *corev1.Pod {
	for i := range status.ContainerStatuses {
		status.ContainerStatuses[i].Name = "redis"
	}
	return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "redis-7d9f-x1", Namespace: objNS, Labels: map[string]string{"app": "redis"}},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "redis", Image: "redis:7"}}}, Status: status}
}

var complete = batchv1.JobCondition{Type: batchv1.JobComplete, Status: corev1.ConditionTrue}

// The wait for the objects beside the Services: ready when the Deployment
// is rolled out and the Job complete; a pod that cannot start or a failed
// Job ends it at once; a probe that keeps failing is warned about, and at
// the deadline the diagnosis says what the probe said.
func TestWaitObjects(t *testing.T) {
	running := redisPod(corev1.PodStatus{Phase: corev1.PodRunning,
		Conditions:        []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionFalse}},
		ContainerStatuses: []corev1.ContainerStatus{{State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}}}})
	crashing := func() corev1.PodStatus {
		return waitingPod("CrashLoopBackOff", "back-off 5m0s restarting failed container")
	}
	probeEvent := unhealthy("redis-7d9f-x1", 1)
	probeEvent.Namespace, probeEvent.InvolvedObject.FieldPath = objNS, "spec.containers{redis}"
	failedPod := redisPod(corev1.PodStatus{})
	failedPod.Name, failedPod.Labels = "migrate-x1", map[string]string{"job-name": "migrate"}
	failedPod.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: "migrate", State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 3, Reason: "Error"}}}}
	cases := []struct {
		name    string
		objects []runtime.Object
		limit   time.Duration
		err     []string // nil: ready
		warn    []string
	}{
		{"ready", []runtime.Object{redis(true), migrate(complete)}, time.Minute, nil, nil},
		{"a pod that cannot pull its image", []runtime.Object{redis(false), migrate(complete), redisPod(waitingPod("ImagePullBackOff", `Back-off pulling image "redis:7"`))}, time.Minute,
			[]string{"Deployment redis cannot become ready: pod redis-7d9f-x1: container redis: ImagePullBackOff", "check that the image exists"}, nil},
		{"a Job that failed", []runtime.Object{redis(true), migrate(batchv1.JobCondition{Type: batchv1.JobFailed, Status: corev1.ConditionTrue, Reason: "BackoffLimitExceeded", Message: "Job has reached the specified backoff limit"}), failedPod}, time.Minute,
			[]string{"Job migrate cannot become ready: pod migrate-x1: container migrate: BackoffLimitExceeded: Job has reached the specified backoff limit (its container migrate exited with code 3 Error)", "last lines of the container's log:\nfake logs"}, nil},
		{"a probe that keeps failing", []runtime.Object{redis(false), migrate(complete), running, &probeEvent}, 300 * time.Millisecond,
			[]string{"the objects beside the Services in namespace shop-pr-7 were not ready within 300ms (ready-timeout)", "- Deployment shop-pr-7/redis: 1/1 replicas ready",
				"the readiness probe of container redis in pod redis-7d9f-x1 keeps failing: dial tcp 127.0.0.1:8080: connect: connection refused", "fake logs"},
			[]string{"pod redis-7d9f-x1: the readiness probe of container redis has failed for 20s", workloadHint}},
		// An update is not ready while the old pods serve, though the
		// Deployment is Available all along.
		{"an update still rolling out", []runtime.Object{redis(false), migrate(complete), redisSet("1"), redisSet("2"), ownedBy(redisPod(corev1.PodStatus{Phase: corev1.PodPending}), "2")}, 50 * time.Millisecond,
			[]string{"were not ready within 50ms", "- Deployment shop-pr-7/redis"}, nil},
		// The crash loop of the last deploy's pod is not this rollout's
		// failure; the same crash in the new pod is.
		{"the old ReplicaSet's pod crashing", []runtime.Object{redis(false), migrate(complete), redisSet("1"), redisSet("2"), ownedBy(redisPod(crashing()), "1"), ownedBy(redisPod(corev1.PodStatus{Phase: corev1.PodPending}), "2")}, 50 * time.Millisecond,
			[]string{"were not ready within 50ms"}, nil},
		{"the new ReplicaSet's pod crashing", []runtime.Object{redis(false), migrate(complete), redisSet("1"), redisSet("2"), ownedBy(redisPod(crashing()), "2")}, time.Minute,
			[]string{"Deployment redis cannot become ready: pod redis-2-x1: container redis: CrashLoopBackOff"}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cs := kubefake.NewClientset(c.objects...)
			l := &lines{}
			err := waitObjects(context.Background(), &Deployer{Now: tickingClock()}, cs, objNS, redisObjects(t), 5*time.Millisecond, c.limit, l)
			switch {
			case c.err == nil && err != nil:
				t.Fatalf("the wait failed: %v", err)
			case c.err != nil && err == nil:
				t.Fatal("the wait passed")
			}
			for _, want := range c.err {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("the error lacks %q:\n%v", want, err)
				}
			}
			if c.name == "a probe that keeps failing" && !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("the timeout does not wrap the deadline: %v", err)
			}
			warnings := strings.Join(l.warnings(), "\n")
			for _, want := range c.warn {
				if !strings.Contains(warnings, want) {
					t.Errorf("the warnings lack %q:\n%s", want, warnings)
				}
			}
			if len(c.warn) == 0 && warnings != "" {
				t.Errorf("unexpected warnings:\n%s", warnings)
			}
		})
	}
}

// The objects are applied in the preview's namespace, labelled, their
// loaded images not pulled and the registry login listed for their pods.
func TestPrepareObjects(t *testing.T) {
	o := Options{Namespace: objNS, Service: "web", Registry: &RegistryAuth{Server: "ghcr.io"}, Derived: Derived{PullRequest: &PullRequest{Number: 7}}}
	objs := redisObjects(t)
	out := prepareObjects(objs, o, []string{"index.docker.io"})
	d := out[0]
	if d.GetNamespace() != objNS || d.GetLabels()[pullRequestLabel] != "7" || d.GetLabels()["app.kubernetes.io/managed-by"] != "knative-preview" {
		t.Errorf("Deployment %s/%s labels %v", d.GetNamespace(), d.GetName(), d.GetLabels())
	}
	containers, _, _ := unstructured.NestedSlice(d.Object, "spec", "template", "spec", "containers")
	if policy, _ := containers[0].(map[string]any)["imagePullPolicy"].(string); policy != "IfNotPresent" {
		t.Errorf("redis:7, loaded into the nodes, is pulled: %q", policy)
	}
	secrets, _, _ := unstructured.NestedSlice(d.Object, "spec", "template", "spec", "imagePullSecrets")
	if len(secrets) != 1 || secrets[0].(map[string]any)["name"] != "web-registry" {
		t.Errorf("imagePullSecrets %v", secrets)
	}
	if _, found, _ := unstructured.NestedSlice(out[1].Object, "spec", "template", "spec", "imagePullSecrets"); found {
		t.Error("a ConfigMap got a pod spec")
	}
	if objs[0].GetNamespace() != "" {
		t.Error("the options' objects were changed, not copies")
	}
}
