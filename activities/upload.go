package activities

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"sync/atomic"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"github.com/phonecheck/phonecheck/internal/store"
	"github.com/phonecheck/phonecheck/taskapi"
)

type UploadInput struct {
	SHA256    string `json:"sha256"`
	UploadKey string `json:"upload_key"`
	Name      string `json:"name"`
	// UploadSHA256 is PrepareResult.UploadSHA256 ("" in runs prepared
	// before it existed: the upload file is hashed then).
	UploadSHA256 string `json:"upload_sha256,omitempty"`
	FileKey      string `json:"file_key,omitempty"` // "" in runs started before file keys
	// Generation, when set, starts afresh: a ledger entry of another
	// generation is not this upload's, and the Idempotency-Key differs.
	Generation string `json:"generation,omitempty"`
}

type UploadResult struct {
	TaskID  string `json:"task_id"`
	Total   int    `json:"total"`
	Resumed bool   `json:"resumed"` // found in the ledger or heartbeat: no new POST
}

// ErrAmbiguous is the error type of an upload that may have been charged
// although no task id came back: it is never posted again by itself.
const ErrAmbiguous = "AmbiguousUpload"

// States of a ledger entry.
const (
	// statePosting: an attempt is sending the upload; the last bytes of
	// the request have not left, so the service cannot have it whole.
	statePosting = "posting"
	// stateSent: the whole request has left; the service may have created
	// (and charged) a task whose answer is not recorded.
	stateSent = "sent"
	// stateAmbiguous: an answer came that may be a charged task but is
	// not readable; only starting afresh posts again.
	stateAmbiguous = "ambiguous"
)

// ledgerEntry is the record of an upload's remote task. It is named by what
// was billed, the upload file's sha256, so that every run that would upload
// the same numbers finds it: a retry, a reset, the same file dropped again,
// another file with the same numbers. TaskID is set once the service
// answered; before that State and Attempt say which attempt is posting and
// how far it got. Its JSON is also the Upload activity's heartbeat details.
type ledgerEntry struct {
	TaskID     string       `json:"task_id,omitempty"`
	Total      int          `json:"total,omitempty"`
	CreatedAt  time.Time    `json:"created_at,omitzero"`
	State      string       `json:"state,omitempty"`
	Attempt    *attemptMark `json:"attempt,omitempty"`
	Reason     string       `json:"reason,omitempty"` // why it is ambiguous
	Generation string       `json:"generation,omitempty"`
}

// attemptMark names the activity attempt that posts.
type attemptMark struct {
	WorkflowID string    `json:"workflow_id"`
	RunID      string    `json:"run_id"`
	ActivityID string    `json:"activity_id"`
	Attempt    int32     `json:"attempt"`
	Started    time.Time `json:"started"`
	Bytes      int64     `json:"bytes"` // of the upload file sent, when last recorded
	Of         int64     `json:"of"`    // its size
}

// same reports whether m and o name the same attempt (whatever their byte
// counts).
func (m *attemptMark) same(o *attemptMark) bool {
	return m != nil && o != nil && m.WorkflowID == o.WorkflowID && m.RunID == o.RunID &&
		m.ActivityID == o.ActivityID && m.Attempt == o.Attempt && m.Started.Equal(o.Started)
}

func markOf(info activity.Info) *attemptMark {
	return &attemptMark{WorkflowID: info.WorkflowExecution.ID, RunID: info.WorkflowExecution.RunID,
		ActivityID: info.ActivityID, Attempt: info.Attempt, Started: time.Now().UTC()}
}

// LedgerKey is where the store keeps the task record of an upload.
func LedgerKey(uploadSHA256 string) string { return "ledger/" + uploadSHA256 + ".json" }

