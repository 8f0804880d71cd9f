package kind

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/pelletier/go-toml"

	"github.com/knative-preview/action/internal/buildinfo"
	"github.com/knative-preview/action/internal/cluster"
	"github.com/knative-preview/action/internal/cluster/kind/docker"
	"github.com/knative-preview/action/internal/image"
)

// imageStore is how images move from the runner's Docker into the nodes,
// by what its daemon supports. The nodes run on the daemon's platform, and
// only that platform of an image is saved and compared: Docker's
// containerd image store (Docker 29's default) would otherwise save a
// pulled multi-platform image's whole index, whose other platforms' content
// it never pulled, which the nodes' import refuses (kind issue #3795), and
// it gives an image the id of its index, which no node reports.
type imageStore struct {
	// platform is the nodes' platform: linux/amd64.
	platform string
	// containerd is true for the containerd image store: an image's id is
	// then the digest of its platform's manifest, which a node's
	// containerd reports as the target of the image's name; the classic
	// store's is the digest of the image's configuration, which CRI
	// (crictl) reports (kind pkg/cluster/nodeutils ImageID).
	containerd bool
	// inspectPlatform and savePlatform are passed to docker image inspect
	// --platform (Docker 28.1 and later) and docker save --platform
	// (Docker 28.0 and later); empty when the daemon is older.
	inspectPlatform, savePlatform string
}

func storeOf(info *docker.Info) imageStore {
	if info == nil {
		return imageStore{}
	}
	s := imageStore{platform: info.Platform(), containerd: info.ContainerdStore()}
	if info.AtLeast(28, 0) {
		s.savePlatform = s.platform
	}
	if info.AtLeast(28, 1) {
		s.inspectPlatform = s.platform
	}
	return s
}

// describe says how the target finds and saves images, for the log.
func (s imageStore) describe() string {
	kind := "classic image store"
	if s.containerd {
		kind = "containerd image store"
	}
	if s.savePlatform == "" {
		return fmt.Sprintf("the runner's Docker (%s) is older than 28.0: saving every platform of the images", kind)
	}
	return fmt.Sprintf("the runner's Docker (%s): saving the nodes' platform %s of the images", kind, s.platform)
}

// loadImages loads the images of the runner's Docker into every node that
// lacks them (what `kind load docker-image` does, one platform only) and
// returns their registries, for Knative to skip tag resolution there. The
// images are load-images, or else those the run deploys that the runner's
// Docker has.
func (t *target) loadImages(ctx context.Context) ([]string, error) {
	want, explicit := t.o.LoadImages, len(t.o.LoadImages) > 0
	if !explicit {
		want = t.o.deployed()
	}
	if len(want) == 0 {
		return nil, nil
	}
	ctx, cancel := context.WithTimeoutCause(ctx, t.timeouts.Load, fmt.Errorf("loading %s into the nodes took longer than %s", strings.Join(want, ", "), t.timeouts.Load))
	defer cancel()
	store := storeOf(t.info)
	ids, local, err := t.localImages(ctx, store, want, explicit)
	if err != nil || len(local) == 0 {
		return nil, err
	}
	nodes, err := until(ctx, func() ([]string, error) { return t.clusters.Nodes(t.o.ClusterName) })
	if err != nil {
		return nil, fmt.Errorf("listing the nodes of the kind cluster %q: %w", t.o.ClusterName, err)
	}
	missing := map[string][]string{} // node -> images it lacks
	var toSave []string
	for _, n := range nodes {
		for _, ref := range local {
			if t.nodeHas(ctx, store, n, ref, ids[ref]) {
				continue
			}
			missing[n] = append(missing[n], ref)
			if !slices.Contains(toSave, ref) {
				toSave = append(toSave, ref)
			}
		}
	}
	if len(toSave) == 0 {
		t.log.Infof("every node already has %s", strings.Join(local, ", "))
		return registries(local), nil
	}
	if err := t.saveAndImport(ctx, store, toSave, nodes, missing); err != nil {
		return nil, err
	}
	return registries(local), nil
}

// localImages are the images of want the runner's Docker has for the
// nodes' platform, with their ids. One it lacks is an error when
// load-images named it (explicit), else the nodes pull it.
func (t *target) localImages(ctx context.Context, store imageStore, want []string, explicit bool) (map[string]string, []string, error) {
	ids := map[string]string{}
	var local []string
	for _, ref := range want {
		id, err := t.docker.ImageID(ctx, ref, store.inspectPlatform)
		switch {
		case errors.Is(err, docker.ErrNotFound) && explicit:
			return nil, nil, fmt.Errorf("the image %s of load-images is not in the runner's Docker: build or pull it in an earlier step (docker build -t %s .), or leave it out of load-images", ref, ref)
		case errors.Is(err, docker.ErrNotFound):
			t.log.Infof("the image %s is not in the runner's Docker: the nodes will pull it from its registry", ref)
			continue
		case errors.Is(err, docker.ErrPlatform) && explicit:
			return nil, nil, otherPlatform(ref, store.platform, err)
		case errors.Is(err, docker.ErrPlatform):
			t.log.Infof("the image %s of the runner's Docker is not for %s, the nodes' platform: the nodes will pull it from its registry", ref, store.platform)
			continue
		case err != nil:
			return nil, nil, fmt.Errorf("looking for the image %s in the runner's Docker: %w", ref, err)
		}
		ids[ref] = id
		local = append(local, ref)
	}
	return ids, local, nil
}

