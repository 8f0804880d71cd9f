package kind

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/knative-preview/action/internal/cluster/internal/fakedocker"
	"github.com/knative-preview/action/internal/log"
)

var infoArgs = []string{"info", "--format", "{{json .}}"}

// TestDockerFailures runs the real docker CLI wrapper against the fake
// docker executable, for each failure the issue lists, and checks the one
// line the user reads.
func TestDockerFailures(t *testing.T) {
	tests := []struct {
		name  string
		noCLI bool
		rules func(t *testing.T) []fakedocker.Rule
		env   map[string]string
		// dockerTimeout is short only where docker hangs: starting the
		// fake docker can take longer than that on a loaded machine.
		dockerTimeout time.Duration
		wantErr       string
	}{
		{
			name:    "no docker CLI",
			noCLI:   true,
			wantErr: "the docker CLI is not installed here (no docker in PATH), and the kind target runs kind in Docker: install Docker (https://docs.docker.com/get-docker/), or use cluster: kubeconfig with an existing cluster",
		},
		{
			name: "no Docker socket",
			rules: func(t *testing.T) []fakedocker.Rule {
				return []fakedocker.Rule{{Args: infoArgs, Exit: 1, Stderr: "failed to connect to the docker API at unix:///var/run/docker.sock; check if the path is correct and if the daemon is running: dial unix /var/run/docker.sock: connect: no such file or directory\n"}}
			},
			wantErr: "no Docker socket at unix:///var/run/docker.sock: Docker is not running or not installed here; start Docker (Docker Desktop, or `sudo systemctl start docker`), in a container mount the socket (-v /var/run/docker.sock:/var/run/docker.sock), or point DOCKER_HOST at a running daemon",
		},
		{
			name: "no Docker socket, older CLI that prints the client half",
			rules: func(t *testing.T) []fakedocker.Rule {
				sock := filepath.Join(t.TempDir(), "docker.sock")
				out := strings.ReplaceAll(readFixture(t, "info-no-daemon.json"), "unix://SOCKET", "unix://"+sock)
				return []fakedocker.Rule{{Args: infoArgs, Stdout: out, Stderr: "Cannot connect to the Docker daemon at unix://" + sock + ". Is the docker daemon running?\n"}}
			},
			wantErr: "no Docker socket at unix://",
		},
		{
			name: "older CLI that cannot connect to a socket that exists",
			rules: func(t *testing.T) []fakedocker.Rule {
				sock := filepath.Join(t.TempDir(), "docker.sock")
				if err := os.WriteFile(sock, nil, 0o600); err != nil {
					t.Fatal(err)
				}
				return []fakedocker.Rule{{Args: infoArgs, Exit: 1, Stderr: "Cannot connect to the Docker daemon at unix://" + sock + ". Is the docker daemon running?\n"}}
			},
			wantErr: "cannot connect to Docker at unix://",
		},
		{
			name: "Docker socket with no daemon behind it",
			rules: func(t *testing.T) []fakedocker.Rule {
				return []fakedocker.Rule{{Args: infoArgs, Exit: 1, Stderr: "failed to connect to the docker API at unix:///var/run/docker.sock; check if the path is correct and if the daemon is running: dial unix /var/run/docker.sock: connect: connection refused\n"}}
			},
			wantErr: "the Docker socket unix:///var/run/docker.sock exists but nothing answers on it (connection refused): the Docker daemon is not running; start it (Docker Desktop, or `sudo systemctl start docker`)",
		},
		{
			name: "Docker socket this user may not use",
			rules: func(t *testing.T) []fakedocker.Rule {
				return []fakedocker.Rule{{Args: infoArgs, Exit: 1, Stderr: `permission denied while trying to connect to the Docker daemon socket at unix:///var/run/docker.sock: Get "http://%2Fvar%2Frun%2Fdocker.sock/v1.47/info": dial unix /var/run/docker.sock: connect: permission denied` + "\n"}}
			},
			wantErr: "this user may not use the Docker socket unix:///var/run/docker.sock (permission denied): add it to the docker group (`sudo usermod -aG docker $USER`, then log in again), or run as root",
		},
		{
			name: "Docker not answering",
			rules: func(t *testing.T) []fakedocker.Rule {
				return []fakedocker.Rule{{Args: infoArgs, Hang: true}}
			},
			dockerTimeout: 300 * time.Millisecond,
			wantErr:       "Docker does not answer: `docker info` got no reply within 300ms; the daemon may be starting, stuck or overloaded: wait and try again, or restart Docker",
		},
		{
			name: "too little CPU and memory on a laptop",
			rules: func(t *testing.T) []fakedocker.Rule {
				out := strings.Replace(readFixture(t, "info.json"), `"NCPU":4,"MemTotal":16766177280`, `"NCPU":1,"MemTotal":2084458496`, 1)
				return []fakedocker.Rule{{Args: infoArgs, Stdout: out}}
			},
			wantErr: "Docker has only 1 CPU and 2.1 GB of memory; kind with Knative needs at least 2 CPUs and 4 GB: give Docker more (Docker Desktop: Settings > Resources), or use cluster: kubeconfig/gke with an existing cluster",
		},
		{
			name: "one CPU on a runner",
			rules: func(t *testing.T) []fakedocker.Rule {
				out := strings.Replace(readFixture(t, "info.json"), `"NCPU":4`, `"NCPU":1`, 1)
				return []fakedocker.Rule{{Args: infoArgs, Stdout: out}}
			},
			env:     map[string]string{"GITHUB_ACTIONS": "true"},
			wantErr: "Docker has only 1 CPU; kind with Knative needs at least 2 CPUs and 4 GB: use a larger runner (GitHub's ubuntu-latest has 4 CPUs and 16 GB in public repositories, 2 CPUs and 7-8 GB in private ones: both are enough), or cluster: kubeconfig/gke",
		},
		{
			name: "two CPUs but too little memory on a runner",
			rules: func(t *testing.T) []fakedocker.Rule {
				out := strings.Replace(readFixture(t, "info.json"), `"NCPU":4,"MemTotal":16766177280`, `"NCPU":2,"MemTotal":3900000000`, 1)
				return []fakedocker.Rule{{Args: infoArgs, Stdout: out}}
			},
			env:     map[string]string{"GITHUB_ACTIONS": "true"},
			wantErr: "Docker has only 3.9 GB of memory; kind with Knative needs at least 2 CPUs and 4 GB: use a larger runner (GitHub's ubuntu-latest has 4 CPUs and 16 GB in public repositories, 2 CPUs and 7-8 GB in private ones: both are enough), or cluster: kubeconfig/gke",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.noCLI {
				t.Setenv("PATH", t.TempDir())
			} else {
				fakedocker.Install(t).On(tt.rules(t)...)
			}
			fc := &fakeClusters{}
			target := New(Options{
				Workspace:        t.TempDir(),
				Getenv:           func(k string) string { return tt.env[k] },
				ContainerMarkers: []string{filepath.Join(t.TempDir(), "absent")},
			}, log.Discard, withClusters(fc), withTimeouts(timeouts{Docker: tt.dockerTimeout}))
			_, err := target.Connect(t.Context())
			if err == nil || !strings.HasPrefix(err.Error(), tt.wantErr) {
				t.Fatalf("got\n  %v\nwant\n  %s", err, tt.wantErr)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("the message spans lines: %q", err)
			}
			if len(fc.calls) > 0 {
				t.Errorf("went on to call kind: %v", fc.calls)
			}
		})
	}
}

