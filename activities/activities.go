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
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"github.com/phonecheck/phonecheck/internal/store"
	"github.com/phonecheck/phonecheck/taskapi"
)

// Payloads of the activities, each beside its activity, carry store keys,
// paths, hashes, ids and counts, never numbers. Keys name objects in
// Activities.Store.

// Application error types the workflow's retry policies name.
const (
	ErrBadInput     = "BadInput"     // the input file cannot be processed: empty, binary, not text
	ErrBadRequest   = "BadRequest"   // the service refused the request (400)
	ErrUnauthorized = "Unauthorized" // the API key is missing or wrong
	ErrBadResult    = "BadResult"    // the result zip is broken or not what the contract says
)

// TaskAPI is the part of the v1 task API client the activities use.
type TaskAPI interface {
	CreateTask(ctx context.Context, filename string, r io.Reader) (*taskapi.Task, error)
	GetTask(ctx context.Context, taskID string) (*taskapi.Task, error)
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
	// IdempotentAPI says the service answers a repeated Idempotency-Key
	// with the first task, uncharged (phonecheck serve does): an upload
	// whose answer was lost is then sent again; otherwise it fails as
	// ambiguous rather than risk a second charge.
	IdempotentAPI bool
	// RetryBudget bounds the billed calls in a row that give no usable
	// answer (an unreadable 200, exported without a result link, a
	// refused link, an unknown task) before the file fails (0: 5).
	RetryBudget int
	// RecordRetention is how long finished records are taken as the
	// result of the same file dropped again (0: DefaultRecordRetention).
	RecordRetention time.Duration
	// MaxUnanswered is the share of uploaded numbers a result may leave
	// unanswered before the file fails (0: every one must be answered).
	MaxUnanswered float64
	// NotifySecret signs notices (Notify); it is worker configuration,
	// never in a workflow's input or history. Empty: notices go unsigned.
	NotifySecret []byte
	// NotifyClient sends notices (nil: http.DefaultClient).
	NotifyClient *http.Client

	outputs sync.Map // output location -> *store.Store
}

// InputKey is where a starter puts a file's content in the store: by the
// file's key (its content and options), or by its sha256 in runs started
// before options were part of a file's identity.
func InputKey(fileKey string) string { return "inputs/" + fileKey }

// workKey names one of a file's work files in the store, below
// work/<file key>/ (work/<sha256>/ in runs started before file keys).
func workKey(file, name string) (string, error) {
	if !validFileKey(file) {
		return "", temporal.NewNonRetryableApplicationError("bad file key "+file, ErrBadInput, nil)
	}
	return "work/" + file + "/" + name, nil
}

// validFileKey accepts a sha256 in hex, alone or with the options digest
// that workflows.FileKey appends ("-" and 12 hex digits).
func validFileKey(k string) bool {
	sha, opts, hasOpts := strings.Cut(k, "-")
	if b, err := hex.DecodeString(sha); err != nil || len(b) != sha256.Size {
		return false
	}
	if !hasOpts {
		return true
	}
	b, err := hex.DecodeString(opts)
	return err == nil && len(b) == 6 && strings.ToLower(opts) == opts
}

// workOf is the name of a file's work directory: its key, or its sha256
// for runs started before file keys.
func workOf(fileKey, sha string) string {
	if fileKey != "" {
		return fileKey
	}
	return sha
}

// scratchBase is this worker's local directory for files that need random
// access or a spool, made once. A file's scratch files are named in it by
// the file (scratchZip), not kept in a directory per file: two inodes made
// and freed per file, which a burst of small files pays for on every create.
func (a *Activities) scratchBase() (string, error) {
	base := a.scratchRoot()
	return base, os.MkdirAll(base, 0o700)
}

// scratchRoot is the scratch directory's path, made or not.
func (a *Activities) scratchRoot() string {
	if a.Scratch != "" {
		return a.Scratch
	}
	return filepath.Join(os.TempDir(), "phonecheck-scratch")
}

// scratchZip is where this worker keeps a file's result zip.
func (a *Activities) scratchZip(work string) (string, error) {
	base, err := a.scratchBase()
	return filepath.Join(base, work+".result.zip"), err
}

// dropScratch removes a file's scratch files: its zip, and the directory
// of the layout before (a worker of before may have left one).
func (a *Activities) dropScratch(work string) {
	base := a.scratchRoot()
	os.Remove(filepath.Join(base, work+".result.zip"))
	os.RemoveAll(filepath.Join(base, work))
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
	case errors.Is(err, taskapi.ErrUnauthorized):
		return temporal.NewNonRetryableApplicationError(err.Error()+" (check the API key the worker was started with)", ErrUnauthorized, nil)
	case errors.Is(err, taskapi.ErrBadRequest), errors.Is(err, taskapi.ErrConfig), errors.Is(err, taskapi.ErrTaskFailed):
		return temporal.NewNonRetryableApplicationError(err.Error(), ErrBadRequest, nil)
	case errors.Is(err, taskapi.ErrRateLimited):
		return temporal.NewApplicationErrorWithOptions(err.Error(), "RateLimited", temporal.ApplicationErrorOptions{
			NextRetryDelay: max(taskapi.RetryAfter(err), time.Second),
		})
	}
	return err
}

// keepAlive runs call and heartbeats every third of the activity's
// heartbeat timeout while it runs, with details(): a long call that is
// alive (its own progress timeout ends it when it stalls) is never taken
// for a lost worker. Local activities do not heartbeat.
func keepAlive(ctx context.Context, details func() any, call func() error) error {
	every := activity.GetInfo(ctx).HeartbeatTimeout / 3
	if every <= 0 {
		return call()
	}
	done := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				activity.RecordHeartbeat(ctx, details())
			}
		}
	}()
	err := call()
	close(done)
	<-stopped
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

// PutInput puts a file's content into the store under InputKey, where any
// worker's Prepare reads it, and reports whether it put it there (a copy,
// or a second name of the file where the store can: Store.Adopt, so path
// must be a file nobody writes to again). A starter calls it before
// starting the workflow; content already there is not put again.
func PutInput(ctx context.Context, s *store.Store, fileKey, path string) (key string, copied bool, err error) {
	key = InputKey(fileKey)
	if ok, err := s.Exists(ctx, key); err != nil || ok {
		return key, false, err
	}
	_, err = s.Adopt(ctx, key, path)
	return key, err == nil, StoreFullError(err, s)
}
