// Package activities holds every piece of I/O of the pipeline: reading and
// preparing the input, the billed calls to the task API, the result zip, the
// exports and the archive. Activities are methods on Activities, which holds
// their dependencies; the API key lives in the client, never in a payload.
package activities

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"github.com/phonecheck/phonecheck/ekycpro"
)

// Application error types the workflow's retry policies name.
const (
	ErrBadInput     = "BadInput"     // the input file cannot be processed: empty, binary, over-long lines
	ErrBadRequest   = "BadRequest"   // the service refused the request (400)
	ErrUnauthorized = "Unauthorized" // the API key is missing or wrong
	ErrBadResult    = "BadResult"    // the result zip is broken or not what the contract says
)

// TaskAPI is the part of the v1 task API client the activities use.
type TaskAPI interface {
	CreateTask(ctx context.Context, filename string, r io.Reader) (*ekycpro.Task, error)
	GetTask(ctx context.Context, taskID string) (*ekycpro.Task, error)
	DownloadResult(ctx context.Context, resultURL, dst string, maxBytes int64) (int64, error)
}

// Activities are the pipeline's activities and what they need.
type Activities struct {
	API TaskAPI
	// WorkDir holds per-file scratch space (<WorkDir>/<sha256>/): the
	// prepared upload, the local rows, the task ledger, the result zip.
	WorkDir string
	// MaxResultBytes bounds the result zip's download (default 2 GiB).
	MaxResultBytes int64
}

func (a *Activities) workDir(sha string) (string, error) {
	if len(sha) != 64 {
		return "", temporal.NewNonRetryableApplicationError("bad file hash "+sha, ErrBadInput, nil)
	}
	dir := filepath.Join(a.WorkDir, sha)
	return dir, os.MkdirAll(dir, 0o700)
}

// badInput is a non-retryable error about the input file.
func badInput(format string, args ...any) error {
	return temporal.NewNonRetryableApplicationError(fmt.Sprintf(format, args...), ErrBadInput, nil)
}

// apiError turns a client error into what Temporal's retries should do with
// it: bad requests and keys end the workflow; rate limits wait as told;
// server and network errors retry with the activity's backoff.
func apiError(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, ekycpro.ErrUnauthorized):
		return temporal.NewNonRetryableApplicationError(err.Error()+" (check the API key the worker was started with)", ErrUnauthorized, nil)
	case errors.Is(err, ekycpro.ErrBadRequest), errors.Is(err, ekycpro.ErrConfig), errors.Is(err, ekycpro.ErrTaskFailed):
		return temporal.NewNonRetryableApplicationError(err.Error(), ErrBadRequest, nil)
	case errors.Is(err, ekycpro.ErrRateLimited):
		return temporal.NewApplicationErrorWithOptions(err.Error(), "RateLimited", temporal.ApplicationErrorOptions{
			NextRetryDelay: max(ekycpro.RetryAfter(err), time.Second),
		})
	}
	return err
}

// heartbeatEvery calls activity.RecordHeartbeat with details at most every d.
type heartbeatEvery struct {
	ctx  context.Context
	d    time.Duration
	next time.Time
}

func (h *heartbeatEvery) beat(details ...any) {
	if now := time.Now(); now.After(h.next) {
		activity.RecordHeartbeat(h.ctx, details...)
		h.next = now.Add(h.d)
	}
}

// writeFileAtomic writes data to path through a temp file and a rename.
func writeFileAtomic(path string, data []byte, mode os.FileMode) error {
	return writeAtomic(path, mode, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

// copyFileAtomic copies src to dst through a temp file and a rename (on
// Linux io.Copy between files is a copy_file_range in the kernel).
func copyFileAtomic(src, dst string, mode os.FileMode) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	return writeAtomic(dst, mode, func(w io.Writer) error {
		_, err := io.Copy(w, in)
		return err
	})
}

// writeAtomic has write fill a temp file beside path, syncs it and renames
// it over path, so path is either absent, old or complete.
func writeAtomic(path string, mode os.FileMode, write func(io.Writer) error) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := write(tmp); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
