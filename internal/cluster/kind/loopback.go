package kind

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"sigs.k8s.io/kind/pkg/cluster/constants"

	"github.com/knative-preview/action/internal/cluster"
	"github.com/knative-preview/action/internal/cluster/kind/docker"
	"github.com/knative-preview/action/internal/log"
)

// Labels kind gives its containers (kind pkg/cluster/internal/providers/
// docker/constants.go): the cluster's name, and the node's role.
const (
	clusterLabel = "io.x-k8s.kind.cluster"
	roleLabel    = "io.x-k8s.kind.role"
)

// apiServerPort is the port of the API server in a kind node, and of the
// load balancer in front of several control-plane nodes (kind's
// common.APIServerInternalPort).
const apiServerPort = "6443/tcp"

// ReachLoopback returns where this process reaches server, the loopback
// address (cluster.Loopback) of an API server in a kubeconfig written on the
// runner's host, as kind writes it for the clusters it creates
// (https://127.0.0.1:<port>). On the host, or in a container on the host's
// network, that is server itself. In another container, such as a container
// action's, loopback is the container itself: when a kind node (or kind's
// load balancer) of the runner's Docker publishes that port, this container
// is attached to the Docker network "kind" unless it is on it, and the
// node's address there is returned (https://<node>:6443), as the kind
// target reaches the clusters it creates; else the error says why server
// cannot be reached. When this process's container cannot be found in the
// runner's Docker, server is returned with a warning told to l. o gives
// the seams (Docker, Hostname, ContainerMarkers, MountInfo, Getenv); its
// inputs are not read.
func ReachLoopback(ctx context.Context, l log.Logger, o Options, server string) (string, error) {
	ctx, cancel := context.WithTimeoutCause(ctx, loopbackTimeout,
		fmt.Errorf("the runner's Docker did not answer within %s while finding the kind node that publishes the API server %s", loopbackTimeout, server))
	defer cancel()
	reached, err := reachLoopback(ctx, l, o, server)
	if err != nil && ctx.Err() != nil {
		return "", fmt.Errorf("%w: %w", context.Cause(ctx), err)
	}
	return reached, err
}

// loopbackTimeout bounds ReachLoopback's questions to the runner's Docker.
const loopbackTimeout = time.Minute

// reachLoopback is ReachLoopback within its time.
func reachLoopback(ctx context.Context, l log.Logger, o Options, server string) (string, error) {
	r := newRunner(o, l)
	u, err := url.Parse(server)
	if err != nil {
		return "", fmt.Errorf("the API server address %q is not a URL: %w", server, err)
	}
	port := u.Port()
	if port == "" {
		port = "443"
	}
	own, err := r.ownContainer(ctx)
	if err != nil {
		// Whether this container reaches the runner's loopback cannot be
		// told: try the address; if nothing answers, the error says that
		// loopback is the container itself (cluster.Explain).
		r.log.Warnf("the API server %s is on loopback, and whether this process reaches the runner's loopback could not be told (%v): trying it as it is", server, err)
		return server, nil
	}
	if own == nil {
		return server, nil
	}
	p, err := strconv.Atoi(port)
	if err != nil {
		return "", fmt.Errorf("the API server address %s has no port number", server)
	}
	node, err := r.publisher(ctx, p)
	if err != nil {
		return "", err
	}
	if node == nil {
		return "", fmt.Errorf("the API server %s is on loopback, which inside this container is the container itself, not the runner, and no kind node of the runner's Docker publishes port %s there (docker ps): give the kubeconfig a server address the container can reach, such as the runner's or the cluster's own address, not 127.0.0.1 or localhost; see %s", server, port, cluster.ContainerActionHelp)
	}
	name := strings.TrimPrefix(node.Name, "/")
	if _, ok := node.NetworkSettings.Networks[network]; !ok {
		return "", fmt.Errorf("the API server %s is the kind node %s of the runner's Docker, which is not on the Docker network %q that this container would join to reach it", server, name, network)
	}
	if err := r.attach(ctx, own); err != nil {
		return "", err
	}
	reached := "https://" + net.JoinHostPort(name, strings.TrimSuffix(apiServerPort, "/tcp"))
	r.log.Infof("the API server %s is the kind cluster %q of the runner's Docker: reaching it on the Docker network %q at %s", server, node.Config.Labels[clusterLabel], network, reached)
	return reached, nil
}

// publisher is the running kind node, or load balancer, that publishes its
// API server on the runner's loopback at hostPort; nil when there is none.
func (r *runner) publisher(ctx context.Context, hostPort int) (*docker.Container, error) {
	names, err := r.docker.Publishers(ctx, hostPort)
	if err != nil {
		return nil, fmt.Errorf("asking the runner's Docker which container publishes port %d: %w", hostPort, err)
	}
	for _, n := range names {
		c, err := r.docker.InspectContainer(ctx, n)
		if errors.Is(err, docker.ErrNotFound) {
			continue // gone since
		}
		if err != nil {
			return nil, fmt.Errorf("inspecting the container %s, which publishes port %d: %w", n, hostPort, err)
		}
		switch c.Config.Labels[roleLabel] {
		case constants.ControlPlaneNodeRoleValue, constants.ExternalLoadBalancerNodeRoleValue:
		default:
			continue
		}
		for _, b := range c.NetworkSettings.Ports[apiServerPort] {
			if b.HostPort == strconv.Itoa(hostPort) && reachableFromLoopback(b.HostIP) {
				return c, nil
			}
		}
	}
	return nil, nil
}
