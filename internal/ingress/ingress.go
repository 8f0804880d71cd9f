// Package ingress describes the networking layers Knative Serving can use
// here (Kourier, Istio, Contour): their ingress class, where they run, and
// the gateway Service in front of their proxies.
package ingress

import (
	"fmt"
	"strings"

	"github.com/knative-preview/action/internal/release"
)

// Gateway says where a networking layer runs and how its gateway is reached.
type Gateway struct {
	// Class is the config-network ingress-class of the layer.
	Class string
	// Namespaces hold the layer's Deployments.
	Namespaces []string
	// Namespace and Service name the gateway's own Service (a
	// LoadBalancer on clouds).
	Namespace, Service string
	// Selector selects the gateway's pods; TargetPort is their HTTP port.
	Selector   map[string]string
	TargetPort int32
}

var gateways = map[string]Gateway{
	release.IngressKourier: {
		Class:      "kourier.ingress.networking.knative.dev",
		Namespaces: []string{"kourier-system"},
		Namespace:  "kourier-system", Service: "kourier",
		Selector: map[string]string{"app": "3scale-kourier-gateway"}, TargetPort: 8080,
	},
	release.IngressIstio: {
		Class:      "istio.ingress.networking.knative.dev",
		Namespaces: []string{"istio-system"},
		Namespace:  "istio-system", Service: "istio-ingressgateway",
		Selector: map[string]string{"istio": "ingressgateway"}, TargetPort: 8080,
	},
	release.IngressContour: {
		Class:      "contour.ingress.networking.knative.dev",
		Namespaces: []string{"contour-external", "contour-internal"},
		Namespace:  "contour-external", Service: "envoy",
		Selector: map[string]string{"app": "envoy"}, TargetPort: 8080,
	},
}

// All returns the gateways of every networking layer, in the order of
// release.Ingresses.
func All() []Gateway {
	var out []Gateway
	for _, name := range release.Ingresses() {
		out = append(out, gateways[name])
	}
	return out
}

// GatewayOf returns the gateway of the networking layer ingress.
func GatewayOf(ingress string) (Gateway, error) {
	g, ok := gateways[ingress]
	if !ok {
		return Gateway{}, fmt.Errorf("ingress %q is not supported (accepted: %s)", ingress, strings.Join(release.Ingresses(), ", "))
	}
	return g, nil
}
