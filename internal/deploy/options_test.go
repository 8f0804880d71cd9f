package deploy

import (
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/knative-preview/action/internal/input"
)

func TestServiceName(t *testing.T) {
	long := strings.Repeat("a", 70)
	cases := []struct {
		repo string
		want string // "" : only check validity
	}{
		{"octo/hello", "hello"},
		{"hello", "hello"},
		{"octo/Hello-World", "hello-world"}, // case alone is not a change (GitHub ignores it)
		{"octo/my.app", ""},
		{"octo/my_app", ""},
		{"octo/42", ""},
		{"octo/--x--", ""},
		{"octo/___", ""},
		{"octo/" + long, ""},
		{"octo/ünïcode", ""},
	}
	for _, c := range cases {
		got := repoServiceName(c.repo)
		if msgs := validation.IsDNS1035Label(got); len(msgs) > 0 {
			t.Errorf("ServiceName(%q) = %q, not a DNS label: %v", c.repo, got, msgs)
		}
		if c.want != "" && got != c.want {
			t.Errorf("ServiceName(%q) = %q, want %q", c.repo, got, c.want)
		}
	}
	// A changed name keeps its readable part and gains a hash suffix.
	if got := repoServiceName("octo/my.app"); !strings.HasPrefix(got, "my-app-") || len(got) != len("my-app-")+8 {
		t.Errorf("ServiceName(my.app) = %q, want my-app-<8 hex digits>", got)
	}
	if got := repoServiceName("42"); !strings.HasPrefix(got, "app-42-") {
		t.Errorf("ServiceName(42) = %q, want app-42-<hash> (a Knative Service name starts with a letter)", got)
	}
}

// Two long names that differ only after the cut must not collide, and
// names that sanitize alike must not either.
func TestServiceNameLongNamesDoNotCollide(t *testing.T) {
	prefix := strings.Repeat("long-repository-name-", 5)
	a, b := repoServiceName("org/"+prefix+"one"), repoServiceName("org/"+prefix+"two")
	if a == b {
		t.Fatalf("%q and %q both became %q", prefix+"one", prefix+"two", a)
	}
	for _, n := range []string{a, b} {
		if len(n) > maxNameLength {
			t.Errorf("%q is %d characters, longer than %d", n, len(n), maxNameLength)
		}
	}
	if x, y := repoServiceName("my.app"), repoServiceName("my_app"); x == y {
		t.Errorf("my.app and my_app both became %q", x)
	}
	if x, y := repoServiceName("my.app"), repoServiceName("my-app"); x == y {
		t.Errorf("my.app and my-app both became %q", x)
	}
}

func FuzzServiceName(f *testing.F) {
	for _, s := range []string{"hello", "My.App", "42", "", "---", strings.Repeat("x", 80), "a/b/c", "ünï"} {
		f.Add(s, "other")
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		na, nb := repoServiceName(a), repoServiceName(b)
		for _, n := range []string{na, nb} {
			if msgs := validation.IsDNS1035Label(n); len(msgs) > 0 || len(n) > maxNameLength {
				t.Fatalf("%q: not a DNS label of at most %d characters: %v", n, maxNameLength, msgs)
			}
		}
		if strings.ToLower(repoName(a)) == strings.ToLower(repoName(b)) {
			if na != nb {
				t.Fatalf("%q and %q differ only in case but became %q and %q", a, b, na, nb)
			}
			return
		}
		if na == nb {
			t.Fatalf("distinct names %q and %q both became %q", repoName(a), repoName(b), na)
		}
	})
}

func TestParseOptionsDefaults(t *testing.T) {
	o, errs := parseInputs(map[string]string{"image": "ghcr.io/octo/hello:v1"}, "octo/Hello")
	if len(errs) > 0 {
		t.Fatalf("errors: %v", errs)
	}
	want := Options{Mode: ModeUp, Service: "hello", Namespace: "default", Image: "ghcr.io/octo/hello:v1", Visibility: VisibilityExternal}
	if !reflect.DeepEqual(o, want) {
		t.Errorf("got %+v\nwant %+v", o, want)
	}
}

