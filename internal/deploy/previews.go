package deploy

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	servingv1 "knative.dev/serving/pkg/apis/serving/v1"

	"github.com/knative-preview/action/internal/cluster"
	"github.com/knative-preview/action/internal/kube"
)

// Preview is a pull request's preview this action made, as its labels
// show it on the cluster: a Service labelled with the pull request, or a
// traffic tag whose revision is labelled with it. A Service without the
// label is no preview of this action's, whoever made it.
type Preview struct {
	Namespace, Service string
	// Tag is the traffic tag of a preview on a shared Service; empty for a
	// Service of its own.
	Tag string
	// PullRequest is the number in its label.
	PullRequest int
	// Updated is when its newest revision was made: the last run that
	// deployed it.
	Updated time.Time
}

// String names the preview: namespace/service, and its tag.
func (p Preview) String() string {
	s := p.Namespace + "/" + p.Service
	if p.Tag != "" {
		s += " tag " + p.Tag
	}
	return s
}

// DownOptions are the options under which Down removes the preview as
// the run of its pull request's closing does: the Service only while it
// is still that pull request's, a tag with its Secrets, the history of a
// preview named after the pull request (with keepsHistory), a namespace
// this action created once empty.
func (p Preview) DownOptions(keepsHistory bool) Options {
	own := p.Tag == prName(p.PullRequest) || p.Tag == "" && strings.HasSuffix(p.Service, "-"+prName(p.PullRequest))
	return Options{
		Mode: ModeDown, Service: p.Service, Namespace: p.Namespace, Tag: p.Tag, KeepsHistory: keepsHistory,
		Derived: Derived{PullRequest: &PullRequest{Number: p.PullRequest, Closed: true}, OwnPreview: own, Closing: true},
	}
}

// prName is what the pull request names: its Service's suffix and its tag.
func prName(number int) string { return "pr-" + strconv.Itoa(number) }

// FindPreviews lists the previews this action made in namespace, or in
// every namespace when it is empty, in order of namespace, Service and tag.
func FindPreviews(ctx context.Context, cl *cluster.Cluster, namespace string) ([]Preview, error) {
	c, err := newClients(cl)
	if err != nil {
		return nil, err
	}
	where := "namespace " + namespace
	if namespace == "" {
		where = "every namespace"
	}
	revs, err := kube.Get(ctx, func(ctx context.Context) (*servingv1.RevisionList, error) {
		return c.serving.Revisions(namespace).List(ctx, metav1.ListOptions{LabelSelector: pullRequestLabel})
	})
	if err != nil {
		return nil, fmt.Errorf("listing the revisions labelled %s in %s: %w%s", pullRequestLabel, where, err, installHint(err))
	}
	svcs, err := kube.Get(ctx, func(ctx context.Context) (*servingv1.ServiceList, error) {
		return c.serving.Services(namespace).List(ctx, metav1.ListOptions{})
	})
	if err != nil {
		return nil, fmt.Errorf("listing the Knative Services in %s: %w%s", where, err, installHint(err))
	}
	var out []Preview
	for i := range svcs.Items {
		out = append(out, previewsOf(&svcs.Items[i], revs.Items)...)
	}
	slices.SortFunc(out, func(a, b Preview) int {
		return cmp.Or(cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Service, b.Service), cmp.Compare(a.Tag, b.Tag))
	})
	return out, nil
}

// previewsOf are the previews on svc: itself, when labelled with a pull
// request, and each traffic tag that names a revision labelled with one.
// revs are the revisions labelled with a pull request.
func previewsOf(svc *servingv1.Service, revs []servingv1.Revision) []Preview {
	if svc.DeletionTimestamp != nil {
		return nil
	}
	var out []Preview
	if n, err := strconv.Atoi(svc.Labels[pullRequestLabel]); err == nil && n > 0 {
		p := Preview{Namespace: svc.Namespace, Service: svc.Name, PullRequest: n, Updated: svc.CreationTimestamp.Time}
		for _, r := range revs {
			if r.Namespace == svc.Namespace && r.Labels[serviceLabel] == svc.Name && r.CreationTimestamp.After(p.Updated) {
				p.Updated = r.CreationTimestamp.Time
			}
		}
		out = append(out, p)
	}
	for _, t := range svc.Spec.Traffic {
		if t.Tag == "" || t.RevisionName == "" {
			continue
		}
		i := slices.IndexFunc(revs, func(r servingv1.Revision) bool { return r.Namespace == svc.Namespace && r.Name == t.RevisionName })
		if i < 0 {
			continue
		}
		if n, err := strconv.Atoi(revs[i].Labels[pullRequestLabel]); err == nil && n > 0 {
			out = append(out, Preview{Namespace: svc.Namespace, Service: svc.Name, Tag: t.Tag, PullRequest: n, Updated: revs[i].CreationTimestamp.Time})
		}
	}
	return out
}
