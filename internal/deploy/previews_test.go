package deploy

import (
	"fmt"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	servingv1 "knative.dev/serving/pkg/apis/serving/v1"
)

// What counts as a preview of this action's: its labels, never a name.
func TestPreviewsOf(t *testing.T) {
	t0 := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	meta := func(ns, name string, at time.Time, labels map[string]string) metav1.ObjectMeta {
		return metav1.ObjectMeta{Namespace: ns, Name: name, CreationTimestamp: metav1.NewTime(at), Labels: labels}
	}
	const repo = "Acme/App"
	ours := repositoryValue(repo)
	// The revisions as FindPreviews lists them: of the repository's pull
	// requests only.
	rev := func(ns, name, svc string, pr int, at time.Time) servingv1.Revision {
		return servingv1.Revision{ObjectMeta: meta(ns, name, at, map[string]string{serviceLabel: svc, pullRequestLabel: fmt.Sprint(pr), repositoryLabel: ours})}
	}
	revs := []servingv1.Revision{
		rev("p", "app-pr-7-00001", "app-pr-7", 7, t0.Add(time.Hour)),
		rev("p", "app-pr-7-00002", "app-pr-7", 7, t0.Add(3*time.Hour)),
		rev("p", "app-pr-9-abcde", "app", 9, t0.Add(2*time.Hour)),
		rev("other", "app-pr-9-abcde", "app", 99, t0),
	}
	tagged := func(tag, rev string) servingv1.TrafficTarget {
		return servingv1.TrafficTarget{Tag: tag, RevisionName: rev}
	}
	tests := []struct {
		name string
		svc  servingv1.Service
		want string
	}{
		{"a pull request's own Service, updated by its newest revision",
			servingv1.Service{ObjectMeta: meta("p", "app-pr-7", t0, map[string]string{pullRequestLabel: "7", repositoryLabel: ours})},
			"[p/app-pr-7 #7 " + t0.Add(3*time.Hour).Format(time.RFC3339) + " own]"},
		{"a tag on a shared Service, and the user's own tag beside it",
			servingv1.Service{ObjectMeta: meta("p", "app", t0, nil), Spec: servingv1.ServiceSpec{RouteSpec: servingv1.RouteSpec{Traffic: []servingv1.TrafficTarget{
				tagged("pr-9", "app-pr-9-abcde"), tagged("canary", "app-00003"), {RevisionName: "app-00003"}}}}},
			"[p/app tag pr-9 #9 " + t0.Add(2*time.Hour).Format(time.RFC3339) + " own]"},
		{"someone else's Service, no labels", servingv1.Service{ObjectMeta: meta("p", "theirs", t0, map[string]string{"team": "a"})}, "[]"},
		{"a label that is no number", servingv1.Service{ObjectMeta: meta("p", "odd", t0, map[string]string{pullRequestLabel: "x", repositoryLabel: ours})}, "[]"},
		{"another repository's pull request of the same number", servingv1.Service{ObjectMeta: meta("p", "app-pr-7", t0, map[string]string{pullRequestLabel: "7", repositoryLabel: repositoryValue("other/app")})}, "[]"},
		{"a pull request's Service that names no repository", servingv1.Service{ObjectMeta: meta("p", "app-pr-7", t0, map[string]string{pullRequestLabel: "7"})}, "[]"},
		{"a Service of an explicit name: a preview, not the pull request's own",
			servingv1.Service{ObjectMeta: meta("p", "staging", t0, map[string]string{pullRequestLabel: "4", repositoryLabel: ours})},
			"[p/staging #4 " + t0.Format(time.RFC3339) + " shared]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, p := range previewsOf(&tt.svc, revs, repo) {
				own := "shared"
				if o := p.DownOptions(true); o.PullRequestsOwn() && o.Derived.Closing && o.Mode == ModeDown {
					own = "own"
				}
				got = append(got, fmt.Sprintf("%s #%d %s %s", p, p.PullRequest, p.Updated.UTC().Format(time.RFC3339), own))
			}
			if g := fmt.Sprintf("%v", got); g != tt.want && !(len(got) == 0 && tt.want == "[]") {
				t.Errorf("got %s\nwant %s", g, tt.want)
			}
		})
	}
}

// A repository is a label value: owner.name in lower case, or a hash when
// that is too long; a pull request owns what carries its number and its
// repository, and nothing of another repository's.
func TestRepositoryLabel(t *testing.T) {
	if got := repositoryValue("Knative-Preview/Action"); got != "knative-preview.action" {
		t.Errorf("repositoryValue = %q", got)
	}
	long := "an-owner-with-a-long-name/" + strings.Repeat("r", 80)
	if got := repositoryValue(long); !strings.HasPrefix(got, "sha256-") || len(validation.IsValidLabelValue(got)) > 0 || got == repositoryValue(long+"x") {
		t.Errorf("repositoryValue of a long name = %q", got)
	}
	pr := &PullRequest{Number: 7, Repository: "acme/app"}
	for _, c := range []struct {
		labels map[string]string
		want   bool
	}{
		{pr.labels(), true},
		{map[string]string{pullRequestLabel: "7", repositoryLabel: "acme.app", "team": "web"}, true},
		{map[string]string{pullRequestLabel: "7", repositoryLabel: "other.app"}, false},
		{map[string]string{pullRequestLabel: "7"}, false},
		{map[string]string{pullRequestLabel: "8", repositoryLabel: "acme.app"}, false},
	} {
		if got := pr.owns(c.labels); got != c.want {
			t.Errorf("owns(%v) = %v, want %v", c.labels, got, c.want)
		}
	}
	if (*PullRequest)(nil).owns(pr.labels()) {
		t.Error("no pull request owns anything")
	}
}