func TestParseOptionsEveryInput(t *testing.T) {
	raw := map[string]string{
		"image":             "ghcr.io/octo/hello:v1",
		"mode":              "down",
		"service":           "web",
		"namespace":         "previews",
		"env":               "A=1\nB=\"two words\"",
		"secret-env":        "TOKEN=s3cr3t",
		"port":              "3000",
		"container-args":    `serve --name "a b"`,
		"min-scale":         "1",
		"max-scale":         "3",
		"concurrency":       "50",
		"request-timeout":   "90s",
		"annotations":       "example.com/team=web\nautoscaling.knative.dev/window=30s",
		"labels":            "team=web",
		"service-account":   "runner",
		"visibility":        "cluster-local",
		"tag":               "pr-7",
		"registry-username": "octo",
		"registry-password": "p4ssw0rd",
	}
	for _, d := range Inputs {
		name := d.Name
		if slices.ContainsFunc(appInputs, func(a input.Def) bool { return a.Name == name }) {
			continue // TestParseAppInputs reads them
		}
		if _, ok := raw[name]; !ok {
			t.Errorf("input %q has no value in this test", name)
		}
	}
	o, errs := parseInputs(raw, "octo/hello")
	if len(errs) > 0 {
		t.Fatalf("errors: %v", errs)
	}
	one, three, fifty := int32(1), int32(3), int64(50)
	want := Options{
		Mode: ModeDown, Service: "web", Namespace: "previews", Image: "ghcr.io/octo/hello:v1",
		Env:            []EnvVar{{"A", "1"}, {"B", "two words"}},
		SecretEnv:      []EnvVar{{"TOKEN", "s3cr3t"}},
		Port:           3000,
		Args:           []string{"serve", "--name", "a b"},
		MinScale:       &one,
		MaxScale:       &three,
		Concurrency:    &fifty,
		RequestTimeout: 90 * time.Second,
		Annotations:    map[string]string{"example.com/team": "web", "autoscaling.knative.dev/window": "30s"},
		Labels:         map[string]string{"team": "web"},
		ServiceAccount: "runner",
		Visibility:     VisibilityClusterLocal,
		Tag:            "pr-7",
		Registry:       &RegistryAuth{Server: "ghcr.io", Username: "octo", Password: "p4ssw0rd"},
	}
	if !reflect.DeepEqual(o, want) {
		t.Errorf("got  %+v\nwant %+v", o, want)
	}
	if got := o.Secrets(); !reflect.DeepEqual(got, []string{"s3cr3t", "p4ssw0rd"}) {
		t.Errorf("Secrets() = %v", got)
	}
}

