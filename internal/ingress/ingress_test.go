package ingress

import (
	"strings"
	"testing"
)

func TestGateways(t *testing.T) {
	all := All()
	if len(all) != 3 || all[0].Service != "kourier" || all[1].Service != "istio-ingressgateway" || all[2].Service != "envoy" {
		t.Errorf("All() = %+v", all)
	}
	for _, g := range all {
		if !strings.HasSuffix(g.Class, ".ingress.networking.knative.dev") || g.TargetPort == 0 || len(g.Selector) == 0 || len(g.Namespaces) == 0 {
			t.Errorf("incomplete gateway %+v", g)
		}
	}
	if _, err := GatewayOf("nginx"); err == nil || !strings.Contains(err.Error(), "accepted: kourier, istio, contour") {
		t.Errorf("GatewayOf(nginx): %v", err)
	}
}
