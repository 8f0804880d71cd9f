package docker

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/knative-preview/action/internal/cluster/internal/fakedocker"
)

func TestMain(m *testing.M) {
	fakedocker.Main()
	os.Exit(m.Run())
}

func fixture(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "testdata", "docker", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestInfo(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "docker.sock")
	present := filepath.Join(t.TempDir(), "docker.sock")
	if err := os.WriteFile(present, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	noDaemon := func(sock string) string {
		return strings.ReplaceAll(fixture(t, "info-no-daemon.json"), "unix://SOCKET", "unix://"+sock)
	}
	tests := []struct {
		name       string
		rule       fakedocker.Rule
		wantCPU    int
		wantReason reason
		wantAddr   string
		wantErr    string
	}{
		{
			name:    "a daemon that answers",
			rule:    fakedocker.Rule{Stdout: fixture(t, "info.json")},
			wantCPU: 4,
		},
		{
			name:       "older CLI, socket file missing, client half printed with exit 0",
			rule:       fakedocker.Rule{Stdout: noDaemon(missing), Stderr: "Cannot connect to the Docker daemon at unix://" + missing + ". Is the docker daemon running?\n"},
			wantReason: NoSocket,
			wantAddr:   "unix://" + missing,
		},
		{
			name:       "older CLI, socket file present",
			rule:       fakedocker.Rule{Stdout: noDaemon(present), Exit: 1},
			wantReason: notRunning,
			wantAddr:   "unix://" + present,
		},
		{
			name:       "Docker 28 CLI, no socket",
			rule:       fakedocker.Rule{Exit: 1, Stderr: "failed to connect to the docker API at unix:///var/run/docker.sock; check if the path is correct and if the daemon is running: dial unix /var/run/docker.sock: connect: no such file or directory\n"},
			wantReason: NoSocket,
			wantAddr:   "unix:///var/run/docker.sock",
		},
		{
			name:       "socket with nothing behind it",
			rule:       fakedocker.Rule{Exit: 1, Stderr: "failed to connect to the docker API at unix:///var/run/docker.sock; check if the path is correct and if the daemon is running: dial unix /var/run/docker.sock: connect: connection refused\n"},
			wantReason: Refused,
			wantAddr:   "unix:///var/run/docker.sock",
		},
		{
			name:       "user not in the docker group",
			rule:       fakedocker.Rule{Exit: 1, Stderr: `permission denied while trying to connect to the Docker daemon socket at unix:///var/run/docker.sock: Get "http://%2Fvar%2Frun%2Fdocker.sock/v1.47/info": dial unix /var/run/docker.sock: connect: permission denied` + "\n"},
			wantReason: PermissionDenied,
			wantAddr:   "unix:///var/run/docker.sock",
		},
		{
			name:    "some other failure",
			rule:    fakedocker.Rule{Exit: 1, Stderr: "Error response from daemon: something broke\n"},
			wantErr: "docker info --format {{json .}}: exit status 1: Error response from daemon: something broke",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := fakedocker.Install(t)
			tt.rule.Args = []string{"info", "--format", "{{json .}}"}
			fake.On(tt.rule)
			info, err := (&CLI{}).Info(t.Context())
			switch {
			case tt.wantCPU != 0:
				if err != nil {
					t.Fatal(err)
				}
				if info.NCPU != tt.wantCPU || info.MemTotal != 16766177280 || info.ServerVersion != "28.0.4" {
					t.Errorf("got %+v", info)
				}
			case tt.wantErr != "":
				var d *DaemonError
				if err == nil || err.Error() != tt.wantErr || errors.As(err, &d) {
					t.Errorf("got %v, want a plain error %q", err, tt.wantErr)
				}
			default:
				var d *DaemonError
				if !errors.As(err, &d) {
					t.Fatalf("got %v, want a *DaemonError", err)
				}
				if d.Reason != tt.wantReason || d.Address != tt.wantAddr {
					t.Errorf("got reason %d at %q, want %d at %q", d.Reason, d.Address, tt.wantReason, tt.wantAddr)
				}
			}
		})
	}
}

func TestRunWithoutCLI(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	_, err := (&CLI{}).Info(t.Context())
	if !errors.Is(err, ErrNoCLI) {
		t.Fatalf("got %v, want ErrNoCLI", err)
	}
}

func TestRunIsKilledWhenContextEnds(t *testing.T) {
	fake := fakedocker.Install(t)
	fake.On(fakedocker.Rule{Args: []string{"info", "**"}, Hang: true})
	cause := errors.New("docker info took too long")
	ctx, cancel := context.WithTimeoutCause(t.Context(), 300*time.Millisecond, cause)
	defer cancel()
	_, err := (&CLI{}).Info(ctx)
	if !errors.Is(err, cause) {
		t.Fatalf("got %v, want the context's cause", err)
	}
}

