package deploy

import (
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	servingv1 "knative.dev/serving/pkg/apis/serving/v1"

	"github.com/knative-preview/action/internal/appfile"
	"github.com/knative-preview/action/internal/kube"
)

// fileService is a primary Service as a repository writes it, with a
// value of its own wherever an input may set one.
const fileService = `apiVersion: serving.knative.dev/v1
kind: Service
metadata:
  name: web
  labels: {team: file, tier: file}
  annotations: {owner: file, note: file}
spec:
  template:
    metadata:
      labels: {tier: file}
      annotations:
        owner: file
        autoscaling.knative.dev/min-scale: "2"
        autoscaling.knative.dev/max-scale: "9"
        autoscaling.knative.dev/window: 60s
        serving.knative.dev/progress-deadline: 600s
    spec:
      containerConcurrency: 80
      timeoutSeconds: 300
      serviceAccountName: file-sa
      imagePullSecrets: [{name: file-pull}]
      containers:
        - image: ghcr.io/acme/web:1
          args: [--from-file]
          ports: [{name: h2c, containerPort: 9000}]
          env: [{name: A, value: file}, {name: B, value: file}, {name: S, value: file}]
`

// precedence is one input over the file: what the primary Service holds
// with it set.
type precedence struct {
	input string
	set   func(*Options)
	// check fails with what is wrong; the input's value must win and the
	// file's other values stay.
	check func(s *servingv1.Service) string
}

func primaryOf(t *testing.T, edit func(*Options)) *servingv1.Service {
	t.Helper()
	svcs, problems := appfile.ReadServices([]byte(fileService))
	if len(problems) > 0 {
		t.Fatal(problems)
	}
	o := Options{Service: "web", Namespace: "shop", App: &appfile.App{Services: svcs}}
	if edit != nil {
		edit(&o)
	}
	svc := svcs[0].DeepCopy()
	apply(svc, o, "id1", "", nil)
	return svc
}

func envOf(c corev1.Container) map[string]corev1.EnvVar {
	out := map[string]corev1.EnvVar{}
	for _, e := range c.Env {
		out[e.Name] = e
	}
	return out
}

