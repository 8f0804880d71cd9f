package kind

import (
	"errors"
	"fmt"
	"maps"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	kindexec "sigs.k8s.io/kind/pkg/exec"

	"github.com/knative-preview/action/internal/cluster"
	"github.com/knative-preview/action/internal/cluster/kind/docker"
	"github.com/knative-preview/action/internal/log"
)

const (
	actionID     = "9e2d4c6b8a0f1e3d5c7b9a1f2e4d6c8b0a9f8e7d6c5b4a3f2e1d0c9b8a7f6e5d"
	actionShort  = "9e2d4c6b8a0f"
	controlPlane = "knative-control-plane"
)

// freePort returns a TCP port of 127.0.0.1 that nothing listens on.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	return port
}

// scenario is one run of Connect against fakes.
type scenario struct {
	name string
	// inputs; HostPort 0 picks a free port
	opts Options
	// the runner's Docker
	existing     []string
	controlPlane func(*docker.Container)
	where        string // "host" (default), "container", "actions-env"
	hostname     string // default actionShort
	own          func(*docker.Container)
	mountInfoID  bool
	publishers   map[int][]string
	images       map[string]string
	nodes        []string // default [controlPlane]
	nodeImages   map[string]map[string]string
	createErr    error
	notReady     bool              // the nodes stay NotReady; the wait for them is then 2s, else 30s
	env          map[string]string // more of the environment

	wantErr    string
	wantKind   []string // calls to the kind library
	wantDocker []string // calls to Docker
	check      func(t *testing.T, c *cluster.Cluster, r *run)
}

type run struct {
	target   *target
	docker   *fakeDocker
	clusters *fakeClusters
	external *apiServer
	internal *apiServer
	ws       string
	port     int
	progress []string
}

