//go:build unix

package watcher

import (
	"os"
	"syscall"
)

// sameDevice reports whether a and b are on one file system, as a rename
// between them requires. It answers true when it cannot tell.
func sameDevice(a, b os.FileInfo) bool {
	sa, ok1 := a.Sys().(*syscall.Stat_t)
	sb, ok2 := b.Sys().(*syscall.Stat_t)
	return !ok1 || !ok2 || sa.Dev == sb.Dev
}