// Every single-Service input over the file: its value wins, lists merge
// by name, and nothing else of the file is dropped.
func TestInputsOverTheFile(t *testing.T) {
	three, ten := int32(3), int64(10)
	zero := int32(0)
	cases := []precedence{
		{"env", func(o *Options) { o.Env = []EnvVar{{"A", "input"}, {"C", "input"}} }, func(s *servingv1.Service) string {
			e := envOf(s.Spec.Template.Spec.Containers[0])
			if e["A"].Value != "input" || e["B"].Value != "file" || e["C"].Value != "input" || e["S"].Value != "file" || len(e) != 4 {
				return "env A and C must be the input's, B and S the file's"
			}
			return ""
		}},
		{"secret-env", func(o *Options) { o.SecretEnv = []EnvVar{{"S", "s3cr3t"}} }, func(s *servingv1.Service) string {
			e := envOf(s.Spec.Template.Spec.Containers[0])
			if ref := e["S"].ValueFrom; ref == nil || ref.SecretKeyRef == nil || ref.SecretKeyRef.Name != "web-secret-env" || e["S"].Value != "" || e["A"].Value != "file" {
				return "S must read the input's Secret, A stay the file's"
			}
			return ""
		}},
		{"port", func(o *Options) { o.Port = 8081 }, func(s *servingv1.Service) string {
			if p := s.Spec.Template.Spec.Containers[0].Ports; len(p) != 1 || p[0].ContainerPort != 8081 || p[0].Name != "h2c" {
				return "the port must be the input's, its name (h2c) the file's"
			}
			return ""
		}},
		{"container-args", func(o *Options) { o.Args = []string{"--from-input"} }, func(s *servingv1.Service) string {
			if a := s.Spec.Template.Spec.Containers[0].Args; !slices.Equal(a, []string{"--from-input"}) {
				return "the args (a list without names) must be the input's"
			}
			return ""
		}},
		{"min-scale", func(o *Options) { o.MinScale = &zero }, func(s *servingv1.Service) string {
			if a := s.Spec.Template.Annotations; a[minScaleKey] != "0" || a[maxScaleKey] != "9" || a["autoscaling.knative.dev/window"] != "60s" {
				return "min-scale must be the input's, max-scale and window the file's"
			}
			return ""
		}},
		{"max-scale", func(o *Options) { o.MaxScale = &three }, func(s *servingv1.Service) string {
			if a := s.Spec.Template.Annotations; a[maxScaleKey] != "3" || a[minScaleKey] != "2" {
				return "max-scale must be the input's, min-scale the file's"
			}
			return ""
		}},
		{"concurrency", func(o *Options) { o.Concurrency = &ten }, func(s *servingv1.Service) string {
			if c := s.Spec.Template.Spec.ContainerConcurrency; c == nil || *c != 10 {
				return "containerConcurrency must be the input's"
			}
			return ""
		}},
		{"request-timeout", func(o *Options) { o.RequestTimeout = 30 * time.Second }, func(s *servingv1.Service) string {
			if c := s.Spec.Template.Spec.TimeoutSeconds; c == nil || *c != 30 {
				return "timeoutSeconds must be the input's"
			}
			return ""
		}},
		{"annotations", func(o *Options) {
			o.Annotations = map[string]string{"owner": "input", "autoscaling.knative.dev/window": "6s"}
		}, func(s *servingv1.Service) string {
			a, ta := s.Annotations, s.Spec.Template.Annotations
			if a["owner"] != "input" || a["note"] != "file" || ta["owner"] != "input" || ta["autoscaling.knative.dev/window"] != "6s" || ta[minScaleKey] != "2" {
				return "owner and window must be the input's, note and min-scale the file's"
			}
			return ""
		}},
		{"labels", func(o *Options) { o.Labels = map[string]string{"tier": "input"} }, func(s *servingv1.Service) string {
			if s.Labels["tier"] != "input" || s.Labels["team"] != "file" || s.Spec.Template.Labels["tier"] != "input" {
				return "tier must be the input's, team the file's"
			}
			return ""
		}},
		{"service-account", func(o *Options) { o.ServiceAccount = "input-sa" }, func(s *servingv1.Service) string {
			if s.Spec.Template.Spec.ServiceAccountName != "input-sa" {
				return "the service account must be the input's"
			}
			return ""
		}},
		{"visibility", func(o *Options) { o.Visibility = VisibilityClusterLocal }, func(s *servingv1.Service) string {
			if s.Labels[visibilityKey] != string(VisibilityClusterLocal) || s.Labels["team"] != "file" {
				return "cluster-local must be the input's"
			}
			return ""
		}},
		{"registry-username", func(o *Options) { o.Registry = &RegistryAuth{Server: "ghcr.io", Username: "bot", Password: "pw"} }, func(s *servingv1.Service) string {
			var names []string
			for _, r := range s.Spec.Template.Spec.ImagePullSecrets {
				names = append(names, r.Name)
			}
			if !slices.Equal(names, []string{"file-pull", "web-registry"}) {
				return "imagePullSecrets must merge by name: the file's, then the login's"
			}
			return ""
		}},
		{"ready-timeout", func(o *Options) { o.ReadyTimeout = 90 * time.Second }, func(s *servingv1.Service) string {
			if s.Spec.Template.Annotations[progressDeadlineKey] != "90s" {
				return "the progress deadline must be the input's"
			}
			return ""
		}},
		{"image", func(o *Options) { o.Image = "ghcr.io/acme/web:pr-7" }, func(s *servingv1.Service) string {
			// The image input goes in by repository when the file is read
			// (appfile's tests); the primary's container keeps what it has.
			if s.Spec.Template.Spec.Containers[0].Image != "ghcr.io/acme/web:1" {
				return "apply must not set the image of a file's container"
			}
			return ""
		}},
	}
	covered := map[string]bool{"registry-password": true, "service": true, "namespace": true, "mode": true, "tag": true}
	for _, c := range cases {
		covered[c.input] = true
		t.Run(c.input, func(t *testing.T) {
			if why := c.check(primaryOf(t, c.set)); why != "" {
				t.Error(why)
			}
		})
	}
	// Without the input, the file's value is what runs.
	plain := primaryOf(t, nil)
	c := plain.Spec.Template.Spec
	if *c.ContainerConcurrency != 80 || *c.TimeoutSeconds != 300 || c.ServiceAccountName != "file-sa" || plain.Spec.Template.Annotations[minScaleKey] != "2" ||
		plain.Spec.Template.Annotations[progressDeadlineKey] != "600s" || !slices.Equal(c.Containers[0].Args, []string{"--from-file"}) || c.Containers[0].Ports[0].ContainerPort != 9000 {
		t.Errorf("with no input set the file's values changed: %+v", c)
	}
	if plain.Labels[kube.ManagedByLabel] != kube.ManagedByValue || plain.Spec.Template.Annotations[deployIDKey] != "id1" {
		t.Error("the primary lacks what every Service of a preview carries")
	}
	for _, d := range Inputs[:len(Inputs)-len(appInputs)] {
		if !covered[d.Name] {
			t.Errorf("input %s has no case here showing its precedence over the file", d.Name)
		}
	}
}

