package gke

import (
	"encoding/json"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/knative-preview/action/internal/cluster"
	"github.com/knative-preview/action/internal/input"
)

// The action's inputs this target reads, by name.
const (
	inputProject           = "gke-project"
	inputLocation          = "gke-location"
	inputClusterName       = "cluster-name"
	inputReuse             = "reuse-cluster"
	inputMachineType       = "gke-machine-type"
	inputNodes             = "gke-nodes"
	inputSpot              = "gke-spot"
	inputReleaseChannel    = "gke-release-channel"
	inputKubernetesVersion = "kubernetes-version"
	inputDeleteCluster     = "delete-cluster"
)

// Defaults of the inputs.
const (
	DefaultMachineType   = "e2-standard-4"
	DefaultNodes         = 1
	DefaultDeleteCluster = deleteNever
)

// Values of delete-cluster.
const (
	deleteNever  = "never"   // keep the cluster
	deleteOnExit = "on-exit" // delete it in the post step when this run created it
)

// deleteValues and releaseChannels list the accepted values.
var (
	deleteValues    = []string{deleteNever, deleteOnExit}
	releaseChannels = []string{"rapid", "regular", "stable", "extended", "none"}
)

// Timing defaults.
const (
	defaultPollInterval     = 5 * time.Second
	defaultReportEvery      = 15 * time.Second
	defaultOperationTimeout = 30 * time.Minute
	defaultReachTimeout     = 3 * time.Minute
	// privateReachTimeout bounds the API server check when the cluster's
	// settings say a runner outside its network cannot reach it: a runner
	// inside the network answers at once, the others should not wait long.
	privateReachTimeout = 30 * time.Second
)

// projectEnv lists the environment variables the project defaults from, in
// order; google-github-actions/auth sets them when it knows the project.
var projectEnv = []string{"GOOGLE_CLOUD_PROJECT", "CLOUDSDK_CORE_PROJECT", "CLOUDSDK_PROJECT", "GCLOUD_PROJECT", "GCP_PROJECT"}

// credentialsEnv names the credentials file of Application Default
// Credentials.
const credentialsEnv = "GOOGLE_APPLICATION_CREDENTIALS"

// Options are the inputs of the gke target and the seams tests replace.
// Zero values mean the defaults.
type Options struct {
	// Project is the Google Cloud project ID; empty: from ProjectEnv, else
	// the credentials file's project_id.
	Project string
	// Location is a region (us-central1) or a zone (us-central1-a).
	Location string
	// ClusterName is the GKE cluster's name.
	ClusterName string
	// ExistingOnly (mode down) uses the cluster only if it exists: nothing
	// is created or recreated; Connect fails with cluster.ErrNoCluster when
	// there is no such cluster.
	ExistingOnly bool
	// Reuse is one of cluster.ReuseValues.
	Reuse cluster.Reuse
	// MachineType of the nodes.
	MachineType string
	// Nodes in the default node pool (in each zone, for a region).
	Nodes int
	// Spot asks for spot VMs.
	Spot bool
	// ReleaseChannel is one of ReleaseChannels, or empty for GKE's default.
	ReleaseChannel string
	// KubernetesVersion for a new cluster: latest, 1.X, 1.X.Y or
	// 1.X.Y-gke.N; empty for the release channel's default.
	KubernetesVersion string
	// DeleteCluster is one of DeleteValues.
	DeleteCluster string

	// Getenv reads the environment (default os.Getenv).
	Getenv func(string) string
	// ReadFile reads the credentials file (default os.ReadFile).
	ReadFile func(string) ([]byte, error)
	// TokenSource replaces Application Default Credentials.
	TokenSource oauth2.TokenSource
	// Endpoint is the Container API's base URL (default
	// https://container.googleapis.com/).
	Endpoint string
	// Transport carries Container API requests under the token transport
	// (default http.DefaultTransport).
	Transport http.RoundTripper
	// Clock is the time the waits read (default the real clock).
	Clock clock
	// PollInterval is the time between two polls of an operation.
	PollInterval time.Duration
	// ReportEvery is the time between two progress lines of a wait.
	ReportEvery time.Duration
	// OperationTimeout bounds each wait for an operation or a status.
	OperationTimeout time.Duration
	// ReachTimeout bounds the wait for the API server to answer.
	ReachTimeout time.Duration
}

