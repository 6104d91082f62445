//go:build linux

package watcher

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

const leasesSupported = true

// takeLease takes a read lease (F_SETLEASE) on f, opened read-only. The
// kernel grants one only while no process has the file open for writing,
// so a granted lease proves that no writer holds the file, however long it
// has paused; a writer that opens it later breaks the lease, which
// leaseBroken then sees. Closing f releases the lease.
func takeLease(f *os.File) leaseState {
	err := control(f, func(fd int) error {
		_, err := unix.FcntlInt(uintptr(fd), unix.F_SETLEASE, unix.F_RDLCK)
		return err
	})
	switch {
	case err == nil:
		return leaseHeld
	case errors.Is(err, unix.EAGAIN), errors.Is(err, unix.EBUSY):
		return leaseBusy
	}
	// EINVAL (the file system has no leases, or leases are off), EACCES or
	// EPERM (neither the file's owner nor CAP_LEASE): time decides.
	return leaseUnsupported
}

// leaseBroken reports whether a writer has opened the file since the lease
// was taken: the lease is being broken and no longer reads F_RDLCK.
func leaseBroken(f *os.File) bool {
	kind := -1
	err := control(f, func(fd int) error {
		var err error
		kind, err = unix.FcntlInt(uintptr(fd), unix.F_GETLEASE, 0)
		return err
	})
	return err != nil || kind != unix.F_RDLCK
}

func control(f *os.File, fn func(fd int) error) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var ferr error
	if err := rc.Control(func(fd uintptr) { ferr = fn(int(fd)) }); err != nil {
		return err
	}
	return ferr
}
