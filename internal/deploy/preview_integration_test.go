package deploy

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"knative.dev/pkg/apis"
	duckv1 "knative.dev/pkg/apis/duck/v1"
	servingv1 "knative.dev/serving/pkg/apis/serving/v1"

	"github.com/knative-preview/action/internal/history"
	"github.com/knative-preview/action/internal/kube"
	"github.com/knative-preview/action/internal/report"
	"github.com/knative-preview/action/internal/testenv"
)

// serve plays Knative's controller for a deploy: the revision of the
// Service's new generation, and a Ready status whose traffic follows the
// spec, each tag with its URL.
func (b *bed) serve(ns, name string, after int64) *servingv1.Revision {
	b.t.Helper()
	svc := b.deployed(ns, name, after)
	rev := b.revision(svc)
	host := func(h string) *apis.URL { return &apis.URL{Scheme: "http", Host: h + "." + ns + ".example.com"} }
	b.status(ns, name, func(s *servingv1.Service) {
		s.Status.Conditions = duckv1.Conditions{cond(apis.ConditionReady, corev1.ConditionTrue, "", "")}
		s.Status.URL = host(name)
		s.Status.LatestCreatedRevisionName, s.Status.LatestReadyRevisionName = rev.Name, rev.Name
		s.Status.Traffic = nil
		spec := s.Spec.Traffic
		if len(spec) == 0 {
			spec = []servingv1.TrafficTarget{{LatestRevision: ptr(true), Percent: ptr(int64(100))}}
		}
		for _, t := range spec {
			if t.LatestRevision != nil && *t.LatestRevision {
				t.RevisionName = rev.Name
			}
			if t.Tag != "" {
				t.URL = host(t.Tag + "-" + name)
			}
			s.Status.Traffic = append(s.Status.Traffic, t)
		}
	})
	return rev
}

// generation is the Service's generation; 0 when there is none.
func (b *bed) generation(ns, name string) int64 {
	b.t.Helper()
	svc, err := b.serving.Services(ns).Get(b.t.Context(), name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return 0
	}
	if err != nil {
		b.t.Fatal(err)
	}
	return svc.Generation
}

// upServed runs Up while playing the controller, and returns its result
// and log.
func (b *bed) upServed(o Options) (*Result, string) {
	b.t.Helper()
	gen := b.generation(o.Namespace, o.Service)
	done, logged := b.up(deployer(), o)
	b.serve(o.Namespace, o.Service, gen)
	r := b.result(done, 30*time.Second, "the Service turning Ready")
	if r.err != nil {
		b.t.Fatalf("Up of %s/%s (tag %q): %v\nlog:\n%s", o.Namespace, o.Service, o.Tag, r.err, logged())
	}
	return r.res, logged()
}

// down runs Down and returns its log.
func (b *bed) down(o Options) string {
	b.t.Helper()
	progress, logged := collect()
	if err := deployer().Down(b.t.Context(), progress, b.cl, o); err != nil {
		b.t.Fatalf("Down of %s/%s (tag %q): %v\nlog:\n%s", o.Namespace, o.Service, o.Tag, err, logged())
	}
	return logged()
}

