package kind

import (
	"context"
	"errors"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"

	"github.com/knative-preview/action/internal/cluster/kind/docker"
	"github.com/knative-preview/action/internal/log"
)

var defaultContainerMarkers = []string{"/.dockerenv", "/run/.containerenv"}

const (
	defaultActionsWorkspace = "/github/workspace"
	defaultMountInfo        = "/proc/self/mountinfo"
)

// runner is the runner's Docker as this process reaches it, and this
// process's place in it: on the runner's host, or in one of its containers
// (a container action's), which reaches what Docker publishes on the host's
// 127.0.0.1 only through a Docker network.
type runner struct {
	o      Options
	docker dockerClient
	log    log.Logger
}

func newRunner(o Options, l log.Logger) runner {
	r := runner{o: o, docker: o.Docker, log: l}
	if r.docker == nil {
		r.docker = &docker.CLI{}
	}
	return r
}

func (t *runner) getenv(k string) string {
	if t.o.Getenv != nil {
		return t.o.Getenv(k)
	}
	return os.Getenv(k)
}

// inContainer reports whether this process runs in a container, and why
// it thinks so.
func (t *runner) inContainer() (bool, string) {
	markers := t.o.ContainerMarkers
	if markers == nil {
		markers = defaultContainerMarkers
	}
	for _, m := range markers {
		if _, err := os.Stat(m); err == nil {
			return true, m + " exists"
		}
	}
	ws := t.o.ActionsWorkspace
	if ws == "" {
		ws = defaultActionsWorkspace
	}
	if t.getenv("GITHUB_ACTIONS") == "true" {
		if st, err := os.Stat(ws); err == nil && st.IsDir() {
			return true, "GITHUB_ACTIONS is true and " + ws + " exists"
		}
	}
	return false, ""
}

// ownContainer finds the container this process runs in, or returns nil
// when it runs on a host, or in a container on the host's network (which
// reaches kind's published ports on 127.0.0.1 as the host does).
func (t *runner) ownContainer(ctx context.Context) (*docker.Container, error) {
	in, why := t.inContainer()
	if !in {
		t.log.Infof("not in a container: reaching what the runner's Docker publishes on 127.0.0.1 directly")
		return nil, nil
	}
	hostname := t.o.Hostname
	if hostname == nil {
		hostname = os.Hostname
	}
	var candidates []string
	if h, err := hostname(); err == nil && h != "" {
		candidates = append(candidates, h)
	}
	mountInfo := t.o.MountInfo
	if mountInfo == "" {
		mountInfo = defaultMountInfo
	}
	if id := containerIDFromMountInfo(mountInfo); id != "" && !slices.Contains(candidates, id) {
		candidates = append(candidates, id)
	}
	for _, c := range candidates {
		own, err := t.docker.InspectContainer(ctx, c)
		if errors.Is(err, docker.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("finding this container (%s) in Docker: %w", c, err)
		}
		if own.HostConfig.NetworkMode == "host" {
			t.log.Infof("in a container on the host's network (%s): reaching what the runner's Docker publishes on 127.0.0.1 directly", why)
			return nil, nil
		}
		t.log.Infof("in a container (%s): its id is %s", why, shortID(own.ID))
		return own, nil
	}
	return nil, fmt.Errorf("this process runs in a container (%s), but Docker knows no container named %s, so it cannot be attached to the Docker network %q to reach the cluster: run it as a GitHub container action or on the host, or start its container with --network kind", why, strings.Join(quoteAll(candidates), " or "), network)
}

// attach puts this container on the kind network, unless it is on it.
func (t *runner) attach(ctx context.Context, own *docker.Container) error {
	id := shortID(own.ID)
	if _, ok := own.NetworkSettings.Networks[network]; ok {
		t.log.Infof("this container (%s) is already on the Docker network %q", id, network)
		return nil
	}
	t.log.Infof("attaching this container (%s) to the Docker network %q to reach the cluster", id, network)
	if err := t.docker.ConnectNetwork(ctx, network, own.ID); err != nil {
		return fmt.Errorf("attaching this container (%s) to the Docker network %q, to reach the cluster's API server: %w", id, network, err)
	}
	return nil
}

// Docker bind-mounts /etc/hostname, /etc/hosts and /etc/resolv.conf from
// its directory for the container, which is named after the full id (for
// Podman, under .../overlay-containers/<id>/userdata/).
var mountedIDRE = regexp.MustCompile(`/([0-9a-f]{64})/(?:userdata/)?(?:hostname|hosts|resolv\.conf) `)

func containerIDFromMountInfo(path string) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	if m := mountedIDRE.FindSubmatch(data); m != nil {
		return string(m[1])
	}
	return ""
}

func shortID(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}

func quoteAll(ss []string) []string {
	if len(ss) == 0 {
		return []string{"(no host name, no id in the mount table)"}
	}
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = fmt.Sprintf("%q", s)
	}
	return out
}
