package appfile

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode"

	"k8s.io/apimachinery/pkg/api/equality"
	"sigs.k8s.io/yaml"
)

// FuzzReadServices feeds the service file's reader any bytes. It must not
// panic; a problem, once cleaned for the log, is one line without control
// characters; and every Service it reads it reads again, unchanged and
// without a problem, once written back as YAML. Knative's validation and
// the image replacements run on what it read. The seeds (`go test` runs
// them) are the test data's shop, the unit tests' files, and broken ones.
func FuzzReadServices(f *testing.F) {
	shop, err := os.ReadFile(filepath.Join("..", "..", "testdata", "shop", "services.yaml"))
	if err != nil {
		f.Fatal(err)
	}
	for _, seed := range []string{
		string(shop), twoServices,
		`{"apiVersion":"serving.knative.dev/v1","kind":"Service","metadata":{"name":"web"}}`,
		"apiVersion: serving.knative.dev/v1\nkind: Service\nmetadata: {name: web, labelz: {a: b}}\n",
		"apiVersion: serving.knative.dev/v1\nkind: Service\nmetadata: {name: web}\nmetadata: {name: api}\n",
		"apiVersion: serving.knative.dev/v1\nkind: Service\nmetadata: {name: \"web\\n::error::x\"}\nspec: {template: {spec: {containers: [{image: \"\\e[31m\", resources: {limits: {cpu: 1x}}}]}}}\n",
		"apiVersion: serving.knative.dev/v1\nkind: Service\nspec: {template: {spec: {containerConcurrency: many}}}\n",
		"---\n---\n", "- a\n", "apiVersion: [\n", "kind: \x00", "\ufeffapiVersion: v1\n", "&a [*a]",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		svcs, problems := ReadServices(data)
		for _, p := range clean(problems) {
			if i := strings.IndexFunc(p, unicode.IsControl); i >= 0 {
				t.Fatalf("problem %q has a control character at byte %d", p, i)
			}
		}
		for _, s := range svcs {
			if s.APIVersion != serviceAPIVersion || s.Kind != serviceKind {
				t.Fatalf("read a %s %s as a Service", s.APIVersion, s.Kind)
			}
			out, err := yaml.Marshal(s)
			if err != nil {
				t.Fatalf("a Service read cannot be written: %v", err)
			}
			again, problems := ReadServices(out)
			if len(problems) > 0 || len(again) != 1 {
				t.Fatalf("a Service read, written back, reads as %d Services with problems %v:\n%s", len(again), problems, out)
			}
			if !equality.Semantic.DeepEqual(s, again[0]) {
				t.Fatalf("a Service read, written back, reads differently:\n%s", out)
			}
		}
		_ = validate(svcs, "fuzz")
		_ = Replacements{Image: "ghcr.io/acme/app:1", More: []Replacement{{Repository: "redis", Ref: "redis:7"}}}.Apply(svcs, nil)
	})
}

// FuzzReadObjects feeds the objects' reader any bytes. It must not panic;
// a problem, once cleaned for the log, is one line without control
// characters; every object it reads has a kind and, checked for the
// preview's namespace, is either refused with a problem or placed in that
// namespace; and each reads again, unchanged, once written back as YAML.
func FuzzReadObjects(f *testing.F) {
	for _, name := range []string{"redis.yaml", "settings.yaml"} {
		data, err := os.ReadFile(filepath.Join("..", "..", "testdata", "shop", "objects", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	for _, seed := range []string{
		"apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: ConfigMap, metadata: {name: a}}\n",
		"apiVersion: v1\nkind: Namespace\nmetadata: {name: x}\n",
		"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: other}\n",
		"apiVersion: serving.knative.dev/v1\nkind: Service\nmetadata: {name: web}\n",
		"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: \"a\\n::error::x\"}\n",
		"---\n---\n", "- a\n", "kind: \x00", "&a [*a]", `{"kind":"ConfigMap"}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		objs, problems := ReadObjects("fuzz.yaml", data)
		problems = append(problems, checkObjects(objs, "shop-pr-7")...)
		for _, p := range clean(problems) {
			if i := strings.IndexFunc(p, unicode.IsControl); i >= 0 {
				t.Fatalf("problem %q has a control character at byte %d", p, i)
			}
		}
		for _, o := range objs {
			if o.GetKind() == "" {
				t.Fatalf("read an object without a kind: %v", o.Object)
			}
			out, err := yaml.Marshal(o.Object)
			if err != nil {
				t.Fatalf("an object read cannot be written: %v", err)
			}
			again, problems := ReadObjects("again.yaml", out)
			if len(problems) > 0 || len(again) != 1 || !equality.Semantic.DeepEqual(o.Object, again[0].Object) {
				t.Fatalf("an object read, written back, reads as %d objects with problems %v:\n%s", len(again), problems, out)
			}
		}
		if len(problems) == 0 {
			for _, o := range objs {
				if o.GetNamespace() != "shop-pr-7" && o.GetNamespace() != "" {
					t.Fatalf("%s %s of namespace %q passed the check for shop-pr-7", o.GetKind(), o.GetName(), o.GetNamespace())
				}
			}
		}
	})
}