// secretRefs are the Secrets a revision's pods read: for variables,
// volumes and pulling the image.
func secretRefs(spec corev1.PodSpec) []string {
	var out []string
	add := func(n string) {
		if n != "" && !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	for _, c := range spec.Containers {
		for _, e := range c.Env {
			if e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil {
				add(e.ValueFrom.SecretKeyRef.Name)
			}
		}
		for _, e := range c.EnvFrom {
			if e.SecretRef != nil {
				add(e.SecretRef.Name)
			}
		}
	}
	for _, v := range spec.Volumes {
		if v.Secret != nil {
			add(v.Secret.SecretName)
		}
	}
	for _, r := range spec.ImagePullSecrets {
		add(r.Name)
	}
	return out
}

// previews records, for each revision a deploy made, the Secrets it read
// as they were when it became Ready, and checks that every revision a
// route still serves finds them unchanged: what one preview must never
// lose to another's deploy or removal.
type previews struct {
	b     *bed
	wrote map[string]map[string]map[string][]byte // revision, Secret, data
}

func (p *previews) record(ns, revision string) {
	b := p.b
	b.t.Helper()
	rev, err := b.serving.Revisions(ns).Get(b.t.Context(), revision, metav1.GetOptions{})
	if err != nil {
		b.t.Fatalf("reading revision %s: %v", revision, err)
	}
	snap := map[string]map[string][]byte{}
	for _, name := range secretRefs(rev.Spec.PodSpec) {
		s, err := b.kube.CoreV1().Secrets(ns).Get(b.t.Context(), name, metav1.GetOptions{})
		if err != nil {
			b.t.Fatalf("revision %s reads Secret %s, which is not there after its deploy: %v", revision, name, err)
		}
		snap[name] = s.Data
	}
	p.wrote[revision] = snap
}

// served are the revisions the routes of the Services in ns serve.
func (p *previews) served(ns string) []string {
	b := p.b
	b.t.Helper()
	list, err := b.serving.Services(ns).List(b.t.Context(), metav1.ListOptions{})
	if err != nil {
		b.t.Fatal(err)
	}
	var out []string
	for _, svc := range list.Items {
		traffic := svc.Spec.Traffic
		if len(traffic) == 0 {
			traffic = []servingv1.TrafficTarget{{LatestRevision: ptr(true)}}
		}
		for _, t := range traffic {
			rev := t.RevisionName
			if t.LatestRevision != nil && *t.LatestRevision {
				rev = svc.Status.LatestReadyRevisionName
			}
			if !slices.Contains(out, rev) {
				out = append(out, rev)
			}
		}
	}
	return out
}

func (p *previews) check(ns, after string) {
	b := p.b
	b.t.Helper()
	for _, rev := range p.served(ns) {
		snap, ok := p.wrote[rev]
		if !ok {
			b.t.Errorf("after %s: a route serves revision %s, which no deploy of this test made", after, rev)
			continue
		}
		for name, data := range snap {
			s, err := b.kube.CoreV1().Secrets(ns).Get(b.t.Context(), name, metav1.GetOptions{})
			switch {
			case apierrors.IsNotFound(err):
				b.t.Errorf("after %s: Secret %s, which served revision %s reads, is gone", after, name, rev)
			case err != nil:
				b.t.Fatal(err)
			case !reflect.DeepEqual(s.Data, data):
				b.t.Errorf("after %s: Secret %s, which served revision %s reads, was changed by another deploy", after, name, rev)
			}
		}
	}
}

// Previews of pull requests, a Service each or a tag each on the
// repository's Service, live side by side: opening, updating and closing
// one leaves every other as it was, and closing all of them and removing
// the main Service leaves nothing behind. So they do through an API server
// that fails 25% of the requests, each layout printing its fault counts and
// its time against the clean run's.
func TestIntegrationPullRequestPreviews(t *testing.T) {
	b := newBed(t)
	layouts := []struct {
		name string
		tag  string // the tag input
		// faults, when set, stand between the deploys and the API server.
		faults *testenv.FaultOptions
	}{
		{"a Service per pull request", "", nil},
		{"a tag per pull request", tagAuto, nil},
		{"a Service per pull request through faults", "", &testenv.FaultOptions{Seed: 21, Rate: 0.25}},
		{"a tag per pull request through faults", tagAuto, &testenv.FaultOptions{Seed: 22, Rate: 0.25}},
	}
	took := map[string]time.Duration{}
	defer func() {
		for _, l := range layouts[2:] {
			clean := strings.TrimSuffix(l.name, " through faults")
			t.Logf("%s took %s clean, %s through faults", clean, took[clean].Round(time.Millisecond), took[l.name].Round(time.Millisecond))
		}
	}()
	for i, layout := range layouts {
		t.Run(layout.name, func(t *testing.T) {
			b := b.in(t)
			ns := fmt.Sprintf("previews-%d", i)
			if layout.faults != nil {
				proxy := testenv.Shared(t).Faults(t, *layout.faults) // its counts are logged as the subtest ends
				cl := *b.cl
				cl.REST = proxy.Config
				b.cl = &cl
			}
			start := time.Now()
			defer func() { took[layout.name] = time.Since(start) }()
			p := &previews{b: b, wrote: map[string]map[string]map[string][]byte{}}
			var logs, values []string
			options := func(pr *PullRequest) Options {
				t.Helper()
				name := "main"
				if pr != nil {
					name = fmt.Sprintf("pr-%d-%s", pr.Number, pr.HeadSHA)
				}
				secret, password := "env-"+name, "password-"+name
				values = append(values, secret, password)
				raw := map[string]string{
					"image": "ghcr.io/octo/hello:" + name, "namespace": ns, "tag": layout.tag,
					"secret-env": "TOKEN=" + secret, "registry-username": "mona", "registry-password": password,
				}
				o, errs := parseWith(raw, map[string]string{"GITHUB_REPOSITORY": "octo/hello"}, "", pr)
				if len(errs) > 0 {
					t.Fatal(errs)
				}
				return o
			}
			up := func(pr *PullRequest) (Options, *Result) {
				t.Helper()
				o := options(pr)
				if o.Mode != ModeUp {
					t.Fatalf("mode %s for %+v, want up", o.Mode, pr)
				}
				res, logged := b.upServed(o)
				logs = append(logs, logged)
				p.record(ns, res.Revision)
				p.check(ns, "deploying "+o.Service+" "+o.Tag)
				return o, res
			}
			closePR := func(n int) Options {
				t.Helper()
				o := options(&PullRequest{Number: n, HeadSHA: "closed", Closed: true})
				if o.Mode != ModeDown {
					t.Fatalf("mode %s for a closed pull request, want down (auto)", o.Mode)
				}
				logs = append(logs, b.down(o))
				p.check(ns, fmt.Sprintf("closing pull request %d", n))
				return o
			}

			main, _ := up(nil) // a push to the default branch
			pr1, _ := up(&PullRequest{Number: 1, HeadSHA: "aaa111"})
			pr2, res2 := up(&PullRequest{Number: 2, HeadSHA: "bbb222"})
			up(&PullRequest{Number: 1, HeadSHA: "aaa112"}) // synchronize
			closed := closePR(1)
			if closed.Service != pr1.Service || closed.Tag != pr1.Tag {
				t.Fatalf("closing pull request 1 removes %s tag %q, its preview is %s tag %q", closed.Service, closed.Tag, pr1.Service, pr1.Tag)
			}
			again := b.down(closed) // a second close: nothing left, no error
			logs = append(logs, again)
			if !strings.Contains(again, "nothing to") && !strings.Contains(again, "no tag") {
				t.Errorf("removing pull request 1's preview again does not say there is nothing to remove:\n%s", again)
			}

			// Pull request 1's preview is gone, pull request 2's is whole.
			secrets := func() []string {
				list, err := b.kube.CoreV1().Secrets(ns).List(t.Context(), metav1.ListOptions{})
				if err != nil {
					t.Fatal(err)
				}
				var out []string
				for _, s := range list.Items {
					out = append(out, s.Name)
				}
				return out
			}
			for _, s := range secrets() {
				if strings.HasPrefix(s, pr1.Preview()+"-") {
					t.Errorf("Secret %s of pull request 1 is left after it closed", s)
				}
			}
			for _, want := range []string{pr2.secretName(), pr2.registrySecretName(), main.secretName(), main.registrySecretName()} {
				if !slices.Contains(secrets(), want) {
					t.Errorf("Secret %s is gone after pull request 1 closed (Secrets: %v)", want, secrets())
				}
			}
			svc2, err := b.serving.Services(ns).Get(t.Context(), pr2.Service, metav1.GetOptions{})
			if err != nil {
				t.Fatalf("pull request 2's Service %s: %v", pr2.Service, err)
			}
			if layout.tag == "" {
				if _, err := b.serving.Services(ns).Get(t.Context(), pr1.Service, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
					t.Errorf("pull request 1's Service %s is still there: %v", pr1.Service, err)
				}
				if svc2.Labels[pullRequestLabel] != "2" || svc2.Labels[headSHALabel] != "bbb222" {
					t.Errorf("pull request 2's Service labels %v", svc2.Labels)
				}
			} else {
				var tags []string
				for _, tr := range svc2.Spec.Traffic {
					tags = append(tags, tr.Tag)
					if tr.Tag == "pr-2" && tr.RevisionName != res2.Revision {
						t.Errorf("tag pr-2 routes to %s, want its revision %s", tr.RevisionName, res2.Revision)
					}
				}
				if !reflect.DeepEqual(tags, []string{"", "pr-2"}) {
					t.Errorf("traffic tags %q after pull request 1 closed, want the main route and pr-2", tags)
				}
				if _, ok := svc2.Labels[pullRequestLabel]; ok {
					t.Errorf("the shared Service is labelled with a pull request: %v", svc2.Labels)
				}
			}
			rev2, err := b.serving.Revisions(ns).Get(t.Context(), res2.Revision, metav1.GetOptions{})
			if err != nil || rev2.Labels[pullRequestLabel] != "2" || rev2.Labels[headSHALabel] != "bbb222" {
				t.Errorf("pull request 2's revision: %v, labels %v", err, rev2.Labels)
			}
			if n, err := b.kube.CoreV1().Namespaces().Get(t.Context(), ns, metav1.GetOptions{}); err != nil || n.DeletionTimestamp != nil {
				t.Errorf("the namespace that holds pull request 2's preview is being deleted (%v)", err)
			}

			// Closing the other and removing the main Service leave nothing.
			closePR(2)
			logs = append(logs, b.down(Options{Service: main.Service, Namespace: ns}))
			if left := secrets(); len(left) > 0 {
				t.Errorf("Secrets left after every preview was removed: %v", left)
			}
			list, err := b.serving.Services(ns).List(t.Context(), metav1.ListOptions{})
			if err != nil || len(list.Items) > 0 {
				t.Errorf("Knative Services left: %v %v", err, list)
			}
			if n, err := b.kube.CoreV1().Namespaces().Get(t.Context(), ns, metav1.GetOptions{}); err != nil || n.DeletionTimestamp == nil {
				t.Errorf("the namespace this action created is not being deleted (%v)", err)
			}

			all := strings.Join(logs, "\n")
			for _, v := range values {
				if strings.Contains(all, v) {
					t.Errorf("the log shows the secret value %q", v)
				}
			}
		})
	}

	// A Service made by a pull request's tagged deploy has no revision of
	// its own: its main route serves that pull request's revision, and
	// keeps serving it when a second pull request pins it. Closing the
	// first then removes its tag but not the Secrets that revision reads.
	t.Run("the main route serves a closed pull request's revision", func(t *testing.T) {
		b := b.in(t)
		const ns = "previews-pinned"
		p := &previews{b: b, wrote: map[string]map[string]map[string][]byte{}}
		opts := func(pr *PullRequest) Options {
			o, errs := parseWith(map[string]string{
				"image": "ghcr.io/octo/hello:v1", "namespace": ns, "tag": tagAuto,
				"secret-env": fmt.Sprintf("TOKEN=v%d", pr.Number), "registry-username": "mona", "registry-password": fmt.Sprintf("p%d", pr.Number),
			}, map[string]string{"GITHUB_REPOSITORY": "octo/hello"}, "", pr)
			if len(errs) > 0 {
				t.Fatal(errs)
			}
			return o
		}
		o3 := opts(&PullRequest{Number: 3})
		res3, _ := b.upServed(o3)
		p.record(ns, res3.Revision)
		res4, _ := b.upServed(opts(&PullRequest{Number: 4}))
		p.record(ns, res4.Revision)
		logged := b.down(opts(&PullRequest{Number: 3, Closed: true}))
		p.check(ns, "closing pull request 3")
		if !strings.Contains(logged, "kept the Secrets of tag pr-3") || !strings.Contains(logged, res3.Revision) {
			t.Errorf("Down does not say why it kept pull request 3's Secrets:\n%s", logged)
		}
		svc, err := b.serving.Services(ns).Get(t.Context(), "hello", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if slices.ContainsFunc(svc.Spec.Traffic, func(tr servingv1.TrafficTarget) bool { return tr.Tag == "pr-3" }) {
			t.Errorf("tag pr-3 is still routed: %s", traffic(svc.Spec.Traffic))
		}
	})
}

// A registry login becomes a dockerconfigjson Secret owned by the Service
// and listed in its imagePullSecrets, written again with a new password,
// removed by Down; the password is in no log line and no error.
func TestIntegrationRegistryLogin(t *testing.T) {
	b := newBed(t)
	const ns, first, second = "registry-test", "first-password-a1", "second-password-b2"
	o := Options{Service: "app", Namespace: ns, Image: "ghcr.io/o/app:v1",
		Registry: &RegistryAuth{Server: "ghcr.io", Username: "mona", Password: first}}
	var logs []string

	check := func(password string) {
		t.Helper()
		svc, err := b.serving.Services(ns).Get(t.Context(), "app", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if got := svc.Spec.Template.Spec.ImagePullSecrets; !reflect.DeepEqual(got, []corev1.LocalObjectReference{{Name: "app-registry"}}) {
			t.Errorf("imagePullSecrets %v, want app-registry once", got)
		}
		s, err := b.kube.CoreV1().Secrets(ns).Get(t.Context(), "app-registry", metav1.GetOptions{})
		if err != nil {
			t.Fatalf("the registry Secret: %v", err)
		}
		if s.Type != corev1.SecretTypeDockerConfigJson || s.Labels[kube.ManagedByLabel] != kube.ManagedByValue {
			t.Errorf("Secret type %s labels %v", s.Type, s.Labels)
		}
		if len(s.OwnerReferences) != 1 || s.OwnerReferences[0].UID != svc.UID || s.OwnerReferences[0].Kind != "Service" {
			t.Errorf("owner references %+v, want the Knative Service %s", s.OwnerReferences, svc.UID)
		}
		var cfg struct {
			Auths map[string]struct{ Username, Password, Auth string } `json:"auths"`
		}
		if err := json.Unmarshal(s.Data[corev1.DockerConfigJsonKey], &cfg); err != nil {
			t.Fatalf("the Secret's %s: %v", corev1.DockerConfigJsonKey, err)
		}
		e := cfg.Auths["ghcr.io"]
		if len(cfg.Auths) != 1 || e.Username != "mona" || e.Password != password || e.Auth != base64.StdEncoding.EncodeToString([]byte("mona:"+password)) {
			t.Errorf("auths has %d entries; ghcr.io's user %q, password right: %v, auth right: %v", len(cfg.Auths), e.Username, e.Password == password,
				e.Auth == base64.StdEncoding.EncodeToString([]byte("mona:"+password)))
		}
	}

	_, logged := b.upServed(o)
	logs = append(logs, logged)
	check(first)

	o.Registry = &RegistryAuth{Server: "ghcr.io", Username: "mona", Password: second}
	_, logged = b.upServed(o)
	logs = append(logs, logged)
	check(second)

	// A Secret of that name that is not this action's is refused, and the
	// refusal shows no password.
	other := o
	other.Service = "other"
	if _, err := b.kube.CoreV1().Secrets(ns).Create(t.Context(), &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "other-registry"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	progress, refused := collect()
	_, err := deployer().Up(t.Context(), progress, b.cl, other)
	if err == nil || !strings.Contains(err.Error(), "is not this action's for Knative Service other") {
		t.Errorf("Up over someone else's Secret: %v", err)
	} else {
		logs = append(logs, err.Error())
	}
	logs = append(logs, refused())

	logs = append(logs, b.down(o))
	if _, err := b.kube.CoreV1().Secrets(ns).Get(t.Context(), "app-registry", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("the registry Secret is still there after Down: %v", err)
	}
	if _, err := b.kube.CoreV1().Secrets(ns).Get(t.Context(), "other-registry", metav1.GetOptions{}); err != nil {
		t.Errorf("Down removed a Secret that is not this action's: %v", err)
	}
	all := strings.Join(logs, "\n")
	for _, p := range []string{first, second} {
		if strings.Contains(all, p) {
			t.Errorf("a registry password is in the log or an error:\n%s", all)
		}
	}
}

// A service input that every pull request shares: closing a pull request
// removes the Service only when that pull request deployed it last; a
// Service the branch deployed, or another pull request since, stays.
func TestIntegrationClosedPullRequestLeavesASharedService(t *testing.T) {
	b := newBed(t)
	const ns = "shared"
	options := func(pr *PullRequest) Options {
		t.Helper()
		o, errs := parseWith(map[string]string{"image": "ghcr.io/octo/hello:v1", "namespace": ns, "service": "hello"}, map[string]string{"GITHUB_REPOSITORY": "octo/hello"}, "", pr)
		if len(errs) > 0 {
			t.Fatal(errs)
		}
		return o
	}
	exists := func() bool {
		t.Helper()
		svc, err := b.serving.Services(ns).Get(t.Context(), "hello", metav1.GetOptions{})
		if apierrors.IsNotFound(err) || err == nil && svc.DeletionTimestamp != nil {
			return false
		}
		if err != nil {
			t.Fatal(err)
		}
		return true
	}
	b.upServed(options(nil)) // the branch's own deploy
	if log := b.down(options(&PullRequest{Number: 1, Closed: true})); !exists() || !strings.Contains(log, "no pull request deployed it last") {
		t.Fatalf("closing #1 removed the branch's Service (or said nothing):\n%s", log)
	}
	b.upServed(options(&PullRequest{Number: 1, HeadSHA: "a1"}))
	b.upServed(options(&PullRequest{Number: 2, HeadSHA: "b2"}))
	if log := b.down(options(&PullRequest{Number: 1, Closed: true})); !exists() || !strings.Contains(log, "pull request #2 deployed it last") {
		t.Fatalf("closing #1 removed #2's Service (or said nothing):\n%s", log)
	}
	b.down(options(&PullRequest{Number: 2, Closed: true}))
	if exists() {
		t.Error("closing #2, which deployed the Service last, left it")
	}
	// mode: down says what to delete, whoever deployed it. (In another
	// namespace: the test bed has no controller to finish deleting the
	// one the action just deleted.)
	ns2 := ns + "-down"
	up, errs := parseWith(map[string]string{"image": "ghcr.io/octo/hello:v1", "namespace": ns2, "service": "hello"}, map[string]string{"GITHUB_REPOSITORY": "octo/hello"}, "", nil)
	down, errs2 := parseWith(map[string]string{"mode": "down", "namespace": ns2, "service": "hello"}, map[string]string{"GITHUB_REPOSITORY": "octo/hello"}, "", &PullRequest{Number: 3, Closed: true})
	if errs = append(errs, errs2...); len(errs) > 0 {
		t.Fatal(errs)
	}
	b.upServed(up)
	b.down(down)
	if _, err := b.serving.Services(ns2).Get(t.Context(), "hello", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("an explicit mode: down on a closed pull request left the Service it names (%v)", err)
	}
}

// A check that tears its Service down still remembers: down keeps the
// namespace it created when the Service's history is in it.
func TestIntegrationDownKeepsTheHistory(t *testing.T) {
	b := newBed(t)
	const ns = "keeps-history"
	env := map[string]string{"GITHUB_REPOSITORY": "octo/hello"}
	up, errs := parseWith(map[string]string{"image": "ghcr.io/octo/hello:v1", "namespace": ns, "service": "hello"}, env, "", nil)
	down, errs2 := parseWith(map[string]string{"mode": "down", "namespace": ns, "service": "hello"}, env, "", nil)
	if errs = append(errs, errs2...); len(errs) > 0 {
		t.Fatal(errs)
	}
	b.upServed(up)
	if _, err := history.Record(t.Context(), b.kube, ns, "hello", report.Point{Time: "2026-11-29T00:00:00Z"}, history.DefaultSize); err != nil {
		t.Fatal(err)
	}
	log := b.down(down)
	n, err := b.kube.CoreV1().Namespaces().Get(t.Context(), ns, metav1.GetOptions{})
	if err != nil || n.DeletionTimestamp != nil || !strings.Contains(log, "kept namespace") {
		t.Errorf("down deleted the namespace with the Service's history in it (%v):\n%s", err, log)
	}
}
