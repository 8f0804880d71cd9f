// Package config owns the action's inputs: their table (the one source for
// action.yml and the command-line flags), reading them from GitHub Actions or
// from flags, and validating them in one pass before anything is created.
package config

import "github.com/knative-preview/action/internal/release"

// Input describes one input of the action, which is also a CLI flag of the
// same name.
type Input struct {
	Name        string
	Description string
	// Default is the value used when the input is empty. action.yml must
	// declare the same default.
	Default string
	// Required inputs must be non-empty; GitHub does not enforce
	// `required: true`, so Parse does.
	Required bool
	// Bool inputs take true or false and can be given as a bare CLI flag.
	Bool bool
	// ActionDefault, when set, is action.yml's default instead of Default:
	// an expression GitHub evaluates, such as ${{ github.token }}.
	ActionDefault string
	// Secret inputs are masked in the log: Config.Secrets returns their
	// values (TestEveryInputIsRead holds it to that).
	Secret bool
}

// Cluster targets accepted by the cluster input.
const (
	ClusterKind       = "kind"
	ClusterKubeconfig = "kubeconfig"
	ClusterGKE        = "gke"
)

// ClusterTargets lists the accepted values of the cluster input.
var ClusterTargets = []string{ClusterKind, ClusterKubeconfig, ClusterGKE}

