package deploy

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"knative.dev/serving/pkg/apis/autoscaling"
	"knative.dev/serving/pkg/apis/serving"
	servingv1 "knative.dev/serving/pkg/apis/serving/v1"

	"github.com/knative-preview/action/internal/appfile"
	"github.com/knative-preview/action/internal/buildinfo"
	"github.com/knative-preview/action/internal/kube"
)

// Keys this action writes.
const (
	// ownPrefix prefixes this action's own annotations; inputs may not use it.
	ownPrefix = buildinfo.Name + "/"
	// appliedKey records on the Service which of its fields the last run set,
	// so a later run removes what its inputs no longer set and nothing else.
	appliedKey = ownPrefix + "applied"
	// deployIDKey is a new value on every run: it makes every run a new
	// revision (the image tag may be the same, its content not) and tells
	// which revision this run made.
	deployIDKey = ownPrefix + "deploy-id"
	// pullRequestLabel and headSHALabel say which pull request, at which
	// commit, a revision (and a pull request's own Service) previews.
	pullRequestLabel = ownPrefix + "pull-request"
	headSHALabel     = ownPrefix + "head-sha"
	// repositoryLabel says whose pull request: its repository.
	repositoryLabel = ownPrefix + "repository"

	minScaleKey       = autoscaling.MinScaleAnnotationKey
	maxScaleKey       = autoscaling.MaxScaleAnnotationKey
	autoscalingPrefix = autoscaling.GroupName + "/"
	visibilityKey     = "networking.knative.dev/visibility"
	revisionLabel     = serving.RevisionLabelKey
	// progressDeadlineKey is Knative's progress deadline of a revision:
	// how long it may take to become ready before Knative gives up.
	progressDeadlineKey = serving.ProgressDeadlineAnnotationKey
	serviceLabel        = serving.ServiceLabelKey
)

// Scalar fields an input sets, as recorded in the applied annotation.
const (
	fieldPort        = "port"
	fieldArgs        = "args"
	fieldConcurrency = "concurrency"
	fieldTimeout     = "request-timeout"
	fieldAccount     = "service-account"
	fieldVisibility  = "visibility"
)

// applied is what one run set on the Service, by key.
type applied struct {
	Labels              []string `json:"labels,omitempty"`
	Annotations         []string `json:"annotations,omitempty"`
	TemplateAnnotations []string `json:"templateAnnotations,omitempty"`
	Env                 []string `json:"env,omitempty"`
	Fields              []string `json:"fields,omitempty"`
	// Pinned is the revision a tagged run moved the main route to (from
	// latestRevision), so an untagged run can give it back to the latest.
	Pinned string `json:"pinned,omitempty"`
	// PullSecret is the registry Secret the run listed in imagePullSecrets,
	// so the next run (another tag's, say) does not list it too.
	PullSecret string `json:"pullSecret,omitempty"`
}

func readApplied(svc *servingv1.Service) applied {
	var a applied
	if raw := svc.Annotations[appliedKey]; raw != "" {
		// A record someone garbled counts as no record: then nothing of an
		// earlier run is removed, which is the safe side.
		_ = json.Unmarshal([]byte(raw), &a)
	}
	return a
}

// newService is the Service a first run creates, before apply.
func newService(o Options) *servingv1.Service {
	return &servingv1.Service{
		TypeMeta: metav1.TypeMeta{APIVersion: servingv1.SchemeGroupVersion.String(), Kind: "Service"},
		ObjectMeta: metav1.ObjectMeta{
			Name:      o.Service,
			Namespace: o.Namespace,
			Labels:    map[string]string{kube.ManagedByLabel: kube.ManagedByValue},
		},
	}
}

// apply sets what the options ask for on svc (a new Service, a copy of
// the existing one, or the service file's primary Service) and leaves
// every other field as it is. deployID marks the new revision; revision
// is its name when it must be chosen here (a tagged deploy pins its tag to
// it), else empty and Knative names it; local are the registries whose
// images were loaded into the nodes, so must not be pulled.
func apply(svc *servingv1.Service, o Options, deployID, revision string, local []string) {
	prev := readApplied(svc)
	var now applied
	applyLabels(svc, o, prev, &now)
	applyAnnotations(svc, o, prev, &now)
	applyContainer(svc, o, prev, &now)
	applyPreview(svc, o, deployID, local)
	// The revision's name: chosen for a tag; otherwise left to Knative (a
	// name kept from an earlier revision would make Knative refuse the
	// changed template).
	svc.Spec.Template.Name = revision
	applyPullSecret(&svc.Spec.Template.Spec, o, prev, &now)
	applyFields(svc, o, prev, &now)
	now.Pinned = routeTraffic(svc, o.Tag, revision, prev.Pinned)

	raw, err := json.Marshal(now)
	if err != nil {
		panic(err) // a struct of strings always marshals
	}
	svc.Annotations[appliedKey] = string(raw)
}

