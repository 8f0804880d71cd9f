package deploy

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

const shopFile = "../../testdata/shop/services.yaml"
const shopObjects = "../../testdata/shop/objects"

// shopInputs are the inputs of the test data's shop with both images the
// job built.
func shopInputs(more map[string]string) map[string]string {
	raw := map[string]string{
		"service-file": shopFile, "objects": shopObjects,
		"image": "ghcr.io/acme/shop-web:pr-7", "images": "ghcr.io/acme/shop-api=ghcr.io/acme/shop-api:pr-7",
	}
	for k, v := range more {
		raw[k] = v
	}
	return raw
}

// namespace auto is the pull request's own namespace, and default outside
// one; in its own namespace the Service needs no number.
func TestParseNamespaceAuto(t *testing.T) {
	env := map[string]string{"GITHUB_REPOSITORY": "acme/Shop.App"}
	o, errs := parseWith(map[string]string{"namespace": "auto", "image": "ghcr.io/acme/shop:1"}, env, "", &PullRequest{Number: 7})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	if o.Namespace != PullRequestNamespace("acme/Shop.App", 7) || !strings.HasSuffix(o.Namespace, "-pr-7") || !o.Derived.OwnNamespace || !o.Derived.OwnPreview {
		t.Errorf("namespace %q (own %v, own preview %v), want the pull request's", o.Namespace, o.Derived.OwnNamespace, o.Derived.OwnPreview)
	}
	if strings.Contains(o.Service, "-pr-") {
		t.Errorf("service %q: in its own namespace the Service keeps the repository's name", o.Service)
	}
	o, errs = parseWith(map[string]string{"namespace": "Auto", "image": "ghcr.io/acme/shop:1"}, env, "", nil)
	if len(errs) > 0 || o.Namespace != DefaultNamespace || o.Derived.OwnNamespace {
		t.Errorf("outside a pull request: namespace %q own %v (%v), want %s", o.Namespace, o.Derived.OwnNamespace, errs, DefaultNamespace)
	}
	long := PullRequestNamespace("acme/"+strings.Repeat("a-very-long-name-", 6), 123456)
	if len(long) > 63 || !strings.HasSuffix(long, "-pr-123456") {
		t.Errorf("a long repository's namespace %q", long)
	}
}

// The shop's file: the primary is the first Service or the one service
// names, the images are in, the objects read, the measured one chosen.
func TestParseAppInputs(t *testing.T) {
	o, errs := parseWith(shopInputs(map[string]string{"namespace": "auto", "ready-timeout": "2m", "measure-service": "api"}),
		map[string]string{"GITHUB_REPOSITORY": "acme/shop"}, "", &PullRequest{Number: 7})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	if o.App == nil || !slices.Equal(o.App.Names(), []string{"web", "api"}) || len(o.App.Objects) != 3 {
		t.Fatalf("app %+v", o.App)
	}
	if o.Service != "web" || o.MeasuredService() != "api" || o.HistoryName() != "api" || o.ReadyTimeout != 2*time.Minute {
		t.Errorf("service %q measured %q history %q ready-timeout %s", o.Service, o.MeasuredService(), o.HistoryName(), o.ReadyTimeout)
	}
	if got := o.App.Images(); !slices.Equal(got, []string{"ghcr.io/acme/shop-web:pr-7", "ghcr.io/acme/shop-api:pr-7", "redis:7"}) {
		t.Errorf("images %v", got)
	}
	if !o.ClusterLocal("api") || o.ClusterLocal("web") {
		t.Error("api is cluster-local by its file's label, web is not")
	}
	o, errs = parseWith(shopInputs(map[string]string{"service": "api", "visibility": "cluster-local"}), map[string]string{"GITHUB_REPOSITORY": "acme/shop"}, "", nil)
	if len(errs) > 0 || o.Service != "api" || o.MeasuredService() != "api" {
		t.Errorf("service api: %q (%v)", o.Service, errs)
	}
}

