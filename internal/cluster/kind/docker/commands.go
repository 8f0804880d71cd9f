package docker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Info is the part of `docker info` the kind target reads.
type Info struct {
	Name            string
	ServerVersion   string
	OperatingSystem string
	// NCPU and MemTotal (bytes) are what containers can use: on Docker
	// Desktop, the virtual machine's share.
	NCPU     int
	MemTotal int64
	// ServerErrors is set when the CLI could not ask the daemon.
	ServerErrors []string
	// Driver and DriverStatus describe the image store: overlay2 and its
	// backing filesystem for the classic store (Docker 28's default),
	// overlayfs with driver-type io.containerd.snapshotter.v1 for the
	// containerd image store (Docker 29's default).
	Driver       string
	DriverStatus [][2]string
	// OSType and Architecture are the daemon's platform, as uname names it
	// (linux, x86_64): the platform of the containers it runs.
	OSType       string
	Architecture string
	// ClientInfo is the docker CLI's half: its version.
	ClientInfo struct {
		Version string
	}
}

// ContainerdStore reports whether the daemon keeps images in the
// containerd image store. There an image's id is the digest of what its
// tag points to (a multi-platform index, or a manifest), not of its
// configuration, and `docker save` without --platform writes a pulled
// multi-platform image's whole index while only the daemon's platform's
// layers were pulled (moby daemon/containerd/image_inspect.go and
// image_exporter.go; kind issue #3795).
func (i *Info) ContainerdStore() bool {
	for _, kv := range i.DriverStatus {
		if kv[0] == "driver-type" && kv[1] == "io.containerd.snapshotter.v1" {
			return true
		}
	}
	return false
}

// Platform is the daemon's platform as image platforms are written
// (linux/amd64, linux/arm64, linux/arm/v7).
func (i *Info) Platform() string {
	arch := i.Architecture
	switch arch {
	case "x86_64", "x86-64":
		arch = "amd64"
	case "aarch64", "armv8", "armv8l":
		arch = "arm64"
	case "armv7l", "armhf", "armv7":
		arch = "arm/v7"
	case "armv6l", "armel", "armv6":
		arch = "arm/v6"
	case "i386", "i686":
		arch = "386"
	}
	os := i.OSType
	if os == "" {
		os = "linux"
	}
	return os + "/" + arch
}

// AtLeast reports whether the daemon's version (ServerVersion, such as
// 28.0.4 or 29.1.3) and the CLI's, when it says, are major.minor or later:
// a flag needs both. False when a version does not read as one.
func (i *Info) AtLeast(major, minor int) bool {
	return atLeast(i.ServerVersion, major, minor) && (i.ClientInfo.Version == "" || atLeast(i.ClientInfo.Version, major, minor))
}

func atLeast(version string, major, minor int) bool {
	parts := strings.SplitN(version, ".", 3)
	if len(parts) < 2 {
		return false
	}
	ma, err1 := strconv.Atoi(parts[0])
	mi, err2 := strconv.Atoi(strings.TrimLeftFunc(parts[1], func(r rune) bool { return r < '0' || r > '9' }))
	if err1 != nil || err2 != nil {
		return false
	}
	return ma > major || ma == major && mi >= minor
}

// Info asks the daemon about itself.
func (c *CLI) Info(ctx context.Context) (*Info, error) {
	out, err := c.Run(ctx, nil, "info", "--format", "{{json .}}")
	var info Info
	jerr := json.Unmarshal(out, &info)
	if err != nil {
		// Since Docker 20.10 a failed `docker info --format` still prints the
		// client's half, with the daemon's failure in ServerErrors.
		var e *dockerError
		if jerr == nil && len(info.ServerErrors) > 0 && errors.As(err, &e) {
			text := strings.Join(info.ServerErrors, "; ")
			if e.Output == "" {
				e.Output = text
			}
			if d := classify(e, text); d != nil {
				return nil, d
			}
		}
		return nil, err
	}
	if jerr != nil {
		return nil, fmt.Errorf("docker info printed something that is not JSON: %w", jerr)
	}
	if len(info.ServerErrors) > 0 {
		e := &dockerError{Args: []string{"info"}, Output: strings.Join(info.ServerErrors, "; "), Err: errors.New("the daemon reported errors")}
		if d := classify(e, e.Output); d != nil {
			return nil, d
		}
		return nil, e
	}
	return &info, nil
}

