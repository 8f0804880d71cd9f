package measure

import (
	"testing"

	"github.com/knative-preview/action/internal/knconfig"
)

// On a cluster this run created, measuring shortens the scale-to-zero grace
// period, with a value Knative accepts, unless the user set one.
func TestClusterSettings(t *testing.T) {
	got, err := ClusterSettings(nil)
	if err != nil {
		t.Fatal(err)
	}
	if got["config-autoscaler"]["scale-to-zero-grace-period"] != clusterConfig["scale-to-zero-grace-period"] {
		t.Errorf("got %v", got)
	}
	if err := knconfig.Validate("config-autoscaler", got["config-autoscaler"]); err != nil {
		t.Errorf("Knative rejects the setting: %v", err)
	}
	user := knconfig.Overrides{"config-autoscaler": {"scale-to-zero-grace-period": "20s", "stable-window": "10s"}}
	got, err = ClusterSettings(user)
	if err != nil {
		t.Fatal(err)
	}
	if got["config-autoscaler"]["scale-to-zero-grace-period"] != "20s" || got["config-autoscaler"]["stable-window"] != "10s" {
		t.Errorf("the user's settings were not kept: %v", got)
	}
	if user["config-autoscaler"]["scale-to-zero-grace-period"] != "20s" {
		t.Error("the user's overrides were changed in place")
	}
}

// A measured revision reaches zero soon after a request, unless the user
// chose its autoscaling window.
func TestRevisionAnnotations(t *testing.T) {
	got := RevisionAnnotations(nil)
	if got["autoscaling.knative.dev/window"] != "6s" || got["autoscaling.knative.dev/scale-to-zero-pod-retention-period"] != "0s" {
		t.Errorf("got %v", got)
	}
	user := map[string]string{"autoscaling.knative.dev/window": "30s", "team": "web"}
	got = RevisionAnnotations(user)
	if got["autoscaling.knative.dev/window"] != "30s" || got["team"] != "web" || len(user) != 2 {
		t.Errorf("the user's annotations were not kept as they are: %v (user %v)", got, user)
	}
}
