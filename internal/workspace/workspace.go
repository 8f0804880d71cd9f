// Package workspace writes the files a run leaves for the job's later
// steps and for itself: whole or not at all, and, in the workspace, in a
// folder git ignores and owned by the workspace's owner (a container action
// runs as root; the steps after it run as the runner's user).
package workspace

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/knative-preview/action/internal/buildinfo"
	"github.com/knative-preview/action/internal/log"
)

// Dir is the folder, relative to the workspace, that holds what a run
// leaves for later steps.
const Dir = "." + buildinfo.Name

// WriteFile writes data to path with mode perm, whole or not at all: a
// temporary file in the same folder, renamed into place, so that no reader
// ever sees part of it.
func WriteFile(path string, data []byte, perm os.FileMode) (err error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("making the folder %s: %w", dir, err)
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			_ = tmp.Close()
			_ = os.Remove(tmp.Name())
		}
	}()
	if _, err := tmp.Write(data); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := tmp.Chmod(perm); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}

// Prepare makes the workspace's Dir when missing, private and with a
// .gitignore, so that a later `git add` commits nothing of it, and gives it
// to the workspace's owner (l is told when that is not possible). It
// returns Dir's absolute path.
func Prepare(workspace string, l log.Logger) (string, error) {
	workspace = absolute(workspace)
	dir := filepath.Join(workspace, Dir)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("making the folder %s in the workspace: %w", Dir, err)
	}
	ignore := filepath.Join(dir, ".gitignore")
	if _, err := os.Stat(ignore); os.IsNotExist(err) {
		if err := os.WriteFile(ignore, []byte("# written by "+buildinfo.Name+" for later steps (credentials among them): never to be committed\n*\n"), 0o644); err != nil {
			return "", fmt.Errorf("writing %s: %w", ignore, err)
		}
	}
	give(workspace, l, dir, ignore)
	return dir, nil
}

// Leave writes data as name in the workspace's Dir (see Prepare), with mode
// perm (0600 for credentials), gives it to the workspace's owner, and
// returns its path relative to the workspace, with forward slashes, as an
// output gives it: a later step reads it at ${{ github.workspace }}/<it>.
func Leave(workspace, name string, data []byte, perm os.FileMode, l log.Logger) (string, error) {
	dir, err := Prepare(workspace, l)
	if err != nil {
		return "", err
	}
	path := filepath.Join(dir, name)
	if err := WriteFile(path, data, perm); err != nil {
		return "", err
	}
	give(absolute(workspace), l, path)
	return Dir + "/" + name, nil
}

// Path is where Leave writes name in the workspace.
func Path(workspace, name string) string {
	return filepath.Join(absolute(workspace), Dir, name)
}

func absolute(workspace string) string {
	if workspace == "" {
		workspace = "."
	}
	if abs, err := filepath.Abs(workspace); err == nil {
		return abs
	}
	return workspace
}

// give gives paths to the owner of the workspace.
func give(workspace string, l log.Logger, paths ...string) {
	for _, p := range paths {
		if err := chownLike(p, workspace); err != nil {
			l.Warnf("cannot give %s to the workspace's owner: %v; a later step may not read it", p, err)
		}
	}
}
