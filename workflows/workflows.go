// Package workflows holds the Temporal workflow that carries one number file
// through the task lifecycle. Workflow code is deterministic: all I/O is in
// package activities.
package workflows

import (
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/phonecheck/phonecheck/activities"
)

// a names the activities by method; its value is never used.
var a *activities.Activities

var stageKey = temporal.NewSearchAttributeKeyKeyword(StageSearchAttribute)

// state is the workflow's own record, answered by the progress query.
type state struct {
	Progress
	started time.Time
	stages  map[string]float64
	mark    time.Time
}

func (s *state) enter(ctx workflow.Context, stage string) {
	now := workflow.Now(ctx)
	if s.Stage != "" {
		s.stages[s.Stage] += now.Sub(s.mark).Seconds()
	}
	s.Stage, s.mark = stage, now
	// The stage is searchable; it holds no number and no key.
	_ = workflow.UpsertTypedSearchAttributes(ctx, stageKey.ValueSet(stage))
}

// ProcessFile validates one file: prepare, upload once, poll, download,
// join, export in parallel, archive.
func ProcessFile(ctx workflow.Context, in Input) (*Result, error) {
	st := &state{started: workflow.Now(ctx), stages: map[string]float64{}}
	if err := workflow.SetQueryHandler(ctx, "progress", func() (Progress, error) { return st.Progress, nil }); err != nil {
		return nil, err
	}
	res, err := run(ctx, in, st)
	if err == nil {
		return res, nil
	}
	// Whatever failed, the input leaves the pipeline with a reason.
	st.Error = err.Error()
	st.enter(ctx, StageArchiving)
	archiveCtx := workflow.WithActivityOptions(ctx, ioOptions(time.Minute))
	var archived string
	if aerr := workflow.ExecuteActivity(archiveCtx, a.Archive, activities.ArchiveInput{
		Path: in.Path, SHA256: in.SHA256, Dir: in.FailedDir, Reason: failureReason(err),
	}).Get(ctx, &archived); aerr != nil {
		workflow.GetLogger(ctx).Error("archiving the failed input", "error", aerr)
	}
	st.enter(ctx, StageFailed)
	return nil, temporal.NewNonRetryableApplicationError(st.Error, "PhonecheckFailed", err)
}

func run(ctx workflow.Context, in Input, st *state) (*Result, error) {
	st.enter(ctx, StagePreparing)
	var prep activities.PrepareResult
	if err := workflow.ExecuteActivity(workflow.WithActivityOptions(ctx, ioOptions(30*time.Minute)), a.Prepare,
		activities.PrepareInput{Path: in.Path, SHA256: in.SHA256, Region: in.Region}).Get(ctx, &prep); err != nil {
		return nil, err
	}
	st.Lines, st.Uploaded, st.Folded, st.SetAside = prep.Lines, prep.Uploaded, prep.Folded, prep.SetAside

	var zipPath string
	if prep.Uploaded > 0 {
		st.enter(ctx, StageUploading)
		var up activities.UploadResult
		if err := workflow.ExecuteActivity(workflow.WithActivityOptions(ctx, apiOptions(30*time.Minute)), a.Upload,
			activities.UploadInput{SHA256: in.SHA256, UploadPath: prep.UploadPath, Name: in.Name}).Get(ctx, &up); err != nil {
			return nil, err
		}
		st.TaskID, st.Total = up.TaskID, up.Total

		st.enter(ctx, StagePolling)
		if err := poll(ctx, in, st); err != nil {
			return nil, err
		}

		st.enter(ctx, StageDownloading)
		var dl activities.DownloadResult
		if err := workflow.ExecuteActivity(workflow.WithActivityOptions(ctx, apiOptions(30*time.Minute)), a.Download,
			activities.DownloadInput{SHA256: in.SHA256, TaskID: st.TaskID}).Get(ctx, &dl); err != nil {
			return nil, err
		}
		zipPath = dl.ZipPath
	}

	st.enter(ctx, StageJoining)
	var joined activities.JoinResult
	if err := workflow.ExecuteActivity(workflow.WithActivityOptions(ctx, ioOptions(30*time.Minute)), a.Join,
		activities.JoinInput{SHA256: in.SHA256, LocalPath: prep.LocalPath, ZipPath: zipPath, TaskID: st.TaskID}).Get(ctx, &joined); err != nil {
		return nil, err
	}

	st.enter(ctx, StageExporting)
	outDir := filepath.Join(in.OutputDir, OutputName(in.Name, in.SHA256))
	exportCtx := workflow.WithActivityOptions(ctx, ioOptions(30*time.Minute))
	futures := make([]workflow.Future, len(in.Formats))
	for i, f := range in.Formats { // the exports run in parallel
		futures[i] = workflow.ExecuteActivity(exportCtx, a.Export, activities.ExportInput{RowsPath: joined.RowsPath, Format: f, OutputDir: outDir})
	}
	outputs := map[string]string{}
	for i, fut := range futures {
		var ex activities.ExportResult
		if err := fut.Get(ctx, &ex); err != nil {
			return nil, err
		}
		outputs[in.Formats[i]] = ex.Path
	}

	st.enter(ctx, StageArchiving)
	now := workflow.Now(ctx)
	sum := activities.Summary{
		File: in.Name, SHA256: in.SHA256, TaskID: st.TaskID, Region: in.Region,
		Lines: prep.Lines, Rows: joined.Rows, Uploaded: prep.Uploaded, Folded: prep.Folded, SetAside: prep.SetAside,
		Polls: st.Polls, Valid: joined.Valid, Invalid: joined.Invalid, MissingVerdicts: joined.MissingVerdicts,
		ByPhoneCheck: joined.ByPhoneCheck, ByReason: joined.ByReason, ByType: joined.ByType, ByRegion: joined.ByRegion,
		Outputs: outputs, StartedAt: st.started, FinishedAt: now, StageSeconds: st.stages,
	}
	ioCtx := workflow.WithActivityOptions(ctx, ioOptions(time.Minute))
	var summaryPath string
	if err := workflow.ExecuteActivity(ioCtx, a.WriteSummary, activities.SummaryInput{OutputDir: outDir, Summary: sum}).Get(ctx, &summaryPath); err != nil {
		return nil, err
	}
	var archived string
	if err := workflow.ExecuteActivity(ioCtx, a.Archive, activities.ArchiveInput{
		Path: in.Path, SHA256: in.SHA256, Dir: in.DoneDir, WorkDir: prep.WorkDir}).Get(ctx, &archived); err != nil {
		return nil, err
	}
	st.enter(ctx, StageDone)
	return &Result{Progress: st.Progress, OutputDir: outDir, Outputs: outputs, Summary: summaryPath, Archived: archived,
		Rows: joined.Rows, Valid: joined.Valid, Invalid: joined.Invalid}, nil
}

