package deploy

import (
	"encoding/base64"
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/util/validation"
	servingv1 "knative.dev/serving/pkg/apis/serving/v1"
)

// In a pull request the defaults name its preview; what the user sets wins.
func TestParsePullRequest(t *testing.T) {
	const sha = "0123456789abcdef0123456789abcdef01234567"
	open := &PullRequest{Number: 7, HeadSHA: sha}
	closed := &PullRequest{Number: 7, HeadSHA: sha, Closed: true}
	long := "octo/" + strings.Repeat("very-long-repository-name-", 4)
	cases := []struct {
		name     string
		raw      map[string]string
		repo     string
		pr       *PullRequest
		mode     Mode
		service  string // "" : only check that it ends in suffix and fits
		suffix   string
		tag      string
		prLabels bool
	}{
		{"no pull request", nil, "octo/hello", nil, ModeUp, "hello", "", "", false},
		{"no pull request, tag auto", map[string]string{"tag": "auto"}, "octo/hello", nil, ModeUp, "hello", "", "", false},
		{"no pull request, explicit down", map[string]string{"mode": "down"}, "octo/hello", nil, ModeDown, "hello", "", "", false},
		{"opened", nil, "octo/hello", open, ModeUp, "hello-pr-7", "", "", true},
		{"closed", nil, "octo/hello", closed, ModeDown, "hello-pr-7", "", "", true},
		{"closed, mode auto spelled out", map[string]string{"mode": "Auto"}, "octo/hello", closed, ModeDown, "hello-pr-7", "", "", true},
		{"closed, explicit up", map[string]string{"mode": "up"}, "octo/hello", closed, ModeUp, "hello-pr-7", "", "", true},
		{"opened, explicit down", map[string]string{"mode": "down"}, "octo/hello", open, ModeDown, "hello-pr-7", "", "", true},
		{"tag auto", map[string]string{"tag": "auto"}, "octo/hello", open, ModeUp, "hello", "", "pr-7", true},
		{"tag auto, closed", map[string]string{"tag": "AUTO"}, "octo/hello", closed, ModeDown, "hello", "", "pr-7", true},
		{"explicit tag", map[string]string{"tag": "preview"}, "octo/hello", open, ModeUp, "hello", "", "preview", true},
		{"explicit service", map[string]string{"service": "web"}, "octo/hello", open, ModeUp, "web", "", "", true},
		{"explicit service and tag auto", map[string]string{"service": "web", "tag": "auto"}, "octo/hello", open, ModeUp, "web", "", "pr-7", true},
		{"name that needs cleaning", nil, "octo/My.App", open, ModeUp, "", "-pr-7", "", true},
		{"long repository", nil, long, &PullRequest{Number: 123456}, ModeUp, "", "-pr-123456", "", true},
		{"long repository, tag auto", map[string]string{"tag": "auto"}, long, &PullRequest{Number: 123456}, ModeUp, "", "", "pr-123456", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o, errs := parseWith(c.raw, map[string]string{"GITHUB_REPOSITORY": c.repo}, "", c.pr)
			if len(errs) > 0 {
				t.Fatal(errs)
			}
			if o.Mode != c.mode || o.Tag != c.tag {
				t.Errorf("mode %q tag %q, want %q %q", o.Mode, o.Tag, c.mode, c.tag)
			}
			if c.service != "" && o.Service != c.service {
				t.Errorf("service %q, want %q", o.Service, c.service)
			}
			if !strings.HasSuffix(o.Service, c.suffix) {
				t.Errorf("service %q does not end in %q", o.Service, c.suffix)
			}
			name := o.Service
			if o.Tag != "" {
				name = o.Service + "-" + o.Tag + "-abcde" // the tagged revision's name
			}
			if msgs := validation.IsDNS1035Label(name); len(msgs) > 0 {
				t.Errorf("%q is not a DNS label: %v", name, msgs)
			}
			if got := o.Derived.PullRequest != nil; got != c.prLabels {
				t.Errorf("pull request kept: %v, want %v", got, c.prLabels)
			}
		})
	}
	// Two pull requests of a long-named repository get two Services.
	a, _ := parseWith(nil, map[string]string{"GITHUB_REPOSITORY": long}, "", &PullRequest{Number: 1})
	b, _ := parseWith(nil, map[string]string{"GITHUB_REPOSITORY": long}, "", &PullRequest{Number: 11})
	if a.Service == b.Service || !strings.HasSuffix(a.Service, "-pr-1") || !strings.HasSuffix(b.Service, "-pr-11") {
		t.Errorf("pull requests 1 and 11 got %q and %q: want two names, each ending in its number", a.Service, b.Service)
	}
}

