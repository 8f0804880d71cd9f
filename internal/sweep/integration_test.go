package sweep

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	servingv1 "knative.dev/serving/pkg/apis/serving/v1"
	servingclient "knative.dev/serving/pkg/client/clientset/versioned/typed/serving/v1"

	"github.com/knative-preview/action/internal/cluster"
	"github.com/knative-preview/action/internal/github"
	"github.com/knative-preview/action/internal/github/githubtest"
	"github.com/knative-preview/action/internal/history"
	"github.com/knative-preview/action/internal/kube"
	"github.com/knative-preview/action/internal/log"
	"github.com/knative-preview/action/internal/report"
	"github.com/knative-preview/action/internal/summary"
	"github.com/knative-preview/action/internal/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// source hands the stage a cluster.
type source struct{ cl *cluster.Cluster }

func (s source) Cluster() *cluster.Cluster { return s.cl }

// seed makes, in ns, what runs of the action leave behind: #1's Service
// (open) and #2's (closed), each with a Secret and a history; a shared
// Service with #3's tag (closed) and #4's (open), with their Secrets; and
// a Service of someone else's.
func seed(t *testing.T, cs kubernetes.Interface, sv servingclient.ServingV1Interface, ns string) {
	t.Helper()
	ctx := t.Context()
	if _, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	const prLabel, repoLabel, repo = "knative-preview/pull-request", "knative-preview/repository", "o.app"
	container := servingv1.RevisionSpec{PodSpec: corev1.PodSpec{Containers: []corev1.Container{{Image: "ghcr.io/o/app:v1"}}}}
	mine := func(extra map[string]string) map[string]string {
		l := map[string]string{kube.ManagedByLabel: kube.ManagedByValue}
		for k, v := range extra {
			l[k] = v
		}
		return l
	}
	create := func(svc *servingv1.Service) {
		svc.Namespace = ns
		svc.Spec.Template.Spec = container
		if _, err := sv.Services(ns).Create(ctx, svc, metav1.CreateOptions{}); err != nil {
			t.Fatalf("creating Service %s: %v", svc.Name, err)
		}
	}
	secret := func(name, svc string) {
		s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Labels: mine(map[string]string{"serving.knative.dev/service": svc})}, StringData: map[string]string{"K": "v"}}
		if _, err := cs.CoreV1().Secrets(ns).Create(ctx, s, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	for _, n := range []int{1, 2} {
		svc := fmt.Sprintf("app-pr-%d", n)
		create(&servingv1.Service{ObjectMeta: metav1.ObjectMeta{Name: svc, Labels: mine(map[string]string{prLabel: fmt.Sprint(n), repoLabel: repo})}})
		secret(svc+"-secret-env", svc)
		if _, err := history.Record(ctx, cs, ns, svc, report.Point{Time: time.Now().UTC().Format(time.RFC3339), ReadySeconds: 1}, 5); err != nil {
			t.Fatal(err)
		}
	}
	var traffic []servingv1.TrafficTarget
	for _, n := range []int{3, 4} {
		rev := &servingv1.Revision{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("app-pr-%d-abcde", n), Namespace: ns,
			Labels: map[string]string{prLabel: fmt.Sprint(n), repoLabel: repo, "serving.knative.dev/service": "app"}}, Spec: container}
		if _, err := sv.Revisions(ns).Create(ctx, rev, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		traffic = append(traffic, servingv1.TrafficTarget{Tag: fmt.Sprintf("pr-%d", n), RevisionName: rev.Name, Percent: ptr(int64(0))})
		secret(fmt.Sprintf("app.pr-%d-secret-env", n), "app")
	}
	traffic = append(traffic, servingv1.TrafficTarget{LatestRevision: ptr(true), Percent: ptr(int64(100))})
	shared := &servingv1.Service{ObjectMeta: metav1.ObjectMeta{Name: "app", Labels: mine(nil)}}
	shared.Spec.Traffic = traffic
	create(shared)
	create(&servingv1.Service{ObjectMeta: metav1.ObjectMeta{Name: "theirs", Labels: map[string]string{"team": "web"}}})
	// Another repository's pull request #2 shares the cluster: not ours.
	create(&servingv1.Service{ObjectMeta: metav1.ObjectMeta{Name: "other-pr-2", Labels: mine(map[string]string{prLabel: "2", repoLabel: "someone.other"})}})
}

