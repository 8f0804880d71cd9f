package kind

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/knative-preview/action/internal/cluster/internal/fakedocker"
	"github.com/knative-preview/action/internal/cluster/kind/docker"
	"github.com/knative-preview/action/internal/log"
)

func digestOf(s string) string {
	sum := sha256.Sum256([]byte(s))
	return "sha256:" + hex.EncodeToString(sum[:])
}

// Images of the runner's Docker, as the tests' daemons hold them.
var (
	// myappDev was built in the job: one platform, which a build with
	// provenance (buildx's default) puts under an index of its own.
	myappDev = fakedocker.Image{Ref: "myapp:dev", Index: digestOf("myapp:dev index"), Variants: []fakedocker.Variant{
		{Platform: "linux/amd64", Manifest: digestOf("myapp:dev amd64 manifest"), Config: digestOf("myapp:dev amd64 config"), Present: true},
	}}
	// tool was pulled: its index lists two platforms, and only the
	// daemon's was downloaded.
	tool = fakedocker.Image{Ref: "ghcr.io/org/tool:v2", Index: digestOf("tool index"), Variants: []fakedocker.Variant{
		{Platform: "linux/amd64", Manifest: digestOf("tool amd64 manifest"), Config: digestOf("tool amd64 config"), Present: true},
		{Platform: "linux/arm64", Manifest: digestOf("tool arm64 manifest"), Config: digestOf("tool arm64 config")},
	}}
	// armOnly was pulled for another platform than the runner's.
	armOnly = fakedocker.Image{Ref: "armonly:1", Variants: []fakedocker.Variant{
		{Platform: "linux/arm64", Manifest: digestOf("armonly manifest"), Config: digestOf("armonly config"), Present: true},
	}}
)

// TestLoadImages loads images through the docker CLI wrapper into kind
// nodes of a fake Docker that answers as each image store does (Docker 28's
// classic store, Docker 29's containerd store), runs again, and checks what
// was saved, what the nodes have, and that an image a node has is found
// there and not loaded again.
func TestLoadImages(t *testing.T) {
	tests := []struct {
		name   string
		images []fakedocker.Image
		load   []string
		// workers are the cluster's nodes besides knative-control-plane.
		workers []string
		// nodes holds images the nodes have before the first run.
		nodes  map[string][]fakedocker.NodeImage
		client string // the docker CLI's version; empty: the daemon's
		// wantFirst are the images the first run saves; the second saves
		// nothing unless wantAgain.
		wantFirst []string
		wantAgain bool
		wantErr   string
	}{
		{
			name:      "an image built in the job",
			images:    []fakedocker.Image{myappDev},
			load:      []string{"myapp:dev"},
			wantFirst: []string{"myapp:dev"},
		},
		{
			name:      "a pulled multi-platform image, of which the daemon has one platform",
			images:    []fakedocker.Image{myappDev, tool},
			load:      []string{"myapp:dev", "ghcr.io/org/tool:v2"},
			wantFirst: []string{"myapp:dev", "ghcr.io/org/tool:v2"},
		},
		{
			name:    "an older build in one node is replaced there",
			images:  []fakedocker.Image{myappDev},
			load:    []string{"myapp:dev"},
			workers: []string{"knative-worker"},
			nodes: map[string][]fakedocker.NodeImage{
				"knative-control-plane": {{Name: "docker.io/library/myapp:dev", Target: digestOf("older manifest"), Config: digestOf("older config")}},
			},
			wantFirst: []string{"myapp:dev"},
		},
		{
			name:      "a docker CLI older than 28, without --platform",
			images:    []fakedocker.Image{myappDev},
			load:      []string{"myapp:dev"},
			client:    "27.5.1",
			wantFirst: []string{"myapp:dev"},
		},
		{
			name:    "an image only for another platform than the nodes'",
			images:  []fakedocker.Image{myappDev, armOnly},
			load:    []string{"myapp:dev", "armonly:1"},
			wantErr: "armonly:1 in the runner's Docker is not for linux/amd64, the platform of the kind nodes: build it for that platform (docker build --platform linux/amd64), or pull that platform's image (docker pull --platform linux/amd64)",
		},
	}
	for _, store := range []fakedocker.Store{fakedocker.Classic, fakedocker.Containerd} {
		for _, tt := range tests {
			t.Run(string(store)+"/"+tt.name, func(t *testing.T) {
				fake := fakedocker.Install(t)
				fake.On(fakedocker.Rule{Args: []string{"exec", "--privileged", "*", "containerd", "config", "dump"}, Stdout: containerdConfigV3})
				fake.WithDaemon(fakedocker.Daemon{Store: store, Client: tt.client, Images: tt.images, Nodes: tt.nodes})
				nodes := append([]string{"knative-control-plane"}, tt.workers...)
				run := func() ([]string, error) {
					t.Helper()
					before := len(fake.Calls())
					target := New(Options{LoadImages: tt.load}, log.Discard, withClusters(&fakeClusters{nodes: nodes}))
					if err := target.checkDocker(t.Context()); err != nil {
						t.Fatal(err)
					}
					registries, err := target.loadImages(t.Context())
					var saved []string
					for _, c := range fake.Calls()[before:] {
						if c.Args[0] == "save" {
							saved = c.Args[slices.Index(c.Args, "--output")+2:]
						}
					}
					if err == nil && len(registries) == 0 {
						t.Errorf("no registries returned for %v", tt.load)
					}
					return saved, err
				}
				saved, err := run()
				if tt.wantErr != "" {
					if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
						t.Fatalf("got %v\nwant an error containing %q", err, tt.wantErr)
					}
					return
				}
				if err != nil {
					t.Fatalf("%v\ndocker calls:\n%s", err, strings.Join(fake.CommandLines(), "\n"))
				}
				if !slices.Equal(saved, tt.wantFirst) {
					t.Errorf("first run saved %q, want %q", saved, tt.wantFirst)
				}
				for _, n := range nodes {
					var names []string
					for _, im := range fake.NodeImages(n) {
						names = append(names, im.Name)
					}
					for _, ref := range tt.load {
						if !slices.Contains(names, normalizedFor(ref)) {
							t.Errorf("node %s lacks %s after the load: %v", n, ref, names)
						}
					}
				}
				again, err := run()
				if err != nil {
					t.Fatal(err)
				}
				if len(again) > 0 != tt.wantAgain {
					t.Errorf("second run saved %q: the nodes' images were not recognised", again)
				}
				if u := fake.Unmatched(); len(u) > 0 {
					t.Errorf("unexpected docker calls: %q", u)
				}
			})
		}
	}
}