func TestParseOptionsProblems(t *testing.T) {
	cases := []struct {
		name  string
		raw   map[string]string
		repo  string
		input string   // the input the problem must name
		says  []string // in the message
	}{
		{"mode", map[string]string{"mode": "sideways"}, "o/r", "mode", []string{`"sideways"`, "auto, up, down"}},
		{"service not a label", map[string]string{"service": "Web_App"}, "o/r", "service", []string{`"Web_App"`, "starting with a letter"}},
		{"service starts with digit", map[string]string{"service": "1web"}, "o/r", "service", []string{"1web"}},
		{"no repository and no service", map[string]string{"image": "x"}, "", "service", []string{"GITHUB_REPOSITORY"}},
		{"service too long for tag", map[string]string{"service": strings.Repeat("s", 60), "tag": "pr-1"}, "o/r", "service", []string{"too long"}},
		{"namespace", map[string]string{"namespace": "Prod"}, "o/r", "namespace", []string{`"Prod"`}},
		{"kube-system", map[string]string{"namespace": "kube-system"}, "o/r", "namespace", []string{`"kube-system" belongs to Kubernetes, Knative or a networking layer`}},
		{"knative-serving", map[string]string{"namespace": "knative-serving"}, "o/r", "namespace", []string{`"knative-serving" belongs to`}},
		{"an ingress's namespace", map[string]string{"namespace": "contour-internal"}, "o/r", "namespace", []string{`"contour-internal" belongs to`}},
		{"port word", map[string]string{"port": "http"}, "o/r", "port", []string{"1-65535"}},
		{"port range", map[string]string{"port": "70000"}, "o/r", "port", []string{"1-65535"}},
		{"port reserved", map[string]string{"port": "8012"}, "o/r", "port", []string{"reserved", "8022"}},
		{"container-args quote", map[string]string{"container-args": `--name "open`}, "o/r", "container-args", []string{"unterminated"}},
		{"min-scale negative", map[string]string{"min-scale": "-1"}, "o/r", "min-scale", []string{"0-"}},
		{"max below min", map[string]string{"min-scale": "3", "max-scale": "2"}, "o/r", "max-scale", []string{"below min-scale 3"}},
		{"concurrency", map[string]string{"concurrency": "5000"}, "o/r", "concurrency", []string{"0-1000"}},
		{"request-timeout", map[string]string{"request-timeout": "1.5s"}, "o/r", "request-timeout", []string{"whole number of seconds"}},
		{"request-timeout word", map[string]string{"request-timeout": "soon"}, "o/r", "request-timeout", []string{"not a duration"}},
		{"annotation key", map[string]string{"annotations": "bad key=1"}, "o/r", "annotations", []string{"line 1", "bad key"}},
		{"annotation own prefix", map[string]string{"annotations": "knative-preview/x=1"}, "o/r", "annotations", []string{"this action's own"}},
		{"annotation vs min-scale", map[string]string{"annotations": "autoscaling.knative.dev/min-scale=2", "min-scale": "1"}, "o/r", "annotations", []string{"min-scale"}},
		{"label value", map[string]string{"labels": "team=a b"}, "o/r", "labels", []string{"line 1", "label value"}},
		{"label visibility", map[string]string{"labels": "networking.knative.dev/visibility=cluster-local"}, "o/r", "labels", []string{"input visibility"}},
		{"service-account", map[string]string{"service-account": "Runner!"}, "o/r", "service-account", []string{"Runner!"}},
		{"visibility", map[string]string{"visibility": "public"}, "o/r", "visibility", []string{"external, cluster-local"}},
		{"tag", map[string]string{"tag": "PR_7"}, "o/r", "tag", []string{`"PR_7"`}},
		{"tag too long", map[string]string{"tag": strings.Repeat("t", 50)}, "o/r", "tag", []string{"too long"}},
		{"env in both", map[string]string{"env": "A=1", "secret-env": "A=2"}, "o/r", "secret-env", []string{"A is also set by input env"}},
		{"registry user alone", map[string]string{"image": "ghcr.io/o/r:v1", "registry-username": "octo"}, "o/r", "registry-username",
			[]string{`"octo"`, "registry-password is not", "both registry-username and registry-password, or neither"}},
		{"registry password alone", map[string]string{"image": "ghcr.io/o/r:v1", "registry-password": "hunter2"}, "o/r", "registry-password",
			[]string{"registry-username is not", "both registry-username and registry-password, or neither"}},
		{"registry user with colon", map[string]string{"image": "ghcr.io/o/r:v1", "registry-username": "a:b", "registry-password": "x"}, "o/r", "registry-username", []string{"':'"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, errs := parseInputs(c.raw, c.repo)
			if len(errs) == 0 {
				t.Fatalf("no problem reported")
			}
			var found bool
			for _, err := range errs {
				var ie *input.Error
				if !errors.As(err, &ie) {
					t.Fatalf("%v is not an *input.Error", err)
				}
				if ie.Input != c.input {
					continue
				}
				found = true
				for _, s := range c.says {
					if !strings.Contains(err.Error(), s) {
						t.Errorf("%q does not say %q", err, s)
					}
				}
			}
			if !found {
				t.Errorf("no problem names input %q: %v", c.input, errs)
			}
		})
	}
}

func TestParseOptionsReportsEveryProblem(t *testing.T) {
	_, errs := parseInputs(map[string]string{"port": "x", "visibility": "y", "mode": "z"}, "o/r")
	if len(errs) != 3 {
		t.Errorf("got %d problems, want 3: %v", len(errs), errs)
	}
}

func TestParseOptionsTagShortensDefaultName(t *testing.T) {
	o, errs := parseInputs(map[string]string{"tag": "preview-1234"}, "octo/"+strings.Repeat("r", 60))
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	rev := o.Service + "-" + o.Tag + "-abcde"
	if msgs := validation.IsDNS1035Label(rev); len(msgs) > 0 {
		t.Errorf("service %q with tag %q gives revision %q, not a DNS label: %v", o.Service, o.Tag, rev, msgs)
	}
}

