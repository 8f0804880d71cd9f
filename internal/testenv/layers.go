package testenv

import (
	_ "embed"
	"strings"
)

// The Istio and Contour layers' release files, shaped like the assets of
// knative/net-istio and knative/net-contour (neither module is served
// here): the same files, namespaces, gateway Services and workloads, with
// the names, labels, selectors and ports that installing relies on, and
// only the CRDs that the layer's own objects need.
//
// net-istio publishes istio.yaml (third_party/istio-latest/istio-ci-no-mesh,
// Istio's own version labels) and net-istio.yaml (config/). net-contour
// publishes contour.yaml (config/contour: Contour's quickstart renamed into
// contour-external, with a LoadBalancer envoy Service, and contour-internal,
// with a ClusterIP one; envoy is a DaemonSet) and net-contour.yaml
// (config/).
//
// The files are in testdata/, the Knative parts as the modules' sources
// have them: "devel" versions and ko:// images, which release turns into a
// version's.

var (
	//go:embed testdata/istio.yaml
	istio string
	//go:embed testdata/net-istio.yaml
	netIstio string
	//go:embed testdata/contour-crds.yaml
	contourCRDs string
	//go:embed testdata/net-contour.yaml
	netContour string
	// contourNamespace is one Contour, in the namespace NAMESPACE with an
	// envoy Service of type ENVOY_SERVICE_TYPE.
	//go:embed testdata/contour-namespace.yaml
	contourNamespace string
)

// contour is contour.yaml: the CRDs and cluster-wide role once, then one
// Contour per namespace, as net-contour's ytt overlays make them.
var contour = contourCRDs + contourIn("contour-external", "LoadBalancer") + contourIn("contour-internal", "ClusterIP")

// contourIn is the Contour of one namespace, as a document list that
// follows another.
func contourIn(namespace, envoyServiceType string) string {
	return "\n" + strings.NewReplacer("NAMESPACE", namespace, "ENVOY_SERVICE_TYPE", envoyServiceType).Replace(contourNamespace)
}
