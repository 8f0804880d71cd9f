// Package kind is the cluster target that creates or reuses a kind cluster
// in the runner's Docker, reaches it from the host or from inside the
// action's own container, and loads images of the runner's Docker into its
// nodes.
package kind

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"k8s.io/client-go/rest"
	"sigs.k8s.io/kind/pkg/apis/config/v1alpha4"
	kindversion "sigs.k8s.io/kind/pkg/cmd/kind/version"

	"github.com/knative-preview/action/internal/cluster"
	"github.com/knative-preview/action/internal/cluster/kind/docker"
	"github.com/knative-preview/action/internal/kubecfg"
	"github.com/knative-preview/action/internal/log"
)

// domain is the DNS suffix of Knative services on a kind cluster: every
// name under it resolves to 127.0.0.1, where the host port listens.
const domain = "127.0.0.1.sslip.io"

// network is the Docker network kind puts its nodes on.
const network = "kind"

// What Knative needs of Docker, roughly. Knative, its ingress and kind's
// control plane request about fullCPUs; from minCPUs up to that the target
// warns, and a cluster it creates is marked cluster.Cluster.SmallNodes so
// that the install stage lowers Knative's CPU requests. Below minCPUs or
// minMemory it refuses.
const (
	minCPUs   = 2
	fullCPUs  = 3
	minMemory = 4_000_000_000 // bytes
)

// Default waits.
const (
	defaultDockerTimeout = 20 * time.Second // for `docker info` to answer
	defaultReadyTimeout  = 3 * time.Minute  // for created nodes to be Ready
	defaultReachTimeout  = time.Minute      // for the API server to answer
	defaultLoadTimeout   = 5 * time.Minute  // for the images to be loaded
)

// timeouts bound the target's waits; zero fields keep the defaults.
type timeouts struct {
	Docker, Ready, Reach, Load time.Duration
}

// target is a kind cluster in the runner's Docker.
type target struct {
	runner
	cfg      *v1alpha4.Cluster
	cfgErr   error
	image    string
	clusters clusters
	timeouts timeouts

	info           *docker.Info // what Docker says of itself, once checked
	small          bool         // Docker has fewer than fullCPUs, once checked
	kubeconfigPath string       // set once written
	secrets        []string     // of the kubeconfig, once read
}

var (
	_ cluster.Target          = (*target)(nil)
	_ cluster.SecretHolder    = (*target)(nil)
	_ cluster.OutputsProvider = (*target)(nil)
)

// option changes how a Target works, for tests.
type option func(*target)

// withClusters replaces the kind library.
func withClusters(c clusters) option { return func(t *target) { t.clusters = c } }

// withTimeouts changes the waits.
func withTimeouts(d timeouts) option {
	return func(t *target) {
		if d.Docker > 0 {
			t.timeouts.Docker = d.Docker
		}
		if d.Ready > 0 {
			t.timeouts.Ready = d.Ready
		}
		if d.Reach > 0 {
			t.timeouts.Reach = d.Reach
		}
		if d.Load > 0 {
			t.timeouts.Load = d.Load
		}
	}
}

// New returns the target for opts, telling l what it does. It contacts
// nothing; inputs Validate rejects make Connect fail.
func New(opts Options, l log.Logger, more ...option) *target {
	o := withDefaults(opts)
	t := &target{
		runner:   newRunner(o, l),
		timeouts: timeouts{Docker: defaultDockerTimeout, Ready: defaultReadyTimeout, Reach: defaultReachTimeout, Load: defaultLoadTimeout},
	}
	if errs := validate(opts); len(errs) > 0 {
		t.cfgErr = errors.Join(errs...)
	}
	t.image, _ = nodeImage(o.KubernetesVersion)
	if cfg, errs := buildConfig(o); len(errs) == 0 {
		t.cfg = cfg
	}
	for _, opt := range more {
		if opt != nil {
			opt(t)
		}
	}
	if t.clusters == nil {
		t.clusters = newLibrary(t.log)
	}
	return t
}

// contextName is the kubeconfig context kind gives a cluster.
func contextName(clusterName string) string { return "kind-" + clusterName }