// IdempotencyKey is the Idempotency-Key of an upload: stable for the same
// numbers, so that a service that honours it answers any repeat (a retry,
// a reset, a re-drop) with the first task, uncharged; a new generation
// (starting afresh) has a key of its own.
func IdempotencyKey(uploadSHA256, generation string) string {
	if generation != "" {
		return "phonecheck-upload-" + uploadSHA256 + "-" + generation
	}
	return "phonecheck-upload-" + uploadSHA256
}

// readLedger reads a task record from the store, where every worker finds it.
func (a *Activities) readLedger(ctx context.Context, key string) (ledgerEntry, bool, error) {
	var e ledgerEntry
	b, err := a.Store.ReadAll(ctx, key)
	if errors.Is(err, store.ErrNotFound) {
		return e, false, nil
	}
	if err != nil {
		return e, false, err
	}
	if err := json.Unmarshal(b, &e); err != nil || e.TaskID == "" && e.State == "" {
		return e, false, badInput("the task ledger %s is corrupt (%v): remove it only if no task was created", a.Store.Location(key), err)
	}
	return e, true, nil
}

// writeLedger records e. It runs on a context of its own, bounded, that the
// activity's cancellation does not end: a task id the service returned is
// recorded even when the attempt is being given up.
func (a *Activities) writeLedger(ctx context.Context, key string, e ledgerEntry) error {
	b, _ := json.Marshal(e)
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), ledgerWriteTimeout)
	defer cancel()
	return a.Store.WriteAll(wctx, key, b)
}

// ledgerWriteTimeout bounds a ledger write: well below the heartbeat
// timeout, so that an attempt that passed its fence sends its last bytes
// long before another attempt could start.
const ledgerWriteTimeout = 15 * time.Second

