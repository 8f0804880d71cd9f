package release

import (
	"fmt"
	"strings"
)

// Components: each is released from its own GitHub repository with its own
// patch numbers, tagged knative-vX.Y.Z.
const (
	Serving    = "serving"
	NetKourier = "net-kourier"
	NetIstio   = "net-istio"
	NetContour = "net-contour"
)

// Values of the ingress input.
const (
	IngressKourier = "kourier"
	IngressIstio   = "istio"
	IngressContour = "contour"
)

// TagPrefix comes before X.Y.Z in Knative release tags.
const TagPrefix = "knative-v"

// Ingresses lists the accepted values of the ingress input, default first.
func Ingresses() []string {
	return []string{IngressKourier, IngressIstio, IngressContour}
}

// IngressComponent returns the component (net-kourier, ...) that provides
// the networking layer for an ingress input value.
func IngressComponent(ingress string) (string, error) {
	switch ingress {
	case IngressKourier:
		return NetKourier, nil
	case IngressIstio:
		return NetIstio, nil
	case IngressContour:
		return NetContour, nil
	}
	return "", fmt.Errorf("%q is not an ingress (accepted: %s)", ingress, strings.Join(Ingresses(), ", "))
}

// Repo returns the GitHub repository (owner/name) that releases component.
// The repositories moved between organisations; GitHub redirects the old
// names, so the current one is used.
func Repo(component string) (string, error) {
	switch component {
	case Serving, NetKourier, NetIstio, NetContour:
		return "knative/" + component, nil
	}
	return "", fmt.Errorf("%q is not a Knative component (accepted: %s, %s, %s, %s)", component, Serving, NetKourier, NetIstio, NetContour)
}