// Inputs is every input the action has, in the order action.yml lists them.
var Inputs = []Input{
	{
		Name:        "cluster",
		Default:     ClusterKind,
		Description: "Where Knative runs. kind: a kind cluster in the runner's Docker, created or reused; kubeconfig: an existing cluster reached through the kubeconfig and context inputs; gke: a GKE cluster reused or created through the Container API (see the gke-* inputs).",
	},
	{
		Name:        "kubeconfig",
		Description: "Kubeconfig for cluster: kubeconfig, as a file path (relative to the workspace) or as the file's content (YAML, or its base64 encoding, e.g. from a secret). Empty: the files in $KUBECONFIG, else ~/.kube/config. Credentials in it are masked in the log.",
	},
	{
		Name:        "context",
		Description: "Kubeconfig context to use. Empty: the kubeconfig's current-context, or its only context.",
	},
	{
		Name:        "timeout",
		Default:     "20m",
		Description: "Limit for the whole run, as a Go duration (e.g. 90s, 20m, 1h30m). When it passes, the run stops and reports what was not ready.",
	},
	{
		Name:        "image",
		Description: "Container image to run as a Knative Service, e.g. ghcr.io/org/app:tag. Checked to be a valid image reference.",
	},
	{
		Name:        "cluster-name",
		Default:     "knative",
		Description: "Name of the cluster to reuse or create (kind: its context is kind-<name>; gke).",
	},
	{
		Name:        "reuse-cluster",
		Default:     "true",
		Description: "true: reuse the cluster of that name if it exists, else create it; false: fail if it exists; recreate: delete it, then create it.",
	},
	{
		Name:        "kubernetes-version",
		Description: "Kubernetes version of a cluster this run creates. kind: 1.X.Y (node image kindest/node:v1.X.Y) or a node image reference; empty: the node image of the pinned kind release. gke: latest, 1.X, 1.X.Y or 1.X.Y-gke.N; empty: the release channel's default.",
	},
	{
		Name:        "host-port",
		Default:     "80",
		Description: "kind: port on the runner mapped to the ingress (NodePort 31080), so later steps reach services at http://<service>.<namespace>.127.0.0.1.sslip.io[:port].",
	},
	{
		Name:        "load-images",
		Description: "kind: images in the runner's Docker to load into the nodes, one per line or comma-separated. Empty: the image input, when the runner's Docker has it.",
	},
	{
		Name:        "kind-config",
		Description: "kind: extra kind v1alpha4 Cluster YAML, or the path of a file holding it (relative to the workspace), merged into the generated configuration.",
	},
	{
		Name:        "gke-project",
		Description: "Google Cloud project of the GKE cluster. Empty: the project google-github-actions/auth exported (GOOGLE_CLOUD_PROJECT, CLOUDSDK_CORE_PROJECT, GCLOUD_PROJECT), else the credentials' project_id.",
	},
	{
		Name:        "gke-location",
		Description: "Region (us-central1) or zone (us-central1-a) of the GKE cluster. Required with cluster: gke.",
	},
	{
		Name:        "gke-machine-type",
		Default:     "e2-standard-4",
		Description: "Machine type of the nodes of a GKE cluster this run creates.",
	},
	{
		Name:        "gke-nodes",
		Default:     "1",
		Description: "Number of nodes of a GKE cluster this run creates (per zone for a region).",
	},
	{
		Name:        "gke-spot",
		Default:     "false",
		Bool:        true,
		Description: "true: the nodes of a GKE cluster this run creates are Spot VMs (cheaper, may be reclaimed).",
	},
	{
		Name:        "gke-release-channel",
		Description: "Release channel of a GKE cluster this run creates: rapid, regular, stable, extended or none. Empty: GKE's default.",
	},
	{
		Name:        "delete-cluster",
		Default:     "never",
		Description: "never: keep the cluster; on-exit: delete it at the end of the job (the action's post step) when this run created it.",
	},
	{
		Name:        "serving-version",
		Default:     release.DefaultServingVersion,
		Description: "Knative Serving release: X.Y.Z, X.Y (the newest patch of that minor) or latest. The networking layer gets the newest patch of the same minor.",
	},
	{
		Name:        "ingress",
		Default:     release.IngressKourier,
		Description: "Networking layer for Knative: kourier, istio or contour.",
	},
	{
		Name:        "domain",
		Description: "DNS suffix of service URLs. Empty: 127.0.0.1.sslip.io on kind, <load balancer IP>.sslip.io where the gateway gets a load balancer, else Knative's default.",
	},
	{
		Name:        "serving-config",
		Description: "YAML mapping of Knative Serving ConfigMap name to data to set, e.g. \"config-features: {kubernetes.podspec-affinity: enabled}\"; checked with Knative's own parsers before anything is applied, and applied last.",
	},
	{
		Name:        "manifests-url",
		Description: "Where to fetch the release manifests instead of GitHub releases: an http(s) base URL or a local folder laid out as <component>/<version>/<file>, e.g. serving/1.23.0/serving-core.yaml.",
	},
	{
		Name:          "github-token",
		ActionDefault: "${{ github.token }}",
		Secret:        true,
		Description:   "Token for the GitHub API, to resolve Knative versions without the unauthenticated rate limit. Outside Actions: $GITHUB_TOKEN.",
	},
	{
		Name:        "mode",
		Default:     "up",
		Description: "up: install and deploy (and measure); down: delete the Knative Service (and its namespace if this action created it and nothing else is in it). On the command line: the verbs up and down.",
	},
	{
		Name:        "service",
		Description: "Name of the Knative Service. Empty: the repository's name, made a DNS label (shortened with a hash suffix when too long).",
	},
	{
		Name:        "namespace",
		Default:     "default",
		Description: "Namespace of the Knative Service; created (and labelled as managed by this action) when missing.",
	},
	{
		Name:        "env",
		Description: "Environment variables of the container, one KEY=VALUE per line.",
	},
	{
		Name:        "secret-env",
		Secret:      true,
		Description: "Secret environment variables, one KEY=VALUE per line: kept in a Secret owned by the Service, masked in the log.",
	},
	{
		Name:        "port",
		Description: "Port the container listens on. Empty: Knative's default (8080, as $PORT).",
	},
	{
		Name:        "args",
		Description: "Arguments of the container, one per line.",
	},
	{
		Name:        "min-scale",
		Description: "Minimum number of pods (autoscaling.knative.dev/min-scale). Must be 0 (or empty) to measure cold starts.",
	},
	{
		Name:        "max-scale",
		Description: "Maximum number of pods (autoscaling.knative.dev/max-scale).",
	},
	{
		Name:        "concurrency",
		Description: "Requests one pod serves at once (containerConcurrency); 0 means no limit.",
	},
	{
		Name:        "request-timeout",
		Description: "Longest time a request may take, as a Go duration (timeoutSeconds).",
	},
	{
		Name:        "annotations",
		Description: "Annotations of the revision template, one key=value per line; merged with the Service's own.",
	},
	{
		Name:        "labels",
		Description: "Labels of the Service and its revisions, one key=value per line; merged with the Service's own.",
	},
	{
		Name:        "service-account",
		Description: "Kubernetes service account the pods run as.",
	},
	{
		Name:        "visibility",
		Default:     "external",
		Description: "external: reachable through the ingress; cluster-local: only inside the cluster (not requested, not measured).",
	},
	{
		Name:        "tag",
		Description: "Traffic tag: the new revision gets its own URL (<tag>-<service>.<namespace>.<domain>) without taking the main route's traffic, as previews want.",
	},
	{
		Name:        "cold-start-samples",
		Default:     "1",
		Description: "Cold starts to measure after deploying (0: none). A sample counts only if the revision was at zero and a new pod served the request.",
	},
	{
		Name:        "path",
		Default:     "/",
		Description: "Path requested for cold starts and smoke requests.",
	},
	{
		Name:        "expect-status",
		Default:     "200",
		Description: "HTTP status every request must get; another fails the job.",
	},
	{
		Name:        "expect-body",
		Description: "Regular expression (Go syntax) every response body must match; a mismatch fails the job.",
	},
	{
		Name:        "cold-start-max-ms",
		Description: "Fail the job when the median cold start is above this many milliseconds.",
	},
	{
		Name:        "smoke-requests",
		Default:     "5",
		Description: "Warm requests after the cold starts, each checked against expect-status and expect-body.",
	},
	{
		Name:        "dry-run",
		Default:     "false",
		Bool:        true,
		Description: "true: validate the inputs and print the plan (each stage and what it would do) without contacting or changing any cluster.",
	},
}

// ActionYAMLDefault is the default action.yml declares: ActionDefault when
// set, else Default.
func (in Input) ActionYAMLDefault() string {
	if in.ActionDefault != "" {
		return in.ActionDefault
	}
	return in.Default
}

// Lookup returns the input named name.
func Lookup(name string) (Input, bool) {
	for _, in := range Inputs {
		if in.Name == name {
			return in, true
		}
	}
	return Input{}, false
}