func (o Options) withDefaults() Options {
	if o.ClusterName == "" {
		o.ClusterName = cluster.DefaultName
	}
	if o.Reuse == "" {
		o.Reuse = cluster.DefaultReuse
	}
	if o.MachineType == "" {
		o.MachineType = DefaultMachineType
	}
	if o.Nodes == 0 {
		o.Nodes = DefaultNodes
	}
	if o.DeleteCluster == "" {
		o.DeleteCluster = DefaultDeleteCluster
	}
	o.ReleaseChannel = strings.ToLower(o.ReleaseChannel)
	o.KubernetesVersion = strings.TrimPrefix(o.KubernetesVersion, "v")
	if o.Getenv == nil {
		o.Getenv = os.Getenv
	}
	if o.ReadFile == nil {
		o.ReadFile = os.ReadFile
	}
	if o.Transport == nil {
		o.Transport = http.DefaultTransport
	}
	if o.Clock == nil {
		o.Clock = realClock{}
	}
	if o.PollInterval <= 0 {
		o.PollInterval = defaultPollInterval
	}
	if o.ReportEvery <= 0 {
		o.ReportEvery = defaultReportEvery
	}
	if o.OperationTimeout <= 0 {
		o.OperationTimeout = defaultOperationTimeout
	}
	if o.ReachTimeout <= 0 {
		o.ReachTimeout = defaultReachTimeout
	}
	if o.Project == "" {
		o.Project, _ = defaultProject(o.Getenv, o.ReadFile)
	}
	return o
}

// resolveProject returns the project o names, or the default one and where
// it comes from ("gke-project", an environment variable, or the credentials
// file). It reads the credentials file but contacts nothing.
func resolveProject(o Options) (project, from string) {
	if o.Project != "" {
		return o.Project, inputProject
	}
	if o.Getenv == nil {
		o.Getenv = os.Getenv
	}
	if o.ReadFile == nil {
		o.ReadFile = os.ReadFile
	}
	return defaultProject(o.Getenv, o.ReadFile)
}

func defaultProject(getenv func(string) string, readFile func(string) ([]byte, error)) (project, from string) {
	for _, k := range projectEnv {
		if v := strings.TrimSpace(getenv(k)); v != "" {
			return v, k
		}
	}
	if path := getenv(credentialsEnv); path != "" {
		if b, err := readFile(path); err == nil {
			var f struct {
				ProjectID string `json:"project_id"`
			}
			if json.Unmarshal(b, &f) == nil && f.ProjectID != "" {
				return f.ProjectID, "project_id of " + credentialsEnv
			}
		}
	}
	return "", ""
}

