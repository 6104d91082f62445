//go:build !unix

package durable

import "errors"

// Windows cannot open a directory for syncing; its renames are durable
// through the journal.
var errSyncUnsupported = errors.ErrUnsupported
