package deploy

import (
	"reflect"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	servingv1 "knative.dev/serving/pkg/apis/serving/v1"

	"github.com/knative-preview/action/internal/kube"
)

func fullOptions() Options {
	one, five, ten := int32(1), int32(5), int64(10)
	return Options{
		Service: "web", Namespace: "ns", Image: "ghcr.io/o/web:v2",
		Env:            []EnvVar{{"A", "1"}},
		SecretEnv:      []EnvVar{{"TOKEN", "s3cr3t"}},
		Port:           3000,
		Args:           []string{"serve"},
		MinScale:       &one,
		MaxScale:       &five,
		Concurrency:    &ten,
		RequestTimeout: 2 * time.Minute,
		Annotations:    map[string]string{"example.com/a": "x", "autoscaling.knative.dev/window": "30s"},
		Labels:         map[string]string{"team": "web"},
		ServiceAccount: "runner",
		Visibility:     VisibilityClusterLocal,
	}
}

func TestApplyNewService(t *testing.T) {
	o := fullOptions()
	svc := newService(o)
	apply(svc, o, "id123", "", nil)

	if svc.Labels[kube.ManagedByLabel] != kube.ManagedByValue || svc.Labels["team"] != "web" || svc.Labels[visibilityKey] != string(VisibilityClusterLocal) {
		t.Errorf("service labels: %v", svc.Labels)
	}
	if svc.Annotations["example.com/a"] != "x" {
		t.Errorf("service annotations: %v", svc.Annotations)
	}
	if _, ok := svc.Annotations["autoscaling.knative.dev/window"]; ok {
		t.Errorf("autoscaling annotation on the Service (Knative refuses it there): %v", svc.Annotations)
	}
	tm := svc.Spec.Template
	wantTA := map[string]string{
		"example.com/a": "x", "autoscaling.knative.dev/window": "30s",
		minScaleKey: "1", maxScaleKey: "5", deployIDKey: "id123",
	}
	if !reflect.DeepEqual(tm.Annotations, wantTA) {
		t.Errorf("template annotations: got %v, want %v", tm.Annotations, wantTA)
	}
	if tm.Labels["team"] != "web" {
		t.Errorf("template labels: %v", tm.Labels)
	}
	if tm.Name != "" {
		t.Errorf("untagged deploy named its revision %q; Knative should", tm.Name)
	}
	c := tm.Spec.Containers[0]
	if c.Image != o.Image || !reflect.DeepEqual(c.Args, []string{"serve"}) || len(c.Ports) != 1 || c.Ports[0].ContainerPort != 3000 {
		t.Errorf("container: %+v", c)
	}
	wantEnv := []corev1.EnvVar{
		{Name: "A", Value: "1"},
		{Name: "TOKEN", ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{
			LocalObjectReference: corev1.LocalObjectReference{Name: "web-secret-env"}, Key: "TOKEN"}}},
	}
	if !reflect.DeepEqual(c.Env, wantEnv) {
		t.Errorf("env: got %+v, want %+v", c.Env, wantEnv)
	}
	if *tm.Spec.ContainerConcurrency != 10 || *tm.Spec.TimeoutSeconds != 120 || tm.Spec.ServiceAccountName != "runner" {
		t.Errorf("spec: concurrency %v timeout %v account %q", *tm.Spec.ContainerConcurrency, *tm.Spec.TimeoutSeconds, tm.Spec.ServiceAccountName)
	}
	if len(svc.Spec.Traffic) != 0 {
		t.Errorf("untagged deploy wrote traffic: %+v", svc.Spec.Traffic)
	}
}

// userService is a Service someone made and edited by hand.
func userService() *servingv1.Service {
	svc := &servingv1.Service{}
	svc.Name, svc.Namespace = "web", "ns"
	svc.Labels = map[string]string{"owner": "alice", kube.ManagedByLabel: "helm"}
	svc.Annotations = map[string]string{"example.com/ticket": "T-1"}
	svc.Spec.Template.Annotations = map[string]string{"autoscaling.knative.dev/target": "70"}
	svc.Spec.Template.Labels = map[string]string{"tier": "front"}
	svc.Spec.Template.Name = "web-handmade"
	svc.Spec.Template.Spec.Containers = []corev1.Container{
		{Name: "log-shipper", Image: "fluent:1"},
		{
			Name:  "app",
			Image: "ghcr.io/o/web:v1",
			Ports: []corev1.ContainerPort{{Name: "h2c", ContainerPort: 9000}},
			Env:   []corev1.EnvVar{{Name: "USER_VAR", Value: "kept"}, {Name: "A", Value: "old"}},
			Resources: corev1.ResourceRequirements{Limits: corev1.ResourceList{
				corev1.ResourceMemory: resource.MustParse("256Mi"),
			}},
		},
	}
	svc.Spec.Template.Spec.ImagePullSecrets = []corev1.LocalObjectReference{{Name: "regcred"}}
	return svc
}

