package appfile

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const twoServices = `apiVersion: serving.knative.dev/v1
kind: Service
metadata:
  name: web
spec:
  template:
    spec:
      containers:
        - image: $IMAGE
---
# a comment between documents
---
apiVersion: serving.knative.dev/v1
kind: Service
metadata:
  name: api
spec:
  template:
    spec:
      containers:
        - image: ghcr.io/acme/api:main
`

// Every problem of a file is found at once, each naming its document and,
// for an unknown field, the field's path.
func TestReadServicesIsStrict(t *testing.T) {
	tests := []struct {
		name  string
		yaml  string
		names []string // the Services read
		want  []string // a part of each problem, in order
	}{
		{"two Services and an empty document", twoServices, []string{"web", "api"}, nil},
		{"JSON", `{"apiVersion":"serving.knative.dev/v1","kind":"Service","metadata":{"name":"web"}}`, []string{"web"}, nil},
		{"unknown fields, each by its path", `apiVersion: serving.knative.dev/v1
kind: Service
metadata: {name: web, labelz: {a: b}}
spec:
  template:
    spec:
      containers:
        - image: app
          imagePullPolcy: Always
          ports: [{containerPort: 8080, nam: http}]
`, nil, []string{
			`document 1 (Service web): unknown field "metadata.labelz"`,
			`document 1 (Service web): unknown field "spec.template.spec.containers[0].imagePullPolcy"`,
			`unknown field "spec.template.spec.containers[0].ports[0].nam"`,
		}},
		{"a key twice", "apiVersion: serving.knative.dev/v1\nkind: Service\nmetadata: {name: web}\nmetadata: {name: api}\n", nil, []string{"document 1 is not valid YAML", `"metadata" already set`}},
		{"another kind", twoServices + "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings}\n", []string{"web", "api"},
			[]string{`document 4 (ConfigMap settings) is a ConfigMap "v1", not a Knative Service`, "input objects"}},
		{"an older Knative API", "apiVersion: serving.knative.dev/v1alpha1\nkind: Service\nmetadata: {name: web}\n", nil, []string{`is a Service "serving.knative.dev/v1alpha1", not a Knative Service (apiVersion serving.knative.dev/v1`}},
		{"a value of another type", "apiVersion: serving.knative.dev/v1\nkind: Service\nmetadata: {name: web}\nspec: {template: {spec: {containerConcurrency: many}}}\n", nil, []string{"document 1 (Service web): ", "containerConcurrency"}},
		{"not YAML", "apiVersion: [\n", nil, []string{"document 1 is not valid YAML"}},
		{"a list", "- a\n- b\n", nil, []string{"document 1 is not an object"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svcs, problems := ReadServices([]byte(tt.yaml))
			var names []string
			for _, s := range svcs {
				names = append(names, s.Name)
			}
			if !slices.Equal(names, tt.names) {
				t.Errorf("read %v, want %v", names, tt.names)
			}
			joined := strings.Join(problems, "\n")
			for _, want := range tt.want {
				if !strings.Contains(joined, want) {
					t.Errorf("the problems lack %q:\n%s", want, joined)
				}
			}
			if len(tt.want) == 0 && len(problems) > 0 {
				t.Errorf("unexpected problems:\n%s", joined)
			}
		})
	}
}

// A preview writes only into its own namespace, and Knative Services go in
// the service file.
func TestCheckObjectsRefusesWhatIsNotThePreviews(t *testing.T) {
	objs, problems := ReadObjects("objects.yaml", []byte(`apiVersion: v1
kind: ConfigMap
metadata: {name: settings}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: same-namespace, namespace: shop-pr-7}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: admin-of-everything}
---
apiVersion: v1
kind: Namespace
metadata: {name: prod}
---
apiVersion: v1
kind: Secret
metadata: {name: stolen, namespace: prod}
---
apiVersion: serving.knative.dev/v1
kind: Service
metadata: {name: web}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: settings}
`))
	if len(problems) > 0 {
		t.Fatal(problems)
	}
	got := checkObjects(objs, "shop-pr-7")
	want := []string{
		"ClusterRole admin-of-everything is cluster-scoped: a preview writes only into its own namespace (shop-pr-7)",
		"Namespace prod is cluster-scoped",
		"Secret stolen names namespace prod",
		"Service web is a Knative Service: it goes in input service-file",
		"ConfigMap settings is given twice",
	}
	if len(got) != len(want) {
		t.Fatalf("got %d problems, want %d:\n%s", len(got), len(want), strings.Join(got, "\n"))
	}
	for i := range want {
		if !strings.Contains(got[i], want[i]) {
			t.Errorf("problem %d = %q, want it to say %q", i+1, got[i], want[i])
		}
	}
}