func TestInspectContainer(t *testing.T) {
	fake := fakedocker.Install(t)
	fake.On(
		fakedocker.Rule{Args: []string{"container", "inspect", "knative-control-plane"}, Stdout: fixture(t, "kind-control-plane.json")},
		fakedocker.Rule{Args: []string{"container", "inspect", "gone"}, Exit: 1, Stderr: "Error response from daemon: No such container: gone\n"},
	)
	c, err := (&CLI{}).InspectContainer(t.Context(), "knative-control-plane")
	if err != nil {
		t.Fatal(err)
	}
	if got := c.HostConfig.PortBindings["31080/tcp"]; len(got) != 1 || got[0].HostPort != "80" || got[0].HostIP != "127.0.0.1" {
		t.Errorf("port bindings of 31080/tcp: %+v", got)
	}
	if ip := c.NetworkSettings.Networks["kind"].IPAddress; ip != "172.18.0.2" || !c.State.Running || c.Config.Labels["io.x-k8s.kind.role"] != "control-plane" {
		t.Errorf("got ip %q, running %v, labels %v", ip, c.State.Running, c.Config.Labels)
	}
	if _, err := (&CLI{}).InspectContainer(t.Context(), "gone"); !errors.Is(err, ErrNotFound) {
		t.Errorf("got %v, want ErrNotFound", err)
	}
}

func TestConnectNetwork(t *testing.T) {
	tests := []struct {
		name    string
		rule    fakedocker.Rule
		wantErr bool
	}{
		{"attaches", fakedocker.Rule{}, false},
		{"already attached is fine", fakedocker.Rule{Exit: 1, Stderr: "Error response from daemon: endpoint with name 9e2d4c6b8a0f already exists in network kind\n"}, false},
		{"host network cannot be attached", fakedocker.Rule{Exit: 1, Stderr: "Error response from daemon: container sharing network namespace with another container or host cannot be connected to any other network\n"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := fakedocker.Install(t)
			tt.rule.Args = []string{"network", "connect", "kind", "9e2d4c6b8a0f"}
			fake.On(tt.rule)
			err := (&CLI{}).ConnectNetwork(t.Context(), "kind", "9e2d4c6b8a0f")
			if (err != nil) != tt.wantErr {
				t.Errorf("got %v, want error: %v", err, tt.wantErr)
			}
		})
	}
}

func TestPublishers(t *testing.T) {
	fake := fakedocker.Install(t)
	fake.On(fakedocker.Rule{
		Args: []string{"ps", "--format", "{{.Names}}\t{{.Ports}}"},
		Stdout: "web\t0.0.0.0:80->80/tcp, [::]:80->80/tcp\n" +
			"knative-control-plane\t127.0.0.1:41939->6443/tcp, 127.0.0.1:8080->31080/tcp\n" +
			"dns\t0.0.0.0:53->53/udp\n" +
			"batch\t127.0.0.1:9000-9005->9000-9005/tcp\n" +
			"quiet\t\n",
	})
	tests := []struct {
		port int
		want string
	}{
		{80, "web"},
		{8080, "knative-control-plane"},
		{53, ""},
		{9003, "batch"},
		{31080, ""},
		{6443, ""},
	}
	for _, tt := range tests {
		got, err := (&CLI{}).Publishers(t.Context(), tt.port)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Join(got, ",") != tt.want {
			t.Errorf("port %d: got %q, want %q", tt.port, got, tt.want)
		}
	}
}

