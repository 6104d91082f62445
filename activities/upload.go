package activities

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"go.temporal.io/sdk/activity"

	"github.com/phonecheck/phonecheck/ekycpro"
	"github.com/phonecheck/phonecheck/internal/store"
)

// ledgerEntry is the local record of a file's remote task, written the
// moment the task id is known.
type ledgerEntry struct {
	TaskID    string    `json:"task_id"`
	Total     int       `json:"total"`
	CreatedAt time.Time `json:"created_at"`
}

// readLedger reads the file's task record from the store, where every
// worker finds it.
func (a *Activities) readLedger(ctx context.Context, key string) (ledgerEntry, bool, error) {
	var e ledgerEntry
	b, err := a.Store.ReadAll(ctx, key)
	if errors.Is(err, store.ErrNotFound) {
		return e, false, nil
	}
	if err != nil {
		return e, false, err
	}
	if err := json.Unmarshal(b, &e); err != nil || e.TaskID == "" {
		return e, false, badInput("the task ledger %s is corrupt (%v): remove it only if no task was created", a.Store.Location(key), err)
	}
	return e, true, nil
}

func (a *Activities) writeLedger(ctx context.Context, key string, e ledgerEntry) error {
	b, _ := json.Marshal(e)
	return a.Store.WriteAll(ctx, key, b)
}

// Upload creates the remote task, at most once per file. Every successful
// POST is billed, so before posting it looks for a task id recorded by an
// earlier attempt: in this activity's heartbeat details (which Temporal keeps
// across workers) and in the ledger in the store; and it records the id in
// both the moment the service returns it.
func (a *Activities) Upload(ctx context.Context, in UploadInput) (UploadResult, error) {
	ledger, err := workKey(in.SHA256, "task.json")
	if err != nil {
		return UploadResult{}, err
	}
	if e, ok, err := a.readLedger(ctx, ledger); err != nil || ok {
		return UploadResult{TaskID: e.TaskID, Total: e.Total, Resumed: ok}, err
	}
	if activity.HasHeartbeatDetails(ctx) {
		var e ledgerEntry
		if err := activity.GetHeartbeatDetails(ctx, &e); err == nil && e.TaskID != "" {
			activity.GetLogger(ctx).Info("task id found in heartbeat details; not uploading again", "task_id", e.TaskID)
			return UploadResult{TaskID: e.TaskID, Total: e.Total, Resumed: true}, a.writeLedger(ctx, ledger, e)
		}
	}
	f, err := a.Store.Open(ctx, in.UploadKey)
	if err != nil {
		return UploadResult{}, err
	}
	defer f.Close()
	name := "numbers.txt"
	if in.Name != "" {
		name = filepath.Base(in.Name)
	}
	// The key makes the upload happen once per workflow run even when the
	// answer is lost (a worker killed while the service takes the file):
	// the retry gets the same task back, uncharged, from a service that
	// honours the key.
	key := "phonecheck-" + in.SHA256 + "-" + activity.GetInfo(ctx).WorkflowExecution.RunID
	task, err := a.API.CreateTask(ekycpro.WithIdempotencyKey(ctx, key), name, f)
	if err != nil {
		return UploadResult{}, apiError(err)
	}
	e := ledgerEntry{TaskID: task.ID, Total: int(task.Total), CreatedAt: time.Now().UTC()}
	activity.RecordHeartbeat(ctx, e)
	if err := a.writeLedger(ctx, ledger, e); err != nil {
		// The heartbeat holds the id; a retry finds it there.
		return UploadResult{}, err
	}
	activity.GetLogger(ctx).Info("task created", "task_id", task.ID, "total", task.Total)
	return UploadResult{TaskID: task.ID, Total: int(task.Total)}, nil
}

// Poll asks for the task's state once (a billed call). The result link is
// kept in the store, not returned: it grants access to results.
func (a *Activities) Poll(ctx context.Context, in PollInput) (TaskStatus, error) {
	linkKey, err := workKey(in.SHA256, "result_url")
	if err != nil {
		return TaskStatus{}, err
	}
	task, err := a.API.GetTask(ctx, in.TaskID)
	if err != nil {
		return TaskStatus{}, apiError(err)
	}
	if task.Ready() {
		if err := a.Store.WriteAll(ctx, linkKey, []byte(task.ResultURL)); err != nil {
			return TaskStatus{}, err
		}
	}
	return TaskStatus{Status: string(task.Status), Total: int(task.Total), Success: int(task.Success), Failure: int(task.Failure)}, nil
}

// Download fetches the result zip, size-limited, into this worker's scratch
// directory and from there into the store.
func (a *Activities) Download(ctx context.Context, in DownloadInput) (DownloadResult, error) {
	linkKey, err := workKey(in.SHA256, "result_url")
	if err != nil {
		return DownloadResult{}, err
	}
	zipKey, _ := workKey(in.SHA256, "result.zip")
	scratch, err := a.scratchDir(in.SHA256)
	if err != nil {
		return DownloadResult{}, err
	}
	link, err := a.Store.ReadAll(ctx, linkKey)
	if errors.Is(err, store.ErrNotFound) {
		// The poll that saw the task ready did not keep the link: ask once
		// more (billed).
		task, err := a.API.GetTask(ctx, in.TaskID)
		if err != nil {
			return DownloadResult{}, apiError(err)
		}
		link = []byte(task.ResultURL)
	} else if err != nil {
		return DownloadResult{}, err
	}
	limit := a.MaxResultBytes
	if limit <= 0 {
		limit = 2 << 30
	}
	zipPath := filepath.Join(scratch, "result.zip")
	n, err := a.API.DownloadResult(ctx, string(link), zipPath, limit)
	if errors.Is(err, ekycpro.ErrNotFound) || errors.Is(err, ekycpro.ErrUnauthorized) {
		// A signed link expires: forget it, and the retry asks for a new one.
		if derr := a.Store.Delete(ctx, linkKey); derr != nil {
			return DownloadResult{}, derr
		}
		return DownloadResult{}, fmt.Errorf("result link refused, asking for a new one: %w", err)
	}
	if err != nil {
		return DownloadResult{}, apiError(err)
	}
	if _, err := a.Store.Put(ctx, zipKey, zipPath); err != nil {
		return DownloadResult{}, err
	}
	return DownloadResult{ZipKey: zipKey, Bytes: n}, nil
}