func TestApplyKeepsTheUsersFields(t *testing.T) {
	svc := userService()
	o := Options{Service: "web", Namespace: "ns", Image: "ghcr.io/o/web:v2", Env: []EnvVar{{"A", "new"}}, Port: 8081, Labels: map[string]string{"team": "web"}}
	apply(svc, o, "id1", "", nil)

	if svc.Labels["owner"] != "alice" || svc.Labels[kube.ManagedByLabel] != "helm" || svc.Labels["team"] != "web" {
		t.Errorf("labels: %v (the user's must stay, ours be added, managed-by not taken over)", svc.Labels)
	}
	if svc.Annotations["example.com/ticket"] != "T-1" {
		t.Errorf("annotations: %v", svc.Annotations)
	}
	tm := svc.Spec.Template
	if tm.Annotations["autoscaling.knative.dev/target"] != "70" || tm.Labels["tier"] != "front" || tm.Labels["team"] != "web" {
		t.Errorf("template metadata: %v %v", tm.Annotations, tm.Labels)
	}
	if tm.Name != "" {
		t.Errorf("template name %q kept: Knative refuses a changed template with the same name", tm.Name)
	}
	if len(tm.Spec.Containers) != 2 || tm.Spec.Containers[0].Image != "fluent:1" {
		t.Fatalf("sidecar changed: %+v", tm.Spec.Containers)
	}
	app := tm.Spec.Containers[1]
	if app.Image != "ghcr.io/o/web:v2" {
		t.Errorf("image of the serving container (the one with the port): %q", app.Image)
	}
	if app.Ports[0].Name != "h2c" || app.Ports[0].ContainerPort != 8081 {
		t.Errorf("port: %+v (name kept, number ours)", app.Ports)
	}
	wantEnv := []corev1.EnvVar{{Name: "USER_VAR", Value: "kept"}, {Name: "A", Value: "new"}}
	if !reflect.DeepEqual(app.Env, wantEnv) {
		t.Errorf("env: got %v, want %v", app.Env, wantEnv)
	}
	if app.Resources.Limits.Memory().String() != "256Mi" || len(tm.Spec.ImagePullSecrets) != 1 {
		t.Errorf("resources or pull secrets lost: %+v %+v", app.Resources, tm.Spec.ImagePullSecrets)
	}
}

// What a run set and the next run's inputs no longer set is removed; what
// the user set is not, even under the same kind of field.
func TestApplyRemovesWhatTheLastRunSetOnly(t *testing.T) {
	svc := userService()
	first := fullOptions()
	first.Visibility = VisibilityClusterLocal
	apply(svc, first, "id1", "", nil)

	second := Options{Service: "web", Namespace: "ns", Image: "ghcr.io/o/web:v3", Visibility: VisibilityExternal}
	apply(svc, second, "id2", "", nil)

	tm := svc.Spec.Template
	app := tm.Spec.Containers[1]
	if !reflect.DeepEqual(app.Env, []corev1.EnvVar{{Name: "USER_VAR", Value: "kept"}}) {
		t.Errorf("env: %+v, want only the user's", app.Env)
	}
	if app.Ports != nil || app.Args != nil {
		t.Errorf("port/args set by the first run remain: %+v %+v", app.Ports, app.Args)
	}
	if tm.Spec.ContainerConcurrency != nil || tm.Spec.TimeoutSeconds != nil || tm.Spec.ServiceAccountName != "" {
		t.Errorf("scalar fields of the first run remain: %+v", tm.Spec)
	}
	for _, k := range []string{minScaleKey, maxScaleKey, "example.com/a", "autoscaling.knative.dev/window"} {
		if _, ok := tm.Annotations[k]; ok {
			t.Errorf("template annotation %s of the first run remains", k)
		}
	}
	if tm.Annotations["autoscaling.knative.dev/target"] != "70" || tm.Annotations[deployIDKey] != "id2" {
		t.Errorf("template annotations: %v", tm.Annotations)
	}
	if _, ok := svc.Labels["team"]; ok {
		t.Errorf("label of the first run remains: %v", svc.Labels)
	}
	if _, ok := svc.Labels[visibilityKey]; ok {
		t.Errorf("visibility label of the first run remains: %v", svc.Labels)
	}
	if svc.Labels["owner"] != "alice" || svc.Annotations["example.com/ticket"] != "T-1" {
		t.Errorf("the user's metadata changed: %v %v", svc.Labels, svc.Annotations)
	}
}