func TestImageIDSaveExec(t *testing.T) {
	fake := fakedocker.Install(t)
	fake.On(
		fakedocker.Rule{Args: []string{"image", "inspect", "--format", "{{.Id}}", "myapp:dev"}, Stdout: "sha256:abc\n"},
		fakedocker.Rule{Args: []string{"image", "inspect", "--platform", "linux/amd64", "--format", "{{.Id}}", "myapp:dev"}, Stdout: "sha256:def\n"},
		// The classic store's and the containerd store's refusals of an
		// image of another platform (moby daemon/images, daemon/containerd).
		fakedocker.Rule{Args: []string{"image", "inspect", "--platform", "linux/amd64", "--format", "{{.Id}}", "armonly:1"}, Exit: 1, Stderr: "Error response from daemon: image with reference armonly:1 was found but its platform (linux/arm64) does not match the specified platform (linux/amd64)\n"},
		fakedocker.Rule{Args: []string{"image", "inspect", "--format", "{{.Id}}", "**"}, Exit: 1, Stderr: "Error response from daemon: No such image: other:1\n"},
		fakedocker.Rule{Args: []string{"save", "--platform", "linux/amd64", "--output", "*", "armonly:1"}, Exit: 1, Stderr: "Error response from daemon: no suitable export target found: image with reference armonly:1 was found but does not provide the specified platform (linux/amd64)\n"},
		fakedocker.Rule{Args: []string{"save", "--platform", "linux/amd64", "--output", "*", "myapp:dev"}, OutputFlag: "--output", Stdout: "TAR"},
		fakedocker.Rule{Args: []string{"exec", "--privileged", "--interactive", "n1", "ctr", "**"}, Stdout: "unpacking\n"},
	)
	cli := &CLI{}
	ctx := t.Context()
	if id, err := cli.ImageID(ctx, "myapp:dev", ""); err != nil || id != "sha256:abc" {
		t.Errorf("got %q, %v", id, err)
	}
	if id, err := cli.ImageID(ctx, "myapp:dev", "linux/amd64"); err != nil || id != "sha256:def" {
		t.Errorf("with a platform: got %q, %v", id, err)
	}
	if _, err := cli.ImageID(ctx, "other:1", ""); !errors.Is(err, ErrNotFound) {
		t.Errorf("got %v, want ErrNotFound", err)
	}
	if _, err := cli.ImageID(ctx, "armonly:1", "linux/amd64"); !errors.Is(err, ErrPlatform) {
		t.Errorf("got %v, want ErrPlatform", err)
	}
	archive := filepath.Join(t.TempDir(), "images.tar")
	if err := cli.Save(ctx, archive, "linux/amd64", "armonly:1"); !errors.Is(err, ErrPlatform) {
		t.Errorf("saving an image of another platform: got %v, want ErrPlatform", err)
	}
	if err := cli.Save(ctx, archive, "linux/amd64", "myapp:dev"); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(archive); err != nil || string(b) != "TAR" {
		t.Errorf("archive: %q, %v", b, err)
	}
	out, err := cli.Exec(ctx, "n1", strings.NewReader("TAR"), "ctr", "images", "import", "-")
	if err != nil || string(out) != "unpacking\n" {
		t.Errorf("got %q, %v", out, err)
	}
	calls := fake.Calls()
	last := calls[len(calls)-1]
	if last.Stdin != "TAR" || strings.Join(last.Args, " ") != "exec --privileged --interactive n1 ctr images import -" {
		t.Errorf("last call %+v", last)
	}
	if u := fake.Unmatched(); len(u) > 0 {
		t.Errorf("unexpected docker calls: %q", u)
	}
}

// What docker info says of the image store, the platform and the version,
// as Docker 28 on GitHub's ubuntu-24.04 and Docker 29 with its containerd
// image store report them.
func TestInfoImageStore(t *testing.T) {
	var classic Info
	if err := json.Unmarshal([]byte(fixture(t, "info.json")), &classic); err != nil {
		t.Fatal(err)
	}
	containerd := Info{ServerVersion: "29.1.3", Driver: "overlayfs", DriverStatus: [][2]string{{"driver-type", "io.containerd.snapshotter.v1"}}, OSType: "linux", Architecture: "aarch64"}
	tests := []struct {
		info                 Info
		containerd           bool
		platform             string
		at280, at281, at2900 bool
	}{
		{classic, false, "linux/amd64", true, false, false},
		{containerd, true, "linux/arm64", true, true, true},
		{Info{ServerVersion: "27.5.1", Architecture: "x86_64"}, false, "linux/amd64", false, false, false},
		{Info{ServerVersion: "28.1.0-rc.1", Architecture: "armv7l"}, false, "linux/arm/v7", true, true, false},
		{Info{ServerVersion: "dev"}, false, "linux/", false, false, false},
		{func() Info { i := containerd; i.ClientInfo.Version = "27.5.1"; return i }(), true, "linux/arm64", false, false, false},
	}
	for _, tt := range tests {
		i := tt.info
		if i.ContainerdStore() != tt.containerd || i.Platform() != tt.platform || i.AtLeast(28, 0) != tt.at280 || i.AtLeast(28, 1) != tt.at281 || i.AtLeast(29, 0) != tt.at2900 {
			t.Errorf("%s %s: containerd %v, platform %q, 28.0 %v, 28.1 %v, 29.0 %v", i.ServerVersion, i.Architecture, i.ContainerdStore(), i.Platform(), i.AtLeast(28, 0), i.AtLeast(28, 1), i.AtLeast(29, 0))
		}
	}
}
