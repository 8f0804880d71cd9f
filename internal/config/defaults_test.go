package config

import (
	"strconv"
	"testing"
	"time"

	"github.com/knative-preview/action/internal/cluster"
	"github.com/knative-preview/action/internal/cluster/gke"
	"github.com/knative-preview/action/internal/cluster/kind"
	"github.com/knative-preview/action/internal/deploy"
	"github.com/knative-preview/action/internal/github"
	"github.com/knative-preview/action/internal/history"
	"github.com/knative-preview/action/internal/input"
	"github.com/knative-preview/action/internal/measure"
	"github.com/knative-preview/action/internal/regression"
	"github.com/knative-preview/action/internal/release"
)

// The default an input declares (and action.yml with it) is what its
// component uses when the input is empty: each component's constant, read
// back from the configuration of a run that sets nothing.
func TestDefaultsAreTheComponentsOwn(t *testing.T) {
	parse := func(cluster string, with input.Values) *Config {
		t.Helper()
		raw := input.Values{"cluster": cluster}
		for k, v := range with {
			raw[k] = v
		}
		cfg, err := Parse(raw, input.ActionStyle, env(map[string]string{"GITHUB_REPOSITORY": "o/r"}))
		if err != nil {
			t.Fatalf("Parse: %v", err)
		}
		return cfg
	}
	onKind := parse(string(ClusterKind), nil)
	onGKE := parse(string(ClusterGKE), input.Values{"gke-project": "proj-1", "gke-location": "us-central1"})
	timeout, _ := time.ParseDuration(defaultTimeout)
	checks := map[string]struct{ got, want string }{
		"cluster":             {string(onKind.Cluster), string(ClusterKind)},
		"timeout":             {onKind.Timeout.String(), timeout.String()},
		"cluster-name":        {onKind.Kind.ClusterName + " " + onGKE.GKE.ClusterName, cluster.DefaultName + " " + cluster.DefaultName},
		"reuse-cluster":       {string(onKind.Kind.Reuse + " " + onGKE.GKE.Reuse), string(cluster.DefaultReuse + " " + cluster.DefaultReuse)},
		"host-port":           {strconv.Itoa(onKind.Kind.HostPort), strconv.Itoa(kind.DefaultHostPort)},
		"gke-machine-type":    {onGKE.GKE.MachineType, gke.DefaultMachineType},
		"gke-nodes":           {strconv.Itoa(onGKE.GKE.Nodes), strconv.Itoa(gke.DefaultNodes)},
		"gke-spot":            {strconv.FormatBool(onGKE.GKE.Spot), "false"},
		"delete-cluster":      {onGKE.GKE.DeleteCluster, gke.DefaultDeleteCluster},
		"serving-version":     {onKind.Install.Spec.String(), release.DefaultServingVersion},
		"ingress":             {onKind.Install.Ingress, release.IngressKourier},
		"mode":                {string(onKind.Deploy.Mode), string(deploy.ModeUp)},
		"namespace":           {onKind.Deploy.Namespace, deploy.DefaultNamespace},
		"visibility":          {string(onKind.Deploy.Visibility), string(deploy.VisibilityExternal)},
		"cold-start-samples":  {strconv.Itoa(onKind.Measure.Samples), strconv.Itoa(measure.DefaultSamples)},
		"path":                {onKind.Measure.Path, measure.DefaultPath},
		"expect-status":       {strconv.Itoa(onKind.Measure.Expect.Status), strconv.Itoa(measure.DefaultStatus)},
		"smoke-requests":      {strconv.Itoa(onKind.Measure.SmokeRequests), strconv.Itoa(measure.DefaultSmokeRequests)},
		"history":             {onKind.History.Mode, history.ModeAuto},
		"history-size":        {strconv.Itoa(onKind.History.Size), strconv.Itoa(history.DefaultSize)},
		"max-regression":      {strconv.FormatFloat(onKind.Regression.MaxRegressionPercent, 'f', -1, 64), strconv.FormatFloat(regression.DefaultMaxRegressionPercent, 'f', -1, 64)},
		"regression-floor-ms": {strconv.FormatFloat(onKind.Regression.FloorMs, 'f', -1, 64), strconv.FormatFloat(regression.DefaultFloorMs, 'f', -1, 64)},
		"fail-on-regression":  {strconv.FormatBool(onKind.Regression.FailOnRegression), "false"},
		"comment":             {onKind.GitHub.Comment, github.ModeAuto},
		"deployment":          {onKind.GitHub.Deployment, github.ModeAuto},
		"dry-run":             {strconv.FormatBool(onKind.DryRun), "false"},
	}
	for _, d := range Inputs {
		if d.Default == "" {
			continue
		}
		c, ok := checks[d.Name]
		if !ok {
			t.Errorf("input %q has default %q: add a check here that it is its component's own", d.Name, d.Default)
			continue
		}
		if c.got != c.want {
			t.Errorf("input %q: with it empty the run uses %q, want the component's %q", d.Name, c.got, c.want)
		}
	}
}