func (t *target) controlPlane() string { return t.o.ClusterName + "-control-plane" }

// Plan says what Connect will do, with the kind config it creates the
// cluster from. It only looks at files that say whether this process runs
// in a container.
func (t *target) Plan() []string {
	name := t.o.ClusterName
	if t.cfgErr != nil {
		return []string{fmt.Sprintf("nothing: the kind inputs are not valid: %v", t.cfgErr)}
	}
	p := []string{
		fmt.Sprintf("check that Docker answers (wait up to %s) and has at least %d CPUs and %s of memory for Knative", t.timeouts.Docker, minCPUs, gb(minMemory)),
		fmt.Sprintf("with fewer than %d CPUs, warn, and have the install lower the CPU requests of Knative's and the ingress's Deployments on a cluster this run creates", fullCPUs),
	}
	switch {
	case t.o.ExistingOnly:
		p = append(p, fmt.Sprintf("use the kind cluster %q if it exists; create, recreate or load nothing", name))
	case t.o.Reuse == cluster.ReuseTrue:
		p = append(p, fmt.Sprintf("reuse the kind cluster %q if it exists (its node %s must map node port %d to host port %d), else create it", name, t.controlPlane(), ingressNodePort, t.o.HostPort))
	case t.o.Reuse == cluster.ReuseFalse:
		p = append(p, fmt.Sprintf("create the kind cluster %q; fail if one of that name exists", name))
	case t.o.Reuse == cluster.ReuseRecreate:
		p = append(p, fmt.Sprintf("delete the kind cluster %q if it exists, then create it", name))
	}
	img := t.image
	if t.o.KubernetesVersion == "" {
		img += " (the default of kind v" + strings.TrimPrefix(kindversion.Version(), "v") + ")"
	}
	p = append(p, fmt.Sprintf("before creating, check that host port %d is free; create with node image %s and wait up to %s for the nodes to be Ready", t.o.HostPort, img, t.timeouts.Ready))
	if y, err := renderConfig(t.cfg); err != nil {
		p = append(p, err.Error())
	} else {
		p = append(p, "kind config:\n"+indent(y, "      "))
	}
	if in, why := t.inContainer(); in {
		p = append(p, fmt.Sprintf("in a container (%s): let Docker choose the API server's host port, attach this container to the Docker network %q unless it is on it, and reach the API server at https://%s:6443", why, network, t.controlPlane()))
	} else {
		p = append(p, "not in a container: reach the API server at the 127.0.0.1 port kind publishes")
	}
	p = append(p,
		fmt.Sprintf("check that the API server answers (wait up to %s), read its Kubernetes version, and that every node is Ready", t.timeouts.Reach),
		fmt.Sprintf("write the cluster's kubeconfig for later steps to %s in the workspace", kubeconfigFile),
	)
	switch {
	case len(t.o.LoadImages) > 0:
		p = append(p, fmt.Sprintf("load %s from the runner's Docker into every node", strings.Join(t.o.LoadImages, ", ")))
	case len(t.o.deployed()) > 0:
		p = append(p, fmt.Sprintf("load %s into every node if the runner's Docker has it (else the nodes pull it)", strings.Join(t.o.deployed(), ", ")))
	}
	p = append(p, fmt.Sprintf("services answer at http://<service>.<namespace>.%s%s from the runner", domain, portSuffix(t.o.HostPort)))
	return p
}

