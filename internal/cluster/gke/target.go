package gke

import (
	"context"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	container "google.golang.org/api/container/v1"
	"google.golang.org/api/option"
	"k8s.io/client-go/rest"

	"github.com/knative-preview/action/internal/cluster"
	"github.com/knative-preview/action/internal/kube"
	"github.com/knative-preview/action/internal/log"
)

// target is a GKE cluster, reused or created.
type target struct {
	opts Options
	log  log.Logger
	// projectFrom says where the project came from when gke-project is
	// empty.
	projectFrom string
	creds       *credentials
	svc         *container.Service
	// created is set once GKE accepted this run's request to create the
	// cluster, so that a cluster whose creation failed is deleted too.
	created bool
	// save keeps the State for the post step; nil: not kept.
	save cluster.SaveState
}

var (
	_ cluster.Target   = (*target)(nil)
	_ cluster.Stateful = (*target)(nil)
	_ cluster.Cleaner  = (*target)(nil)
)

// New returns the target for opts, telling l what it does; Validate(opts)
// should have no problems. New contacts nothing and reads no credentials.
func New(opts Options, l log.Logger) *target {
	t := &target{opts: opts.withDefaults(), log: l}
	if opts.Project == "" {
		_, t.projectFrom = defaultProject(t.opts.Getenv, t.opts.ReadFile)
	}
	return t
}

// ref names one cluster.
type ref struct{ project, location, name string }

func (r ref) parent() string { return fmt.Sprintf("projects/%s/locations/%s", r.project, r.location) }
func (r ref) path() string   { return r.parent() + "/clusters/" + r.name }

// String is how messages name the cluster.
func (r ref) String() string {
	return fmt.Sprintf("GKE cluster %q (project %s, %s %s)", r.name, r.project, locationKind(r.location), r.location)
}

func (t *target) ref() ref { return ref{t.opts.Project, t.opts.Location, t.opts.ClusterName} }

func locationKind(location string) string {
	if regional(location) {
		return "region"
	}
	return "zone"
}

// contextName is the kubeconfig context name gcloud would give the cluster.
func contextName(project, location, name string) string {
	return fmt.Sprintf("gke_%s_%s_%s", project, location, name)
}

// Plan says what Connect will do. It contacts nothing.
func (t *target) Plan() []string {
	o := t.opts
	where := fmt.Sprintf("in project %s", orUnknown(o.Project))
	if t.projectFrom != "" {
		where += " (from " + t.projectFrom + ")"
	}
	where += fmt.Sprintf(", %s %s", locationKind(o.Location), o.Location)
	var lines []string
	switch {
	case o.ExistingOnly:
		lines = append(lines, fmt.Sprintf("use GKE cluster %q %s if it exists; create or recreate nothing", o.ClusterName, where))
	case o.Reuse == cluster.ReuseFalse:
		lines = append(lines, fmt.Sprintf("create GKE cluster %q %s; fail if it already exists (reuse-cluster: false)", o.ClusterName, where))
	case o.Reuse == cluster.ReuseRecreate:
		lines = append(lines, fmt.Sprintf("delete GKE cluster %q %s if it exists, wait for the deletion, then create it (reuse-cluster: recreate)", o.ClusterName, where))
	default:
		lines = append(lines, fmt.Sprintf("reuse GKE cluster %q %s if it exists, else create it (reuse-cluster: true)", o.ClusterName, where))
	}
	lines = append(lines, "a new cluster gets "+t.shape())
	lines = append(lines,
		"authenticate with "+t.plannedCredentials(),
		fmt.Sprintf("wait up to %s for each GKE operation (creating a cluster usually takes 5 to 10 minutes), then for the cluster to be RUNNING; all within the run's timeout", o.OperationTimeout),
		fmt.Sprintf("connect to the cluster's endpoint with its CA and a refreshing access token; check that the API server answers (wait up to %s) and read its Kubernetes version", o.ReachTimeout),
	)
	switch o.DeleteCluster {
	case deleteOnExit:
		lines = append(lines, "delete the cluster in the action's post step at the end of the job if this run created it (delete-cluster: on-exit); a reused cluster is kept")
	default:
		lines = append(lines, "keep the cluster after the job (delete-cluster: never); a cluster this run creates costs money until it is deleted")
	}
	return lines
}