// poll asks gettasks until the task is exported, waiting on durable timers
// whose length adapts to the task's progress: every poll is billed.
func poll(ctx workflow.Context, in Input, st *state) error {
	b := newBackoff(in.PollInterval, in.MaxPollInterval)
	deadline := workflow.Now(ctx).Add(orDefault(in.Deadline, 24*time.Hour))
	pollCtx := workflow.WithActivityOptions(ctx, apiOptions(2*time.Minute))
	for {
		var ts activities.TaskStatus
		if err := workflow.ExecuteActivity(pollCtx, a.Poll, activities.PollInput{SHA256: in.SHA256, TaskID: st.TaskID}).Get(ctx, &ts); err != nil {
			return err
		}
		st.Polls++
		st.RemoteStatus, st.Total, st.Success, st.Failure = ts.Status, ts.Total, ts.Success, ts.Failure
		if ts.Status == "exported" {
			st.ETA = time.Time{}
			return nil
		}
		now := workflow.Now(ctx)
		delay, eta := b.next(now, ts)
		st.ETA = eta
		if now.Add(delay).After(deadline) {
			return temporal.NewNonRetryableApplicationError(
				fmt.Sprintf("task %s not exported within %v (status %s, %d of %d done); raise the deadline or check the service", st.TaskID, orDefault(in.Deadline, 24*time.Hour), ts.Status, ts.Success+ts.Failure, ts.Total),
				"PollDeadline", nil)
		}
		if err := workflow.Sleep(ctx, delay); err != nil {
			return err
		}
	}
}

// OutputName is the output directory name of a file: its name without
// extension and a short hash, so two files of one name never collide.
func OutputName(name, sha256Hex string) string {
	base := filepath.Base(name)
	base = base[:len(base)-len(filepath.Ext(base))]
	if base == "" || base == "." {
		base = "numbers"
	}
	short := sha256Hex
	if len(short) > 12 {
		short = short[:12]
	}
	return base + "-" + short
}

func failureReason(err error) string {
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) {
		return appErr.Error()
	}
	return err.Error()
}

func orDefault(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

// ioOptions are for local work: retried with backoff, heartbeats for the long ones.
func ioOptions(timeout time.Duration) workflow.ActivityOptions {
	return workflow.ActivityOptions{
		StartToCloseTimeout: timeout,
		HeartbeatTimeout:    time.Minute,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval: time.Second, BackoffCoefficient: 2, MaximumInterval: time.Minute, MaximumAttempts: 10,
			NonRetryableErrorTypes: []string{activities.ErrBadInput},
		},
	}
}

// apiOptions are for calls to the remote service: server and network errors
// retry with backoff for a long time; bad requests and bad keys do not.
func apiOptions(timeout time.Duration) workflow.ActivityOptions {
	return workflow.ActivityOptions{
		StartToCloseTimeout: timeout,
		HeartbeatTimeout:    time.Minute,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval: 2 * time.Second, BackoffCoefficient: 2, MaximumInterval: 5 * time.Minute,
			NonRetryableErrorTypes: []string{activities.ErrBadInput, activities.ErrBadRequest, activities.ErrUnauthorized},
		},
	}
}