func ptr[T any](v T) *T { return &v }

// state is what the sweep left in ns, in words.
func state(t *testing.T, cs kubernetes.Interface, sv servingclient.ServingV1Interface, ns string) string {
	t.Helper()
	ctx := context.Background()
	var out []string
	svcs, err := sv.Services(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range svcs.Items {
		var tags []string
		for _, tr := range s.Spec.Traffic {
			if tr.Tag != "" {
				tags = append(tags, tr.Tag)
			}
		}
		out = append(out, fmt.Sprintf("ksvc/%s%v", s.Name, tags))
	}
	secrets, err := cs.CoreV1().Secrets(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range secrets.Items {
		out = append(out, "secret/"+s.Name)
	}
	for _, svc := range []string{"app-pr-1", "app-pr-2"} {
		if _, err := cs.CoreV1().ConfigMaps(ns).Get(ctx, history.ConfigMapName(svc), metav1.GetOptions{}); !apierrors.IsNotFound(err) {
			out = append(out, "history/"+svc)
		}
	}
	slices.Sort(out)
	return strings.Join(out, " ")
}

// A sweep through an API server that fails a fifth of the requests ends as
// a clean one: the same previews removed, the same left, and a second
// sweep finds nothing more.
func TestIntegrationSweepThroughFaults(t *testing.T) {
	env := testenv.Shared(t)
	env.InstallKnativeCRDs(t)
	cs, err := kubernetes.NewForConfig(env.Config)
	if err != nil {
		t.Fatal(err)
	}
	sv, err := servingclient.NewForConfig(env.Config)
	if err != nil {
		t.Fatal(err)
	}
	proxy := env.Faults(t, testenv.FaultOptions{Seed: 21, Rate: 0.2})
	fake := githubtest.New(t)
	for n, s := range map[int]string{1: "open", 2: "closed", 3: "closed", 4: "open"} {
		fake.SeedPullRequest(n, s)
	}
	client, err := github.NewClient(func(k string) string {
		return map[string]string{"GITHUB_REPOSITORY": "o/app", "GITHUB_API_URL": fake.URL()}[k]
	}, "ghs_token")
	if err != nil {
		t.Fatal(err)
	}
	// The closed pull requests have the action's comment and deployment,
	// which the sweep edits and sets inactive.
	deployments := map[int]int64{}
	for _, n := range []int{2, 3} {
		if _, err := client.UpsertComment(t.Context(), n, summary.Marker, "Preview ready"); err != nil {
			t.Fatal(err)
		}
		if deployments[n], err = client.StartDeployment(t.Context(), fmt.Sprintf("%040d", n), fmt.Sprintf("pr-%d", n), "deploying"); err != nil {
			t.Fatal(err)
		}
	}
	sweepIn := func(cl *cluster.Cluster, ns string) (string, string) {
		t.Helper()
		o := Options{Namespace: ns, Repository: "o/app", KeepsHistory: true, Comments: true, Deployments: true, Environment: func(n int) string { return fmt.Sprintf("pr-%d", n) }}
		var removed []string
		for round := range 2 {
			s := NewStage(o, source{cl}, client, nil)
			ctx, cancel := context.WithTimeout(t.Context(), 90*time.Second)
			err := s.Run(ctx, log.Discard)
			cancel()
			if err != nil {
				t.Fatalf("sweep %d of %s: %v", round+1, ns, err)
			}
			var r []string
			for _, rm := range s.Removed() {
				r = append(r, fmt.Sprintf("#%d %s/%s %s %v", rm.PullRequest, rm.Service, rm.Tag, rm.Reason, rm.Removed))
			}
			if round == 1 && len(r) > 0 {
				t.Errorf("the second sweep of %s removed %v", ns, r)
			}
			if round == 0 {
				removed = r
			}
		}
		return strings.Join(removed, "; "), state(t, cs, sv, ns)
	}
	seed(t, cs, sv, "sweep-clean")
	seed(t, cs, sv, "sweep-faulty")
	cleanRemoved, cleanLeft := sweepIn(&cluster.Cluster{Name: "clean", REST: env.Config}, "sweep-clean")
	faultyRemoved, faultyLeft := sweepIn(&cluster.Cluster{Name: "faulty", REST: proxy.Config}, "sweep-faulty")
	const wantRemoved = "#2 app-pr-2/ pull request closed true; #3 app/pr-3 pull request closed true"
	const wantLeft = "history/app-pr-1 ksvc/app-pr-1[] ksvc/app[pr-4] ksvc/other-pr-2[] ksvc/theirs[] secret/app-pr-1-secret-env secret/app.pr-4-secret-env"
	if cleanRemoved != wantRemoved || cleanLeft != wantLeft {
		t.Errorf("clean: removed %s\nleft %s\nwant removed %s\nleft %s", cleanRemoved, cleanLeft, wantRemoved, wantLeft)
	}
	if faultyRemoved != cleanRemoved || faultyLeft != cleanLeft {
		t.Errorf("through faults: removed %s\nleft %s\nclean: removed %s\nleft %s", faultyRemoved, faultyLeft, cleanRemoved, cleanLeft)
	}
	for n, id := range deployments {
		comments, statuses := fake.Comments(n), fake.Statuses(id)
		if len(comments) != 1 || !strings.Contains(comments[0].Body, "by the scheduled sweep: pull request closed") {
			t.Errorf("#%d's comment after the sweeps: %+v", n, comments)
		}
		if len(statuses) == 0 || statuses[len(statuses)-1].State != "inactive" {
			t.Errorf("#%d's deployment after the sweeps: %+v", n, statuses)
		}
	}
	t.Logf("through faults: %s", proxy)
}

// A pull request's own namespace (namespace auto) is swept as a whole, as
// its closing removes it, with the objects beside its Services; an own
// namespace of another repository's pull request of the same number, and
// one of an open pull request, are left.
func TestIntegrationSweepRemovesOwnNamespaces(t *testing.T) {
	env := testenv.Shared(t)
	env.InstallKnativeCRDs(t)
	cs, err := kubernetes.NewForConfig(env.Config)
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	const repo = "sweeptest/own" // the shared API server's other tests make none of its
	own := func(name, repoLabel string, n int) {
		labels := map[string]string{kube.ManagedByLabel: kube.ManagedByValue, "knative-preview/pull-request": fmt.Sprint(n), "knative-preview/repository": repoLabel}
		if _, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "settings", Labels: labels}}
		if _, err := cs.CoreV1().ConfigMaps(name).Create(ctx, cm, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	own("own-pr-5", "sweeptest.own", 5)   // closed: goes
	own("own-pr-6", "sweeptest.own", 6)   // open: stays
	own("theirs-pr-5", "someone.else", 5) // another repository's #5: stays
	fake := githubtest.New(t)
	fake.SeedPullRequest(5, "closed")
	fake.SeedPullRequest(6, "open")
	client, err := github.NewClient(func(k string) string {
		return map[string]string{"GITHUB_REPOSITORY": repo, "GITHUB_API_URL": fake.URL()}[k]
	}, "ghs_sweep_token")
	if err != nil {
		t.Fatal(err)
	}
	s := NewStage(Options{Repository: repo, KeepsHistory: true}, source{&cluster.Cluster{REST: env.Config}}, client, nil)
	if err := s.Run(ctx, log.Discard); err != nil {
		t.Fatal(err)
	}
	var removed []string
	for _, r := range s.Removed() {
		removed = append(removed, fmt.Sprintf("#%d %s %v", r.PullRequest, r.Namespace, r.Removed))
	}
	if got := strings.Join(removed, "; "); got != "#5 own-pr-5 true" {
		t.Errorf("removed %s, want #5 own-pr-5 true", got)
	}
	for name, gone := range map[string]bool{"own-pr-5": true, "own-pr-6": false, "theirs-pr-5": false} {
		ns, err := cs.CoreV1().Namespaces().Get(ctx, name, metav1.GetOptions{})
		deleting := apierrors.IsNotFound(err) || err == nil && ns.DeletionTimestamp != nil
		if deleting != gone {
			t.Errorf("namespace %s being deleted: %v, want %v (%v)", name, deleting, gone, err)
		}
	}
}
