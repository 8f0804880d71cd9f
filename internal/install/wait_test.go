package install

import (
	"context"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/knative-preview/action/internal/log"
)

// A user who may not read Knative's Deployments learns it at once, not as
// a ten-minute "not ready" with the wrong cause.
func TestWaitReadyStopsOnAnErrorThatWillNotPass(t *testing.T) {
	cs := fake.NewClientset()
	cs.PrependReactor("list", "deployments", func(k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, apierrors.NewForbidden(schema.GroupResource{Group: "apps", Resource: "deployments"}, "", nil)
	})
	o := Options{ReadyTimeout: time.Hour, Poll: 10 * time.Millisecond}
	o.defaults()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err := waitReady(ctx, log.Discard, cs, []string{"knative-serving"}, o)
	if err == nil || ctx.Err() != nil {
		t.Fatalf("got %v after the context ended (%v), want the error at once", err, ctx.Err())
	}
	if !apierrors.IsForbidden(err) || !strings.Contains(err.Error(), "reading Knative's Deployments") {
		t.Errorf("got %v, want the Forbidden error saying what was being read", err)
	}
}