// The image input takes the place of $IMAGE and of its repository whatever
// the tag or digest; each further line of its own; what nothing names is
// run as written, and a rule that names nothing is a problem.
func TestReplacementsPutTheJobsImages(t *testing.T) {
	svcs, problems := ReadServices([]byte(twoServices + `---
apiVersion: serving.knative.dev/v1
kind: Service
metadata: {name: worker}
spec:
  template:
    spec:
      initContainers: [{name: migrate, image: "ghcr.io/acme/app@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"}]
      containers: [{image: "ghcr.io/acme/app:old"}, {name: cache, image: redis:7}]
`))
	if len(problems) > 0 {
		t.Fatal(problems)
	}
	objs, _ := ReadObjects("objects.yaml", []byte(`apiVersion: batch/v1
kind: Job
metadata: {name: migrate}
spec:
  template:
    spec:
      restartPolicy: Never
      containers: [{name: migrate, image: "docker.io/acme/api:v0"}]
---
apiVersion: batch/v1
kind: CronJob
metadata: {name: nightly}
spec:
  schedule: "@daily"
  jobTemplate: {spec: {template: {spec: {restartPolicy: Never, containers: [{name: n, image: $IMAGE}]}}}}
`))
	r := Replacements{Image: "ghcr.io/acme/app:pr-7", More: []Replacement{
		{Repository: "ghcr.io/acme/api", Ref: "ghcr.io/acme/api:pr-7", Line: 1},
		{Repository: "acme/api", Ref: "acme/api:pr-7", Line: 2},
	}}
	if p := r.Apply(svcs, objs); len(p) > 0 {
		t.Fatalf("problems: %v", p)
	}
	got := ContainerImages(svcs, objs)
	want := []string{"ghcr.io/acme/app:pr-7", "ghcr.io/acme/api:pr-7", "redis:7", "acme/api:pr-7"}
	if !slices.Equal(got, want) {
		t.Errorf("images %v, want %v", got, want)
	}

	unused := Replacements{Image: "ghcr.io/acme/other:1", More: []Replacement{{Repository: "ghcr.io/acme/nothing", Ref: "ghcr.io/acme/nothing:1", Line: 3}}}
	svcs, _ = ReadServices([]byte(strings.ReplaceAll(twoServices, "$IMAGE", "ghcr.io/acme/web:main")))
	p := unused.Apply(svcs, nil)
	var texts []string
	for _, x := range p {
		texts = append(texts, x.Input+": "+x.Text)
	}
	joined := strings.Join(texts, "\n")
	for _, want := range []string{"image: ghcr.io/acme/other:1: no container's image says $IMAGE", "images: line 3: no container's image is of repository ghcr.io/acme/nothing"} {
		if !strings.Contains(joined, want) {
			t.Errorf("the problems lack %q:\n%s", want, joined)
		}
	}
	svcs, _ = ReadServices([]byte(twoServices))
	if p := (Replacements{}).Apply(svcs, nil); len(p) != 1 || p[0].Input != "image" || !strings.Contains(p[0].Text, "Service web, container (unnamed) says image $IMAGE") {
		t.Errorf("a $IMAGE without input image: %v", p)
	}
}