func TestPullRequestLabels(t *testing.T) {
	cases := []struct {
		name string
		pr   *PullRequest
		want map[string]string
	}{
		{"none", nil, nil},
		{"number, repository and commit", &PullRequest{Number: 42, HeadSHA: "0123456789abcdef0123456789abcdef01234567"},
			map[string]string{pullRequestLabel: "42", repositoryLabel: "o.r", headSHALabel: "0123456789abcdef0123456789abcdef01234567"}},
		{"no commit", &PullRequest{Number: 42}, map[string]string{pullRequestLabel: "42", repositoryLabel: "o.r"}},
		{"a commit that is no label value", &PullRequest{Number: 42, HeadSHA: "not a sha!"}, map[string]string{pullRequestLabel: "42", repositoryLabel: "o.r"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o, errs := parseWith(nil, map[string]string{"GITHUB_REPOSITORY": "o/r"}, "", c.pr)
			if len(errs) > 0 {
				t.Fatal(errs)
			}
			got := o.Derived.PullRequest.labels()
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("labels %v, want %v", got, c.want)
			}
			for k, v := range got {
				if len(validation.IsQualifiedName(k)) > 0 || len(validation.IsValidLabelValue(v)) > 0 {
					t.Errorf("label %s=%s is not a valid label", k, v)
				}
			}
		})
	}
}

// The registry login: given, or on ghcr.io the actor and the job's token.
func TestParseRegistry(t *testing.T) {
	const token = "ghs_jobtoken"
	env := map[string]string{"GITHUB_REPOSITORY": "octo/hello", "GITHUB_ACTOR": "mona"}
	cases := []struct {
		name  string
		raw   map[string]string
		token string
		env   map[string]string
		want  *RegistryAuth
	}{
		{"ghcr.io defaults", map[string]string{"image": "ghcr.io/octo/hello:pr-7"}, token, env,
			&RegistryAuth{Server: "ghcr.io", Username: "mona", Password: token}},
		{"ghcr.io, the owner in another case", map[string]string{"image": "ghcr.io/octo/hello:pr-7"}, token, map[string]string{"GITHUB_REPOSITORY": "Octo/hello", "GITHUB_ACTOR": "mona"},
			&RegistryAuth{Server: "ghcr.io", Username: "mona", Password: token}},
		// Someone else's image, public or not, is not pulled with the job's
		// token: kubelet would not fall back to pulling it anonymously.
		{"ghcr.io, another owner's image", map[string]string{"image": "ghcr.io/knative/helloworld-go:latest"}, token, env, nil},
		{"ghcr.io without a repository", map[string]string{"image": "ghcr.io/octo/hello:pr-7", "service": "hello"}, token, map[string]string{"GITHUB_ACTOR": "mona"}, nil},
		{"ghcr.io without a token", map[string]string{"image": "ghcr.io/octo/hello:pr-7"}, "", env, nil},
		// GitHub Enterprise Server's job token is not ghcr.io's.
		{"ghcr.io from GitHub Enterprise Server", map[string]string{"image": "ghcr.io/octo/hello:pr-7"}, token,
			map[string]string{"GITHUB_REPOSITORY": "octo/hello", "GITHUB_ACTOR": "mona", "GITHUB_SERVER_URL": "https://github.example.com"}, nil},
		{"ghcr.io from github.com", map[string]string{"image": "ghcr.io/octo/hello:pr-7"}, token,
			map[string]string{"GITHUB_REPOSITORY": "octo/hello", "GITHUB_ACTOR": "mona", "GITHUB_SERVER_URL": "https://github.com"},
			&RegistryAuth{Server: "ghcr.io", Username: "mona", Password: token}},
		{"ghcr.io without an actor", map[string]string{"image": "ghcr.io/octo/hello:pr-7"}, token, map[string]string{"GITHUB_REPOSITORY": "octo/hello"}, nil},
		{"ghcr.io given", map[string]string{"image": "ghcr.io/octo/hello:pr-7", "registry-username": "bot", "registry-password": "pat"}, token, env,
			&RegistryAuth{Server: "ghcr.io", Username: "bot", Password: "pat"}},
		{"another registry: no default", map[string]string{"image": "registry.example.com:5000/team/app:v1"}, token, env, nil},
		{"another registry given", map[string]string{"image": "registry.example.com:5000/team/app:v1", "registry-username": "u", "registry-password": "p"}, token, env,
			&RegistryAuth{Server: "registry.example.com:5000", Username: "u", Password: "p"}},
		{"Docker Hub: no default", map[string]string{"image": "octo/app:v1"}, token, env, nil},
		{"Docker Hub given", map[string]string{"image": "octo/app:v1", "registry-username": "u", "registry-password": "p"}, token, env,
			&RegistryAuth{Server: dockerHubServer, Username: "u", Password: "p"}},
		{"Docker Hub spelled out", map[string]string{"image": "docker.io/octo/app:v1", "registry-username": "u", "registry-password": "p"}, token, env,
			&RegistryAuth{Server: dockerHubServer, Username: "u", Password: "p"}},
		{"no image (mode down)", map[string]string{"mode": "down", "registry-username": "u", "registry-password": "p"}, token, env, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o, errs := parseWith(c.raw, c.env, c.token, nil)
			if len(errs) > 0 {
				t.Fatal(errs)
			}
			if !reflect.DeepEqual(o.Registry, c.want) {
				t.Errorf("registry %+v, want %+v", o.Registry, c.want)
			}
			if c.want != nil && !slices.Contains(o.Secrets(), c.want.Password) {
				t.Errorf("Secrets() %d values, without the registry password: it would not be masked", len(o.Secrets()))
			}
		})
	}
}

