package kind

import (
	"context"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"sigs.k8s.io/kind/pkg/apis/config/defaults"

	"github.com/knative-preview/action/internal/cluster"
	"github.com/knative-preview/action/internal/cluster/kind/docker"
	"github.com/knative-preview/action/internal/image"
	"github.com/knative-preview/action/internal/input"
)

// Defaults of the inputs.
const (
	DefaultHostPort = 80
	// defaultNodeImage is the node image the pinned kind library was
	// released with; other images may not work with it.
	defaultNodeImage = defaults.Image
)

// Options are the inputs of the kind target, and the seams tests replace.
// Zero values mean the defaults.
type Options struct {
	// ClusterName is the input cluster-name (default "knative").
	ClusterName string
	// KubernetesVersion is the input kubernetes-version: "1.X.Y" (node
	// image kindest/node:v1.X.Y) or a node image reference; empty means
	// DefaultNodeImage.
	KubernetesVersion string
	// Reuse is the input reuse-cluster: "true" (default), "false" or
	// "recreate".
	Reuse cluster.Reuse
	// HostPort is the input host-port: the runner's port mapped to the
	// ingress NodePort (default 80).
	HostPort int
	// LoadImages is the input load-images: images in the runner's Docker to
	// load into the nodes. Empty means Image and AppImages, those the
	// runner's Docker has.
	LoadImages []string
	// KindConfig is the input kind-config: extra kind configuration
	// (v1alpha4 Cluster YAML), or the path of a file holding it, relative
	// to Workspace.
	KindConfig string
	// Image is the input image, the image to deploy.
	Image string
	// AppImages are the images the app of a service file runs (the job's
	// put in): like Image, each is loaded when the runner's Docker has it.
	AppImages []string
	// ExistingOnly (mode down) uses the cluster only if it exists: nothing
	// is created, recreated, loaded or checked for the ingress; Connect
	// fails with cluster.ErrNoCluster when there is no such cluster.
	ExistingOnly bool
	// Workspace is the directory the kubeconfig for later steps is written
	// to, and kind-config paths are relative to; empty means the current
	// directory.
	Workspace string
	// HostWorkspace is the workspace's path on the runner's host, where
	// its Docker finds files of the workspace, when it differs from
	// Workspace (a container action's); empty: Workspace. Relative
	// extraMounts hostPaths of KindConfig are relative to it.
	HostWorkspace string

	// Docker runs the docker calls the kind library does not; nil means
	// the docker CLI.
	Docker dockerClient
	// Getenv reads the environment; nil means os.Getenv.
	Getenv func(string) string
	// Hostname returns this machine's or container's host name; nil means
	// os.Hostname. Docker names a container's host after its short id.
	Hostname func() (string, error)
	// ContainerMarkers are files whose presence means this process runs in
	// a container; nil means /.dockerenv and /run/.containerenv.
	ContainerMarkers []string
	// ActionsWorkspace is where a container action finds the workspace; a
	// process with GITHUB_ACTIONS=true that sees it runs in a container.
	// Empty means /github/workspace.
	ActionsWorkspace string
	// MountInfo is read to find this container's id when the host name is
	// not one; empty means /proc/self/mountinfo.
	MountInfo string
}

// dockerClient is what the kind target asks of the runner's dockerClient besides the
// kind library's own calls. *docker.CLI implements it.
type dockerClient interface {
	Info(ctx context.Context) (*docker.Info, error)
	InspectContainer(ctx context.Context, name string) (*docker.Container, error)
	ConnectNetwork(ctx context.Context, network, container string) error
	Publishers(ctx context.Context, hostPort int) ([]string, error)
	ImageID(ctx context.Context, ref, platform string) (string, error)
	Save(ctx context.Context, path, platform string, refs ...string) error
	Exec(ctx context.Context, container string, stdin io.Reader, args ...string) ([]byte, error)
}

var _ dockerClient = (*docker.CLI)(nil)