// Connect checks Docker, creates or reuses the cluster, makes its API
// server reachable from this process, waits for it and its nodes, writes
// the kubeconfig for later steps, and loads the images.
func (t *target) Connect(ctx context.Context) (*cluster.Cluster, error) {
	if t.cfgErr != nil {
		return nil, t.cfgErr
	}
	name := t.o.ClusterName
	if err := t.checkDocker(ctx); err != nil {
		return nil, err
	}
	own, err := t.ownContainer(ctx)
	if err != nil {
		return nil, err
	}
	if err := t.prepareDir(); err != nil {
		return nil, err
	}
	created, err := t.ensureCluster(ctx, own != nil)
	if err != nil {
		return nil, err
	}
	if own != nil {
		if err := t.attach(ctx, own); err != nil {
			return nil, err
		}
	}

	rc, contextName, err := t.restConfig(ctx, own != nil)
	if err != nil {
		return nil, err
	}
	t.log.Infof("connecting to %s (context %q)", rc.Host, contextName)
	v, err := cluster.ServerVersion(ctx, rc, t.timeouts.Reach, t.log)
	if err != nil {
		return nil, fmt.Errorf("kind cluster %q: %w", name, err)
	}
	t.log.Infof("API server %s answers: Kubernetes %s", rc.Host, v.GitVersion)
	if err := waitNodesReady(ctx, rc, t.timeouts.Ready, t.log); err != nil {
		return nil, fmt.Errorf("kind cluster %q: %w", name, err)
	}
	registries, err := t.loadImages(ctx)
	if err != nil {
		return nil, err
	}

	c := &cluster.Cluster{
		Name:            name,
		Context:         contextName,
		REST:            rc,
		Version:         v,
		Created:         created,
		Domain:          domain,
		IngressNodePort: ingressNodePort,
		IngressAddress:  "127.0.0.1:" + strconv.Itoa(t.o.HostPort),
		HostURLBase:     "http://127.0.0.1" + portSuffix(t.o.HostPort),
		LocalRegistries: registries,
		SmallNodes:      created && t.small,
	}
	c.EphemeralWhy = t.ephemeral()
	if own != nil {
		ip, err := t.nodeIP(ctx)
		if err != nil {
			return nil, err
		}
		c.IngressAddress = ip + ":" + strconv.Itoa(ingressNodePort)
	}
	return c, nil
}

// runnerEnvironment is the variable the runner sets to github-hosted or
// self-hosted (actions/runner: JobRunner.cs sets the runner context's
// environment, and ContainerActionHandler.cs passes the runner context to
// the container as RUNNER_<NAME>).
const runnerEnvironment = "RUNNER_ENVIRONMENT"

// ephemeral says why the cluster goes away with the job, if it does: on a
// GitHub-hosted runner every kind cluster does (the machine is discarded).
// Elsewhere it stays, whoever created it: this target never deletes a
// cluster, so the next run on a self-hosted runner or a laptop reuses it.
func (t *target) ephemeral() string {
	if t.getenv(runnerEnvironment) == "github-hosted" {
		return "is a kind cluster on a GitHub-hosted runner, which is discarded when the job ends"
	}
	return ""
}

// Outputs has the kubeconfig output: where Connect wrote the cluster's
// external kubeconfig, relative to the workspace (forward slashes); none
// before.
func (t *target) Outputs() map[string]string {
	if t.kubeconfigPath == "" {
		return nil
	}
	return map[string]string{"kubeconfig-path": t.kubeconfigPath}
}

// Secrets are the credentials in the cluster's kubeconfig (its client key),
// known once Connect has read it. Nothing the target logs contains them.
func (t *target) Secrets() []string { return slices.Clone(t.secrets) }

// ensureCluster makes the cluster exist as reuse-cluster says, and reports
// whether it created it.
func (t *target) ensureCluster(ctx context.Context, inContainer bool) (bool, error) {
	name := t.o.ClusterName
	names, err := until(ctx, t.clusters.List)
	if err != nil {
		return false, fmt.Errorf("listing the kind clusters of the runner's Docker: %w", err)
	}
	if t.o.ExistingOnly {
		if !slices.Contains(names, name) {
			return false, fmt.Errorf("no kind cluster named %q in the runner's Docker: %w", name, cluster.ErrNoCluster)
		}
		t.log.Infof("using the kind cluster %q", name)
		return false, nil
	}
	if slices.Contains(names, name) {
		switch t.o.Reuse {
		case cluster.ReuseFalse:
			return false, fmt.Errorf("a kind cluster named %q already exists and reuse-cluster is false: set reuse-cluster to true to use it, to recreate to delete and create it again, or choose another cluster-name", name)
		case cluster.ReuseRecreate:
			t.log.Infof("deleting the kind cluster %q (reuse-cluster: recreate)", name)
			if _, err := until(ctx, func() (struct{}, error) { return struct{}{}, t.clusters.Delete(name, t.kubeconfigAbs()) }); err != nil {
				return false, fmt.Errorf("deleting the kind cluster %q: %w", name, err)
			}
		default:
			t.log.Infof("reusing the kind cluster %q", name)
			return false, t.checkReusable(ctx)
		}
	}
	if err := t.checkHostPort(ctx, inContainer); err != nil {
		return false, err
	}
	return true, t.create(ctx, inContainer)
}