// Knative's own validation runs with every feature config-features can
// enable allowed: what it refuses, no cluster accepts.
func TestValidateIsKnativesOwn(t *testing.T) {
	svcs, problems := ReadServices([]byte(`apiVersion: serving.knative.dev/v1
kind: Service
metadata: {name: web}
spec:
  template:
    spec:
      containerConcurrency: -1
      initContainers: [{name: setup, image: busybox}]
      containers:
        - image: ghcr.io/acme/web:1
          env: [{name: PORT, value: "9000"}]
          volumeMounts: [{name: scratch, mountPath: /tmp}]
      volumes: [{name: scratch, emptyDir: {}}]
`))
	if len(problems) > 0 {
		t.Fatal(problems)
	}
	got := strings.Join(validate(svcs, "shop"), "\n")
	for _, want := range []string{"Service web: ", "spec.template.spec.containerConcurrency", "spec.template.spec.containers[0].env[0].name"} {
		if !strings.Contains(got, want) {
			t.Errorf("the problems lack %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "initContainers") || strings.Contains(got, "emptyDir") {
		t.Errorf("a feature a cluster may enable is refused:\n%s", got)
	}
	if svcs[0].Namespace != "" || svcs[0].Spec.Template.Spec.TimeoutSeconds != nil {
		t.Error("validate changed the Service it checked")
	}
}

// The shop of testdata loads whole: two Services, images put in, three
// objects.
func TestLoadTheShop(t *testing.T) {
	app, problems := Load(filepath.Join("..", "..", "testdata", "shop", "services.yaml"), []string{filepath.Join("..", "..", "testdata", "shop", "objects")},
		Replacements{Image: "ghcr.io/acme/shop-web:pr-7", More: []Replacement{{Repository: "ghcr.io/acme/shop-api", Ref: "ghcr.io/acme/shop-api:pr-7", Line: 1}}}, "shop-pr-7")
	if len(problems) > 0 {
		t.Fatal(problems)
	}
	if !slices.Equal(app.Names(), []string{"web", "api"}) {
		t.Errorf("Services %v", app.Names())
	}
	var objs []string
	for _, o := range app.Objects {
		objs = append(objs, Describe(o))
	}
	if !slices.Equal(objs, []string{"Deployment redis", "Service redis", "ConfigMap shop-settings"}) {
		t.Errorf("objects %v", objs)
	}
	if got := app.Images(); !slices.Equal(got, []string{"ghcr.io/acme/shop-web:pr-7", "ghcr.io/acme/shop-api:pr-7", "redis:7"}) {
		t.Errorf("images %v", got)
	}
}

// Load says every problem of every input at once.
func TestLoadSaysEveryProblem(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	empty := write("empty.yaml", "# nothing yet\n")
	objects := write("objects.yaml", "apiVersion: v1\nkind: Namespace\nmetadata: {name: x}\n")
	_, problems := Load(empty, []string{objects, filepath.Join(dir, "missing")}, Replacements{Image: "ghcr.io/acme/app:1"}, "ns")
	var got []string
	for _, p := range problems {
		got = append(got, p.Input+": "+p.Text)
	}
	joined := strings.Join(got, "\n")
	for _, want := range []string{
		"service-file: " + empty + " holds no Knative Service",
		"objects: " + filepath.Join(dir, "missing") + " cannot be read",
		"objects: Namespace x is cluster-scoped",
	} {
		if !strings.Contains(joined, want) {
			t.Errorf("the problems lack %q:\n%s", want, joined)
		}
	}
	services := write("services.yaml", twoServices)
	_, problems = Load(services, nil, Replacements{Image: "ghcr.io/acme/app:1", More: []Replacement{{Repository: "ghcr.io/acme/none", Ref: "ghcr.io/acme/none:1", Line: 2}}}, "ns")
	if len(problems) != 1 || problems[0].Input != "images" || !strings.Contains(problems[0].Text, "line 2: no container's image is of repository ghcr.io/acme/none") {
		t.Errorf("an image that nothing runs: %v", problems)
	}
	// A folder's file that links elsewhere (outside the workspace, a
	// secret of the runner's) is not read.
	folder := filepath.Join(dir, "objects")
	if err := os.Mkdir(folder, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(objects, filepath.Join(folder, "elsewhere.yaml")); err != nil {
		t.Fatal(err)
	}
	app, problems := Load(services, []string{folder}, Replacements{Image: "ghcr.io/acme/app:1"}, "ns")
	if app != nil || len(problems) == 0 || problems[0].Input != "objects" || !strings.Contains(problems[0].Text, "elsewhere.yaml is a symbolic link") {
		t.Errorf("a link in the objects folder: %v, app %v", problems, app)
	}
	_, problems = Load(filepath.Join(dir, "nope.yaml"), nil, Replacements{}, "ns")
	if len(problems) != 1 || problems[0].Input != "service-file" || !strings.Contains(problems[0].Text, "cannot be read") {
		t.Errorf("a missing service file: %v", problems)
	}
}
