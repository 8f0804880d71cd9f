package deploy

import (
	"fmt"
	"strings"

	servingv1 "knative.dev/serving/pkg/apis/serving/v1"

	"github.com/knative-preview/action/internal/appfile"
)

// appPlan says what Up does with the app of a service file.
func (o Options) appPlan() []string {
	var out []string
	if pr := o.Derived.PullRequest; o.Derived.OwnNamespace {
		out = append(out, fmt.Sprintf("create namespace %s, pull request #%d's own, labelled with it (or use it if it is); the Services keep the file's names, so they call each other as in the file", o.Namespace, pr.Number))
	}
	out = append(out, fmt.Sprintf("before writing anything, check the app with the API server: %d objects (each namespaced) and %d Knative Services in a dry run of server-side apply (its schema, strictly, and its admission webhooks); a refused app leaves nothing behind", len(o.App.Objects), len(o.App.Services)))
	if objs := o.App.Objects; len(objs) > 0 {
		names := make([]string, len(objs))
		for i, obj := range objs {
			names[i] = appfile.Describe(obj)
		}
		out = append(out, fmt.Sprintf("apply the objects beside the Services server-side into %s, labelled as this action's: %s; a Job runs anew on every deploy; wait up to %s until Deployments, StatefulSets and DaemonSets are available and Jobs complete, ending early when a pod cannot start",
			o.Namespace, strings.Join(names, ", "), o.objectsTimeout()))
	}
	var svcs []string
	for _, s := range o.App.Services {
		line := fmt.Sprintf("%s/%s running %s", o.Namespace, s.Name, strings.Join(appfile.ContainerImages([]*servingv1.Service{s}, nil), ", "))
		if s.Name == o.Service {
			line += " (the primary: the inputs over the file)"
		}
		svcs = append(svcs, line)
	}
	first := "apply the Knative Services of " + o.App.File + " server-side, each a new revision: " + strings.Join(svcs, "; ")
	if pr := o.Derived.PullRequest; pr != nil {
		first += fmt.Sprintf("; labelled with pull request #%d", pr.Number)
	}
	out = append(out, first)
	out = append(out, o.secretsPlan()...)
	ready := "wait until every Service is Ready"
	if o.ReadyTimeout > 0 {
		ready += fmt.Sprintf(" (each revision's progress deadline %s: then Knative gives up)", o.ReadyTimeout)
	}
	out = append(out, ready+", ending early with the reason when its pods cannot pull an image, crash, lack configuration or cannot be scheduled; a readiness probe that keeps failing is warned about after "+probeGrace.String())
	var local []string
	for _, n := range o.App.Names() {
		if o.ClusterLocal(n) {
			local = append(local, n)
		}
	}
	reach := "request each Service's URL (directly, else through the ingress with its Host header) until it answers"
	if len(local) > 0 {
		reach += "; cluster-local ones are not requested (" + strings.Join(local, ", ") + ")"
	}
	return append(out, reach)
}

// appDownPlan says what Down removes of the app of a service file in a
// namespace that is not the pull request's own.
func (o Options) appDownPlan() string {
	var svcs []string
	for _, n := range o.App.Names() {
		svcs = append(svcs, o.Namespace+"/"+n)
	}
	line := fmt.Sprintf("delete the Knative Services %s, the objects beside them that this action labelled, and the Secrets (and the namespace if this action created it and nothing else is in it)", strings.Join(svcs, ", "))
	if o.Derived.Closing {
		line += fmt.Sprintf("; only if pull request #%d deployed them last", o.Derived.PullRequest.Number)
	}
	return line
}

// objectsTimeout bounds the wait for the objects beside the Services.
func (o Options) objectsTimeout() string {
	if o.ReadyTimeout > 0 {
		return o.ReadyTimeout.String()
	}
	return defaultObjectsTimeout.String()
}