// The app's other Services keep the file as written: only what every
// Service of the preview carries is added.
func TestOtherServicesKeepTheFile(t *testing.T) {
	svcs, _ := appfile.ReadServices([]byte(strings.Replace(fileService, "name: web", "name: api", 1)))
	o := fullOptions()
	o.Service, o.App, o.ReadyTimeout = "web", &appfile.App{Services: svcs}, time.Minute
	o.Registry = &RegistryAuth{Server: "ghcr.io", Username: "bot", Password: "pw"}
	o.Derived.PullRequest = &PullRequest{Number: 7}
	svc := svcs[0].DeepCopy()
	applyOther(svc, o, "id1", []string{"ghcr.io"})
	c := svc.Spec.Template.Spec
	if *c.ContainerConcurrency != 80 || c.ServiceAccountName != "file-sa" || len(c.Containers[0].Env) != 3 || svc.Labels["team"] != "file" || svc.Labels[visibilityKey] != "" {
		t.Errorf("an input reached a Service that is not the primary: %+v", svc)
	}
	a := svc.Spec.Template.Annotations
	if a[deployIDKey] != "id1" || a[progressDeadlineKey] != "60s" || svc.Labels[pullRequestLabel] != "7" || svc.Labels[kube.ManagedByLabel] != kube.ManagedByValue {
		t.Errorf("what every Service carries is missing: %v %v", a, svc.Labels)
	}
	if c.Containers[0].ImagePullPolicy != corev1.PullIfNotPresent {
		t.Error("an image loaded into the nodes would be pulled")
	}
	if len(c.ImagePullSecrets) != 2 || c.ImagePullSecrets[1].Name != "web-registry" {
		t.Errorf("the registry login is not among every Service's imagePullSecrets: %v", c.ImagePullSecrets)
	}
}

// What measuring adds to the measured Service's revisions never replaces
// what the user set: in the file or in input annotations.
func TestWithMeasuredAnnotations(t *testing.T) {
	// add sets its own values whatever is there: what the user set must
	// survive it all the same.
	add := func(m map[string]string) map[string]string {
		return withAll(m, map[string]string{"autoscaling.knative.dev/window": "6s", "autoscaling.knative.dev/scale-to-zero-pod-retention-period": "0s"})
	}
	svcs, _ := appfile.ReadServices([]byte(fileService + "---\n" + strings.Replace(fileService, "name: web", "name: api", 1)))
	o := Options{Service: "web", App: &appfile.App{Services: svcs}}
	got := o.WithMeasuredAnnotations(add)
	if got.Annotations["autoscaling.knative.dev/window"] != "" || got.Annotations["autoscaling.knative.dev/scale-to-zero-pod-retention-period"] != "0s" {
		t.Errorf("the primary: input annotations %v (the file's window stays)", got.Annotations)
	}
	o.Measured = "api"
	got = o.WithMeasuredAnnotations(add)
	a := got.App.Service("api").Spec.Template.Annotations
	if a["autoscaling.knative.dev/window"] != "60s" || a["autoscaling.knative.dev/scale-to-zero-pod-retention-period"] != "0s" || len(got.Annotations) > 0 {
		t.Errorf("api: %v, input annotations %v", a, got.Annotations)
	}
	if _, ok := svcs[1].Spec.Template.Annotations["autoscaling.knative.dev/scale-to-zero-pod-retention-period"]; ok {
		t.Error("the options' app was changed, not a copy")
	}
	img := Options{Service: "web", Image: "x", Annotations: map[string]string{"autoscaling.knative.dev/window": "20s"}}.WithMeasuredAnnotations(add)
	if img.Annotations["autoscaling.knative.dev/window"] != "20s" || img.Annotations["autoscaling.knative.dev/scale-to-zero-pod-retention-period"] != "0s" {
		t.Errorf("one image: %v", img.Annotations)
	}
}