var (
	clusterNameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]*$`)
	versionRE     = regexp.MustCompile(`^v?(\d+)\.(\d+)\.(\d+)$`)
	versionishRE  = regexp.MustCompile(`^v?\d+(\.\d+)*([.-].*)?$`)
)

// clusterNameMax keeps "<name>-control-plane" within a host name's 64
// characters.
const clusterNameMax = 50

// validate checks the inputs without contacting anything (a kind-config
// path is read) and returns one *input.Error per problem.
func validate(o Options) []error {
	var errs []error
	bad := func(name, value, problem, accepted string) {
		errs = append(errs, &input.Error{Input: name, Value: value, Problem: problem, Accepted: accepted})
	}
	o = withDefaults(o)
	if len(o.ClusterName) > clusterNameMax || !clusterNameRE.MatchString(o.ClusterName) {
		bad("cluster-name", o.ClusterName, "is not a kind cluster name", fmt.Sprintf("up to %d lower-case letters, digits, '-' and '.', starting with a letter or digit", clusterNameMax))
	}
	if _, err := nodeImage(o.KubernetesVersion); err != nil {
		bad("kubernetes-version", o.KubernetesVersion, err.Error(), "a version 1.X.Y, or a node image such as kindest/node:v1.34.3")
	}
	if err := cluster.CheckReuse(o.Reuse); err != nil {
		errs = append(errs, err)
	}
	if o.HostPort < 1 || o.HostPort > 65535 {
		bad("host-port", strconv.Itoa(o.HostPort), "is not a TCP port", "1 to 65535")
	}
	for _, img := range o.LoadImages {
		if err := image.Check(img); err != nil {
			bad("load-images", img, err.Error(), "images of the runner's Docker, such as myapp:dev or ghcr.io/org/app:v1, one per line or separated by commas")
		}
	}
	if _, err := buildConfig(o); err != nil {
		for _, p := range err {
			errs = append(errs, p)
		}
	}
	return errs
}

// Inputs are the inputs only the kind target reads; it reads
// cluster.Inputs too.
var Inputs = []input.Def{
	{
		Name:        "host-port",
		Default:     strconv.Itoa(DefaultHostPort),
		Description: "kind: port on the runner mapped to the ingress (NodePort 31080), so later steps reach services at http://<service>.<namespace>.127.0.0.1.sslip.io[:port].",
	},
	{
		Name:        "load-images",
		Multiline:   true,
		Description: "kind: images in the runner's Docker to load into the nodes, one per line or comma-separated. Empty: the image input, when the runner's Docker has it.",
	},
	{
		Name:        "kind-config",
		Multiline:   true,
		Description: "kind: extra kind v1alpha4 Cluster YAML, or the path of a file holding it (relative to the workspace), merged into the generated configuration.",
	},
}

// Parse reads the kind target's inputs (with cluster.Inputs) and validates
// them, reading a kind-config file but contacting nothing; image is the
// image to deploy. Kubeconfigs for later steps, and kind-config paths,
// are relative to the workspace (GITHUB_WORKSPACE, else the current
// directory).
func Parse(r *input.Reader, image string) Options {
	o := Options{
		ClusterName:       r.String("cluster-name"),
		KubernetesVersion: r.String("kubernetes-version"),
		Reuse:             cluster.Reuse(r.OneOf("reuse-cluster", "is not a reuse policy", cluster.ReuseValues...)),
		LoadImages:        r.List("load-images"),
		// A path (YAML content never starts with one) from the host
		// workspace is read in the container's. The content is not
		// mapped: its extraMounts' hostPaths are for Docker, on the host
		// (buildConfig maps relative ones to the host's workspace).
		KindConfig:    r.Path(r.String("kind-config")),
		Image:         image,
		Workspace:     r.Getenv("GITHUB_WORKSPACE"),
		HostWorkspace: r.HostWorkspace(),
		Getenv:        r.Env(),
	}
	if o.Workspace == "" {
		o.Workspace, _ = os.Getwd()
	}
	if v := strings.TrimSpace(o.KindConfig); v != "" && !isKindConfigContent(v) && !r.InWorkspace("kind-config", v) {
		o.KindConfig = ""
	}
	if p, ok := r.Int("host-port", 1, 65535, "is not a TCP port", "1 to 65535"); ok {
		o.HostPort = int(p)
		r.Add("cluster", validate(o)...)
	}
	return o
}

// nodeImage maps the kubernetes-version input to a node image.
func nodeImage(v string) (string, error) {
	switch {
	case v == "":
		return defaultNodeImage, nil
	case versionRE.MatchString(v):
		m := versionRE.FindStringSubmatch(v)
		if m[1] != "1" {
			return "", fmt.Errorf("is not a Kubernetes 1.X.Y version")
		}
		return fmt.Sprintf("kindest/node:v%s.%s.%s", m[1], m[2], m[3]), nil
	case versionishRE.MatchString(v):
		return "", fmt.Errorf("is not a version of the form 1.X.Y")
	case !strings.ContainsAny(v, "/:@"):
		// A bare word parses as an image of Docker Hub's library, but no
		// node image is called that: it is a typo.
		return "", fmt.Errorf("is neither a version nor a node image")
	}
	if err := image.Check(v); err != nil {
		return "", err
	}
	return v, nil
}

// withDefaults fills the zero values of the inputs.
func withDefaults(o Options) Options {
	o.ClusterName = strings.TrimSpace(o.ClusterName)
	if o.ClusterName == "" {
		o.ClusterName = cluster.DefaultName
	}
	o.KubernetesVersion = strings.TrimSpace(o.KubernetesVersion)
	o.Reuse = cluster.Reuse(strings.TrimSpace(string(o.Reuse))) // exact, as gke reads it: "Recreate" is refused by both
	if o.Reuse == "" {
		o.Reuse = cluster.DefaultReuse
	}
	if o.HostPort == 0 {
		o.HostPort = DefaultHostPort
	}
	return o
}

// deployed are the images the run deploys, for loading when the runner's
// Docker has them: Image, then AppImages.
func (o Options) deployed() []string {
	var out []string
	for _, img := range append([]string{o.Image}, o.AppImages...) {
		if img != "" && !slices.Contains(out, img) {
			out = append(out, img)
		}
	}
	return out
}