// A half-given login is one problem that names both inputs and shows no
// password.
func TestParseRegistryHalfGiven(t *testing.T) {
	for _, raw := range []map[string]string{
		{"image": "ghcr.io/o/r:v1", "registry-password": "hunter2"},
		{"image": "ghcr.io/o/r:v1", "registry-username": "mona"},
	} {
		_, errs := parseWith(raw, map[string]string{"GITHUB_REPOSITORY": "o/r", "GITHUB_ACTOR": "mona"}, "ghs_jobtoken", nil)
		if len(errs) != 1 {
			t.Fatalf("%v: got %v, want one problem", raw, errs)
		}
		msg := errs[0].Error()
		if !strings.Contains(msg, "registry-username") || !strings.Contains(msg, "registry-password") {
			t.Errorf("%q does not name both inputs", msg)
		}
		if strings.Contains(msg, "hunter2") || strings.Contains(msg, "ghs_jobtoken") {
			t.Errorf("%q shows a password", msg)
		}
	}
}

// The dockerconfigjson is what kubelet reads: auths by server, with the
// login both apart and joined in auth.
func TestDockerConfigJSON(t *testing.T) {
	a := &RegistryAuth{Server: dockerHubServer, Username: "mona", Password: "p:ss"}
	var cfg struct {
		Auths map[string]struct{ Username, Password, Auth string } `json:"auths"`
	}
	if err := json.Unmarshal(a.dockerConfigJSON(), &cfg); err != nil {
		t.Fatal(err)
	}
	e, ok := cfg.Auths["https://index.docker.io/v1/"]
	if len(cfg.Auths) != 1 || !ok {
		t.Fatalf("auths %v, want one entry for https://index.docker.io/v1/", cfg.Auths)
	}
	joined, err := base64.StdEncoding.DecodeString(e.Auth)
	if err != nil || string(joined) != "mona:p:ss" || e.Username != "mona" || e.Password != "p:ss" {
		t.Errorf("entry %+v (auth %q): want mona, p:ss and base64(mona:p:ss)", e, joined)
	}
}

// Each preview has its own Secrets: a tag's are not the Service's or
// another tag's.
func TestSecretNamesPerPreview(t *testing.T) {
	reg := &RegistryAuth{Server: "ghcr.io", Username: "u", Password: "p"}
	names := func(o Options) []string {
		var out []string
		for _, s := range o.ownSecrets() {
			out = append(out, s.name)
		}
		return out
	}
	env := []EnvVar{{"K", "v"}}
	main := names(Options{Service: "web", SecretEnv: env, Registry: reg})
	pr1 := names(Options{Service: "web", Tag: "pr-1", SecretEnv: env, Registry: reg})
	pr2 := names(Options{Service: "web", Tag: "pr-2", SecretEnv: env, Registry: reg})
	if want := []string{"web-secret-env", "web-registry"}; !reflect.DeepEqual(main, want) {
		t.Errorf("untagged: %v, want %v", main, want)
	}
	if want := []string{"web.pr-1-secret-env", "web.pr-1-registry"}; !reflect.DeepEqual(pr1, want) {
		t.Errorf("tag pr-1: %v, want %v", pr1, want)
	}
	for _, n := range pr2 {
		if slices.Contains(pr1, n) || slices.Contains(main, n) {
			t.Errorf("tag pr-2's Secret %s is shared", n)
		}
	}
	// A tag's names are not those of a Service named <service>-<tag>: one
	// repository may have both kinds of preview in one namespace.
	ownService := names(Options{Service: "web-pr-1", SecretEnv: env, Registry: reg})
	for _, n := range pr1 {
		if slices.Contains(ownService, n) {
			t.Errorf("tag pr-1 of web and Service web-pr-1 share Secret %s", n)
		}
	}
	if (Options{Service: "web", Tag: "pr-1"}).Preview() == (Options{Service: "web-pr-1"}).Preview() {
		t.Error("tag pr-1 of web and Service web-pr-1 are the same preview (their history would be one)")
	}
	if got := names(Options{Service: "web"}); got != nil {
		t.Errorf("nothing secret, yet Secrets %v", got)
	}
}

