package manifests

import (
	"github.com/knative-preview/action/internal/release"
)

// Ref names one release asset of a component.
type Ref struct {
	// Component is serving, net-kourier, net-istio or net-contour.
	Component string
	// File is the asset's name, e.g. serving-core.yaml.
	File string
}

func (r Ref) String() string { return r.Component + "/" + r.File }

// Files lists the assets to install for ingress (kourier, istio or
// contour), in the order they must be applied: serving's CRDs and core,
// then the networking layer (for istio and contour, the ingress itself
// before its Knative adapter).
func Files(ingress string) ([]Ref, error) {
	comp, err := release.IngressComponent(ingress)
	if err != nil {
		return nil, err
	}
	refs := []Ref{
		{Component: release.Serving, File: "serving-crds.yaml"},
		{Component: release.Serving, File: "serving-core.yaml"},
	}
	switch comp {
	case release.NetKourier:
		refs = append(refs, Ref{Component: comp, File: "kourier.yaml"})
	case release.NetIstio:
		refs = append(refs, Ref{Component: comp, File: "istio.yaml"}, Ref{Component: comp, File: "net-istio.yaml"})
	case release.NetContour:
		refs = append(refs, Ref{Component: comp, File: "contour.yaml"}, Ref{Component: comp, File: "net-contour.yaml"})
	}
	return refs, nil
}
