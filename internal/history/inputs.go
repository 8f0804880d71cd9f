package history

import (
	"fmt"
	"strconv"

	"github.com/knative-preview/action/internal/input"
)

// Modes of the history input.
const (
	// ModeAuto keeps the history on a cluster that outlives the job: every
	// one but an ephemeral one (cluster.Cluster.Ephemeral).
	ModeAuto = "auto"
	// modeCluster keeps the history in the cluster.
	modeCluster = "cluster"
	// ModeOff keeps none.
	ModeOff = "off"
)

// DefaultSize is how many runs the history keeps by default; maxSize the
// most it may be asked to keep.
const (
	DefaultSize = 30
	maxSize     = 1000
)

// Inputs are the inputs of the history.
var Inputs = []input.Def{
	{
		Name:        "history",
		Default:     ModeAuto,
		Description: "Where the figures of this service's recent runs (cold-start median and p95 with their samples, ready time, warm p50) are kept, for the trend and for baseline: history. cluster: in a ConfigMap <service>-knative-preview-history in the service's namespace; off: nowhere; auto: cluster, except on a cluster that goes away with the job (kind on a GitHub-hosted runner, a GKE cluster this run created with delete-cluster: on-exit).",
	},
	{
		Name:        "history-size",
		Default:     strconv.Itoa(DefaultSize),
		Description: fmt.Sprintf("How many runs the history keeps, 1 to %d; the oldest go first, also when the ConfigMap would grow past %d KiB.", maxSize, budget/1024),
	},
}

// Options say whether and how much history to keep.
type Options struct {
	// Mode is ModeAuto, modeCluster or ModeOff; On decides for ModeAuto.
	Mode string
	// Size is how many runs to keep.
	Size int
}

// Parse reads the history inputs.
func Parse(r *input.Reader) Options {
	o := Options{Mode: r.OneOf("history", "is not a history mode", ModeAuto, modeCluster, ModeOff), Size: DefaultSize}
	if n, ok := r.Int("history-size", 1, maxSize, "is not a number of runs", fmt.Sprintf("a whole number from 1 to %d", maxSize)); ok {
		o.Size = int(n)
	}
	return o
}

// On reports whether the run keeps history on its cluster: ephemeral is
// true when the cluster lives no longer than the job
// (cluster.Cluster.Ephemeral), where auto keeps none.
func (o Options) On(ephemeral bool) bool {
	switch o.Mode {
	case modeCluster:
		return true
	case ModeOff:
		return false
	}
	return !ephemeral
}