// Container is the part of `docker container inspect` the kind target reads.
type Container struct {
	ID    string `json:"Id"`
	Name  string // with a leading slash, as Docker reports it
	State struct {
		Status  string
		Running bool
	}
	Config struct {
		Hostname string
		Image    string
		Labels   map[string]string
	}
	HostConfig struct {
		NetworkMode string
		// PortBindings are the host ports asked for at creation, by
		// "<port>/<protocol>"; they are kept while the container is stopped.
		PortBindings map[string][]PortBinding
	}
	NetworkSettings struct {
		Networks map[string]Endpoint
		// Ports are the host ports a running container publishes, by
		// "<port>/<protocol>": those Docker chose included.
		Ports map[string][]PortBinding
	}
}

// PortBinding is one published port.
type PortBinding struct {
	HostIP   string `json:"HostIp"`
	HostPort string
}

// Endpoint is a container's place on one network.
type Endpoint struct {
	IPAddress string
	Aliases   []string
}

// InspectContainer describes the container name (a name or an id prefix).
// It wraps ErrNotFound when there is none.
func (c *CLI) InspectContainer(ctx context.Context, name string) (*Container, error) {
	out, err := c.Run(ctx, nil, "container", "inspect", name)
	if err != nil {
		return nil, err
	}
	var list []Container
	if err := json.Unmarshal(out, &list); err != nil {
		return nil, fmt.Errorf("docker container inspect %s printed something that is not a container list: %w", name, err)
	}
	if len(list) != 1 {
		return nil, fmt.Errorf("docker container inspect %s described %d containers, want 1", name, len(list))
	}
	return &list[0], nil
}

// ConnectNetwork attaches container to network; a container already
// attached is not an error.
func (c *CLI) ConnectNetwork(ctx context.Context, network, container string) error {
	_, err := c.Run(ctx, nil, "network", "connect", network, container)
	var e *dockerError
	if errors.As(err, &e) && strings.Contains(e.Output, "already exists in network") {
		return nil
	}
	return err
}

// Publishers lists the running containers that publish hostPort (TCP) on
// the host.
func (c *CLI) Publishers(ctx context.Context, hostPort int) ([]string, error) {
	out, err := c.Run(ctx, nil, "ps", "--format", "{{.Names}}\t{{.Ports}}")
	if err != nil {
		return nil, err
	}
	var names []string
	for _, line := range strings.Split(string(out), "\n") {
		name, ports, ok := strings.Cut(strings.TrimSpace(line), "\t")
		if ok && publishes(ports, hostPort) {
			names = append(names, name)
		}
	}
	return names, nil
}

// publishes reports whether a `docker ps` Ports column, such as
// "0.0.0.0:80->80/tcp, [::]:80->80/tcp, 127.0.0.1:8000-8001->8000-8001/tcp",
// publishes TCP port on the host.
func publishes(ports string, port int) bool {
	for _, p := range strings.Split(ports, ",") {
		host, target, ok := strings.Cut(strings.TrimSpace(p), "->")
		if !ok || !strings.HasSuffix(target, "/tcp") {
			continue
		}
		i := strings.LastIndex(host, ":")
		if i < 0 {
			continue
		}
		lo, hi, isRange := strings.Cut(host[i+1:], "-")
		if !isRange {
			hi = lo
		}
		l, err1 := strconv.Atoi(lo)
		h, err2 := strconv.Atoi(hi)
		if err1 == nil && err2 == nil && l <= port && port <= h {
			return true
		}
	}
	return false
}

// ImageID returns the id of image ref in the daemon's store: of its
// variant for platform when platform is not empty (docker image inspect
// --platform, Docker 28.1 and later). It wraps ErrNotFound when the daemon
// has no such image, and ErrPlatform when it has one but not for platform.
func (c *CLI) ImageID(ctx context.Context, ref, platform string) (string, error) {
	args := []string{"image", "inspect"}
	if platform != "" {
		args = append(args, "--platform", platform)
	}
	out, err := c.Run(ctx, nil, append(args, "--format", "{{.Id}}", ref)...)
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(string(out)), nil
}

// Save writes the images refs to the archive path (docker save), only
// their variant for platform when platform is not empty (Docker 28.0 and
// later). It wraps ErrPlatform when an image has no variant for platform.
func (c *CLI) Save(ctx context.Context, path, platform string, refs ...string) error {
	args := []string{"save"}
	if platform != "" {
		args = append(args, "--platform", platform)
	}
	_, err := c.Run(ctx, nil, append(append(args, "--output", path), refs...)...)
	return err
}

// Exec runs args in container, privileged as the kind library does, with
// stdin when not nil, and returns what it printed on stdout.
func (c *CLI) Exec(ctx context.Context, container string, stdin io.Reader, args ...string) ([]byte, error) {
	a := []string{"exec", "--privileged"}
	if stdin != nil {
		a = append(a, "--interactive")
	}
	a = append(a, container)
	return c.Run(ctx, stdin, append(a, args...)...)
}