// shape describes the cluster Connect would create.
func (t *target) shape() string {
	o := t.opts
	vm := o.MachineType
	if o.Spot {
		vm += " spot VM"
	}
	nodes := fmt.Sprintf("%d %s node", o.Nodes, vm)
	if o.Nodes != 1 {
		nodes += "s"
	}
	if regional(o.Location) {
		nodes += " in each of the region's zones (usually 3)"
	}
	channel := "release channel " + o.ReleaseChannel
	switch o.ReleaseChannel {
	case "":
		channel = "GKE's default release channel (regular)"
	case "none":
		channel = "no release channel"
	}
	version := "Kubernetes version " + o.KubernetesVersion
	if o.KubernetesVersion == "" {
		version = "the channel's default Kubernetes version"
	}
	return fmt.Sprintf("%s, %s, %s", nodes, channel, version)
}

func (t *target) plannedCredentials() string {
	switch {
	case t.opts.TokenSource != nil:
		return "the given token source"
	case t.opts.Getenv(credentialsEnv) != "":
		return fmt.Sprintf("Application Default Credentials from %s=%s", credentialsEnv, t.opts.Getenv(credentialsEnv))
	}
	return "Application Default Credentials (gcloud's file or the metadata server; in a workflow, run google-github-actions/auth first)"
}

// State is what the post step needs to delete the cluster.
func (t *target) State() clusterState {
	return clusterState{
		Project:      t.opts.Project,
		Location:     t.opts.Location,
		Name:         t.opts.ClusterName,
		Created:      t.created,
		DeleteOnExit: t.opts.DeleteCluster == deleteOnExit,
	}
}

// KeepState has the target save its State, named StateName, as soon as GKE
// accepts creating the cluster and whenever Connect returns: a cluster
// whose creation failed half-way must still be deleted by the post step.
func (t *target) KeepState(save cluster.SaveState) { t.save = save }

func (t *target) saveState() {
	if t.save != nil {
		t.save(stateName, t.State().Encode())
	}
}

// Connect reuses or creates the cluster, waits for it to be RUNNING and
// checks that its API server answers.
func (t *target) Connect(ctx context.Context) (*cluster.Cluster, error) {
	defer t.saveState()
	if err := t.init(ctx, t.opts.Project); err != nil {
		return nil, err
	}
	r := t.ref()
	c, err := t.ensure(ctx, r)
	if err != nil {
		return nil, err
	}
	rc, err := t.restConfig(r, c)
	if err != nil {
		return nil, err
	}
	within := t.opts.ReachTimeout
	why := unreachable(r, c)
	if why != "" {
		t.log.Infof("warning: %s: %s", r, why)
		within = min(within, privateReachTimeout)
	}
	t.log.Infof("connecting to %s at %s", r, rc.Host)
	v, err := cluster.ServerVersion(ctx, rc, within, t.log)
	if err != nil {
		switch {
		case why != "":
			return nil, fmt.Errorf("%s: %s. Checking its API server: %w", r, clause(why), err)
		case kube.Denied(err):
			return nil, fmt.Errorf("%s: %w. GKE maps the Google identity to a Kubernetes user: it needs roles/container.developer (or roles/container.admin) on project %s", r, err, r.project)
		}
		return nil, fmt.Errorf("%s: %w", r, err)
	}
	t.log.Infof("API server %s answers: Kubernetes %s", rc.Host, v.GitVersion)
	cl := &cluster.Cluster{
		Name:    r.name,
		Context: contextName(r.project, r.location, r.name),
		REST:    rc,
		Version: v,
		Created: t.created,
	}
	if t.created && t.opts.DeleteCluster == deleteOnExit {
		// The post step deletes it at the end of the job.
		cl.EphemeralWhy = "is a GKE cluster this run created and deletes when the job ends (delete-cluster: on-exit)"
	}
	return cl, nil
}

// init loads the credentials, checks they give a token, and builds the
// Container API client.
func (t *target) init(ctx context.Context, project string) error {
	if t.svc != nil {
		return nil
	}
	creds, err := loadCredentials(ctx, t.opts)
	if err != nil {
		return err
	}
	if err := creds.checkToken(); err != nil {
		return err
	}
	if project == "" {
		return fmt.Errorf("no Google Cloud project: set gke-project, or one of %s (google-github-actions/auth sets them when it knows the project)", strings.Join(projectEnv, ", "))
	}
	// Each Container API call is bounded: a hung request would otherwise
	// last until the whole run's timeout.
	copts := []option.ClientOption{option.WithHTTPClient(&http.Client{Transport: creds.wrap(t.opts.Transport), Timeout: apiRequestTimeout})}
	if t.opts.Endpoint != "" {
		copts = append(copts, option.WithEndpoint(t.opts.Endpoint))
	}
	svc, err := container.NewService(ctx, copts...)
	if err != nil {
		return fmt.Errorf("building the Container API client: %w", err)
	}
	t.creds, t.svc = creds, svc
	return nil
}