func (s scenario) start(t *testing.T) (*cluster.Cluster, error, *run) {
	t.Helper()
	r := &run{external: newAPIServer(t), internal: newAPIServer(t), ws: t.TempDir()}
	r.external.notReady, r.internal.notReady = s.notReady, s.notReady
	opts := s.opts
	if opts.HostPort == 0 {
		opts.HostPort = freePort(t)
	}
	r.port = opts.HostPort
	opts.Workspace = r.ws

	cp := containerFixture(t, "kind-control-plane.json")
	if s.controlPlane != nil {
		s.controlPlane(cp)
	}
	own := containerFixture(t, "action-container.json")
	if s.own != nil {
		s.own(own)
	}
	nodes := s.nodes
	if nodes == nil {
		nodes = []string{controlPlane}
	}
	r.docker = &fakeDocker{
		info:             infoFixture(t),
		containers:       map[string]*docker.Container{controlPlane: cp, actionID: own, actionShort: own},
		publishers:       s.publishers,
		images:           s.images,
		nodeImages:       s.nodeImages,
		containerdConfig: containerdConfigV3,
	}
	r.clusters = &fakeClusters{
		existing:  s.existing,
		external:  r.external.kubeconfig("knative", r.external.srv.URL),
		internal:  r.internal.kubeconfig("knative", r.internal.srv.URL),
		nodes:     nodes,
		createErr: s.createErr,
	}
	opts.Docker = r.docker
	opts.ContainerMarkers = []string{filepath.Join(t.TempDir(), "absent")}
	opts.ActionsWorkspace = filepath.Join(t.TempDir(), "absent")
	env := map[string]string{}
	maps.Copy(env, s.env)
	switch s.where {
	case "container":
		marker := filepath.Join(t.TempDir(), ".dockerenv")
		if err := os.WriteFile(marker, nil, 0o600); err != nil {
			t.Fatal(err)
		}
		opts.ContainerMarkers = []string{marker}
	case "actions-env":
		opts.ActionsWorkspace = t.TempDir()
		env["GITHUB_ACTIONS"] = "true"
	}
	opts.Getenv = func(k string) string { return env[k] }
	hostname := s.hostname
	if hostname == "" {
		hostname = actionShort
	}
	opts.Hostname = func() (string, error) { return hostname, nil }
	mountInfo := filepath.Join(t.TempDir(), "mountinfo")
	content := "26 1 0:23 / / rw,relatime - overlay overlay rw\n"
	if s.mountInfoID {
		content += "612 600 8:1 /var/lib/docker/containers/" + actionID + "/hostname /etc/hostname rw,relatime - ext4 /dev/sda1 rw,discard\n"
	}
	if err := os.WriteFile(mountInfo, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	opts.MountInfo = mountInfo

	ready := 30 * time.Second
	if s.notReady {
		ready = 2 * time.Second
	}
	progress := log.Func(func(format string, args ...any) { r.progress = append(r.progress, fmt.Sprintf(format, args...)) })
	r.target = New(opts, progress, withClusters(r.clusters), withTimeouts(timeouts{Ready: ready, Reach: 30 * time.Second}))
	c, err := r.target.Connect(t.Context())
	return c, err, r
}

// expand replaces PORT with the scenario's host port.
func expand(lines []string, port int) []string {
	out := make([]string, len(lines))
	for i, l := range lines {
		out[i] = strings.ReplaceAll(l, "PORT", strconv.Itoa(port))
	}
	return out
}

const importLine = "exec knative-control-plane ctr --namespace=k8s.io images import --all-platforms --digests --snapshotter=overlayfs -"

func TestConnect(t *testing.T) {
	myapp := map[string]string{"myapp:dev": "sha256:1111"}
	tests := []scenario{
		{
			name:     "creates a cluster on a laptop and loads the image",
			opts:     Options{Image: "myapp:dev"},
			images:   myapp,
			wantKind: []string{"list", "create knative", "kubeconfig knative internal=false", "nodes knative"},
			wantDocker: []string{
				"info", "publishers PORT", "image id myapp:dev",
				"exec knative-control-plane crictl inspecti myapp:dev",
				"save myapp:dev --platform linux/amd64",
				"exec knative-control-plane containerd config dump",
				importLine + " < archive of myapp:dev",
			},
			check: func(t *testing.T, c *cluster.Cluster, r *run) {
				want := cluster.Cluster{
					Name: "knative", Context: "kind-knative", Created: true, Domain: "127.0.0.1.sslip.io",
					IngressNodePort: 31080, IngressAddress: "127.0.0.1:" + strconv.Itoa(r.port),
					HostURLBase: "http://127.0.0.1:" + strconv.Itoa(r.port), LocalRegistries: []string{"index.docker.io"},
				}
				got := *c
				got.REST, got.Version = nil, nil
				if fmt.Sprint(got) != fmt.Sprint(want) {
					t.Errorf("got  %+v\nwant %+v", got, want)
				}
				if c.REST.Host != r.external.srv.URL || c.Version.GitVersion != "v1.35.1" {
					t.Errorf("reached %s (version %v), want the external address %s", c.REST.Host, c.Version, r.external.srv.URL)
				}
				cfg := r.clusters.created
				if cfg == nil || cfg.Nodes[0].ExtraPortMappings[0].HostPort != int32(r.port) || cfg.Nodes[0].Image != defaultNodeImage {
					t.Errorf("created from %+v", cfg)
				}
				if cfg.Networking.APIServerPort != 0 {
					t.Errorf("on the host, kind chooses the API server's port; it was given %d", cfg.Networking.APIServerPort)
				}
			},
		},
		{
			name:       "reuses a cluster with the port mapping",
			opts:       Options{HostPort: 80, Image: "ghcr.io/org/app:v1"},
			existing:   []string{"other", "knative"},
			wantKind:   []string{"list", "kubeconfig knative internal=false"},
			wantDocker: []string{"info", "inspect knative-control-plane", "image id ghcr.io/org/app:v1"},
			check: func(t *testing.T, c *cluster.Cluster, r *run) {
				if c.Created || c.HostURLBase != "http://127.0.0.1" || c.IngressAddress != "127.0.0.1:80" || c.LocalRegistries != nil {
					t.Errorf("got %+v", c)
				}
				if c.Ephemeral() {
					t.Errorf("a reused cluster off GitHub's runners outlives the job, yet it is ephemeral: %s", c.EphemeralWhy)
				}
				if !slices.Contains(r.progress, "the image ghcr.io/org/app:v1 is not in the runner's Docker: the nodes will pull it from its registry") {
					t.Errorf("progress does not say the image is pulled: %q", r.progress)
				}
			},
		},
		{
			name:       "reuses a cluster on a GitHub-hosted runner: it goes with the runner",
			opts:       Options{HostPort: 80},
			env:        map[string]string{"RUNNER_ENVIRONMENT": "github-hosted"},
			existing:   []string{"knative"},
			wantKind:   []string{"list", "kubeconfig knative internal=false"},
			wantDocker: []string{"info", "inspect knative-control-plane"},
			check: func(t *testing.T, c *cluster.Cluster, r *run) {
				if c.Created || !c.Ephemeral() || !strings.Contains(c.EphemeralWhy, "GitHub-hosted runner") {
					t.Errorf("created %v, ephemeral %v (%s); want a reused cluster that goes with the runner", c.Created, c.Ephemeral(), c.EphemeralWhy)
				}
			},
		},
		{
			name:     "reused cluster without the port mapping",
			opts:     Options{HostPort: 80},
			existing: []string{"knative"},
			controlPlane: func(c *docker.Container) {
				delete(c.HostConfig.PortBindings, "31080/tcp")
			},
			wantKind:   []string{"list"},
			wantDocker: []string{"info", "inspect knative-control-plane"},
			wantErr:    `the kind cluster "knative" was created without mapping node port 31080 to a host port, and kind can add port mappings only when it creates a cluster: set reuse-cluster: recreate to delete it and create it with the mapping, or choose another cluster-name (or delete it yourself: kind delete cluster --name knative)`,
		},
		{
			name:     "reused cluster mapping another host port",
			opts:     Options{HostPort: 80},
			existing: []string{"knative"},
			controlPlane: func(c *docker.Container) {
				c.HostConfig.PortBindings["31080/tcp"] = []docker.PortBinding{{HostIP: "0.0.0.0", HostPort: "8080"}}
			},
			wantKind:   []string{"list"},
			wantDocker: []string{"info", "inspect knative-control-plane"},
			wantErr:    `the kind cluster "knative" maps node port 31080 to host 0.0.0.0:8080, not to 127.0.0.1:80 (host-port): set host-port to the port it uses, or reuse-cluster: recreate to create it again with host port 80`,
		},
		{
			name:     "reused cluster that is stopped",
			opts:     Options{HostPort: 80},
			existing: []string{"knative"},
			controlPlane: func(c *docker.Container) {
				c.State.Running, c.State.Status = false, "exited"
			},
			wantKind:   []string{"list"},
			wantDocker: []string{"info", "inspect knative-control-plane"},
			wantErr:    "the kind cluster \"knative\" exists but its node knative-control-plane is exited, not running: start it with `docker start knative-control-plane`, or set reuse-cluster: recreate",
		},
		{
			name:       "mode down uses an existing cluster and creates or loads nothing",
			opts:       Options{ExistingOnly: true, Reuse: "true"},
			existing:   []string{"knative"},
			wantKind:   []string{"list", "kubeconfig knative internal=false"},
			wantDocker: []string{"info"},
			check: func(t *testing.T, c *cluster.Cluster, r *run) {
				if c.Created || r.clusters.created != nil {
					t.Errorf("a cluster was created in mode down: %+v", c)
				}
			},
		},
		{
			name:       "mode down with no cluster creates none",
			opts:       Options{ExistingOnly: true},
			existing:   []string{"other"},
			wantKind:   []string{"list"},
			wantDocker: []string{"info"},
			wantErr:    `no kind cluster named "knative" in the runner's Docker: mode down creates no cluster`,
		},
		{
			name:       "fails when the cluster exists and reuse is false",
			opts:       Options{Reuse: "false"},
			existing:   []string{"knative"},
			wantKind:   []string{"list"},
			wantDocker: []string{"info"},
			wantErr:    `a kind cluster named "knative" already exists and reuse-cluster is false: set reuse-cluster to true to use it, to recreate to delete and create it again, or choose another cluster-name`,
		},
		{
			name:       "creates when reuse is false and there is none",
			opts:       Options{Reuse: "false"},
			existing:   []string{"other"},
			wantKind:   []string{"list", "create knative", "kubeconfig knative internal=false"},
			wantDocker: []string{"info", "publishers PORT"},
		},
		{
			name:       "recreates",
			opts:       Options{Reuse: "recreate"},
			existing:   []string{"knative"},
			wantKind:   []string{"list", "delete knative", "create knative", "kubeconfig knative internal=false"},
			wantDocker: []string{"info", "publishers PORT"},
			check: func(t *testing.T, c *cluster.Cluster, r *run) {
				if !c.Created {
					t.Error("a recreated cluster is not reported as created")
				}
			},
		},
		{
			name:       "in a container not on the kind network: attaches it",
			where:      "container",
			wantKind:   []string{"list", "create knative", "kubeconfig knative internal=false", "kubeconfig knative internal=true"},
			wantDocker: []string{"info", "inspect " + actionShort, "publishers PORT", "network connect kind " + actionID, "inspect knative-control-plane"},
			check: func(t *testing.T, c *cluster.Cluster, r *run) {
				if c.REST.Host != r.internal.srv.URL {
					t.Errorf("reached %s, want the kind network's address %s", c.REST.Host, r.internal.srv.URL)
				}
				if c.IngressAddress != "172.18.0.2:31080" {
					t.Errorf("ingress address %q, want the node's IP on kind and the NodePort", c.IngressAddress)
				}
				// kind would probe a free port in this container's network,
				// not the runner's: -1 leaves it to Docker.
				if cfg := r.clusters.created; cfg.Networking.APIServerPort != -1 || r.target.cfg.Networking.APIServerPort != 0 {
					t.Errorf("created with apiServerPort %d (the plan's config has %d), want -1 from a container", cfg.Networking.APIServerPort, r.target.cfg.Networking.APIServerPort)
				}
				written, err := os.ReadFile(filepath.Join(r.ws, ".knative-preview", "kubeconfig"))
				if err != nil || string(written) != r.clusters.external {
					t.Errorf("the kubeconfig for later steps is not the external one (%v)", err)
				}
			},
		},
		{
			name:  "in a container already on the kind network",
			where: "container",
			own: func(c *docker.Container) {
				c.NetworkSettings.Networks["kind"] = docker.Endpoint{IPAddress: "172.18.0.3"}
			},
			existing:   []string{"knative"},
			opts:       Options{HostPort: 80},
			wantKind:   []string{"list", "kubeconfig knative internal=false", "kubeconfig knative internal=true"},
			wantDocker: []string{"info", "inspect " + actionShort, "inspect knative-control-plane", "inspect knative-control-plane"},
			check: func(t *testing.T, c *cluster.Cluster, r *run) {
				if !slices.Contains(r.progress, `this container (9e2d4c6b8a0f) is already on the Docker network "kind"`) {
					t.Errorf("progress: %q", r.progress)
				}
			},
		},
		{
			name:        "in a container whose host name is not its id: found through the mount table",
			where:       "container",
			hostname:    "builder",
			mountInfoID: true,
			wantKind:    []string{"list", "create knative", "kubeconfig knative internal=false", "kubeconfig knative internal=true"},
			wantDocker:  []string{"info", "inspect builder", "inspect " + actionID, "publishers PORT", "network connect kind " + actionID, "inspect knative-control-plane"},
		},
		{
			name:       "in a container Docker does not know",
			where:      "container",
			hostname:   "builder",
			wantDocker: []string{"info", "inspect builder"},
			wantErr:    `this process runs in a container (` + "MARKER" + ` exists), but Docker knows no container named "builder", so it cannot be attached to the Docker network "kind" to reach the cluster: run it as a GitHub container action or on the host, or start its container with --network kind`,
		},
		{
			name:       "in a container on the host's network: reaches it as the host does",
			where:      "container",
			own:        func(c *docker.Container) { c.HostConfig.NetworkMode = "host" },
			wantKind:   []string{"list", "create knative", "kubeconfig knative internal=false"},
			wantDocker: []string{"info", "inspect " + actionShort, "publishers PORT"},
			check: func(t *testing.T, c *cluster.Cluster, r *run) {
				if c.REST.Host != r.external.srv.URL || !strings.HasPrefix(c.IngressAddress, "127.0.0.1:") {
					t.Errorf("got host %s, ingress %s", c.REST.Host, c.IngressAddress)
				}
			},
		},
		{
			name:       "GITHUB_ACTIONS with /github/workspace counts as a container",
			where:      "actions-env",
			wantKind:   []string{"list", "create knative", "kubeconfig knative internal=false", "kubeconfig knative internal=true"},
			wantDocker: []string{"info", "inspect " + actionShort, "publishers PORT", "network connect kind " + actionID, "inspect knative-control-plane"},
		},
		{
			name:       "host port published by another container",
			publishers: map[int][]string{80: {"web"}},
			opts:       Options{HostPort: 80},
			wantKind:   []string{"list"},
			wantDocker: []string{"info", "publishers 80"},
			wantErr:    "host port 80 (host-port) is already taken by the container web: stop it (docker stop web), or choose another host-port such as 8080",
		},
		{
			name:  "kind cannot bind the host port",
			where: "container",
			createErr: fmt.Errorf("failed to create cluster: %w", &kindexec.RunError{
				Command: []string{"docker", "run", "--name", "knative-control-plane", "--publish=127.0.0.1:80:31080/TCP"},
				Output:  []byte("docker: Error response from daemon: driver failed programming external connectivity on endpoint knative-control-plane (4f1c): Bind for 127.0.0.1:80 failed: port is already allocated.\n"),
				Inner:   errors.New("exit status 125"),
			}),
			opts:       Options{HostPort: 80},
			wantKind:   []string{"list", "create knative"},
			wantDocker: []string{"info", "inspect " + actionShort, "publishers 80"},
			wantErr:    `creating the kind cluster "knative": host port 80 (host-port) is already in use on the runner: stop what uses it, or choose another host-port such as 8080 (failed to create cluster: command "docker run --name knative-control-plane --publish=127.0.0.1:80:31080/TCP" failed with error: exit status 125)`,
		},
		{
			name:       "other kind failure shows the end of its output",
			createErr:  &kindexec.RunError{Command: []string{"docker", "exec", "knative-control-plane", "kubeadm", "init"}, Output: []byte("[init] Using Kubernetes version: v1.37.0\n[kubelet-check] The kubelet is not healthy after 4m0s\n"), Inner: errors.New("exit status 1")},
			wantKind:   []string{"list", "create knative"},
			wantDocker: []string{"info", "publishers PORT"},
			wantErr:    "creating the kind cluster \"knative\": command \"docker exec knative-control-plane kubeadm init\" failed with error: exit status 1; its output ends with:\n[init] Using Kubernetes version: v1.37.0\n[kubelet-check] The kubelet is not healthy after 4m0s",
		},
		{
			name:       "nodes that do not become Ready",
			notReady:   true,
			wantKind:   []string{"list", "create knative", "kubeconfig knative internal=false"},
			wantDocker: []string{"info", "publishers PORT"},
			wantErr:    `kind cluster "knative": the nodes are not Ready after 2s: knative-control-plane (container runtime network not ready); look at ` + "`kubectl describe nodes`" + ` with the kubeconfig output, or set reuse-cluster: recreate`,
		},
		{
			name:       "load-images names an image the runner's Docker lacks",
			opts:       Options{LoadImages: []string{"myapp:dev", "helper:dev"}},
			images:     myapp,
			wantKind:   []string{"list", "create knative", "kubeconfig knative internal=false"},
			wantDocker: []string{"info", "publishers PORT", "image id myapp:dev", "image id helper:dev"},
			wantErr:    "the image helper:dev of load-images is not in the runner's Docker: build or pull it in an earlier step (docker build -t helper:dev .), or leave it out of load-images",
		},
		{
			name:       "images already in the nodes are not loaded again",
			opts:       Options{Image: "myapp:dev", LoadImages: []string{"myapp:dev"}},
			images:     myapp,
			nodeImages: map[string]map[string]string{controlPlane: {"myapp:dev": "sha256:1111"}},
			wantKind:   []string{"list", "create knative", "kubeconfig knative internal=false", "nodes knative"},
			wantDocker: []string{"info", "publishers PORT", "image id myapp:dev", "exec knative-control-plane crictl inspecti myapp:dev"},
		},
		{
			name:   "loads into the nodes that lack an image, several images in one archive",
			opts:   Options{LoadImages: []string{"myapp:dev", "ghcr.io/org/tool:v2"}},
			images: map[string]string{"myapp:dev": "sha256:1111", "ghcr.io/org/tool:v2": "sha256:2222"},
			nodes:  []string{controlPlane, "knative-worker"},
			nodeImages: map[string]map[string]string{
				controlPlane:     {"myapp:dev": "sha256:0000"}, // an older build
				"knative-worker": {"myapp:dev": "sha256:1111", "ghcr.io/org/tool:v2": "sha256:2222"},
			},
			wantKind: []string{"list", "create knative", "kubeconfig knative internal=false", "nodes knative"},
			wantDocker: []string{
				"info", "publishers PORT", "image id myapp:dev", "image id ghcr.io/org/tool:v2",
				"exec knative-control-plane crictl inspecti myapp:dev",
				"exec knative-control-plane crictl inspecti ghcr.io/org/tool:v2",
				"exec knative-worker crictl inspecti myapp:dev",
				"exec knative-worker crictl inspecti ghcr.io/org/tool:v2",
				"save myapp:dev ghcr.io/org/tool:v2 --platform linux/amd64",
				"exec knative-control-plane containerd config dump",
				importLine + " < archive of myapp:dev ghcr.io/org/tool:v2",
			},
			check: func(t *testing.T, c *cluster.Cluster, r *run) {
				if fmt.Sprint(c.LocalRegistries) != "[ghcr.io index.docker.io]" {
					t.Errorf("registries %v", c.LocalRegistries)
				}
			},
		},
	}
	for _, s := range tests {
		t.Run(s.name, func(t *testing.T) {
			c, err, r := s.start(t)
			if s.wantErr != "" {
				want := s.wantErr
				if s.where == "container" {
					want = strings.ReplaceAll(want, "MARKER", r.target.o.ContainerMarkers[0])
				}
				if err == nil || err.Error() != want {
					t.Errorf("got error\n  %v\nwant\n  %s", err, want)
				}
			} else if err != nil {
				t.Fatalf("Connect: %v", err)
			}
			if got := r.clusters.calls; !slices.Equal(got, s.wantKind) {
				t.Errorf("kind library calls\n got %q\nwant %q", got, s.wantKind)
			}
			if got, want := r.docker.Calls(), expand(s.wantDocker, r.port); !slices.Equal(got, want) {
				t.Errorf("docker calls\n got %q\nwant %q", got, want)
			}
			for _, line := range r.progress {
				for _, secret := range r.target.Secrets() {
					if strings.Contains(line, secret) {
						t.Errorf("progress line shows a secret: %q", line)
					}
				}
			}
			if err != nil {
				return
			}
			if len(r.target.Secrets()) == 0 || !slices.Contains(r.target.Secrets(), r.external.clientKey) && !slices.Contains(r.target.Secrets(), r.internal.clientKey) {
				t.Errorf("Secrets() does not list the client key: %d values", len(r.target.Secrets()))
			}
			if r.target.Outputs()["kubeconfig-path"] != ".knative-preview/kubeconfig" {
				t.Errorf("kubeconfig-path output = %q", r.target.Outputs()["kubeconfig-path"])
			}
			path := filepath.Join(r.ws, ".knative-preview", "kubeconfig")
			st, err := os.Stat(path)
			if err != nil || st.Mode().Perm() != 0o600 {
				t.Errorf("kubeconfig file: %v, mode %v", err, st.Mode())
			}
			if ignore, err := os.ReadFile(filepath.Join(r.ws, ".knative-preview", ".gitignore")); err != nil || !strings.Contains(string(ignore), "\n*\n") {
				t.Errorf("no .gitignore keeping the kubeconfig out of git: %q, %v", ignore, err)
			}
			if s.check != nil {
				s.check(t, c, r)
			}
		})
	}
}

func TestConnectRejectsInvalidInputs(t *testing.T) {
	fd := &fakeDocker{}
	fc := &fakeClusters{}
	_, err := New(Options{HostPort: 70000, Docker: fd}, log.Discard, withClusters(fc)).Connect(t.Context())
	if err == nil || !strings.Contains(err.Error(), `input "host-port": "70000" is not a TCP port`) {
		t.Errorf("got %v", err)
	}
	if len(fd.Calls())+len(fc.calls) > 0 {
		t.Errorf("contacted docker %v / kind %v with invalid inputs", fd.Calls(), fc.calls)
	}
}