// The run's registry Secret is listed once; the previous run's (another
// tag's) is taken out; the user's stay.
func TestApplyPullSecret(t *testing.T) {
	reg := &RegistryAuth{Server: "ghcr.io", Username: "u", Password: "p"}
	svc := userService() // lists the user's regcred
	pulls := func() []string {
		var out []string
		for _, r := range svc.Spec.Template.Spec.ImagePullSecrets {
			out = append(out, r.Name)
		}
		return out
	}
	steps := []struct {
		o    Options
		want []string
	}{
		{Options{Service: "web", Image: "ghcr.io/o/web:1", Tag: "pr-1", Registry: reg}, []string{"regcred", "web.pr-1-registry"}},
		{Options{Service: "web", Image: "ghcr.io/o/web:1", Tag: "pr-1", Registry: reg}, []string{"regcred", "web.pr-1-registry"}},
		{Options{Service: "web", Image: "ghcr.io/o/web:2", Tag: "pr-2", Registry: reg}, []string{"regcred", "web.pr-2-registry"}},
		{Options{Service: "web", Image: "ghcr.io/o/web:3"}, []string{"regcred"}},
	}
	for i, s := range steps {
		apply(svc, s.o, "id", "", nil)
		if got := pulls(); !reflect.DeepEqual(got, s.want) {
			t.Errorf("run %d (tag %q): imagePullSecrets %v, want %v", i+1, s.o.Tag, got, s.want)
		}
	}
}

// The pull request labels the revision, and the Service when it is the
// pull request's own; a later run without it leaves none behind.
func TestApplyPullRequestLabels(t *testing.T) {
	pr := &PullRequest{Number: 7, HeadSHA: "abc123"}
	steps := []struct {
		name      string
		o         Options
		svc, tmpl map[string]string
	}{
		{"own Service", Options{Service: "web-pr-7", Image: "x", Derived: Derived{PullRequest: pr}},
			map[string]string{pullRequestLabel: "7", headSHALabel: "abc123"}, map[string]string{pullRequestLabel: "7", headSHALabel: "abc123"}},
		{"tag on a shared Service", Options{Service: "web", Image: "x", Tag: "pr-7", Derived: Derived{PullRequest: pr}},
			map[string]string{}, map[string]string{pullRequestLabel: "7", headSHALabel: "abc123"}},
		{"no pull request", Options{Service: "web", Image: "x"}, map[string]string{}, map[string]string{}},
	}
	svc := userService()
	for _, s := range steps {
		apply(svc, s.o, "id", "", nil)
		got := func(m map[string]string) map[string]string {
			out := map[string]string{}
			for _, k := range []string{pullRequestLabel, headSHALabel} {
				if v, ok := m[k]; ok {
					out[k] = v
				}
			}
			return out
		}
		if g := got(svc.Labels); !reflect.DeepEqual(g, s.svc) {
			t.Errorf("%s: Service labels %v, want %v", s.name, g, s.svc)
		}
		if g := got(svc.Spec.Template.Labels); !reflect.DeepEqual(g, s.tmpl) {
			t.Errorf("%s: template labels %v, want %v", s.name, g, s.tmpl)
		}
		if svc.Labels["owner"] != "alice" || svc.Spec.Template.Labels["tier"] != "front" {
			t.Errorf("%s: the user's labels changed: %v %v", s.name, svc.Labels, svc.Spec.Template.Labels)
		}
	}
}

