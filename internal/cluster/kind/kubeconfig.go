package kind

import (
	"fmt"

	"github.com/knative-preview/action/internal/workspace"
)

// kubeconfigName is the file in the workspace's folder for later steps
// (workspace.Dir) where Connect writes the cluster's kubeconfig.
const kubeconfigName = "kubeconfig"

// kubeconfigFile is that file's path relative to the workspace, as the
// kubeconfig output gives it.
const kubeconfigFile = workspace.Dir + "/" + kubeconfigName

func (t *target) kubeconfigAbs() string {
	return workspace.Path(t.o.Workspace, kubeconfigName)
}

// prepareDir makes the kubeconfig's folder, where the kind library writes
// too.
func (t *target) prepareDir() error {
	_, err := workspace.Prepare(t.o.Workspace, t.log)
	return err
}

// writeKubeconfig writes content (mode 0600: it holds the client key) for
// later steps, replacing what kind or an earlier run wrote there.
func (t *target) writeKubeconfig(content string) error {
	rel, err := workspace.Leave(t.o.Workspace, kubeconfigName, []byte(content), 0o600, t.log)
	if err != nil {
		return fmt.Errorf("writing the kubeconfig for later steps: %w", err)
	}
	t.kubeconfigPath = rel
	t.log.Infof("wrote the cluster's kubeconfig for later steps to %s in the workspace", rel)
	return nil
}
