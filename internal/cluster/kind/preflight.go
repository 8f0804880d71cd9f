package kind

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	kindexec "sigs.k8s.io/kind/pkg/exec"

	"github.com/knative-preview/action/internal/cluster/kind/docker"
)

var errDockerSilent = errors.New("docker info got no answer")

// checkDocker checks that Docker answers and is big enough for Knative.
func (t *target) checkDocker(ctx context.Context) error {
	ctx, cancel := context.WithTimeoutCause(ctx, t.timeouts.Docker, errDockerSilent)
	defer cancel()
	info, err := t.docker.Info(ctx)
	if err != nil {
		return t.explainDocker(err)
	}
	t.info = info
	t.log.Infof("Docker %s (%s): %s, %s of memory", info.ServerVersion, info.OperatingSystem, cpus(info.NCPU), gb(info.MemTotal))
	var short []string
	if info.NCPU < minCPUs {
		short = append(short, cpus(info.NCPU))
	}
	if info.MemTotal < minMemory {
		short = append(short, gb(info.MemTotal)+" of memory")
	}
	if len(short) > 0 {
		advice := "give Docker more (Docker Desktop: Settings > Resources), or use cluster: kubeconfig/gke with an existing cluster"
		if t.getenv("GITHUB_ACTIONS") == "true" {
			advice = "use a larger runner (GitHub's ubuntu-latest has 4 CPUs and 16 GB in public repositories, 2 CPUs and 7-8 GB in private ones: both are enough), or cluster: kubeconfig/gke"
		}
		return fmt.Errorf("Docker has only %s; kind with Knative needs at least %s and %s: %s", strings.Join(short, " and "), cpus(minCPUs), gb(minMemory), advice)
	}
	if info.NCPU < fullCPUs {
		t.small = true
		t.log.Warnf("Docker has %s, fewer than the %d that Knative, its ingress and kind's control plane request: on a cluster this run creates, the install lowers the CPU requests of Knative's and the ingress's Deployments so that they schedule on one node (limits and memory stay); expect slower starts, or use a larger runner", cpus(info.NCPU), fullCPUs)
	}
	return nil
}

func cpus(n int) string {
	if n == 1 {
		return "1 CPU"
	}
	return strconv.Itoa(n) + " CPUs"
}

// explainDocker says what to do about a failed `docker info`.
func (t *target) explainDocker(err error) error {
	var d *docker.DaemonError
	switch {
	case errors.Is(err, docker.ErrNoCLI):
		return errors.New("the docker CLI is not installed here (no docker in PATH), and the kind target runs kind in Docker: install Docker (https://docs.docker.com/get-docker/), or use cluster: kubeconfig with an existing cluster")
	case errors.Is(err, errDockerSilent):
		return fmt.Errorf("Docker does not answer: `docker info` got no reply within %s; the daemon may be starting, stuck or overloaded: wait and try again, or restart Docker", t.timeouts.Docker)
	case errors.As(err, &d):
		where := d.Address
		if where == "" {
			where = "the address docker uses"
		}
		switch d.Reason {
		case docker.NoSocket:
			return fmt.Errorf("no Docker socket at %s: Docker is not running or not installed here; start Docker (Docker Desktop, or `sudo systemctl start docker`), in a container mount the socket (-v /var/run/docker.sock:/var/run/docker.sock), or point DOCKER_HOST at a running daemon", where)
		case docker.Refused:
			return fmt.Errorf("the Docker socket %s exists but nothing answers on it (connection refused): the Docker daemon is not running; start it (Docker Desktop, or `sudo systemctl start docker`)", where)
		case docker.PermissionDenied:
			return fmt.Errorf("this user may not use the Docker socket %s (permission denied): add it to the docker group (`sudo usermod -aG docker $USER`, then log in again), or run as root", where)
		}
		return fmt.Errorf("cannot connect to Docker at %s: is the Docker daemon running? Start it (Docker Desktop, or `sudo systemctl start docker`)", where)
	}
	return fmt.Errorf("asking Docker about itself (docker info): %w", err)
}

// checkHostPort checks, before creating the cluster, that nothing holds
// host-port. From inside a container only Docker's own publications can be
// seen; the host's other listeners show up when kind's docker run fails
// (explainCreate).
func (t *target) checkHostPort(ctx context.Context, inContainer bool) error {
	port := t.o.HostPort
	names, err := t.docker.Publishers(ctx, port)
	if err != nil {
		return fmt.Errorf("checking which containers publish host port %d: %w", port, err)
	}
	if len(names) > 0 {
		return fmt.Errorf("host port %d (host-port) is already taken by the container %s: stop it (docker stop %s), or choose another host-port such as 8080", port, strings.Join(names, ", "), strings.Join(names, " "))
	}
	if inContainer {
		return nil
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	d := net.Dialer{Timeout: time.Second}
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err == nil {
		_ = conn.Close()
		return fmt.Errorf("host port %d (host-port) is already in use on this machine: something accepts connections on %s; stop it, or choose another host-port such as 8080", port, addr)
	}
	return nil
}

// explainCreate turns kind's failure to create the cluster into advice.
func (t *target) explainCreate(err error) error {
	name := t.o.ClusterName
	var output string
	var re *kindexec.RunError
	if errors.As(err, &re) {
		output = string(re.Output)
	}
	all := strings.ToLower(err.Error() + "\n" + output)
	if strings.Contains(all, "port is already allocated") || strings.Contains(all, "address already in use") {
		return fmt.Errorf("creating the kind cluster %q: host port %d (host-port) is already in use on the runner: stop what uses it, or choose another host-port such as 8080 (%w)", name, t.o.HostPort, err)
	}
	if tail := lastLines(output, 15); tail != "" {
		return fmt.Errorf("creating the kind cluster %q: %w; its output ends with:\n%s", name, err, tail)
	}
	return fmt.Errorf("creating the kind cluster %q: %w", name, err)
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.TrimSpace(strings.Join(lines, "\n"))
}
