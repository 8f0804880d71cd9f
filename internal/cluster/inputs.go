package cluster

import (
	"slices"

	"github.com/knative-preview/action/internal/input"
)

// Defaults of the inputs every target that creates clusters reads.
const (
	DefaultName  = "knative"
	DefaultReuse = ReuseTrue
)

// Reuse is what a target does with a cluster of the name it is given that
// exists already: a value of the reuse-cluster input.
type Reuse string

// Values of the reuse-cluster input.
const (
	ReuseTrue     Reuse = "true"     // use an existing cluster of that name, else create it
	ReuseFalse    Reuse = "false"    // fail if the cluster exists
	ReuseRecreate Reuse = "recreate" // delete an existing cluster, then create it
)

// ReuseValues lists the accepted values of reuse-cluster.
var ReuseValues = []string{string(ReuseTrue), string(ReuseFalse), string(ReuseRecreate)}

// Inputs are the inputs of every target that creates clusters (kind, gke);
// each reads them with its own rules.
var Inputs = []input.Def{
	{
		Name:        "cluster-name",
		Default:     DefaultName,
		Description: "Name of the cluster to reuse or create (kind: its context is kind-<name>; gke).",
	},
	{
		Name:        "reuse-cluster",
		Default:     string(DefaultReuse),
		Description: "true: reuse the cluster of that name if it exists, else create it; false: fail if it exists; recreate: delete it, then create it.",
	},
	{
		Name:        "kubernetes-version",
		Description: "Kubernetes version of a cluster this run creates. kind: 1.X.Y (node image kindest/node:v1.X.Y) or a node image reference; empty: the node image of the pinned kind release. gke: latest, 1.X, 1.X.Y or 1.X.Y-gke.N; empty: the release channel's default.",
	},
}

// CheckReuse returns the problem with a reuse-cluster value, which is read
// exactly; nil when it is one of ReuseValues. Parse reads the input in any
// case; this checks options made in code.
func CheckReuse(v Reuse) error {
	if slices.Contains(ReuseValues, string(v)) {
		return nil
	}
	return &input.Error{Input: "reuse-cluster", Value: string(v), Problem: "is not a reuse policy",
		Accepted: "true: use the cluster if it exists, else create it; false: fail if it exists; recreate: delete it and create it again"}
}