// TestHostPortTaken holds the host port with a real listener on 127.0.0.1.
func TestHostPortTaken(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			_ = c.Close()
		}
	}()
	port := l.Addr().(*net.TCPAddr).Port
	fake := fakedocker.Install(t)
	fake.On(
		fakedocker.Rule{Args: infoArgs, Stdout: readFixture(t, "info.json")},
		fakedocker.Rule{Args: []string{"ps", "--format", "{{.Names}}\t{{.Ports}}"}, Stdout: "registry\t0.0.0.0:5000->5000/tcp\n"},
	)
	fc := &fakeClusters{}
	_, err = New(Options{
		HostPort:         port,
		Workspace:        t.TempDir(),
		ContainerMarkers: []string{filepath.Join(t.TempDir(), "absent")},
		Getenv:           func(string) string { return "" },
	}, log.Discard, withClusters(fc)).Connect(t.Context())
	p := strconv.Itoa(port)
	want := "host port " + p + " (host-port) is already in use on this machine: something accepts connections on 127.0.0.1:" + p + "; stop it, or choose another host-port such as 8080"
	if err == nil || err.Error() != want {
		t.Fatalf("got\n  %v\nwant\n  %s", err, want)
	}
	if !slices.Equal(fc.calls, []string{"list"}) {
		t.Errorf("kind calls %v, want only the list", fc.calls)
	}
	if got := fake.CommandLines(); len(got) != 2 {
		t.Errorf("docker calls %q", got)
	}
}

