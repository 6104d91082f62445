//go:build !linux

package watcher

import "os"

// Leases are a Linux feature; elsewhere the settle window alone decides.
const leasesSupported = false

func takeLease(*os.File) leaseState { return leaseUnsupported }

func leaseBroken(*os.File) bool { return false }
