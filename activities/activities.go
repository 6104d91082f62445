// Package activities holds every piece of I/O of the pipeline: reading and
// preparing the input, the billed calls to the task API, the result zip, the
// exports and the archive. Activities are methods on Activities, which holds
// their dependencies; the API key lives in the client, never in a payload.
package activities

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"github.com/phonecheck/phonecheck/ekycpro"
	"github.com/phonecheck/phonecheck/internal/store"
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
	// Store holds what every worker must reach: each file's input
	// (InputKey) and its work files under work/<sha256>/ (the prepared
	// upload, the local rows, the task ledger, the result zip, the joined
	// rows). A directory serves one host or a shared mount; a bucket serves
	// workers on several hosts.
	Store *store.Store
	// Scratch is this worker's own directory for files that need random
	// access (the result zip); default <os.TempDir>/phonecheck-scratch.
	Scratch string
	// MaxResultBytes bounds the result zip's download (default 2 GiB).
	MaxResultBytes int64

	outputs sync.Map // output location -> *store.Store
}

// InputKey is where a starter puts a file's content in the store.
func InputKey(sha256Hex string) string { return "inputs/" + sha256Hex }

// workKey names one of a file's work files in the store.
func workKey(sha, name string) (string, error) {
	if b, err := hex.DecodeString(sha); err != nil || len(b) != sha256.Size {
		return "", temporal.NewNonRetryableApplicationError("bad file hash "+sha, ErrBadInput, nil)
	}
	return "work/" + sha + "/" + name, nil
}

// scratchDir is this worker's local directory for one file.
func (a *Activities) scratchDir(sha string) (string, error) {
	base := a.Scratch
	if base == "" {
		base = filepath.Join(os.TempDir(), "phonecheck-scratch")
	}
	dir := filepath.Join(base, sha)
	return dir, os.MkdirAll(dir, 0o700)
}

// output opens (once) the store an export writes to.
func (a *Activities) output(ctx context.Context, location string) (*store.Store, error) {
	if location == "" {
		return nil, badInput("no output location given")
	}
	if s, ok := a.outputs.Load(location); ok {
		return s.(*store.Store), nil
	}
	s, err := store.Open(context.WithoutCancel(ctx), location)
	if err != nil {
		return nil, badInput("%v", err)
	}
	if prev, loaded := a.outputs.LoadOrStore(location, s); loaded {
		s.Close()
		return prev.(*store.Store), nil
	}
	return s, nil
}

// CloseOutputs closes the output stores the activities opened (not Store,
// which the caller owns). It is a function, not a method: every exported
// method of Activities is registered as an activity.
func CloseOutputs(a *Activities) {
	a.outputs.Range(func(k, v any) bool {
		v.(*store.Store).Close()
		a.outputs.Delete(k)
		return true
	})
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

// writeFileAtomic writes data to a temp file beside path, syncs it and
// renames it over path, so path is either absent, old or complete.
func writeFileAtomic(path string, data []byte, mode os.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
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

// PutInput puts a file's content into the store under InputKey, where any
// worker's Prepare reads it. A starter calls it before starting the
// workflow; content already there (same hash) is not copied again.
func PutInput(ctx context.Context, s *store.Store, sha256Hex, path string) (string, error) {
	key := InputKey(sha256Hex)
	if ok, err := s.Exists(ctx, key); err != nil || ok {
		return key, err
	}
	_, err := s.Put(ctx, key, path)
	return key, err
}
