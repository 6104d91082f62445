package activities

import (
	"errors"
	"fmt"
	"strings"
	"syscall"

	"go.temporal.io/sdk/temporal"

	"github.com/phonecheck/phonecheck/internal/store"
)

// ErrDiskFull is the error type of a step whose folder is full or read-only:
// retrying in a second or a minute does not make room, and ten retries
// would only hold the file for minutes before it failed with the same words.
const ErrDiskFull = "DiskFull"

// diskProblems are the file system's answers that no quick retry changes,
// with what they mean for a person.
var diskProblems = []struct {
	errno syscall.Errno
	words string // as the OS says it, for errors that lost their errno on the way
	what  string
}{
	{syscall.ENOSPC, "no space left on device", "is full"},
	{syscall.EDQUOT, "disk quota exceeded", "is over its disk quota"},
	{syscall.EROFS, "read-only file system", "is read-only"},
}

// diskError turns a full or read-only file system under folder (what the
// step writes: "the output folder out/…") into a non-retryable error that
// says which folder, why, and what to do; other errors pass as they are.
func diskError(err error, folder, todo string) error {
	if err == nil {
		return nil
	}
	var classified *temporal.ApplicationError
	if errors.As(err, &classified) {
		return err // a bad input, an ambiguous upload: it says what it is
	}
	msg := err.Error()
	for _, p := range diskProblems {
		if errors.Is(err, p.errno) || strings.Contains(strings.ToLower(msg), p.words) {
			return temporal.NewNonRetryableApplicationError(
				fmt.Sprintf("%s %s (%v): %s", folder, p.what, err, todo), ErrDiskFull, nil)
		}
	}
	return err
}

// workDiskError is diskError for the steps that write the workers' store
// and scratch folder (Prepare, Download, Join): the path in the error says
// which of the two is full.
func (a *Activities) workDiskError(err error) error {
	return diskError(err, "the workers' store ("+a.Store.String()+") or scratch folder",
		"make room there (or make it writable), then drop the file again: "+
			"a remote task already started is recorded, so that is not charged again")
}

// StoreFullError is diskError for a starter putting a file into the
// workers' store: the file is not started, and nothing is charged.
func StoreFullError(err error, s *store.Store) error {
	return diskError(err, "the workers' store "+s.String(),
		"make room there (or make it writable), then drop the file again: nothing was sent or charged")
}

// IsDiskFull reports whether err is a full or read-only disk, as diskError
// classifies it.
func IsDiskFull(err error) bool {
	var appErr *temporal.ApplicationError
	return errors.As(err, &appErr) && appErr.Type() == ErrDiskFull
}
