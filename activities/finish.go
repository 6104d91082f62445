package activities

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"go.temporal.io/sdk/activity"

	"github.com/phonecheck/phonecheck/internal/store"
)

// A finished record remembers a file's result in the store, beyond the
// retention of Temporal's closed runs (24 h on the embedded server): the
// same content with the same options dropped again within
// Activities.RecordRetention gets the recorded result back, with no upload
// and no poll.

// FinishedKey is where the store keeps the finished record of a file.
func FinishedKey(fileKey string) string { return "finished/" + fileKey + ".json" }

// DefaultRecordRetention is how long finished records and task ledgers are
// kept when Activities.RecordRetention is 0.
const DefaultRecordRetention = 30 * 24 * time.Hour

// FinishedRecord is a finished file's record.
type FinishedRecord struct {
	FileKey      string    `json:"file_key"`
	SHA256       string    `json:"sha256"`
	TaskID       string    `json:"task_id,omitempty"`
	UploadSHA256 string    `json:"upload_sha256,omitempty"`
	OutputDir    string    `json:"output_dir"` // the output location as given (a directory or bucket URL)
	Summary      string    `json:"summary"`    // summary.json below it (its key in that store)
	WorkflowID   string    `json:"workflow_id"`
	FinishedAt   time.Time `json:"finished_at"`
	// Result is the workflow's result as it returned it.
	Result json.RawMessage `json:"result"`
}

type FinishInput struct {
	SHA256   string `json:"sha256"`
	FileKey  string `json:"file_key,omitempty"`
	InputKey string `json:"input_key,omitempty"`
	// Record, when set, is written before anything is removed.
	Record *FinishedRecord `json:"record,omitempty"`
}

// Finish records a finished file and then removes its input and work files
// from the store. It runs after the outcome is in the workflow's history,
// and is safe to run again: so no step runs again after its files are gone.
func (a *Activities) Finish(ctx context.Context, in FinishInput) error {
	if in.Record != nil {
		b, err := json.Marshal(in.Record)
		if err != nil {
			return err
		}
		if err := a.Store.WriteAll(ctx, FinishedKey(in.FileKey), b); err != nil {
			return err
		}
	}
	a.clean(ctx, ArchiveInput{SHA256: in.SHA256, FileKey: in.FileKey, InputKey: in.InputKey})
	return nil
}

type RecallInput struct {
	FileKey string `json:"file_key"`
}

type RecallResult struct {
	Found  bool           `json:"found"`
	Record FinishedRecord `json:"record"`
}

// Recall looks for the finished record of a file: found when it is younger
// than the retention and its summary is still where it was written (else
// the results are gone, and the file runs again, from its task ledger).
func (a *Activities) Recall(ctx context.Context, in RecallInput) (RecallResult, error) {
	b, err := a.Store.ReadAll(ctx, FinishedKey(in.FileKey))
	if errors.Is(err, store.ErrNotFound) {
		return RecallResult{}, nil
	}
	if err != nil {
		return RecallResult{}, err
	}
	var rec FinishedRecord
	if err := json.Unmarshal(b, &rec); err != nil || len(rec.Result) == 0 {
		activity.GetLogger(ctx).Warn("finished record unreadable; processing the file again", "record", a.Store.Location(FinishedKey(in.FileKey)))
		return RecallResult{}, nil
	}
	if time.Since(rec.FinishedAt) > a.recordRetention() {
		return RecallResult{}, nil
	}
	out, err := a.output(ctx, rec.OutputDir)
	if err != nil {
		return RecallResult{}, nil
	}
	if ok, err := out.Exists(ctx, rec.Summary); err != nil {
		return RecallResult{}, err
	} else if !ok {
		activity.GetLogger(ctx).Info("the recorded results are gone; processing the file again", "summary", out.Location(rec.Summary))
		return RecallResult{}, nil
	}
	return RecallResult{Found: true, Record: rec}, nil
}

func (a *Activities) recordRetention() time.Duration {
	if a.RecordRetention > 0 {
		return a.RecordRetention
	}
	return DefaultRecordRetention
}

// SweepRecords removes finished records and task ledgers older than the
// retention (0: DefaultRecordRetention) from st, and returns how many. A
// worker runs it now and then. It is a function, not a method: every
// exported method of Activities is registered as an activity.
func SweepRecords(ctx context.Context, st *store.Store, retention time.Duration) (int, error) {
	if retention <= 0 {
		retention = DefaultRecordRetention
	}
	cutoff := time.Now().Add(-retention)
	n := 0
	for _, prefix := range []string{"finished/", "ledger/"} {
		var old []string
		err := st.List(ctx, prefix, func(key string, mod time.Time) error {
			if mod.Before(cutoff) && strings.HasSuffix(key, ".json") {
				old = append(old, key)
			}
			return nil
		})
		if err != nil {
			return n, err
		}
		for _, k := range old {
			if err := st.Delete(ctx, k); err != nil {
				return n, err
			}
			n++
		}
	}
	return n, nil
}