// hostPortsPickedByDocker is cfg with the host ports kind would choose
// (the API server's, and extraPortMappings' hostPort 0) left to Docker
// instead: kind chooses a port by listening on it in this process's
// network, which in a container is not the runner's, so the port it finds
// free may be taken on the runner (kind's common.PortOrGetFreePort; -1 asks
// the container backend to choose).
func hostPortsPickedByDocker(cfg *v1alpha4.Cluster) *v1alpha4.Cluster {
	c := cfg.DeepCopy()
	if c.Networking.APIServerPort == 0 {
		c.Networking.APIServerPort = -1
	}
	for i := range c.Nodes {
		for j := range c.Nodes[i].ExtraPortMappings {
			if m := &c.Nodes[i].ExtraPortMappings[j]; m.HostPort == 0 {
				m.HostPort = -1
			}
		}
	}
	return c
}

// create creates the cluster, waiting for kind at most until ctx ends.
// From inside a container, Docker chooses the host ports kind would.
func (t *target) create(ctx context.Context, inContainer bool) error {
	name := t.o.ClusterName
	wait := t.timeouts.Ready
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) < wait {
		wait = time.Until(dl)
	}
	if wait <= 0 {
		return fmt.Errorf("no time left to create the kind cluster %q: %w", name, context.Cause(ctx))
	}
	t.log.Infof("creating the kind cluster %q (node image %s, host port %d); kind waits up to %s for the nodes to be Ready", name, t.image, t.o.HostPort, wait.Round(time.Second))
	cfg := t.cfg
	if inContainer {
		cfg = hostPortsPickedByDocker(cfg)
	}
	_, err := until(ctx, func() (struct{}, error) { return struct{}{}, t.clusters.Create(cfg, wait, t.kubeconfigAbs()) })
	switch {
	case ctx.Err() != nil:
		return fmt.Errorf("stopped waiting for kind to create the cluster %q: %w; kind may leave a half-made cluster: delete it with `kind delete cluster --name %s`, or run again with reuse-cluster: recreate", name, err, name)
	case err != nil:
		return t.explainCreate(err)
	}
	return nil
}

// until runs f, a call of the kind library that takes no context (it runs
// docker), and stops waiting for it when ctx ends: a Docker that hangs
// must not hold the run past its timeout.
func until[T any](ctx context.Context, f func() (T, error)) (T, error) {
	type result struct {
		v   T
		err error
	}
	done := make(chan result, 1)
	go func() {
		v, err := f()
		done <- result{v, err}
	}()
	select {
	case r := <-done:
		return r.v, r.err
	case <-ctx.Done():
		var zero T
		return zero, context.Cause(ctx)
	}
}

