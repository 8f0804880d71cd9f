package install

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/knative-preview/action/internal/cluster"
	"github.com/knative-preview/action/internal/ingress"
	"github.com/knative-preview/action/internal/log"
)

// Waiting for the gateway's load balancer address ends at once when the
// credentials are refused, as the wait for Knative does; a read that may
// pass is made again until the address comes.
func TestChooseDomainErrors(t *testing.T) {
	gr := schema.GroupResource{Resource: "services"}
	gw := ingress.Gateway{Namespace: "kourier-system", Service: "kourier"}
	cases := []struct {
		name  string
		err   error
		times int32 // how many reads fail
		want  func(error) bool
	}{
		{"forbidden ends at once", apierrors.NewForbidden(gr, "kourier", errors.New(`User "ci" cannot get resource "services"`)), 1 << 30, apierrors.IsForbidden},
		{"unauthorized ends at once", apierrors.NewUnauthorized("token expired"), 1 << 30, apierrors.IsUnauthorized},
		{"a server error is retried", apierrors.NewInternalError(errors.New("etcdserver: leader changed")), 2, func(err error) bool { return err == nil }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			svc := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: gw.Service, Namespace: gw.Namespace}, Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeLoadBalancer}}
			svc.Status.LoadBalancer.Ingress = []corev1.LoadBalancerIngress{{IP: "203.0.113.7"}}
			cs := fake.NewClientset(svc)
			var failed atomic.Int32
			cs.PrependReactor("get", "services", func(k8stesting.Action) (bool, runtime.Object, error) {
				if failed.Add(1) <= c.times {
					return true, nil, c.err
				}
				return false, nil, nil
			})
			// The timeout is an hour: only an error that ends the wait at
			// once returns before the test's bound.
			o := Options{LoadBalancerTimeout: time.Hour, Poll: 5 * time.Millisecond}
			o.defaults()
			ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
			defer cancel()
			domain, err := chooseDomain(ctx, log.Discard, cs, &cluster.Cluster{}, gw, o)
			if ctx.Err() != nil {
				t.Fatalf("chooseDomain = %q, %v after the test's bound, want it to end at once", domain, err)
			}
			if !c.want(err) {
				t.Fatalf("chooseDomain = %q, %v", domain, err)
			}
			if err != nil {
				if domain != "" || !strings.Contains(err.Error(), "the gateway Service kourier-system/kourier") {
					t.Errorf("chooseDomain = %q, %v, want no domain and an error naming the gateway Service", domain, err)
				}
				return
			}
			if domain != "203.0.113.7.sslip.io" {
				t.Errorf("domain %q, want 203.0.113.7.sslip.io", domain)
			}
		})
	}
}