func normalizedFor(ref string) string {
	if strings.Contains(ref, "/") {
		return ref
	}
	return "docker.io/library/" + ref
}

// The fake daemon with the containerd image store fails as Docker 29 does
// when a pulled multi-platform image is saved whole: the archive lists
// platforms whose content the daemon never pulled, and the node's import of
// every platform stops at the first (kind issue #3795). Saved for one
// platform, it loads.
func TestContainerdStoreSavesOnePlatformOnly(t *testing.T) {
	fake := fakedocker.Install(t)
	fake.WithDaemon(fakedocker.Daemon{Store: fakedocker.Containerd, Images: []fakedocker.Image{tool}})
	cli := &docker.CLI{}
	ctx := t.Context()
	importArgs := []string{"ctr", "--namespace=k8s.io", "images", "import", "--all-platforms", "--digests", "--snapshotter=overlayfs", "-"}
	for _, platform := range []string{"", "linux/amd64"} {
		archive := filepath.Join(t.TempDir(), "images.tar")
		if err := cli.Save(ctx, archive, platform, tool.Ref); err != nil {
			t.Fatal(err)
		}
		_, err := cli.Exec(ctx, "knative-control-plane", openFile(t, archive), importArgs...)
		switch {
		case platform == "" && (err == nil || !strings.Contains(err.Error(), "ctr: content digest "+tool.Variants[1].Manifest+": not found")):
			t.Errorf("importing the whole index: got %v, want the missing arm64 content", err)
		case platform != "" && err != nil:
			t.Errorf("importing %s only: %v", platform, err)
		}
	}
	if id, err := cli.ImageID(ctx, tool.Ref, ""); err != nil || id != tool.Index {
		t.Errorf("the id is %q (%v), want the index's digest", id, err)
	}
	if id, err := cli.ImageID(ctx, tool.Ref, "linux/amd64"); err != nil || id != tool.Variants[0].Manifest {
		t.Errorf("the id for linux/amd64 is %q (%v), want its manifest's digest", id, err)
	}
}

// With the containerd image store and a Docker older than 28 (no save
// --platform), the import's failure says why and what to do.
func TestLoadImagesOldDockerWithContainerdStore(t *testing.T) {
	fake := fakedocker.Install(t)
	fake.On(fakedocker.Rule{Args: []string{"exec", "--privileged", "*", "containerd", "config", "dump"}, Stdout: containerdConfigV3})
	fake.WithDaemon(fakedocker.Daemon{Store: fakedocker.Containerd, Version: "27.5.1", Images: []fakedocker.Image{tool}})
	target := New(Options{LoadImages: []string{tool.Ref}}, log.Discard, withClusters(&fakeClusters{nodes: []string{"knative-control-plane"}}))
	if err := target.checkDocker(t.Context()); err != nil {
		t.Fatal(err)
	}
	_, err := target.loadImages(t.Context())
	want := fmt.Sprintf("content digest %s: not found. The runner's Docker saved every platform the images' index lists while it holds only some", tool.Variants[1].Manifest)
	if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "upgrade Docker") {
		t.Errorf("got %v\nwant it to contain %q and the fix", err, want)
	}
}

func openFile(t *testing.T, path string) *os.File {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = f.Close() })
	return f
}