// checkReusable checks that an existing cluster runs and maps the ingress
// NodePort to host-port, which kind can only set up at creation.
func (t *target) checkReusable(ctx context.Context) error {
	name, node := t.o.ClusterName, t.controlPlane()
	c, err := t.docker.InspectContainer(ctx, node)
	if errors.Is(err, docker.ErrNotFound) {
		return fmt.Errorf("the kind cluster %q has no node container %s: set reuse-cluster: recreate to delete and create it again", name, node)
	}
	if err != nil {
		return fmt.Errorf("inspecting the node %s of the kind cluster %q: %w", node, name, err)
	}
	if !c.State.Running {
		return fmt.Errorf("the kind cluster %q exists but its node %s is %s, not running: start it with `docker start %s`, or set reuse-cluster: recreate", name, node, c.State.Status, node)
	}
	want := strconv.Itoa(t.o.HostPort)
	var seen []string
	for _, b := range c.HostConfig.PortBindings[strconv.Itoa(ingressNodePort)+"/tcp"] {
		if b.HostPort == want && reachableFromLoopback(b.HostIP) {
			return nil
		}
		seen = append(seen, strings.TrimPrefix(b.HostIP+":"+b.HostPort, ":"))
	}
	if len(seen) == 0 {
		return fmt.Errorf("the kind cluster %q was created without mapping node port %d to a host port, and kind can add port mappings only when it creates a cluster: set reuse-cluster: recreate to delete it and create it with the mapping, or choose another cluster-name (or delete it yourself: kind delete cluster --name %s)", name, ingressNodePort, name)
	}
	return fmt.Errorf("the kind cluster %q maps node port %d to host %s, not to 127.0.0.1:%d (host-port): set host-port to the port it uses, or reuse-cluster: recreate to create it again with host port %d", name, ingressNodePort, strings.Join(seen, ", "), t.o.HostPort, t.o.HostPort)
}

func reachableFromLoopback(hostIP string) bool {
	switch hostIP {
	case "", "0.0.0.0", "127.0.0.1", "::", "[::]":
		return true
	}
	return false
}

// nodeIP is the control-plane node's address on the kind network.
func (t *target) nodeIP(ctx context.Context) (string, error) {
	c, err := t.docker.InspectContainer(ctx, t.controlPlane())
	if err != nil {
		return "", fmt.Errorf("inspecting the node %s for its address: %w", t.controlPlane(), err)
	}
	ep, ok := c.NetworkSettings.Networks[network]
	if !ok || ep.IPAddress == "" {
		return "", fmt.Errorf("the node %s has no IPv4 address on the Docker network %q, so the ingress cannot be reached from this container", t.controlPlane(), network)
	}
	return ep.IPAddress, nil
}

func portSuffix(p int) string {
	if p == 80 {
		return ""
	}
	return ":" + strconv.Itoa(p)
}

// gb writes bytes as decimal gigabytes: "3 GB", "16.8 GB".
func gb(bytes int64) string {
	return strings.TrimSuffix(strconv.FormatFloat(float64(bytes)/1e9, 'f', 1, 64), ".0") + " GB"
}

func indent(s, prefix string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i, l := range lines {
		if l != "" {
			lines[i] = prefix + l
		}
	}
	return strings.Join(lines, "\n")
}

// restConfig writes the cluster's kubeconfig for the runner's later steps
// and returns how this process reaches the API server: as the runner does,
// or from a container (inContainer) on the Docker network "kind".
func (t *target) restConfig(ctx context.Context, inContainer bool) (*rest.Config, string, error) {
	name := t.o.ClusterName
	external, err := until(ctx, func() (string, error) { return t.clusters.KubeConfig(name, false) })
	if err != nil {
		return nil, "", fmt.Errorf("reading the kubeconfig of the kind cluster %q: %w", name, err)
	}
	if err := t.writeKubeconfig(external); err != nil {
		return nil, "", err
	}
	kc := external
	if inContainer {
		if kc, err = until(ctx, func() (string, error) { return t.clusters.KubeConfig(name, true) }); err != nil {
			return nil, "", fmt.Errorf("reading the kubeconfig of the kind cluster %q for the Docker network %q: %w", name, network, err)
		}
	}
	src, err := kubecfg.Load(kc, nil, nil)
	if err != nil {
		return nil, "", fmt.Errorf("the kubeconfig of the kind cluster %q: %w", name, err)
	}
	t.secrets = src.Secrets
	contextName := contextName(name)
	rc, err := src.RESTConfig(contextName)
	return rc, contextName, err
}

// LeftBehind says what a Connect that was cut short may leave behind.
func (t *target) LeftBehind() string {
	n := t.o.ClusterName
	return fmt.Sprintf("the kind cluster %s may be partly created; run again to finish it, or delete it with: kind delete cluster --name %s", n, n)
}
