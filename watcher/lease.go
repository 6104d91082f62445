package watcher

// leaseState is what an attempt to take a read lease found.
type leaseState int

const (
	leaseHeld        leaseState = iota // no one has the file open for writing; the lease is ours
	leaseBusy                          // someone has the file open for writing
	leaseUnsupported                   // this file system or user cannot take leases
)
