//go:build unix

package workspace

import (
	"os"
	"syscall"
)

// chownLike gives path the owner of ref when this process runs as root and
// they differ: a container action writes the workspace as root, while the
// steps after it run as the runner's user.
func chownLike(path, ref string) error {
	if os.Geteuid() != 0 {
		return nil
	}
	st, err := os.Stat(ref)
	if err != nil {
		return err
	}
	sys, ok := st.Sys().(*syscall.Stat_t)
	if !ok || sys.Uid == 0 {
		return nil
	}
	return os.Lchown(path, int(sys.Uid), int(sys.Gid))
}