func TestApplyTagPinsTheMainRoute(t *testing.T) {
	svc := userService()
	svc.Status.LatestReadyRevisionName = "web-00001"
	svc.Spec.Traffic = []servingv1.TrafficTarget{
		{LatestRevision: ptr(true), Percent: ptr(int64(100))},
		{Tag: "pr-7", RevisionName: "web-pr-7-old", Percent: ptr(int64(0))},
		{Tag: "stable", RevisionName: "web-00000", Percent: ptr(int64(0))},
		{Tag: "latest", LatestRevision: ptr(true), Percent: ptr(int64(0))},
	}
	o := Options{Service: "web", Namespace: "ns", Image: "x", Tag: "pr-7"}
	apply(svc, o, "abcde", "web-pr-7-abcde", nil)

	want := []servingv1.TrafficTarget{
		{RevisionName: "web-00001", LatestRevision: ptr(false), Percent: ptr(int64(100))},
		{Tag: "stable", RevisionName: "web-00000", Percent: ptr(int64(0))},
		{Tag: "latest", LatestRevision: ptr(true), Percent: ptr(int64(0))},
		{Tag: "pr-7", RevisionName: "web-pr-7-abcde", Percent: ptr(int64(0))},
	}
	if !reflect.DeepEqual(svc.Spec.Traffic, want) {
		t.Errorf("traffic:\n got %s\nwant %s", traffic(svc.Spec.Traffic), traffic(want))
	}
	if svc.Spec.Template.Name != "web-pr-7-abcde" {
		t.Errorf("template name %q", svc.Spec.Template.Name)
	}

	// An untagged run gives the main route back to the latest revision.
	apply(svc, Options{Service: "web", Namespace: "ns", Image: "y"}, "fghij", "", nil)
	main := svc.Spec.Traffic[0]
	if main.RevisionName != "" || main.LatestRevision == nil || !*main.LatestRevision || *main.Percent != 100 {
		t.Errorf("main route after an untagged run: %s", traffic(svc.Spec.Traffic[:1]))
	}
	if svc.Spec.Traffic[3].RevisionName != "web-pr-7-abcde" {
		t.Errorf("tag entries changed by an untagged run: %s", traffic(svc.Spec.Traffic))
	}
}

func TestApplyTagOnANewService(t *testing.T) {
	o := Options{Service: "web", Namespace: "ns", Image: "x", Tag: "pr-7"}
	svc := newService(o)
	apply(svc, o, "abcde", "web-pr-7-abcde", nil)
	want := []servingv1.TrafficTarget{
		{LatestRevision: ptr(true), Percent: ptr(int64(100))},
		{Tag: "pr-7", RevisionName: "web-pr-7-abcde", Percent: ptr(int64(0))},
	}
	if !reflect.DeepEqual(svc.Spec.Traffic, want) {
		t.Errorf("traffic:\n got %s\nwant %s", traffic(svc.Spec.Traffic), traffic(want))
	}
}

func traffic(ts []servingv1.TrafficTarget) string {
	s := ""
	for _, t := range ts {
		latest := "-"
		if t.LatestRevision != nil {
			latest = map[bool]string{true: "latest", false: "pinned"}[*t.LatestRevision]
		}
		pct := "nil"
		if t.Percent != nil {
			pct = itoa(*t.Percent)
		}
		s += "{tag=" + t.Tag + " rev=" + t.RevisionName + " " + latest + " " + pct + "%} "
	}
	return s
}
