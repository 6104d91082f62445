package testkit

import (
	"os"
	"os/exec"
	"testing"
)

// SmallFS mounts a 1 MiB tmpfs for the test (read-only with opts ",ro"):
// a full or read-only disk of the kind users meet. It skips unless root.
func SmallFS(t testing.TB, opts string) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root to mount a 1 MiB tmpfs (CI runs as root)")
	}
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=1m"+opts, "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs: %v: %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", dir).Run() })
	return dir
}
