package workspace

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// What a run leaves for later steps lands in the workspace's folder, which
// git ignores, with the mode asked for, and is named as an output names it.
func TestLeave(t *testing.T) {
	ws := t.TempDir()
	rel, err := Leave(ws, "kubeconfig", []byte("secret: yes\n"), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	if rel != ".knative-preview/kubeconfig" {
		t.Errorf("path for the output %q, want .knative-preview/kubeconfig", rel)
	}
	st, err := os.Stat(filepath.Join(ws, filepath.FromSlash(rel)))
	if err != nil {
		t.Fatalf("the file: %v", err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("the file's mode is %v; want 0600", st.Mode().Perm())
	}
	if b, err := os.ReadFile(filepath.Join(ws, Dir, ".gitignore")); err != nil || !strings.HasSuffix(string(b), "*\n") {
		t.Errorf("the folder does not ignore everything in it: %q, %v", b, err)
	}
	// Written again, the file is replaced whole and no temporary file stays.
	if _, err := Leave(ws, "kubeconfig", []byte("second\n"), 0o600, nil); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(filepath.Join(ws, Dir))
	if len(entries) != 2 {
		t.Errorf("the folder holds %d entries, want the file and .gitignore: %v", len(entries), entries)
	}
	if b, _ := os.ReadFile(Path(ws, "kubeconfig")); string(b) != "second\n" {
		t.Errorf("the file holds %q after the second write", b)
	}
}
