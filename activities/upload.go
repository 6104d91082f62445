package activities

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"go.temporal.io/sdk/activity"

	"github.com/phonecheck/phonecheck/ekycpro"
)

// ledgerEntry is the local record of a file's remote task, written the
// moment the task id is known.
type ledgerEntry struct {
	TaskID    string    `json:"task_id"`
	Total     int       `json:"total"`
	CreatedAt time.Time `json:"created_at"`
}

func ledgerPath(dir string) string { return filepath.Join(dir, "task.json") }

func readLedger(dir string) (ledgerEntry, bool, error) {
	var e ledgerEntry
	b, err := os.ReadFile(ledgerPath(dir))
	if errors.Is(err, os.ErrNotExist) {
		return e, false, nil
	}
	if err != nil {
		return e, false, err
	}
	if err := json.Unmarshal(b, &e); err != nil || e.TaskID == "" {
		return e, false, badInput("the task ledger %s is corrupt (%v): remove it only if no task was created", ledgerPath(dir), err)
	}
	return e, true, nil
}

func writeLedger(dir string, e ledgerEntry) error {
	b, _ := json.Marshal(e)
	return writeFileAtomic(ledgerPath(dir), b, 0o600)
}

// Upload creates the remote task, at most once per file. Every successful
// POST is billed, so before posting it looks for a task id recorded by an
// earlier attempt: in this activity's heartbeat details (which Temporal keeps
// across workers) and in the local ledger; and it records the id in both the
// moment the service returns it.
func (a *Activities) Upload(ctx context.Context, in UploadInput) (UploadResult, error) {
	dir, err := a.workDir(in.SHA256)
	if err != nil {
		return UploadResult{}, err
	}
	if e, ok, err := readLedger(dir); err != nil || ok {
		return UploadResult{TaskID: e.TaskID, Total: e.Total, Resumed: ok}, err
	}
	if activity.HasHeartbeatDetails(ctx) {
		var e ledgerEntry
		if err := activity.GetHeartbeatDetails(ctx, &e); err == nil && e.TaskID != "" {
			activity.GetLogger(ctx).Info("task id found in heartbeat details; not uploading again", "task_id", e.TaskID)
			return UploadResult{TaskID: e.TaskID, Total: e.Total, Resumed: true}, writeLedger(dir, e)
		}
	}
	f, err := os.Open(in.UploadPath)
	if err != nil {
		return UploadResult{}, err
	}
	defer f.Close()
	name := "numbers.txt"
	if in.Name != "" {
		name = filepath.Base(in.Name)
	}
	task, err := a.API.CreateTask(ctx, name, f)
	if err != nil {
		return UploadResult{}, apiError(err)
	}
	e := ledgerEntry{TaskID: task.ID, Total: int(task.Total), CreatedAt: time.Now().UTC()}
	activity.RecordHeartbeat(ctx, e)
	if err := writeLedger(dir, e); err != nil {
		// The heartbeat holds the id; a retry finds it there.
		return UploadResult{}, err
	}
	activity.GetLogger(ctx).Info("task created", "task_id", task.ID, "total", task.Total)
	return UploadResult{TaskID: task.ID, Total: int(task.Total)}, nil
}

// Poll asks for the task's state once (a billed call). The result link is
// kept in the work directory, not returned: it grants access to results.
func (a *Activities) Poll(ctx context.Context, in PollInput) (TaskStatus, error) {
	dir, err := a.workDir(in.SHA256)
	if err != nil {
		return TaskStatus{}, err
	}
	task, err := a.API.GetTask(ctx, in.TaskID)
	if err != nil {
		return TaskStatus{}, apiError(err)
	}
	if task.Ready() {
		if err := writeFileAtomic(filepath.Join(dir, "result_url"), []byte(task.ResultURL), 0o600); err != nil {
			return TaskStatus{}, err
		}
	}
	return TaskStatus{Status: string(task.Status), Total: int(task.Total), Success: int(task.Success), Failure: int(task.Failure)}, nil
}

// Download fetches the result zip into the work directory, size-limited.
func (a *Activities) Download(ctx context.Context, in DownloadInput) (DownloadResult, error) {
	dir, err := a.workDir(in.SHA256)
	if err != nil {
		return DownloadResult{}, err
	}
	link, err := os.ReadFile(filepath.Join(dir, "result_url"))
	if errors.Is(err, os.ErrNotExist) {
		// Another worker polled; ask once more for the link (billed).
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
	zipPath := filepath.Join(dir, "result.zip")
	n, err := a.API.DownloadResult(ctx, string(link), zipPath, limit)
	if errors.Is(err, ekycpro.ErrNotFound) || errors.Is(err, ekycpro.ErrUnauthorized) {
		// A signed link expires: forget it, and the retry asks for a new one.
		os.Remove(filepath.Join(dir, "result_url"))
		return DownloadResult{}, fmt.Errorf("result link refused, asking for a new one: %w", err)
	}
	if err != nil {
		return DownloadResult{}, apiError(err)
	}
	return DownloadResult{ZipPath: zipPath, Bytes: n}, nil
}