// apiRequestTimeout bounds one Container API request.
const apiRequestTimeout = time.Minute

// restConfig reaches the cluster's endpoint, trusting its CA, with a token
// that refreshes.
func (t *target) restConfig(r ref, c *container.Cluster) (*rest.Config, error) {
	if c.Endpoint == "" {
		return nil, fmt.Errorf("%s has no endpoint (status %s): GKE has not finished setting it up; rerun in a few minutes", r, c.Status)
	}
	if c.MasterAuth == nil || c.MasterAuth.ClusterCaCertificate == "" {
		return nil, fmt.Errorf("%s has no cluster CA certificate in its masterAuth: rerun in a few minutes", r)
	}
	ca, err := base64.StdEncoding.DecodeString(c.MasterAuth.ClusterCaCertificate)
	if err != nil {
		return nil, fmt.Errorf("%s: its cluster CA certificate is not base64: %w", r, err)
	}
	if block, _ := pem.Decode(ca); block == nil || block.Type != "CERTIFICATE" {
		return nil, fmt.Errorf("%s: its cluster CA certificate is not a PEM certificate", r)
	}
	return &rest.Config{
		Host:            "https://" + c.Endpoint,
		TLSClientConfig: rest.TLSClientConfig{CAData: ca},
		WrapTransport:   t.creds.wrap,
	}, nil
}

// unreachable says why a runner outside the cluster's network, such as a
// GitHub-hosted one, may not reach its control plane, or "".
func unreachable(r ref, c *container.Cluster) string {
	const runners = "GitHub-hosted runners reach only public endpoints, from addresses that change. Use a self-hosted runner inside the cluster's VPC network (or one whose address is an authorized network), or a cluster with a public endpoint open to the runner (a new cluster this action creates has one: use another cluster-name)"
	private := c.PrivateClusterConfig != nil && c.PrivateClusterConfig.EnablePrivateEndpoint
	var networks *container.MasterAuthorizedNetworksConfig
	if ip := endpointsConfig(c); ip != nil {
		private = private || (ip.Enabled && !ip.EnablePublicEndpoint)
		networks = ip.AuthorizedNetworksConfig
	}
	if networks == nil {
		networks = c.MasterAuthorizedNetworksConfig
	}
	if private {
		return fmt.Sprintf("its control plane has only a private endpoint (%s). %s", c.Endpoint, runners)
	}
	if networks != nil && networks.Enabled {
		var cidrs []string
		for _, b := range networks.CidrBlocks {
			if b.CidrBlock == "0.0.0.0/0" {
				return ""
			}
			cidrs = append(cidrs, b.CidrBlock)
		}
		list := "none"
		if len(cidrs) > 0 {
			list = strings.Join(cidrs, ", ")
		}
		return fmt.Sprintf("its control plane admits only its master authorized networks (%s). %s; or open it: gcloud container clusters update %s --location %s --project %s --no-enable-master-authorized-networks", list, runners, r.name, r.location, r.project)
	}
	return ""
}

func endpointsConfig(c *container.Cluster) *container.IPEndpointsConfig {
	if c.ControlPlaneEndpointsConfig == nil {
		return nil
	}
	return c.ControlPlaneEndpointsConfig.IpEndpointsConfig
}

// isConflict reports whether err is a 409 from the API.
func isConflict(err error) bool {
	var ae *apiError
	return errors.As(err, &ae) && ae.Code == http.StatusConflict
}

// LeftBehind says what a Connect that was cut short may leave behind.
func (t *target) LeftBehind() string {
	g := t.opts
	return fmt.Sprintf("GKE may be creating the cluster %s (location %s); when this run asked for it, the state the post step needs to delete it is saved (delete-cluster: %s), else: gcloud container clusters delete %s --location %s", g.ClusterName, g.Location, g.DeleteCluster, g.ClusterName, g.Location)
}