var (
	projectRE  = regexp.MustCompile(`^([a-z0-9.-]+:)?[a-z][a-z0-9-]{4,28}[a-z0-9]$`)
	locationRE = regexp.MustCompile(`^[a-z]+-[a-z]+[0-9]+(-[a-z])?$`)
	zoneRE     = regexp.MustCompile(`-[a-z]$`)
	nameRE     = regexp.MustCompile(`^[a-z]([a-z0-9-]{0,38}[a-z0-9])?$`)
	machineRE  = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)+$`)
	versionRE  = regexp.MustCompile(`^(latest|1\.[0-9]+(\.[0-9]+(-gke\.[0-9]+)?)?)$`)
)

// Accepted values, as shown in problems.
const (
	acceptProject  = "a Google Cloud project ID: 6 to 30 lowercase letters, digits and hyphens, starting with a letter"
	acceptLocation = "a region such as us-central1, or a zone such as us-central1-a"
	acceptName     = "1 to 40 lowercase letters, digits and hyphens, starting with a letter and not ending with a hyphen"
	acceptMachine  = "a Compute Engine machine type such as e2-standard-4 or n2-standard-8"
	acceptNodes    = "a whole number from 1 to 1000"
	acceptVersion  = "empty (the release channel's default), latest, 1.X, 1.X.Y or 1.X.Y-gke.N"
	maxNodes       = 1000
)

// validate checks the inputs in o and returns every problem, one
// *input.Error each. An empty input means its default. It resolves the
// project as Connect will, contacting nothing.
func validate(o Options) []error {
	var errs []error
	bad := func(name, value, problem, accepted string) {
		errs = append(errs, &input.Error{Input: name, Value: value, Problem: problem, Accepted: accepted})
	}
	project, from := resolveProject(o)
	switch {
	case project == "":
		bad(inputProject, "", "is empty and no project was found in "+strings.Join(projectEnv, ", ")+" or the credentials file; set gke-project, or give google-github-actions/auth a project_id", acceptProject)
	case !projectRE.MatchString(project):
		problem := "is not a project ID"
		if from != inputProject {
			problem += " (taken from " + from + ")"
		}
		bad(inputProject, project, problem, acceptProject)
	}
	switch {
	case o.Location == "":
		bad(inputLocation, "", "is required for cluster: gke", acceptLocation)
	case !locationRE.MatchString(o.Location):
		bad(inputLocation, o.Location, "is not a region or zone", acceptLocation)
	}
	if o.ClusterName != "" && !nameRE.MatchString(o.ClusterName) {
		bad(inputClusterName, o.ClusterName, "is not a valid GKE cluster name", acceptName)
	}
	if o.Reuse != "" {
		if err := cluster.CheckReuse(o.Reuse); err != nil {
			errs = append(errs, err)
		}
	}
	if o.MachineType != "" && !machineRE.MatchString(o.MachineType) {
		bad(inputMachineType, o.MachineType, "is not a machine type", acceptMachine)
	}
	if o.Nodes < 0 || o.Nodes > maxNodes {
		bad(inputNodes, strconv.Itoa(o.Nodes), "is out of range", acceptNodes)
	}
	if o.ReleaseChannel != "" && !slices.Contains(releaseChannels, strings.ToLower(o.ReleaseChannel)) {
		bad(inputReleaseChannel, o.ReleaseChannel, "is not a release channel", "empty (GKE's default, regular), "+strings.Join(releaseChannels, ", "))
	}
	if v := strings.TrimPrefix(o.KubernetesVersion, "v"); v != "" && !versionRE.MatchString(v) {
		problem := "is not a GKE version"
		if strings.ContainsAny(v, "/:@") {
			problem = "is an image reference (for kind), not a GKE version"
		}
		bad(inputKubernetesVersion, o.KubernetesVersion, problem, acceptVersion)
	}
	if o.DeleteCluster != "" && !slices.Contains(deleteValues, o.DeleteCluster) {
		bad(inputDeleteCluster, o.DeleteCluster, "is not a delete policy", strings.Join(deleteValues, ", "))
	}
	return errs
}

// Inputs are the inputs only the gke target reads; it reads
// cluster.Inputs too.
var Inputs = []input.Def{
	{
		Name:        inputProject,
		Description: "Google Cloud project of the GKE cluster. Empty: the project google-github-actions/auth exported (GOOGLE_CLOUD_PROJECT, CLOUDSDK_CORE_PROJECT, GCLOUD_PROJECT), else the credentials' project_id.",
	},
	{
		Name:        inputLocation,
		Description: "Region (us-central1) or zone (us-central1-a) of the GKE cluster. Required with cluster: gke.",
	},
	{
		Name:        inputMachineType,
		Default:     DefaultMachineType,
		Description: "Machine type of the nodes of a GKE cluster this run creates.",
	},
	{
		Name:        inputNodes,
		Default:     strconv.Itoa(DefaultNodes),
		Description: "Number of nodes of a GKE cluster this run creates (per zone for a region).",
	},
	{
		Name:        inputSpot,
		Default:     "false",
		Bool:        true,
		Description: "true: the nodes of a GKE cluster this run creates are Spot VMs (cheaper, may be reclaimed).",
	},
	{
		Name:        inputReleaseChannel,
		Description: "Release channel of a GKE cluster this run creates: rapid, regular, stable, extended or none. Empty: GKE's default.",
	},
	{
		Name:        inputDeleteCluster,
		Default:     DefaultDeleteCluster,
		Description: "never: keep the cluster; on-exit: delete it at the end of the job (the action's post step) when this run created it.",
	},
}

// Env is the reader's environment with the path in
// GOOGLE_APPLICATION_CREDENTIALS read from the host workspace in the
// container's (see input.Reader.Path): google-github-actions/auth writes
// the file into the workspace and exports its host path. The runner
// already rewrites that value when it is exactly the one path, so this is
// a safety net; nil when the reader has no environment.
func Env(r *input.Reader) func(string) string {
	getenv := r.Env()
	if getenv == nil {
		return nil
	}
	return func(k string) string {
		if k == credentialsEnv {
			return r.Path(getenv(k))
		}
		return getenv(k)
	}
}

// Parse reads the gke target's inputs (with cluster.Inputs) and validates
// them, resolving the default project from the reader's environment; it
// contacts nothing. The Options have Getenv set and no other seam.
func Parse(r *input.Reader) Options {
	o := Options{
		Getenv:            Env(r),
		Project:           r.String(inputProject),
		Location:          r.String(inputLocation),
		ClusterName:       r.String(inputClusterName),
		Reuse:             cluster.Reuse(r.OneOf(inputReuse, "is not a reuse policy", cluster.ReuseValues...)),
		MachineType:       r.String(inputMachineType),
		ReleaseChannel:    r.OneOf(inputReleaseChannel, "is not a release channel", releaseChannels...),
		KubernetesVersion: r.String(inputKubernetesVersion),
		DeleteCluster:     r.OneOf(inputDeleteCluster, "is not a delete policy", deleteValues...),
	}
	if n, ok := r.Int(inputNodes, 1, maxNodes, "is not a node count", acceptNodes); ok {
		o.Nodes = int(n)
	}
	o.Spot = r.Bool(inputSpot)
	r.Add("cluster", validate(o)...)
	return o
}

// regional reports whether location is a region (not a zone).
func regional(location string) bool { return !zoneRE.MatchString(location) }