func TestServedRevisionOfTag(t *testing.T) {
	svc := func(latest string, traffic ...servingv1.TrafficTarget) *servingv1.Service {
		s := &servingv1.Service{}
		s.Name = "web"
		s.Spec.Traffic = traffic
		s.Status.LatestReadyRevisionName = latest
		return s
	}
	pinned := func(rev string) servingv1.TrafficTarget {
		return servingv1.TrafficTarget{RevisionName: rev, Percent: ptr(int64(100))}
	}
	latest := servingv1.TrafficTarget{LatestRevision: ptr(true), Percent: ptr(int64(100))}
	cases := []struct {
		name string
		svc  *servingv1.Service
		want string
	}{
		{"main on an untagged revision", svc("web-pr-1-abcde", pinned("web-00001")), ""},
		{"main pinned to the tag's", svc("web-00002", pinned("web-pr-1-abcde")), "web-pr-1-abcde"},
		{"main follows the latest, the tag's", svc("web-pr-1-abcde", latest), "web-pr-1-abcde"},
		{"no traffic block, latest is the tag's", svc("web-pr-1-abcde"), "web-pr-1-abcde"},
		{"another tag with a longer name", svc("x", pinned("web-pr-1-2-abcde")), ""},
		{"another tag's entry", svc("x", pinned("web-00001"), servingv1.TrafficTarget{Tag: "pr-2", RevisionName: "web-pr-2-abcde", Percent: ptr(int64(0))}), ""},
	}
	for _, c := range cases {
		if got := servedRevisionOfTag(c.svc, "pr-1"); got != c.want {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
		}
	}
}

// The plan says what a run removes or writes, and shows no password.
func TestPlan(t *testing.T) {
	env := map[string]string{"GITHUB_REPOSITORY": "octo/hello", "GITHUB_ACTOR": "mona"}
	cases := []struct {
		name string
		raw  map[string]string
		pr   *PullRequest
		says []string
	}{
		{"up in a pull request", map[string]string{"image": "ghcr.io/octo/hello:pr-7", "secret-env": "K=v"}, &PullRequest{Number: 7},
			[]string{"create or update the Knative Service default/hello-pr-7", "pull request #7", "Secret default/hello-pr-7-secret-env",
				"login to ghcr.io (user mona) into Secret default/hello-pr-7-registry", "imagePullSecrets"}},
		{"up with a tag", map[string]string{"image": "ghcr.io/octo/hello:pr-7", "tag": "auto"}, &PullRequest{Number: 7},
			[]string{"default/hello running", "tagged pr-7", "Secret default/hello.pr-7-registry"}},
		{"down of a tag", map[string]string{"tag": "auto"}, &PullRequest{Number: 7, Closed: true},
			[]string{"remove tag pr-7 from the Knative Service default/hello", "other tags stay"}},
		{"down of a Service", map[string]string{"mode": "down"}, nil, []string{"delete the Knative Service default/hello and its Secrets"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o, errs := parseWith(c.raw, env, "ghs_jobtoken", c.pr)
			if len(errs) > 0 {
				t.Fatal(errs)
			}
			plan := strings.Join(o.Plan(), "\n")
			for _, s := range c.says {
				if !strings.Contains(plan, s) {
					t.Errorf("plan does not say %q:\n%s", s, plan)
				}
			}
			if strings.Contains(plan, "ghs_jobtoken") {
				t.Errorf("plan shows the password:\n%s", plan)
			}
		})
	}
}

// Only a preview named after the pull request is the pull request's own:
// what is kept under a service or tag input may be shared.
func TestPullRequestsOwn(t *testing.T) {
	env := map[string]string{"GITHUB_REPOSITORY": "octo/hello"}
	pr := &PullRequest{Number: 7, Closed: true}
	cases := []struct {
		raw  map[string]string
		pr   *PullRequest
		want bool
	}{
		{map[string]string{}, pr, true},
		{map[string]string{"tag": "auto"}, pr, true},
		{map[string]string{"tag": "auto", "service": "hello"}, pr, true},
		{map[string]string{"service": "hello"}, pr, false},
		{map[string]string{"tag": "pr-7"}, pr, false},
		{map[string]string{}, nil, false},
	}
	for _, c := range cases {
		o, errs := parseWith(c.raw, env, "", c.pr)
		if len(errs) > 0 {
			t.Fatal(errs)
		}
		if got := o.PullRequestsOwn(); got != c.want {
			t.Errorf("%v (pull request %v): PullRequestsOwn %v, want %v", c.raw, c.pr != nil, got, c.want)
		}
	}
}