// A kind library call that hangs (a Docker that stopped answering) does not
// hold the run past its context.
func TestUntilStopsWaitingWithTheContext(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	why := errors.New("the run's timeout passed")
	ctx, cancel := context.WithCancelCause(context.Background())
	go cancel(why)
	_, err := until(ctx, func() ([]string, error) { <-release; return nil, nil })
	if !errors.Is(err, why) {
		t.Fatalf("got %v, want the context's cause", err)
	}
	got, err := until(context.Background(), func() ([]string, error) { return []string{"knative"}, nil })
	if err != nil || len(got) != 1 {
		t.Fatalf("got %v, %v", got, err)
	}
}

// TestTwoCPUs runs the real docker CLI wrapper against the fake docker of a
// private repository's runner (2 CPUs, 7.7 GB): Connect warns instead of
// refusing, and marks a cluster it creates, and only that one, as small.
func TestTwoCPUs(t *testing.T) {
	for _, tt := range []struct {
		name      string
		existing  []string
		wantKind  []string
		wantSmall bool
	}{
		{"creates a cluster marked small", nil, []string{"list", "create knative", "kubeconfig knative internal=false"}, true},
		{"reuses a cluster without marking it", []string{"knative"}, []string{"list", "kubeconfig knative internal=false"}, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			fake := fakedocker.Install(t)
			fake.On(
				fakedocker.Rule{Args: infoArgs, Stdout: strings.Replace(readFixture(t, "info.json"), `"NCPU":4,"MemTotal":16766177280`, `"NCPU":2,"MemTotal":7741104128`, 1)},
				fakedocker.Rule{Args: []string{"ps", "--format", "{{.Names}}\t{{.Ports}}"}},
				fakedocker.Rule{Args: []string{"container", "inspect", "knative-control-plane"}, Stdout: readFixture(t, "kind-control-plane.json")},
			)
			api := newAPIServer(t)
			fc := &fakeClusters{existing: tt.existing, external: api.kubeconfig("knative", api.srv.URL)}
			// A cluster to create needs a free host port: 80 may be another
			// test's, in the same network namespace. The reused one maps 80.
			hostPort := 80
			if tt.existing == nil {
				hostPort = freePort(t)
			}
			var warnings, infos []string
			c, err := New(Options{
				HostPort:         hostPort,
				Workspace:        t.TempDir(),
				ContainerMarkers: []string{filepath.Join(t.TempDir(), "absent")},
				Getenv:           func(string) string { return "" },
			}, testLog{infos: &infos, warnings: &warnings}, withClusters(fc)).Connect(t.Context())
			if err != nil {
				t.Fatalf("Connect: %v\nlog: %q", err, infos)
			}
			if !slices.Equal(fc.calls, tt.wantKind) {
				t.Errorf("kind calls %q, want %q", fc.calls, tt.wantKind)
			}
			if c.Created != (tt.existing == nil) || c.SmallNodes != tt.wantSmall {
				t.Errorf("Created %v, SmallNodes %v; want SmallNodes %v", c.Created, c.SmallNodes, tt.wantSmall)
			}
			want := "Docker has 2 CPUs, fewer than the 3 that Knative, its ingress and kind's control plane request: on a cluster this run creates, the install lowers the CPU requests"
			if len(warnings) != 1 || !strings.HasPrefix(warnings[0], want) {
				t.Errorf("warnings %q, want one that starts with %q", warnings, want)
			}
			if !slices.Contains(infos, "Docker 28.0.4 (Ubuntu 24.04.3 LTS): 2 CPUs, 7.7 GB of memory") {
				t.Errorf("the log does not say what Docker has: %q", infos)
			}
			if u := fake.Unmatched(); len(u) > 0 {
				t.Errorf("unexpected docker calls: %q", u)
			}
		})
	}
}

// testLog keeps progress lines and warnings apart.
type testLog struct{ infos, warnings *[]string }

func (l testLog) Infof(f string, a ...any) { *l.infos = append(*l.infos, fmt.Sprintf(f, a...)) }
func (l testLog) Warnf(f string, a ...any) { *l.warnings = append(*l.warnings, fmt.Sprintf(f, a...)) }
