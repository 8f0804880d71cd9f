package deploy

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	servingv1 "knative.dev/serving/pkg/apis/serving/v1"

	"github.com/knative-preview/action/internal/cluster"
	"github.com/knative-preview/action/internal/kube"
)

// Preview is a pull request's preview this action made, as its labels
// show it on the cluster: a pull request's own namespace (namespace auto),
// a Service labelled with the pull request, or a traffic tag whose
// revision is labelled with it; each labelled with its repository too.
// What is not so labelled is no preview of this action's, whoever made it.
type Preview struct {
	Namespace, Service string
	// Tag is the traffic tag of a preview on a shared Service; empty for a
	// Service of its own.
	Tag string
	// OwnNamespace says the preview is the whole namespace, the pull
	// request's own; Service is then empty.
	OwnNamespace bool
	// PullRequest is the number in its label; Repository the repository
	// it is of, owner/name.
	PullRequest int
	Repository  string
	// Updated is when its newest revision was made: the last run that
	// deployed it.
	Updated time.Time
}

// String names the preview: namespace/service, and its tag.
func (p Preview) String() string {
	if p.OwnNamespace {
		return "namespace " + p.Namespace
	}
	s := p.Namespace + "/" + p.Service
	if p.Tag != "" {
		s += " tag " + p.Tag
	}
	return s
}

// DownOptions are the options under which Down removes the preview as
// the run of its pull request's closing does: its own namespace as a
// whole; else the Service only while it is still that pull request's, a
// tag with its Secrets, the history of a preview named after the pull
// request (with keepsHistory), a namespace this action created once empty.
func (p Preview) DownOptions(keepsHistory bool) Options {
	own := p.Tag == prName(p.PullRequest) || p.Tag == "" && strings.HasSuffix(p.Service, "-"+prName(p.PullRequest))
	return Options{
		Mode: ModeDown, Service: p.Service, Namespace: p.Namespace, Tag: p.Tag, KeepsHistory: keepsHistory,
		Derived: Derived{
			PullRequest: &PullRequest{Number: p.PullRequest, Closed: true, Repository: p.Repository},
			OwnPreview:  own, Closing: true, OwnNamespace: p.OwnNamespace,
		},
	}
}

// prName is what the pull request names: its Service's suffix and its tag.
func prName(number int) string { return "pr-" + strconv.Itoa(number) }

// FindPreviews lists the previews this action made for pull requests of
// repository (owner/name) in namespace, or in every namespace when it is
// empty: the pull requests' own namespaces first, then in order of
// namespace, Service and tag.
func FindPreviews(ctx context.Context, cl *cluster.Cluster, namespace, repository string) ([]Preview, error) {
	if repository == "" {
		return nil, errors.New("finding previews: whose is not known (no repository, GITHUB_REPOSITORY): none is touched")
	}
	c, err := newClients(cl)
	if err != nil {
		return nil, err
	}
	where := "namespace " + namespace
	if namespace == "" {
		where = "every namespace"
	}
	ours := labels.Set{repositoryLabel: repositoryValue(repository)}
	byPullRequest := ours.String() + "," + pullRequestLabel
	revs, err := kube.Get(ctx, func(ctx context.Context) (*servingv1.RevisionList, error) {
		return c.serving.Revisions(namespace).List(ctx, metav1.ListOptions{LabelSelector: byPullRequest})
	})
	if err != nil {
		return nil, fmt.Errorf("listing the revisions labelled %s in %s: %w%s", byPullRequest, where, err, installHint(err))
	}
	out, err := ownNamespaces(ctx, c, namespace, repository, byPullRequest, revs.Items)
	if err != nil {
		return nil, err
	}
	svcs, err := kube.Get(ctx, func(ctx context.Context) (*servingv1.ServiceList, error) {
		return c.serving.Services(namespace).List(ctx, metav1.ListOptions{})
	})
	if err != nil {
		return nil, fmt.Errorf("listing the Knative Services in %s: %w%s", where, err, installHint(err))
	}
	var inServices []Preview
	for i := range svcs.Items {
		if svc := &svcs.Items[i]; !slices.ContainsFunc(out, func(p Preview) bool { return p.Namespace == svc.Namespace }) {
			inServices = append(inServices, previewsOf(svc, revs.Items, repository)...)
		}
	}
	slices.SortFunc(inServices, func(a, b Preview) int {
		return cmp.Or(cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Service, b.Service), cmp.Compare(a.Tag, b.Tag))
	})
	return append(out, inServices...), nil
}

// ownNamespaces are the own namespaces of repository's pull requests in
// namespace (every one when empty), which selector (the repository's,
// with a pull request's number) finds among this action's, each updated
// when its newest revision of revs was made.
func ownNamespaces(ctx context.Context, c *clients, namespace, repository, selector string, revs []servingv1.Revision) ([]Preview, error) {
	list, err := kube.Get(ctx, func(ctx context.Context) (*corev1.NamespaceList, error) {
		return c.kube.CoreV1().Namespaces().List(ctx, metav1.ListOptions{LabelSelector: selector + "," + kube.ManagedByLabel + "=" + kube.ManagedByValue})
	})
	if err != nil {
		return nil, fmt.Errorf("listing the namespaces of pull requests: %w", err)
	}
	var out []Preview
	for _, ns := range list.Items {
		n, err := strconv.Atoi(ns.Labels[pullRequestLabel])
		if err != nil || n <= 0 || ns.DeletionTimestamp != nil || namespace != "" && ns.Name != namespace {
			continue
		}
		p := Preview{Namespace: ns.Name, OwnNamespace: true, PullRequest: n, Repository: repository, Updated: ns.CreationTimestamp.Time}
		for _, r := range revs {
			if r.Namespace == ns.Name && r.CreationTimestamp.After(p.Updated) {
				p.Updated = r.CreationTimestamp.Time
			}
		}
		out = append(out, p)
	}
	slices.SortFunc(out, func(a, b Preview) int { return cmp.Compare(a.Namespace, b.Namespace) })
	return out, nil
}

// previewsOf are the previews on svc: itself, when labelled with a pull
// request of repository, and each traffic tag that names a revision
// labelled with one. revs are the revisions labelled with a pull request
// of repository.
func previewsOf(svc *servingv1.Service, revs []servingv1.Revision, repository string) []Preview {
	if svc.DeletionTimestamp != nil {
		return nil
	}
	var out []Preview
	n, err := strconv.Atoi(svc.Labels[pullRequestLabel])
	if err == nil && n > 0 && svc.Labels[repositoryLabel] == repositoryValue(repository) {
		p := Preview{Namespace: svc.Namespace, Service: svc.Name, PullRequest: n, Repository: repository, Updated: svc.CreationTimestamp.Time}
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
			out = append(out, Preview{Namespace: svc.Namespace, Service: svc.Name, Tag: t.Tag, PullRequest: n, Repository: repository, Updated: revs[i].CreationTimestamp.Time})
		}
	}
	return out
}