// saveAndImport saves toSave from the runner's Docker into one archive and
// imports it into each node that misses some of them.
func (t *target) saveAndImport(ctx context.Context, store imageStore, toSave, nodes []string, missing map[string][]string) error {
	dir, err := os.MkdirTemp("", buildinfo.Name+"-images-")
	if err != nil {
		return fmt.Errorf("making a directory for the image archive: %w", err)
	}
	defer func() { _ = os.RemoveAll(dir) }()
	archive := filepath.Join(dir, "images.tar")
	t.log.Infof("saving %s from %s", strings.Join(toSave, ", "), store.describe())
	if err := t.docker.Save(ctx, archive, store.savePlatform, toSave...); err != nil {
		if errors.Is(err, docker.ErrPlatform) {
			return otherPlatform(strings.Join(toSave, ", "), store.platform, err)
		}
		return fmt.Errorf("saving %s from the runner's Docker: %w", strings.Join(toSave, ", "), err)
	}
	for _, n := range nodes {
		if len(missing[n]) == 0 {
			continue
		}
		t.log.Infof("loading %s into the node %s", strings.Join(missing[n], ", "), n)
		if err := t.importArchive(ctx, n, archive); err != nil {
			err = fmt.Errorf("loading %s into the node %s: %w", strings.Join(missing[n], ", "), n, err)
			if store.savePlatform == "" && strings.Contains(err.Error(), "content digest") {
				err = fmt.Errorf("%w. The runner's Docker saved every platform the images' index lists while it holds only some (its containerd image store does that; kind issue #3795): Docker 28 and later save one platform, so upgrade Docker, or turn its containerd image store off; see %s", err, cluster.ContainerActionHelp)
			}
			return err
		}
	}
	return nil
}

// otherPlatform says that images exist in the runner's Docker, but not
// for the nodes' platform.
func otherPlatform(refs, platform string, err error) error {
	return fmt.Errorf("%s in the runner's Docker is not for %s, the platform of the kind nodes: build it for that platform (docker build --platform %s), or pull that platform's image (docker pull --platform %s): %w", refs, platform, platform, platform, err)
}

// nodeHas reports whether node has ref with the id the runner's Docker
// gives it: as CRI reports it for the classic store, as the node's
// containerd names the target of ref for the containerd store.
func (t *target) nodeHas(ctx context.Context, store imageStore, node, ref, id string) bool {
	if store.containerd {
		return t.nodeImageTarget(ctx, node, ref) == id
	}
	return t.nodeImageID(ctx, node, ref) == id
}

// nodeImageID is the id the node's containerd has for ref, or "".
func (t *target) nodeImageID(ctx context.Context, node, ref string) string {
	out, err := t.docker.Exec(ctx, node, nil, "crictl", "inspecti", ref)
	if err != nil {
		return ""
	}
	var v struct {
		Status struct {
			ID string `json:"id"`
		} `json:"status"`
	}
	if json.Unmarshal(out, &v) != nil {
		return ""
	}
	return v.Status.ID
}

// nodeImageTarget is the digest ref's name points to in the node's
// containerd (ctr images ls: REF TYPE DIGEST ...), or "".
func (t *target) nodeImageTarget(ctx context.Context, node, ref string) string {
	name := image.Normalized(ref)
	if name == "" {
		return ""
	}
	out, err := t.docker.Exec(ctx, node, nil, "ctr", "--namespace=k8s.io", "images", "ls", "name=="+name)
	if err != nil {
		return ""
	}
	for _, line := range strings.Split(string(out), "\n") {
		if f := strings.Fields(line); len(f) >= 3 && f[0] == name {
			return f[2]
		}
	}
	return ""
}

func (t *target) importArchive(ctx context.Context, node, archive string) error {
	snapshotter, err := t.snapshotter(ctx, node)
	if err != nil {
		return err
	}
	f, err := os.Open(archive)
	if err != nil {
		return err
	}
	defer func() { _ = f.Close() }()
	_, err = t.docker.Exec(ctx, node, f, "ctr", "--namespace=k8s.io", "images", "import", "--all-platforms", "--digests", "--snapshotter="+snapshotter, "-")
	return err
}

// snapshotter reads which snapshotter the node's containerd uses for CRI
// images: images must be imported into that one.
func (t *target) snapshotter(ctx context.Context, node string) (string, error) {
	out, err := t.docker.Exec(ctx, node, nil, "containerd", "config", "dump")
	if err != nil {
		return "", fmt.Errorf("reading the node's containerd configuration: %w", err)
	}
	tree, err := toml.Load(string(out))
	if err != nil {
		return "", fmt.Errorf("reading the node's containerd configuration: %w", err)
	}
	var path []string
	switch v, _ := tree.Get("version").(int64); v {
	case 2:
		path = []string{"plugins", "io.containerd.grpc.v1.cri", "containerd", "snapshotter"}
	case 3, 4:
		path = []string{"plugins", "io.containerd.cri.v1.images", "snapshotter"}
	default:
		return "", fmt.Errorf("the node's containerd configuration has version %d; this action reads versions 2 to 4", v)
	}
	s, ok := tree.GetPath(path).(string)
	if !ok || s == "" {
		return "", fmt.Errorf("the node's containerd configuration names no snapshotter at %s", strings.Join(path, "."))
	}
	return s, nil
}

// registries are the distinct registries of refs, sorted, named as Knative
// compares them when it decides to skip resolving a tag (go-containerregistry's
// RegistryStr): index.docker.io for myapp:dev.
func registries(refs []string) []string {
	var out []string
	for _, r := range refs {
		if d := image.Registry(r); d != "" && !slices.Contains(out, d) {
			out = append(out, d)
		}
	}
	slices.Sort(out)
	return out
}