// uploadSHA256 is the upload file's sha256, from Prepare or hashed now.
func (a *Activities) uploadSHA256(ctx context.Context, in UploadInput) (string, error) {
	if in.UploadSHA256 != "" {
		return in.UploadSHA256, nil
	}
	f, err := a.Store.Open(ctx, in.UploadKey)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// Upload creates the remote task, at most once per upload content, and
// never loses the id the service returns (doc/reliability.md, "The billing
// contract"):
//
//   - Before posting it looks for a task recorded by an earlier attempt or
//     run: in the ledger in the store and in this activity's heartbeat
//     details (which Temporal keeps across workers).
//   - It marks the ledger "posting" by this attempt, and heartbeats with
//     the bytes sent while the body streams, so an attempt that makes
//     progress is never timed out.
//   - Before the request's last bytes leave, it asks Temporal synchronously
//     whether this attempt is still the current one (a timed-out attempt
//     whose successor runs is refused) and marks the ledger "sent"; only
//     then may the service hold a whole request.
//   - The answer's task id goes into the ledger on a disconnected context.
//   - A retry that finds "sent" without a task id cannot know whether the
//     service has a task: with a service that honours Idempotency-Key
//     (Activities.IdempotentAPI) it posts again with the same key, else it
//     fails as ambiguous. "posting" proves the earlier attempt never sent
//     a whole request, so it posts.
func (a *Activities) Upload(ctx context.Context, in UploadInput) (UploadResult, error) {
	sum, err := a.uploadSHA256(ctx, in)
	if err != nil {
		return UploadResult{}, err
	}
	ledger := LedgerKey(sum)
	e, ok, err := a.readLedger(ctx, ledger)
	if err != nil {
		return UploadResult{}, err
	}
	if ok && in.Generation != "" && e.Generation != in.Generation {
		ok = false // a record of before starting afresh
	}
	if ok && e.TaskID != "" {
		return UploadResult{TaskID: e.TaskID, Total: e.Total, Resumed: true}, nil
	}
	if !ok && in.FileKey == "" {
		// Runs started before the ledger was named by the upload kept it
		// among their work files.
		old, _ := workKey(in.SHA256, "task.json")
		if e, ok, err := a.readLedger(ctx, old); err != nil || ok {
			return UploadResult{TaskID: e.TaskID, Total: e.Total, Resumed: ok}, err
		}
	}
	if activity.HasHeartbeatDetails(ctx) {
		var hb ledgerEntry
		if err := activity.GetHeartbeatDetails(ctx, &hb); err == nil && hb.TaskID != "" {
			activity.GetLogger(ctx).Info("task id found in heartbeat details; not uploading again", "task_id", hb.TaskID)
			hb.State, hb.Attempt, hb.Generation = "", nil, in.Generation
			return UploadResult{TaskID: hb.TaskID, Total: hb.Total, Resumed: true}, a.writeLedger(ctx, ledger, hb)
		}
	}
	info := activity.GetInfo(ctx)
	if ok {
		switch e.State {
		case stateAmbiguous:
			return UploadResult{}, ambiguous(e.Reason)
		case stateSent:
			if !a.IdempotentAPI {
				return UploadResult{}, ambiguous(lostAnswer(in.Name, e.Attempt, "its answer never came back (the attempt ended or was cut off)"))
			}
			activity.GetLogger(ctx).Info("an earlier upload's answer was lost; sending it again with the same idempotency key")
		case statePosting:
			if m := e.Attempt; m != nil && (m.WorkflowID != info.WorkflowExecution.ID || m.RunID != info.WorkflowExecution.RunID) {
				if err := a.waitForOther(ctx, m); err != nil {
					return UploadResult{}, err
				}
			}
		}
	}

	f, err := a.Store.Open(ctx, in.UploadKey)
	if err != nil {
		return UploadResult{}, err
	}
	defer f.Close()
	size, _ := a.Store.Size(ctx, in.UploadKey)
	name := "numbers.txt"
	if in.Name != "" {
		name = filepath.Base(in.Name)
	}
	mark := markOf(info)
	mark.Of = size
	if err := a.writeLedger(ctx, ledger, ledgerEntry{State: statePosting, Attempt: mark, Generation: in.Generation}); err != nil {
		return UploadResult{}, err
	}

	var sentBytes atomic.Int64
	beat := func() any {
		m := *mark
		m.Bytes = sentBytes.Load()
		return ledgerEntry{State: statePosting, Attempt: &m, Generation: in.Generation}
	}
	// The call runs on a context that the activity's cancellation ends
	// only until the request is complete: after that, the answer holds a
	// task id that must not be lost, so it is awaited (the client's own
	// progress timeout bounds the wait).
	callCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	defer cancel()
	var committed, sentWhole atomic.Bool
	stopCancel := context.AfterFunc(ctx, func() {
		if !committed.Load() {
			cancel()
		}
	})
	defer stopCancel()
	commit := func() error {
		committed.Store(true)
		if callCtx.Err() != nil {
			return callCtx.Err()
		}
		m := *mark
		m.Bytes = sentBytes.Load()
		sent := ledgerEntry{State: stateSent, Attempt: &m, Generation: in.Generation}
		if err := a.fence(ctx, sent); err != nil {
			return fmt.Errorf("this attempt is no longer the upload's current one (%w); not completing it", err)
		}
		if err := a.writeLedger(ctx, ledger, sent); err != nil {
			return err
		}
		sentWhole.Store(true)
		return nil
	}
	callCtx = taskapi.WithIdempotencyKey(callCtx, IdempotencyKey(sum, in.Generation))
	callCtx = taskapi.WithProgress(callCtx, func(n int64) { sentBytes.Store(n) })
	callCtx = taskapi.WithCommit(callCtx, commit)
	var task *taskapi.Task
	err = keepAlive(ctx, beat, func() error {
		var err error
		task, err = a.API.CreateTask(callCtx, name, f)
		return err
	})
	if err != nil {
		var ne *taskapi.NetworkError
		switch {
		case errors.Is(err, taskapi.ErrBadResponse):
			reason := fmt.Sprintf("the service answered the upload of %s (sent at %s) with HTTP 200 but no task it could read (%v)",
				name, mark.Started.Format(time.RFC3339), err)
			_ = a.writeLedger(ctx, ledger, ledgerEntry{State: stateAmbiguous, Attempt: mark, Reason: reason, Generation: in.Generation})
			return UploadResult{}, ambiguous(reason)
		case sentWhole.Load() && errors.As(err, &ne):
			if a.IdempotentAPI {
				return UploadResult{}, fmt.Errorf("the upload's answer was lost; the retry sends it again with the same idempotency key: %w", err)
			}
			return UploadResult{}, ambiguous(lostAnswer(name, mark, err.Error()))
		}
		// A 429 says the service did not take the request, even a whole
		// one: the retry may post it again, after the wait it asks for.
		if !sentWhole.Load() || errors.Is(err, taskapi.ErrRateLimited) {
			// Not sent whole (or refused): nothing can have been created.
			// This attempt's marker goes, so no other run waits for it.
			if now, ok, _ := a.readLedger(ctx, ledger); ok && now.Attempt.same(mark) {
				_ = a.writeLedger(ctx, ledger, ledgerEntry{State: statePosting, Generation: in.Generation})
			}
		}
		return UploadResult{}, apiError(err)
	}
	done := ledgerEntry{TaskID: task.ID, Total: int(task.Total), CreatedAt: time.Now().UTC(), Generation: in.Generation}
	activity.RecordHeartbeat(ctx, done)
	if err := a.writeLedger(ctx, ledger, done); err != nil {
		// The heartbeat holds the id; a retry finds it there.
		return UploadResult{}, err
	}
	activity.GetLogger(ctx).Info("task created", "task_id", task.ID, "total", task.Total)
	return UploadResult{TaskID: task.ID, Total: int(task.Total)}, nil
}

// ambiguous is the non-retryable failure of an upload that may be charged.
func ambiguous(reason string) error {
	return temporal.NewNonRetryableApplicationError(reason+
		": a task may have been created and charged. Look for it with the service (created at the time above, for this file's number count);"+
		" phonecheck never posts such an upload again by itself. To upload anew anyway, run 'phonecheck submit --force FILE'.", ErrAmbiguous, nil)
}

func lostAnswer(name string, m *attemptMark, why string) string {
	at := ""
	if m != nil {
		at = fmt.Sprintf(" at %s (attempt %d of %s)", m.Started.Format(time.RFC3339), m.Attempt, m.WorkflowID)
	}
	return fmt.Sprintf("the upload of %s was sent whole%s but %s, and the service is not known to honour Idempotency-Key (--api-idempotent)", name, at, why)
}

// waitForOther holds this upload back while another run that posts the
// same numbers may still do so; a run that has closed can no longer
// complete its request (its fence fails).
func (a *Activities) waitForOther(ctx context.Context, m *attemptMark) error {
	c := activity.GetClient(ctx)
	if c == nil {
		return nil
	}
	desc, err := c.DescribeWorkflowExecution(ctx, m.WorkflowID, m.RunID)
	if err != nil {
		return nil // gone (or unreadable): its attempt cannot pass its fence
	}
	if desc.GetWorkflowExecutionInfo().GetStatus() != enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING {
		return nil
	}
	return temporal.NewApplicationErrorWithOptions(fmt.Sprintf("%s is uploading the same numbers; waiting for its task", m.WorkflowID),
		"UploadInFlight", temporal.ApplicationErrorOptions{NextRetryDelay: 10 * time.Second})
}

// fence asks Temporal, synchronously, to take a heartbeat of this attempt:
// it is refused when the attempt is no longer the activity's current one
// (it timed out and a retry was scheduled or runs, or the workflow closed).
// Without a Temporal client (a test environment) there is nothing to ask.
func (a *Activities) fence(ctx context.Context, details any) error {
	c := activity.GetClient(ctx)
	if c == nil {
		return nil
	}
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), ledgerWriteTimeout)
	defer cancel()
	return c.RecordActivityHeartbeat(fctx, activity.GetInfo(ctx).TaskToken, details)
}