// applyOther sets on a Service of the app other than the primary what
// every Service of the preview carries (applyPreview), its revision's
// progress deadline, and the registry login among its imagePullSecrets;
// the single-Service inputs are the primary's. It is applied server-side,
// so what an earlier run set and this one does not goes by itself.
func applyOther(svc *servingv1.Service, o Options, deployID string, local []string) {
	applyPreview(svc, o, deployID, local)
	if o.ReadyTimeout > 0 {
		svc.Spec.Template.Annotations[progressDeadlineKey] = deadline(o.ReadyTimeout)
	}
	applyPullSecret(&svc.Spec.Template.Spec, o, applied{}, &applied{})
}

// applyPreview sets what every Service of a preview carries: this
// action's label, the pull request's labels (on the Service when it is the
// pull request's own), the deploy ID that makes every run a new revision,
// and for each image loaded into the nodes a pull policy that does not
// pull it.
func applyPreview(svc *servingv1.Service, o Options, deployID string, local []string) {
	svc.Labels = orEmpty(svc.Labels)
	tmpl := &svc.Spec.Template
	tmpl.Labels, tmpl.Annotations = orEmpty(tmpl.Labels), orEmpty(tmpl.Annotations)
	if o.App != nil {
		svc.Labels[kube.ManagedByLabel] = kube.ManagedByValue
	}
	for _, k := range []string{pullRequestLabel, headSHALabel} {
		delete(svc.Labels, k)
		delete(tmpl.Labels, k)
	}
	for k, v := range o.Derived.PullRequest.labels() {
		tmpl.Labels[k] = v
		if o.Tag == "" {
			svc.Labels[k] = v
		}
	}
	tmpl.Annotations[deployIDKey] = deployID
	appfile.EachContainer(&tmpl.Spec.PodSpec, func(c *corev1.Container) {
		if loadedIntoNodes(c.Image, local) && c.ImagePullPolicy != corev1.PullNever {
			c.ImagePullPolicy = corev1.PullIfNotPresent
		}
	})
}

// deadline is a duration as Knative's progress-deadline annotation takes
// it: whole seconds.
func deadline(d time.Duration) string { return strconv.FormatInt(int64(d/time.Second), 10) + "s" }

// applyLabels sets the input's labels on the Service and on its
// revisions, and the visibility.
func applyLabels(svc *servingv1.Service, o Options, prev applied, now *applied) {
	svc.Labels = orEmpty(svc.Labels)
	tmpl := &svc.Spec.Template
	tmpl.Labels = orEmpty(tmpl.Labels)
	for _, k := range prev.Labels {
		if _, still := o.Labels[k]; !still {
			delete(svc.Labels, k)
			delete(tmpl.Labels, k)
		}
	}
	for k, v := range o.Labels {
		svc.Labels[k] = v
		tmpl.Labels[k] = v
	}
	now.Labels = sortedKeys(o.Labels)
	if o.Visibility == VisibilityClusterLocal {
		svc.Labels[visibilityKey] = string(VisibilityClusterLocal)
		now.Fields = append(now.Fields, fieldVisibility)
	} else if slices.Contains(prev.Fields, fieldVisibility) {
		delete(svc.Labels, visibilityKey)
	}
}

// applyAnnotations sets the annotations: autoscaling ones only on the
// revisions (Knative refuses them on the Service), all others on both.
func applyAnnotations(svc *servingv1.Service, o Options, prev applied, now *applied) {
	tmpl := &svc.Spec.Template
	svcAnn, tmplAnn := map[string]string{}, map[string]string{}
	for k, v := range o.Annotations {
		if !strings.HasPrefix(k, autoscalingPrefix) {
			svcAnn[k] = v
		}
		tmplAnn[k] = v
	}
	if o.MinScale != nil {
		tmplAnn[minScaleKey] = itoa(int64(*o.MinScale))
	}
	if o.MaxScale != nil {
		tmplAnn[maxScaleKey] = itoa(int64(*o.MaxScale))
	}
	if o.ReadyTimeout > 0 {
		tmplAnn[progressDeadlineKey] = deadline(o.ReadyTimeout)
	}
	svc.Annotations = orEmpty(svc.Annotations)
	tmpl.Annotations = orEmpty(tmpl.Annotations)
	replaceKeys(svc.Annotations, prev.Annotations, svcAnn)
	replaceKeys(tmpl.Annotations, prev.TemplateAnnotations, tmplAnn)
	now.Annotations = sortedKeys(svcAnn)
	now.TemplateAnnotations = sortedKeys(tmplAnn)
}

