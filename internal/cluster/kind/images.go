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
	"github.com/knative-preview/action/internal/cluster/kind/docker"
	"github.com/knative-preview/action/internal/image"
)

// loadImages loads the images of the runner's Docker into every node that
// lacks them (what `kind load docker-image` does) and returns their
// registries, for Knative to skip tag resolution there. The images are
// load-images, or else those the run deploys that the runner's Docker has.
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

	ids := map[string]string{}
	var local []string
	for _, ref := range want {
		id, err := t.docker.ImageID(ctx, ref)
		switch {
		case errors.Is(err, docker.ErrNotFound) && explicit:
			return nil, fmt.Errorf("the image %s of load-images is not in the runner's Docker: build or pull it in an earlier step (docker build -t %s .), or leave it out of load-images", ref, ref)
		case errors.Is(err, docker.ErrNotFound):
			t.log.Infof("the image %s is not in the runner's Docker: the nodes will pull it from its registry", ref)
			continue
		case err != nil:
			return nil, fmt.Errorf("looking for the image %s in the runner's Docker: %w", ref, err)
		}
		ids[ref] = id
		local = append(local, ref)
	}
	if len(local) == 0 {
		return nil, nil
	}

	nodes, err := until(ctx, func() ([]string, error) { return t.clusters.Nodes(t.o.ClusterName) })
	if err != nil {
		return nil, fmt.Errorf("listing the nodes of the kind cluster %q: %w", t.o.ClusterName, err)
	}
	missing := map[string][]string{} // node -> images it lacks
	var toSave []string
	for _, n := range nodes {
		for _, ref := range local {
			if t.nodeImageID(ctx, n, ref) == ids[ref] {
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

	dir, err := os.MkdirTemp("", buildinfo.Name+"-images-")
	if err != nil {
		return nil, fmt.Errorf("making a directory for the image archive: %w", err)
	}
	defer func() { _ = os.RemoveAll(dir) }()
	archive := filepath.Join(dir, "images.tar")
	t.log.Infof("saving %s from the runner's Docker", strings.Join(toSave, ", "))
	if err := t.docker.Save(ctx, archive, toSave...); err != nil {
		return nil, fmt.Errorf("saving %s from the runner's Docker: %w", strings.Join(toSave, ", "), err)
	}
	for _, n := range nodes {
		if len(missing[n]) == 0 {
			continue
		}
		t.log.Infof("loading %s into the node %s", strings.Join(missing[n], ", "), n)
		if err := t.importArchive(ctx, n, archive); err != nil {
			return nil, fmt.Errorf("loading %s into the node %s: %w", strings.Join(missing[n], ", "), n, err)
		}
	}
	return registries(local), nil
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
