// Package config is the action's configuration: the list of every input
// (the inputs of the run itself, then each component's own), the checks
// across inputs, and one Parse that has each component read its inputs,
// reporting every problem at once before anything is created.
package config

import (
	"slices"

	"github.com/knative-preview/action/internal/baseline"
	"github.com/knative-preview/action/internal/cluster"
	"github.com/knative-preview/action/internal/cluster/gke"
	"github.com/knative-preview/action/internal/cluster/kind"
	"github.com/knative-preview/action/internal/cluster/kubeconfig"
	"github.com/knative-preview/action/internal/deploy"
	"github.com/knative-preview/action/internal/github"
	"github.com/knative-preview/action/internal/history"
	"github.com/knative-preview/action/internal/input"
	"github.com/knative-preview/action/internal/install"
	"github.com/knative-preview/action/internal/measure"
	"github.com/knative-preview/action/internal/regression"
	"github.com/knative-preview/action/internal/sweep"
)

// Target is a cluster target, a value of the cluster input.
type Target string

// Cluster targets accepted by the cluster input.
const (
	ClusterKind       Target = "kind"
	clusterKubeconfig Target = "kubeconfig"
	ClusterGKE        Target = "gke"
)

// clusterTargets lists the accepted values of the cluster input.
var clusterTargets = []string{string(ClusterKind), string(clusterKubeconfig), string(ClusterGKE)}

// defaultTimeout limits a run when the timeout input is empty.
const defaultTimeout = "20m"

// The inputs of the run itself.
var (
	clusterInput = input.Def{
		Name:        "cluster",
		Default:     string(ClusterKind),
		Description: "Where Knative runs. kind: a kind cluster in the runner's Docker, created or reused; kubeconfig: an existing cluster reached through the kubeconfig and context inputs; gke: a GKE cluster reused or created through the Container API (see the gke-* inputs).",
	}
	timeoutInput = input.Def{
		Name:        "timeout",
		Default:     defaultTimeout,
		Description: "Limit for the whole run, as a Go duration (e.g. 90s, 20m, 1h30m). When it passes, the run stops and reports what was not ready.",
	}
	imageInput = input.Def{
		Name:        "image",
		Description: "Container image to run as a Knative Service, e.g. ghcr.io/org/app:tag. Checked to be a valid image reference.",
	}
	githubTokenInput = input.Def{
		Name:          "github-token",
		ActionDefault: "${{ github.token }}",
		Secret:        true,
		Description:   "Token for the GitHub API: to resolve Knative versions without the unauthenticated rate limit, and in a pull request to keep its comment (pull-requests: write) and deployment (deployments: write) and, for an image on ghcr.io, to pull it (packages: read). Outside Actions: $GITHUB_TOKEN.",
	}
	dryRunInput = input.Def{
		Name:        "dry-run",
		Default:     "false",
		Bool:        true,
		Description: "true: validate the inputs and print the plan (each stage and what it would do) without contacting or changing any cluster. With mode sweep: also read the cluster and GitHub and list what the sweep would remove, and why, changing nothing.",
	}
)

// InputGroup is a titled part of the inputs, as the reference shows them.
type InputGroup struct {
	Title string
	Defs  []input.Def
}

// InputGroups are the inputs by what they are about, in order.
var InputGroups = []InputGroup{
	{"The run", []input.Def{clusterInput, timeoutInput, imageInput, githubTokenInput, dryRunInput}},
	{"Cluster: kubeconfig", kubeconfig.Inputs},
	{"Cluster: kind and GKE", cluster.Inputs},
	{"Cluster: kind", kind.Inputs},
	{"Cluster: GKE", gke.Inputs},
	{"Knative Serving", install.Inputs},
	{"The Knative Service", deploy.Inputs},
	{"Cold starts and smoke checks", measure.Inputs},
	{"History and comparison", slices.Concat(history.Inputs, baseline.Inputs, regression.Inputs)},
	{"Pull requests", github.Inputs},
	{"Sweeping previews", sweep.Inputs},
	{"Set by the runner", []input.Def{input.HostWorkspace}},
}

// Inputs is every input the action has, in the order action.yml lists them.
var Inputs = func() []input.Def {
	var out []input.Def
	for _, g := range InputGroups {
		out = append(out, g.Defs...)
	}
	return out
}()

// targetsOf lists, for each input that only some cluster targets read,
// those targets: the inputs a target owns are its.
var targetsOf = func() map[string][]string {
	m := map[string][]string{}
	for target, defs := range map[Target][]input.Def{clusterKubeconfig: kubeconfig.Inputs, ClusterKind: kind.Inputs, ClusterGKE: gke.Inputs} {
		for _, d := range defs {
			m[d.Name] = append(m[d.Name], string(target))
		}
	}
	for _, d := range cluster.Inputs {
		m[d.Name] = []string{string(ClusterKind), string(ClusterGKE)}
	}
	return m
}()