// applyContainer sets the serving container's image (a service file's
// has its own) and environment: a variable the file sets too takes the
// input's value, the file's others stay.
func applyContainer(svc *servingv1.Service, o Options, prev applied, now *applied) {
	c := servingContainer(&svc.Spec.Template.Spec.PodSpec)
	if o.App == nil {
		c.Image = o.Image
	}
	var names []string
	for _, e := range o.Env {
		names = append(names, e.Name)
		setEnv(c, corev1.EnvVar{Name: e.Name, Value: e.Value})
	}
	for _, e := range o.SecretEnv {
		names = append(names, e.Name)
		setEnv(c, corev1.EnvVar{Name: e.Name, ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{
			LocalObjectReference: corev1.LocalObjectReference{Name: o.secretName()},
			Key:                  e.Name,
		}}})
	}
	for _, n := range prev.Env {
		if !slices.Contains(names, n) {
			c.Env = slices.DeleteFunc(c.Env, func(e corev1.EnvVar) bool { return e.Name == n })
		}
	}
	now.Env = names
}

// applyPullSecret lists the registry Secret once; an earlier run's
// (another tag's) is taken out, the user's are kept.
func applyPullSecret(spec *servingv1.RevisionSpec, o Options, prev applied, now *applied) {
	pull := ""
	if o.Registry != nil {
		pull = o.registrySecretName()
	}
	spec.ImagePullSecrets = slices.DeleteFunc(spec.ImagePullSecrets, func(r corev1.LocalObjectReference) bool {
		return r.Name == prev.PullSecret && r.Name != pull
	})
	if pull != "" && !slices.ContainsFunc(spec.ImagePullSecrets, func(r corev1.LocalObjectReference) bool { return r.Name == pull }) {
		spec.ImagePullSecrets = append(spec.ImagePullSecrets, corev1.LocalObjectReference{Name: pull})
	}
	now.PullSecret = pull
}

// applyFields sets the scalar fields an input sets, and clears those an
// earlier run set that no input sets now.
func applyFields(svc *servingv1.Service, o Options, prev applied, now *applied) {
	spec := &svc.Spec.Template.Spec
	c := servingContainer(&spec.PodSpec)
	set := func(field string, isSet bool, setIt, clear func()) {
		switch {
		case isSet:
			setIt()
			now.Fields = append(now.Fields, field)
		case slices.Contains(prev.Fields, field):
			clear()
		}
	}
	set(fieldPort, o.Port != 0, func() {
		if len(c.Ports) == 0 {
			c.Ports = []corev1.ContainerPort{{}}
		}
		c.Ports[0].ContainerPort = o.Port
	}, func() { c.Ports = nil })
	set(fieldArgs, o.Args != nil, func() { c.Args = slices.Clone(o.Args) }, func() { c.Args = nil })
	set(fieldConcurrency, o.Concurrency != nil, func() {
		n := *o.Concurrency
		spec.ContainerConcurrency = &n
	}, func() { spec.ContainerConcurrency = nil })
	set(fieldTimeout, o.RequestTimeout != 0, func() {
		s := int64(o.RequestTimeout.Seconds())
		spec.TimeoutSeconds = &s
	}, func() { spec.TimeoutSeconds = nil })
	set(fieldAccount, o.ServiceAccount != "", func() { spec.ServiceAccountName = o.ServiceAccount },
		func() { spec.ServiceAccountName = "" })
}