func TestParseEnv(t *testing.T) {
	cases := []struct {
		name string
		in   string
		want []EnvVar
		errs []string // substrings of the one problem expected, if any
	}{
		{"plain", "A=1\nB=2", []EnvVar{{"A", "1"}, {"B", "2"}}, nil},
		{"crlf and spaces", " A = 1 \r\n\r\nB=2\r\n", []EnvVar{{"A", "1"}, {"B", "2"}}, nil},
		{"equals in value", "URL=https://x/?a=b&c=d", []EnvVar{{"URL", "https://x/?a=b&c=d"}}, nil},
		{"double quotes", `MSG="hello \"you\"\n"`, []EnvVar{{"MSG", "hello \"you\"\n"}}, nil},
		{"single quotes", `MSG='a "b" \n'`, []EnvVar{{"MSG", `a "b" \n`}}, nil},
		{"quotes keep spaces", `S="  x  "`, []EnvVar{{"S", "  x  "}}, nil},
		{"empty value", "EMPTY=", []EnvVar{{"EMPTY", ""}}, nil},
		{"comments and blank lines", "# a comment\n\nA=1\n   # indented\n", []EnvVar{{"A", "1"}}, nil},
		{"no equals", "A=1\nNOPE\nB=2", []EnvVar{{"A", "1"}, {"B", "2"}}, []string{"line 2", `"NOPE" has no '='`}},
		{"no key", "=1", nil, []string{"line 1: has no key"}},
		{"bad name", "1A=x", nil, []string{`line 1: "1A" is not a variable name`}},
		{"reserved", "A=1\nPORT=9000", []EnvVar{{"A", "1"}}, []string{"line 2: PORT is set by Knative"}},
		{"duplicate", "A=1\nA=2", []EnvVar{{"A", "1"}}, []string{"line 2: A is set again (first on line 1)"}},
		{"unterminated quote", `A="x`, nil, []string{"line 1", "does not end"}},
		{"bad escape", `A="\q"`, nil, []string{"line 1", `unknown escape \q`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := input.NewReader(Inputs, input.Values{"env": c.in}, input.ActionStyle, nil)
			got := parseEnv(r, "env")
			errs := input.List(r.Err())
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("got %q, want %q", got, c.want)
			}
			if want := min(len(c.errs), 1); len(errs) != want {
				t.Fatalf("got problems %v, want %d", errs, want)
			}
			if len(errs) == 1 {
				for _, s := range append([]string{`input "env"`}, c.errs...) {
					if !strings.Contains(errs[0].Error(), s) {
						t.Errorf("problem %q does not say %q", errs[0], s)
					}
				}
			}
		})
	}
}

// A malformed secret-env line is named by its number, never quoted.
func TestParseSecretEnvNeverQuotesALine(t *testing.T) {
	_, errs := parseInputs(map[string]string{"secret-env": "API_KEY=fine\nhunter2-no-equals\nX=\"unterminated-hunter3"}, "o/r")
	if len(errs) != 2 {
		t.Fatalf("got %v, want 2 problems", errs)
	}
	for _, e := range errs {
		for _, secret := range []string{"hunter2", "hunter3", "fine"} {
			if strings.Contains(e.Error(), secret) {
				t.Errorf("problem %q shows a secret value", e)
			}
		}
	}
}

func TestLoadedIntoNodes(t *testing.T) {
	tests := []struct {
		image      string
		registries []string
		want       bool
	}{
		{"myapp:dev", []string{"index.docker.io"}, true},
		{"myapp", []string{"index.docker.io"}, true},
		{"ghcr.io/org/app:latest", []string{"index.docker.io"}, false},
		{"ghcr.io/org/app:latest", []string{"index.docker.io", "ghcr.io"}, true},
		{"myapp:dev", nil, false},
	}
	for _, tt := range tests {
		if got := loadedIntoNodes(tt.image, tt.registries); got != tt.want {
			t.Errorf("loadedIntoNodes(%q, %v) = %v, want %v", tt.image, tt.registries, got, tt.want)
		}
	}
}

// parseInputs runs Parse on raw input values (image among them) for a
// repository named repo, outside a pull request and without a token.
func parseInputs(raw map[string]string, repo string) (Options, []error) {
	return parseWith(raw, map[string]string{"GITHUB_REPOSITORY": repo}, "", nil)
}

// parseWith runs Parse on raw input values with the environment env, the
// job's token and the pull request pr.
func parseWith(raw, env map[string]string, token string, pr *PullRequest) (Options, []error) {
	r := input.NewReader(Inputs, raw, input.ActionStyle, func(k string) string { return env[k] })
	o := Parse(r, raw["image"], token, pr)
	return o, input.List(r.Err())
}

// repoServiceName is the Service name a repository gets outside a pull
// request: its name, at most a DNS label long.
func repoServiceName(repo string) string { return serviceName(repoName(repo), maxNameLength) }
