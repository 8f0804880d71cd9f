// Package docker runs the docker command-line client for the calls the kind
// target makes besides the kind library's own, and turns its failures into
// typed errors.
package docker

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"time"
)

// CLI runs the docker command-line client.
type CLI struct {
	// Path is the docker executable; empty means "docker" found in PATH
	// (where the kind library looks too).
	Path string
}

// ErrNoCLI says there is no docker executable to run.
var ErrNoCLI = errors.New("the docker CLI is not installed (no docker executable in PATH)")

// ErrNotFound says the container or image asked about does not exist.
var ErrNotFound = errors.New("no such object")

// ErrPlatform says an image exists but not for the platform asked for.
var ErrPlatform = errors.New("not for that platform")

// dockerError is a docker command that failed.
type dockerError struct {
	// Args is the command line after "docker".
	Args []string
	// Output is what the command printed on stderr, trimmed.
	Output string
	// Err is the exit status, or why the command could not run or finish.
	Err error
}

func (e *dockerError) Error() string {
	msg := fmt.Sprintf("docker %s: %v", strings.Join(e.Args, " "), e.Err)
	if e.Output != "" {
		msg += ": " + e.Output
	}
	return msg
}

func (e *dockerError) Unwrap() error { return e.Err }

// reason says why the CLI could not talk to the Docker daemon.
type reason int

const (
	// notRunning: the CLI could not connect and said no more.
	notRunning reason = iota
	// NoSocket: the daemon's socket does not exist.
	NoSocket
	// Refused: the socket exists but nothing accepts connections on it.
	Refused
	// PermissionDenied: this user may not use the socket.
	PermissionDenied
)

// DaemonError is a command that failed because the CLI could not talk to
// the Docker daemon.
type DaemonError struct {
	// Address is where the CLI looked for the daemon, such as
	// unix:///var/run/docker.sock, when it said.
	Address string
	Reason  reason
	Err     *dockerError
}

func (e *DaemonError) Error() string {
	return "cannot talk to the Docker daemon: " + e.Err.Error()
}

func (e *DaemonError) Unwrap() error { return e.Err }

// SocketPath is the file of a unix:// address, or "".
func (e *DaemonError) SocketPath() string {
	if p, ok := strings.CutPrefix(e.Address, "unix://"); ok {
		return p
	}
	return ""
}

// The docker CLI's words when it cannot reach the daemon: "Cannot connect to
// the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon
// running?" before Docker 28, "failed to connect to the docker API at
// unix:///var/run/docker.sock; check if the path is correct and if the
// daemon is running: dial unix ...: connect: no such file or directory"
// since, and "permission denied while trying to connect to the Docker
// daemon socket at unix:///...".
var daemonAddressRE = regexp.MustCompile(`(?i)(?:cannot connect to the docker daemon at|failed to connect to the docker api at|permission denied while trying to connect to the docker daemon socket at) ([^\s;]+?)[.;:]?(?:\s|$)`)

// classify returns a *DaemonError when output says the daemon could not be
// reached, else nil.
func classify(e *dockerError, output string) *DaemonError {
	m := daemonAddressRE.FindStringSubmatch(output)
	if m == nil {
		return nil
	}
	d := &DaemonError{Address: m[1], Err: e}
	lower := strings.ToLower(output)
	switch {
	case strings.Contains(lower, "permission denied"):
		d.Reason = PermissionDenied
	case strings.Contains(lower, "no such file or directory"):
		d.Reason = NoSocket
	case strings.Contains(lower, "connection refused"):
		d.Reason = Refused
	default:
		// Older CLIs do not say why; a missing socket file is the usual one.
		if p := d.SocketPath(); p != "" {
			if _, err := os.Stat(p); errors.Is(err, os.ErrNotExist) {
				d.Reason = NoSocket
			}
		}
	}
	return d
}

// Run runs docker with args, feeding it stdin when not nil, and returns what
// it printed on stdout. A failure is an *Error, a *DaemonError when the
// daemon could not be reached, or wraps ErrNoCLI or ErrNotFound. The command
// is killed when ctx ends.
func (c *CLI) Run(ctx context.Context, stdin io.Reader, args ...string) ([]byte, error) {
	path := c.Path
	if path == "" {
		path = "docker"
	}
	cmd := exec.CommandContext(ctx, path, args...)
	cmd.Stdin = stdin
	var stdout, stderr bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	cmd.WaitDelay = 2 * time.Second
	err := cmd.Run()
	if err == nil {
		return stdout.Bytes(), nil
	}
	e := &dockerError{Args: args, Output: strings.TrimSpace(stderr.String()), Err: err}
	switch {
	case errors.Is(err, exec.ErrNotFound):
		return nil, fmt.Errorf("%w: %w", ErrNoCLI, err)
	case ctx.Err() != nil:
		e.Err = context.Cause(ctx)
		return stdout.Bytes(), e
	}
	if d := classify(e, e.Output); d != nil {
		return stdout.Bytes(), d
	}
	if isNotFound(e.Output) {
		return stdout.Bytes(), fmt.Errorf("%w: %w", ErrNotFound, e)
	}
	if isOtherPlatform(e.Output) {
		return stdout.Bytes(), fmt.Errorf("%w: %w", ErrPlatform, e)
	}
	return stdout.Bytes(), e
}

// isOtherPlatform reports whether output is the daemon's refusal of an
// image that has no variant for the platform asked for. moby (v28.0.4 to
// docker-v29.1.3) says, for the classic store, "image with reference X was
// found but its platform (linux/arm64) does not match the specified
// platform (linux/amd64)" (daemon/images/image.go) and, saving, "no
// suitable export target found for platform linux/amd64"
// (image/tarexport/save.go); for the containerd store, "... was found but
// does not provide the specified platform (linux/amd64)"
// (daemon/containerd/image.go).
func isOtherPlatform(output string) bool {
	lower := strings.ToLower(output)
	for _, s := range []string{"does not match the specified platform", "does not provide the specified platform", "no suitable export target found for platform"} {
		if strings.Contains(lower, s) {
			return true
		}
	}
	return false
}

func isNotFound(output string) bool {
	lower := strings.ToLower(output)
	for _, s := range []string{"no such container", "no such image", "no such object"} {
		if strings.Contains(lower, s) {
			return true
		}
	}
	return false
}