// routeTraffic edits spec.traffic for a deploy and returns the revision the
// main route is pinned to by this action (to record), if any.
//
// With a tag, the new revision gets the tag and 0% of the traffic: entries
// that send traffic to the latest revision are pinned to the revision that
// is ready now, and an earlier entry of the same tag is replaced. Without a
// tag, traffic is the user's, except that a pin of an earlier tagged run is
// given back to the latest revision.
func routeTraffic(svc *servingv1.Service, tag, revision, pinned string) string {
	if tag == "" {
		if pinned == "" {
			return ""
		}
		for i, t := range svc.Spec.Traffic {
			if t.RevisionName == pinned && t.Tag == "" {
				svc.Spec.Traffic[i].RevisionName = ""
				svc.Spec.Traffic[i].LatestRevision = ptr(true)
			}
		}
		return ""
	}
	traffic := svc.Spec.Traffic
	if len(traffic) == 0 {
		traffic = []servingv1.TrafficTarget{{LatestRevision: ptr(true), Percent: ptr(int64(100))}}
	}
	ready := svc.Status.LatestReadyRevisionName
	var out []servingv1.TrafficTarget
	for _, t := range traffic {
		if t.Tag == tag {
			continue
		}
		if ready != "" && t.LatestRevision != nil && *t.LatestRevision && t.Percent != nil && *t.Percent > 0 {
			t.LatestRevision = ptr(false)
			t.RevisionName = ready
			if t.Tag == "" {
				pinned = ready
			}
		}
		out = append(out, t)
	}
	svc.Spec.Traffic = append(out, servingv1.TrafficTarget{Tag: tag, RevisionName: revision, Percent: ptr(int64(0))})
	return pinned
}

// labels are the pull request's labels: who it is, and the commit the
// preview runs; none for nil.
func (pr *PullRequest) labels() map[string]string {
	if pr == nil {
		return nil
	}
	l := pr.identity()
	if pr.HeadSHA != "" {
		l[headSHALabel] = pr.HeadSHA
	}
	return l
}

// identity are the labels that say which pull request a preview is:
// its number, and its repository when known.
func (pr *PullRequest) identity() map[string]string {
	l := map[string]string{pullRequestLabel: strconv.Itoa(pr.Number)}
	if pr.Repository != "" {
		l[repositoryLabel] = repositoryValue(pr.Repository)
	}
	return l
}

// describe says the labels a preview of pr carries, for messages.
func (pr *PullRequest) describe() string {
	id := pr.identity()
	parts := []string{kube.ManagedByLabel + "=" + kube.ManagedByValue}
	for _, k := range sortedKeys(id) {
		parts = append(parts, k+"="+id[k])
	}
	return strings.Join(parts, ", ")
}

// owns reports whether labels say the preview is pr's: its number, and its
// repository when pr knows it. A preview of the same number in another
// repository is not.
func (pr *PullRequest) owns(labels map[string]string) bool {
	if pr == nil {
		return false
	}
	for k, v := range pr.identity() {
		if labels[k] != v {
			return false
		}
	}
	return true
}

// repositoryValue is a repository (owner/name) as a label value: owner.name
// lower-cased (GitHub's names ignore case), or, when that is no label
// value (too long), "sha256-" and 16 hex digits of its hash.
func repositoryValue(repo string) string {
	v := strings.ToLower(strings.Replace(strings.TrimSpace(repo), "/", ".", 1))
	if len(validation.IsValidLabelValue(v)) == 0 {
		return v
	}
	sum := sha256.Sum256([]byte(strings.ToLower(repo)))
	return "sha256-" + hex.EncodeToString(sum[:8])
}

// servingContainer returns the container that serves requests (the one
// with a port when there are several), adding one to an empty spec.
func servingContainer(spec *corev1.PodSpec) *corev1.Container {
	if len(spec.Containers) == 0 {
		spec.Containers = []corev1.Container{{}}
	}
	for i := range spec.Containers {
		if len(spec.Containers[i].Ports) > 0 {
			return &spec.Containers[i]
		}
	}
	return &spec.Containers[0]
}

// setEnv replaces the variable of that name or appends it.
func setEnv(c *corev1.Container, v corev1.EnvVar) {
	for i := range c.Env {
		if c.Env[i].Name == v.Name {
			c.Env[i] = v
			return
		}
	}
	c.Env = append(c.Env, v)
}

// replaceKeys removes from m the keys set before that are not in want, and
// sets want.
func replaceKeys(m map[string]string, before []string, want map[string]string) {
	for _, k := range before {
		if _, still := want[k]; !still {
			delete(m, k)
		}
	}
	for k, v := range want {
		m[k] = v
	}
}

func orEmpty(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

func ptr[T any](v T) *T { return &v }

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