// What cannot be a preview of the app is refused before anything is
// contacted, naming the input.
func TestParseAppInputsProblems(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("apiVersion: serving.knative.dev/v1\nkind: Service\nmetadata: {name: web}\nspec: {template: {spec: {containers: [{image: $IMAGE, imagePullPolcy: Always}]}}}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name  string
		raw   map[string]string
		pr    *PullRequest
		input string
		says  []string
	}{
		{"a tag", shopInputs(map[string]string{"tag": "preview"}), nil, "tag", []string{"previews one revision of one Service", "namespace auto"}},
		{"a pull request's app in a shared namespace", shopInputs(map[string]string{"namespace": "previews"}), &PullRequest{Number: 7}, "namespace", []string{"the previews of two pull requests would write over each other", "auto"}},
		{"a service not in the file", shopInputs(map[string]string{"service": "shop"}), nil, "service", []string{`"shop" is not a Service of service-file`, "web, api"}},
		{"a measured service not in the file", shopInputs(map[string]string{"measure-service": "redis"}), nil, "measure-service", []string{"is not a Service of service-file"}},
		{"images without a file", map[string]string{"image": "ghcr.io/acme/a:1", "images": "redis=redis:7"}, nil, "images", []string{"service-file, which is empty"}},
		{"objects without a file", map[string]string{"image": "ghcr.io/acme/a:1", "objects": shopObjects}, nil, "objects", []string{"service-file, which is empty"}},
		{"an image line that is no reference", shopInputs(map[string]string{"images": "ghcr.io/acme/shop-api=ghcr.io/acme/Shop-Api:pr-7"}), nil, "images", []string{"line 1", "lower case"}},
		{"a repository named twice", shopInputs(map[string]string{"images": "ghcr.io/acme/shop-api=ghcr.io/acme/shop-api:1\nghcr.io/acme/shop-api:old=ghcr.io/acme/shop-api:2"}), nil, "images", []string{"line 2", "named again (first on line 1)"}},
		{"the image input's repository in images", shopInputs(map[string]string{"images": "ghcr.io/acme/shop-web=ghcr.io/acme/shop-web:2"}), nil, "images", []string{"is input image's"}},
		{"an unknown field", map[string]string{"service-file": bad, "image": "ghcr.io/acme/a:1"}, nil, "service-file", []string{`unknown field "spec.template.spec.containers[0].imagePullPolcy"`}},
		{"no image for $IMAGE", map[string]string{"service-file": shopFile}, nil, "image", []string{"says image $IMAGE"}},
		{"a missing file", map[string]string{"service-file": filepath.Join(dir, "none.yaml"), "image": "ghcr.io/acme/a:1"}, nil, "service-file", []string{"cannot be read"}},
		{"ready-timeout", shopInputs(map[string]string{"ready-timeout": "1.5s"}), nil, "ready-timeout", []string{"whole number of seconds"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, errs := parseWith(c.raw, map[string]string{"GITHUB_REPOSITORY": "acme/shop"}, "", c.pr)
			var found bool
			for _, e := range errs {
				if !strings.Contains(e.Error(), `input "`+c.input+`"`) {
					continue
				}
				found = true
				for _, want := range c.says {
					if !strings.Contains(e.Error(), want) {
						t.Errorf("%v lacks %q", e, want)
					}
				}
			}
			if !found {
				t.Errorf("no problem of input %s among %v", c.input, errs)
			}
		})
	}
}

// Removing a pull request's own namespace needs no file (the closed event
// may not check the repository out); a namespace of one's own needs it to
// know what to remove.
func TestParseAppDown(t *testing.T) {
	env := map[string]string{"GITHUB_REPOSITORY": "acme/shop"}
	missing := map[string]string{"service-file": filepath.Join(t.TempDir(), "not-checked-out.yaml"), "namespace": "auto"}
	o, errs := parseWith(missing, env, "", &PullRequest{Number: 7, Closed: true})
	if len(errs) > 0 || o.Mode != ModeDown || !o.Derived.OwnNamespace || o.App != nil {
		t.Errorf("closed, own namespace: mode %s own %v app %v (%v)", o.Mode, o.Derived.OwnNamespace, o.App != nil, errs)
	}
	missing["namespace"] = "previews"
	if _, errs := parseWith(missing, env, "", &PullRequest{Number: 7, Closed: true}); len(errs) == 0 {
		t.Error("closed in a shared namespace without the file: no problem")
	}
	o, errs = parseWith(map[string]string{"service-file": shopFile, "objects": shopObjects, "mode": "down", "namespace": "previews"}, env, "", nil)
	if len(errs) > 0 || o.App == nil || o.Service != "web" || len(o.App.Objects) != 3 {
		t.Errorf("down in a namespace of one's own reads the file: %v %v", o.App, errs)
	}
}
