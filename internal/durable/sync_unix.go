//go:build unix

package durable

import "syscall"

// errSyncUnsupported is what fsync of a directory answers where the file
// system does not support it.
var errSyncUnsupported = syscall.EINVAL
