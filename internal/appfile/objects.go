package appfile

import (
	"fmt"
	"slices"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/knative-preview/action/internal/apply"
)

// clusterScoped are the kinds Kubernetes (and Knative) serve without a
// namespace that an app's folder may hold. They are refused before the
// cluster is contacted; a kind not listed is checked against the cluster's
// own discovery before anything is written.
var clusterScoped = []schema.GroupKind{
	{Kind: "Namespace"}, {Kind: "Node"}, {Kind: "PersistentVolume"}, {Kind: "ComponentStatus"},
	{Group: "rbac.authorization.k8s.io", Kind: "ClusterRole"},
	{Group: "rbac.authorization.k8s.io", Kind: "ClusterRoleBinding"},
	{Group: "apiextensions.k8s.io", Kind: "CustomResourceDefinition"},
	{Group: "apiregistration.k8s.io", Kind: "APIService"},
	{Group: "admissionregistration.k8s.io", Kind: "MutatingWebhookConfiguration"},
	{Group: "admissionregistration.k8s.io", Kind: "ValidatingWebhookConfiguration"},
	{Group: "admissionregistration.k8s.io", Kind: "ValidatingAdmissionPolicy"},
	{Group: "admissionregistration.k8s.io", Kind: "ValidatingAdmissionPolicyBinding"},
	{Group: "storage.k8s.io", Kind: "StorageClass"},
	{Group: "storage.k8s.io", Kind: "CSIDriver"},
	{Group: "storage.k8s.io", Kind: "VolumeAttachment"},
	{Group: "scheduling.k8s.io", Kind: "PriorityClass"},
	{Group: "node.k8s.io", Kind: "RuntimeClass"},
	{Group: "networking.k8s.io", Kind: "IngressClass"},
	{Group: "certificates.k8s.io", Kind: "CertificateSigningRequest"},
	{Group: "networking.internal.knative.dev", Kind: "ClusterDomainClaim"},
}

// knativeService is the kind that goes in the service file, not among the
// objects.
var knativeService = schema.GroupKind{Group: servingGroup, Kind: serviceKind}

const servingGroup = "serving.knative.dev"

// ReadObjects reads the plain Kubernetes objects of one file (YAML or
// JSON, several documents, v1 Lists expanded); source names it in
// problems.
func ReadObjects(source string, data []byte) ([]*unstructured.Unstructured, []string) {
	objs, err := apply.Decode(source, data)
	if err != nil {
		return nil, []string{err.Error()}
	}
	return objs, nil
}

// checkObjects refuses what a preview may not write: an object without a
// namespace of its own (a cluster-scoped kind), one that names another
// namespace than the preview's, a Knative Service (its place is the
// service file), and one given twice. Every problem is one line.
func checkObjects(objs []*unstructured.Unstructured, namespace string) []string {
	var problems []string
	seen := map[string]bool{}
	for _, o := range objs {
		gk := o.GroupVersionKind().GroupKind()
		what := Describe(o)
		switch {
		case slices.Contains(clusterScoped, gk):
			problems = append(problems, fmt.Sprintf("%s is cluster-scoped: a preview writes only into its own namespace (%s)", what, namespace))
		case gk == knativeService:
			problems = append(problems, fmt.Sprintf("%s is a Knative Service: it goes in input service-file, which deploys and waits for it", what))
		case o.GetNamespace() != "" && o.GetNamespace() != namespace:
			problems = append(problems, fmt.Sprintf("%s names namespace %s: a preview writes only into its own namespace (%s); leave metadata.namespace out", what, o.GetNamespace(), namespace))
		}
		key := gk.String() + "/" + o.GetName()
		if seen[key] {
			problems = append(problems, fmt.Sprintf("%s is given twice", what))
		}
		seen[key] = true
	}
	return problems
}

// Describe names an object as problems and logs do: its kind and name.
func Describe(o *unstructured.Unstructured) string {
	return o.GetKind() + " " + o.GetName()
}
