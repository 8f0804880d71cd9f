package kind

import (
	"fmt"
	"os"
	"path/filepath"
)

// kubeconfigFile is where Connect writes the cluster's kubeconfig for later
// workflow steps, relative to the workspace. The directory holds a
// .gitignore so that the file is never committed by a later `git add`.
const kubeconfigFile = ".knative-preview/kubeconfig"

func (t *target) workspace() string {
	ws := t.o.Workspace
	if ws == "" {
		ws = "."
	}
	if abs, err := filepath.Abs(ws); err == nil {
		return abs
	}
	return ws
}

func (t *target) kubeconfigAbs() string {
	return filepath.Join(t.workspace(), filepath.FromSlash(kubeconfigFile))
}

// prepareDir makes the kubeconfig's directory, private, with a .gitignore,
// owned by the workspace's owner (so that a later step on the host, which
// runs as another user than the action's container, can read it).
func (t *target) prepareDir() error {
	dir := filepath.Dir(t.kubeconfigAbs())
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("making the directory for the kubeconfig: %w", err)
	}
	ignore := filepath.Join(dir, ".gitignore")
	if _, err := os.Stat(ignore); os.IsNotExist(err) {
		if err := os.WriteFile(ignore, []byte("# written by knative-preview: a kubeconfig with credentials, never to be committed\n*\n"), 0o644); err != nil {
			return fmt.Errorf("writing %s: %w", ignore, err)
		}
	}
	for _, p := range []string{dir, ignore} {
		if err := chownLike(p, t.workspace()); err != nil {
			t.log.Infof("warning: cannot give %s to the workspace's owner: %v", p, err)
		}
	}
	return nil
}

// writeKubeconfig writes content (mode 0600) to KubeconfigFile, replacing
// what kind or an earlier run wrote there.
func (t *target) writeKubeconfig(content string) error {
	path := t.kubeconfigAbs()
	tmp, err := os.CreateTemp(filepath.Dir(path), ".kubeconfig-*")
	if err != nil {
		return fmt.Errorf("writing the kubeconfig for later steps: %w", err)
	}
	_, werr := tmp.WriteString(content)
	if cerr := tmp.Close(); werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Chmod(tmp.Name(), 0o600)
	}
	if werr == nil {
		werr = os.Rename(tmp.Name(), path)
	}
	if werr != nil {
		_ = os.Remove(tmp.Name())
		return fmt.Errorf("writing the kubeconfig for later steps to %s: %w", path, werr)
	}
	if err := chownLike(path, t.workspace()); err != nil {
		t.log.Infof("warning: cannot give %s to the workspace's owner: %v", path, err)
	}
	t.kubeconfigPath = kubeconfigFile
	t.log.Infof("wrote the cluster's kubeconfig for later steps to %s in the workspace", kubeconfigFile)
	return nil
}
