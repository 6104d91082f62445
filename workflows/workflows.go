// Package workflows holds the Temporal workflow that carries one number file
// through the task lifecycle. Workflow code is deterministic: all I/O is in
// package activities.
package workflows

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/phonecheck/phonecheck/activities"
)

// a names the activities by method; its value is never used.
var a *activities.Activities

var stageKey = temporal.NewSearchAttributeKeyKeyword(StageSearchAttribute)

// changeLocalSteps is the workflow.GetVersion change id of local steps:
// histories from before it replay with every step an activity.
const changeLocalSteps = "local-steps"

// changeReport is the change id of report.html and of a finished file's
// counts in its memo: histories from before it replay without either.
const changeReport = "report"

// changeBilledCalls is the change id of bounded billed calls: every poll
// attempt ends at the deadline, answers that cost a call but give nothing
// usable are counted against a budget, and a refused result link is
// polled for anew by the workflow (counted) instead of by the download.
const changeBilledCalls = "billed-calls"

// changeFinishedRecords is the change id of finished records: a run first
// looks for the record of the same file finished before (and returns its
// result), the archive no longer cleans, and a Finish step writes the
// record and removes the work files once the outcome is in the history.
const changeFinishedRecords = "finished-records"

// changeCancelArchives is the change id of the failure path's archive on a
// disconnected context: a cancelled run's input leaves processing/ too.
const changeCancelArchives = "cancel-archives"

// changeSplit is the change id of split outputs (Options.Split): the
// exports also write valid.<format> and invalid.<format>.
const changeSplit = "split"

// changeArchiveWait is the change id of the bounded archive on a watcher's
// files queue: it waits at most Input.ArchiveWait to be picked up, shows
// the wait as StageAwaitingWatcher, and past the bound the file fails with
// its results recorded, naming the watcher.
const changeArchiveWait = "archive-wait"

// changeDiskFull is the change id of a failed export waiting for its sibling
// exports (so each removes its partial file before the file fails), and of
// a failed/ that is full or read-only being named in the file's failure.
// Asked only on those paths: other histories carry no marker.
const changeDiskFull = "disk-full"

// archiveNotice is how long an archive on a files queue may take before the
// run shows that it waits for its watcher (at most a quarter of the bound).
const archiveNotice = 30 * time.Second

// errArchiveStranded is the error type of an archive its watcher never
// picked up: the failure path does not try that watcher again.
const errArchiveStranded = "ArchiveStranded"

// LocalStepMaxBytes is the largest input whose steps run as local
// activities, all but the billed upload: a small file then costs a third of
// the history events and a tenth of the task dispatches, which is what bounds
// a burst of small files on one server. Larger files keep activities, which
// heartbeat and can move to another worker midway.
const LocalStepMaxBytes = 2 << 20

// state is the workflow's own record, answered by the progress query.
type state struct {
	Progress
	started time.Time
	stages  map[string]float64
	mark    time.Time
	// eager publishes every stage as it is entered; otherwise only the
	// stages that wait (publish), since a stage entered and left within one
	// workflow task is never seen by visibility, only paid for.
	eager     bool
	published string
	changes   changes
	// records is the finished-records change; recalledAt is the workflow
	// task (its started event id) in which the last recall found no
	// record, for needsBoundary.
	records    bool
	recalledAt int
}

func (s *state) enter(ctx workflow.Context, stage string) {
	now := workflow.Now(ctx)
	if s.Stage != "" {
		s.stages[s.Stage] += now.Sub(s.mark).Seconds()
	}
	s.Stage, s.mark = stage, now
	if s.eager {
		s.publish(ctx)
	}
	s.show(ctx)
}

// show puts the progress where the Temporal UI shows it (the workflow's
// current details; kept in the worker, not in the history): counts, never
// numbers.
func (s *state) show(ctx workflow.Context) {
	d := "**" + s.Stage + "**"
	if s.RemoteStatus != "" {
		d += " · remote " + s.RemoteStatus
	}
	if s.Lines > 0 {
		d += fmt.Sprintf("\n\n%d lines: %d uploaded, %d folded, %d set aside", s.Lines, s.Uploaded, s.Folded, s.SetAside)
	}
	if s.Total > 0 {
		d += fmt.Sprintf("\n\n%d of %d checked, %d polls", s.Success+s.Failure, s.Total, s.Polls)
	}
	if s.Error != "" {
		d += "\n\n" + s.Error
	}
	workflow.SetCurrentDetails(ctx, d)
}

// elapsed is the time spent in each stage up to now, the current one too.
func (s *state) elapsed(now time.Time) map[string]float64 {
	out := maps.Clone(s.stages)
	if out == nil {
		out = make(map[string]float64, 1)
	}
	if s.Stage != "" {
		out[s.Stage] += now.Sub(s.mark).Seconds()
	}
	return out
}

// publish makes the current stage searchable; it holds no number and no key.
func (s *state) publish(ctx workflow.Context) {
	if s.published != s.Stage {
		s.published = s.Stage
		_ = workflow.UpsertTypedSearchAttributes(ctx, stageKey.ValueSet(s.Stage))
	}
}

// localRetryBound is how long a local step may go on retrying: as good as
// unbounded, like an activity's retries.
const localRetryBound = 30 * 24 * time.Hour

// steps runs the pipeline's steps as activities or, for small files, as
// local activities in the worker that runs the workflow.
type steps struct{ local bool }

func (s steps) run(ctx workflow.Context, opts workflow.ActivityOptions, fn, arg any) workflow.Future {
	if s.local {
		// Unset, a local activity's schedule-to-close is its
		// start-to-close, and its retries would end there: a service down
		// for two minutes would fail the file. Activities retry without
		// such a bound; the retry policy and the poll deadline end them.
		bound := localRetryBound
		if opts.ScheduleToCloseTimeout > 0 {
			bound = opts.ScheduleToCloseTimeout
		}
		return workflow.ExecuteLocalActivity(workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{
			StartToCloseTimeout: min(opts.StartToCloseTimeout, bound), RetryPolicy: opts.RetryPolicy,
			ScheduleToCloseTimeout: bound,
		}), fn, arg)
	}
	// A large file's steps go through matching to whichever worker is
	// free, not eagerly back to the one that runs the workflow: that is
	// what lets an added worker take a share.
	opts.DisableEagerExecution = true
	return workflow.ExecuteActivity(workflow.WithActivityOptions(ctx, opts), fn, arg)
}

// ProcessFile validates one file: prepare, upload once, poll, download,
// join, export in parallel, archive.
func ProcessFile(ctx workflow.Context, in Input) (*Result, error) {
	st := &state{started: workflow.Now(ctx), stages: map[string]float64{}, eager: true}
	if err := workflow.SetQueryHandler(ctx, QueryProgress, func() (Progress, error) { return st.Progress, nil }); err != nil {
		return nil, err
	}
	st.changes = newChanges(ctx, in)
	var do steps
	if st.changes.has(ctx, changeLocalSteps) {
		do.local = in.Size > 0 && in.Size <= LocalStepMaxBytes
		st.eager = !do.local
	}
	records := st.changes.has(ctx, changeFinishedRecords)
	st.records = records
	if records && in.Generation == "" {
		if res, ok, err := recall(ctx, in, st, do); ok || err != nil {
			return res, err
		}
		st.recalled(ctx)
	}
	res, err := run(ctx, in, st, do, records)
	if err == nil {
		return res, nil
	}
	// Whatever failed, the input leaves the pipeline with a reason: also
	// when the run was cancelled, whose own context is done by then.
	actx, canceled := ctx, false
	if st.changes.has(ctx, changeCancelArchives) {
		if canceled = errors.Is(ctx.Err(), workflow.ErrCanceled); canceled {
			actx, _ = workflow.NewDisconnectedContext(ctx)
			err = fmt.Errorf("cancelled (%w): the file was not finished; drop it again to process it", err)
		}
	}
	st.Error = err.Error()
	var archived string
	if !isStranded(err) {
		st.enter(actx, StageArchiving)
		if aerr := st.archive(actx, in, do, activities.ArchiveInput{
			Path: in.Path, SHA256: in.SHA256, Dir: in.FailedDir, Reason: failureReason(err),
		}, &archived); aerr != nil {
			workflow.GetLogger(ctx).Error("archiving the failed input", "error", aerr)
			if isStranded(aerr) || isDiskFull(aerr) && st.changes.has(ctx, changeDiskFull) {
				st.Error += "; " + failureReason(aerr)
			}
		}
	}
	st.enter(actx, StageFailed)
	st.publish(actx)
	// The workers' log says it too, for who reads that rather than status.
	workflow.GetLogger(ctx).Error("file failed", "file", in.Name, "path", orDash(archived), "reason", st.Error)
	notify(actx, in, st, activities.Notification{Reason: st.Error, Archived: archived})
	if canceled {
		return nil, temporal.NewCanceledError(st.Error)
	}
	return nil, temporal.NewNonRetryableApplicationError(st.Error, "PhonecheckFailed", err)
}

// recall returns the recorded result of the same file finished before
// (same content, same options), within the workers' record retention and
// while its outputs are there: the input goes to done/ and nothing is
// uploaded or polled.
func recall(ctx workflow.Context, in Input, st *state, do steps) (*Result, bool, error) {
	var rec activities.RecallResult
	if err := do.run(ctx, ioOptions(time.Minute), a.Recall, activities.RecallInput{FileKey: fileKey(in)}).Get(ctx, &rec); err != nil {
		return nil, false, err
	}
	if !rec.Found {
		return nil, false, nil
	}
	var res Result
	// Decoding a recorded result is a pure function of its bytes (the
	// reflection caches it fills change no output).
	//workflowcheck:ignore
	if err := json.Unmarshal(rec.Record.Result, &res); err != nil {
		return nil, false, nil // not a result this code reads: process the file
	}
	st.Progress = res.Progress
	st.enter(ctx, StageArchiving)
	if err := st.archive(ctx, in, do, activities.ArchiveInput{Path: in.Path, SHA256: in.SHA256, Dir: in.DoneDir}, &res.Archived); err != nil {
		return nil, true, err
	}
	if err := do.run(ctx, ioOptions(time.Minute), a.Finish,
		activities.FinishInput{SHA256: in.SHA256, FileKey: in.FileKey, InputKey: in.Key}).Get(ctx, nil); err != nil {
		return nil, true, err
	}
	if err := workflow.UpsertMemo(ctx, map[string]any{MemoRows: res.Rows, MemoValid: res.Valid, MemoInvalid: res.Invalid}); err != nil {
		return nil, true, err
	}
	workflow.GetLogger(ctx).Info("finished before: the recorded result is returned", "finished_at", rec.Record.FinishedAt, "task_id", res.TaskID)
	st.enter(ctx, StageDone)
	st.publish(ctx)
	res.Stage = StageDone
	notify(ctx, in, st, doneNotice(&res))
	return &res, true, nil
}

// fileKey is the file's key in the store: FileKey, or its sha256 for runs
// started before file keys.
func fileKey(in Input) string {
	if in.FileKey != "" {
		return in.FileKey
	}
	return in.SHA256
}

func run(ctx workflow.Context, in Input, st *state, do steps, records bool) (*Result, error) {
	st.enter(ctx, StagePreparing)
	var prep activities.PrepareResult
	if err := do.run(ctx, ioOptions(30*time.Minute), a.Prepare,
		activities.PrepareInput{Key: in.Key, Path: in.Path, SHA256: in.SHA256, Region: in.Region, FileKey: in.FileKey,
			Columns: in.Columns, RegionColumn: in.RegionColumn, Sheet: in.Sheet}).Get(ctx, &prep); err != nil {
		return nil, err
	}
	st.Lines, st.Uploaded, st.Folded, st.SetAside = prep.Lines, prep.Uploaded, prep.Folded, prep.SetAside

	var zipKey string
	if prep.Uploaded > 0 {
		st.enter(ctx, StageUploading)
		st.publish(ctx)
		// The billed upload is always an activity: its heartbeat details
		// record the task id where any worker that retries it finds them.
		var up activities.UploadResult
		upOpts := apiOptions(30 * time.Minute)
		// A small file's upload goes eagerly to this worker, which runs
		// its other steps anyway; a large file's to any free worker.
		upOpts.DisableEagerExecution = !do.local
		if err := workflow.ExecuteActivity(workflow.WithActivityOptions(ctx, upOpts), a.Upload,
			activities.UploadInput{SHA256: in.SHA256, UploadKey: prep.UploadKey, Name: in.Name,
				UploadSHA256: prep.UploadSHA256, FileKey: in.FileKey, Generation: in.Generation}).Get(ctx, &up); err != nil {
			return nil, err
		}
		st.TaskID, st.Total = up.TaskID, up.Total

		if res, ok, err := st.recallAgain(ctx, in, do); ok || err != nil {
			return res, err
		}
		st.enter(ctx, StagePolling)
		if !st.changes.current || !do.local {
			st.publish(ctx)
		}
		if st.changes.has(ctx, changeBilledCalls) {
			var recalled *Result
			var err error
			if zipKey, recalled, err = pollAndDownload(ctx, in, st, do, prep.UploadSHA256); err != nil || recalled != nil {
				return recalled, err
			}
		} else {
			if err := poll(ctx, in, st, do); err != nil {
				return nil, err
			}
			st.enter(ctx, StageDownloading)
			var dl activities.DownloadResult
			if err := do.run(ctx, apiOptions(30*time.Minute), a.Download,
				activities.DownloadInput{SHA256: in.SHA256, TaskID: st.TaskID, FileKey: in.FileKey}).Get(ctx, &dl); err != nil {
				return nil, err
			}
			zipKey = dl.ZipKey
		}
	}

	st.enter(ctx, StageJoining)
	var joined activities.JoinResult
	if err := do.run(ctx, ioOptions(30*time.Minute), a.Join,
		activities.JoinInput{SHA256: in.SHA256, LocalKey: prep.LocalKey, ZipKey: zipKey, TaskID: st.TaskID, FileKey: in.FileKey,
			Region: in.Region, Uploaded: prep.Uploaded}).Get(ctx, &joined); err != nil {
		return nil, err
	}

	st.enter(ctx, StageExporting)
	name := OutputName(in.Name, in.SHA256)
	// Only a run asked to split records the change: the others' histories stay as they were.
	split := in.Split && st.changes.has(ctx, changeSplit)
	futures := make([]workflow.Future, len(in.Formats))
	for i, f := range in.Formats { // the exports run in parallel
		futures[i] = do.run(ctx, ioOptions(30*time.Minute), a.Export, activities.ExportInput{RowsKey: joined.RowsKey, Format: f, Output: in.OutputDir, Dir: name, Split: split})
	}
	outputs := map[string]string{}
	var failed error
	for i, fut := range futures {
		var ex activities.ExportResult
		if err := fut.Get(ctx, &ex); err != nil {
			if !st.changes.has(ctx, changeDiskFull) {
				return nil, err
			}
			failed = cmp.Or(failed, err)
			continue
		}
		outputs[in.Formats[i]] = ex.Path
		if ex.Valid != "" {
			outputs["valid."+in.Formats[i]], outputs["invalid."+in.Formats[i]] = ex.Valid, ex.Invalid
		}
	}
	if failed != nil {
		return nil, failed
	}

	summary := func(now time.Time, stages map[string]float64) activities.Summary {
		return activities.Summary{
			File: in.Name, SHA256: in.SHA256, TaskID: st.TaskID, Region: in.Region,
			Lines: prep.Lines, Rows: joined.Rows, Uploaded: prep.Uploaded, Folded: prep.Folded, SetAside: prep.SetAside,
			Polls: st.Polls, Valid: joined.Valid, Invalid: joined.Invalid, MissingVerdicts: joined.MissingVerdicts,
			Unanswered: joined.Unanswered, Conflicting: joined.Conflicting,
			ByPhoneCheck: joined.ByPhoneCheck, ByReason: joined.ByReason, ByType: joined.ByType, ByRegion: joined.ByRegion,
			Outputs: outputs, StartedAt: st.started, FinishedAt: now, StageSeconds: stages,
		}
	}
	var reportPath string
	withReport := st.changes.has(ctx, changeReport)
	if withReport {
		now := workflow.Now(ctx)
		var rep activities.ReportResult
		if err := do.run(ctx, ioOptions(30*time.Minute), a.Report, activities.ReportInput{RowsKey: joined.RowsKey, Output: in.OutputDir, Dir: name,
			Summary: summary(now, st.elapsed(now))}).Get(ctx, &rep); err != nil {
			return nil, err
		}
		reportPath = rep.Path
	}

	st.enter(ctx, StageArchiving)
	sum := summary(workflow.Now(ctx), st.stages)
	sum.Report = reportPath
	var summaryPath string
	if err := do.run(ctx, ioOptions(time.Minute), a.WriteSummary, activities.SummaryInput{Output: in.OutputDir, Dir: name, Summary: sum}).Get(ctx, &summaryPath); err != nil {
		return nil, err
	}
	var archived string
	if err := st.archive(ctx, in, do, activities.ArchiveInput{
		Path: in.Path, SHA256: in.SHA256, Dir: in.DoneDir, Clean: !records, FileKey: in.FileKey, InputKey: in.Key}, &archived); err != nil {
		if isStranded(err) && records {
			// The results are there: recorded, the same file dropped
			// again finds them and goes to done/ without a new charge.
			res := &Result{Progress: st.Progress, OutputDir: OutputLocation(in.OutputDir, name), Outputs: outputs, Summary: summaryPath, Report: reportPath,
				Rows: joined.Rows, Valid: joined.Valid, Invalid: joined.Invalid}
			if ferr := finish(ctx, in, st, do, res, prep.UploadSHA256, name+"/summary.json"); ferr != nil {
				return nil, ferr
			}
		}
		return nil, err
	}
	if withReport {
		// Visibility then lists a finished file's counts without its history.
		if err := workflow.UpsertMemo(ctx, map[string]any{MemoRows: joined.Rows, MemoValid: joined.Valid, MemoInvalid: joined.Invalid}); err != nil {
			return nil, err
		}
	}
	st.enter(ctx, StageDone)
	st.publish(ctx)
	res := &Result{Progress: st.Progress, OutputDir: OutputLocation(in.OutputDir, name), Outputs: outputs, Summary: summaryPath, Report: reportPath, Archived: archived,
		Rows: joined.Rows, Valid: joined.Valid, Invalid: joined.Invalid}
	if records {
		if err := finish(ctx, in, st, do, res, prep.UploadSHA256, name+"/summary.json"); err != nil {
			return nil, err
		}
	}
	notify(ctx, in, st, doneNotice(res))
	return res, nil
}

// doneNotice is the notice of a done file: its outputs and counts.
func doneNotice(r *Result) activities.Notification {
	return activities.Notification{OutputDir: r.OutputDir, Outputs: r.Outputs, Report: r.Report, Summary: r.Summary,
		Archived: r.Archived, Rows: r.Rows, Valid: r.Valid, Invalid: r.Invalid}
}

// finish records the finished file and removes its work files, once every
// step's result is in the history or a rerun of the steps is answered by
// the record: local steps record theirs when the workflow task completes,
// so without either a timer ends that task first. A crash before then runs
// the steps again with their files still there; after, it runs only Finish
// again, which is safe to repeat.
func finish(ctx workflow.Context, in Input, st *state, do steps, res *Result, uploadSHA256, summaryKey string) error {
	if needsBoundary(ctx, in, st, do) {
		if err := workflow.Sleep(ctx, time.Millisecond); err != nil {
			return err
		}
	}
	// Encoding is a pure function of res (maps are written in key order).
	//workflowcheck:ignore
	b, err := json.Marshal(res)
	if err != nil {
		return err
	}
	rec := &activities.FinishedRecord{FileKey: fileKey(in), SHA256: in.SHA256, TaskID: res.TaskID, UploadSHA256: uploadSHA256,
		OutputDir: in.OutputDir, Summary: summaryKey, WorkflowID: workflow.GetInfo(ctx).WorkflowExecution.ID,
		FinishedAt: workflow.Now(ctx).UTC(), Result: b}
	return do.run(ctx, ioOptions(time.Minute), a.Finish,
		activities.FinishInput{SHA256: in.SHA256, FileKey: in.FileKey, InputKey: in.Key, Record: rec}).Get(ctx, nil)
}

// needsBoundary reports whether finish must first end the workflow task
// with a timer: for local steps, unless the archive was an activity on a
// watcher's files queue (the steps' results are in the history by then) or
// this workflow task recalled the record before its steps ran (a crash
// runs the task again from that recall, which the record then answers).
func needsBoundary(ctx workflow.Context, in Input, st *state, do steps) bool {
	if !do.local {
		return false
	}
	if !st.changes.current {
		return true
	}
	if in.FilesQueue != "" {
		return false
	}
	return st.recalledAt == 0 || st.recalledAt != workflow.GetInfo(ctx).GetCurrentHistoryLength()
}

// recalled notes that a recall in this workflow task found no record.
func (s *state) recalled(ctx workflow.Context) {
	if s.changes.current {
		s.recalledAt = workflow.GetInfo(ctx).GetCurrentHistoryLength()
	}
}

// recallAgain recalls the record at the start of a workflow task that may
// run the local steps to the end, after a durable wait (the upload, a
// poll's timer), so that finish needs no timer: for local steps archived in
// this process (no files queue), and not for a run with a Generation, which
// recalls nothing.
func (s *state) recallAgain(ctx workflow.Context, in Input, do steps) (*Result, bool, error) {
	if !s.changes.current || !s.records || !do.local || in.FilesQueue != "" || in.Generation != "" {
		return nil, false, nil
	}
	res, ok, err := recall(ctx, in, s, do)
	if !ok && err == nil {
		s.recalled(ctx)
	}
	return res, ok, err
}

// poll asks gettasks until the task is exported, waiting on durable timers
// whose length adapts to the task's progress: every poll is billed.
func poll(ctx workflow.Context, in Input, st *state, do steps) error {
	b := newBackoff(in.PollInterval, in.MaxPollInterval)
	deadline := workflow.Now(ctx).Add(orDefault(in.Deadline, 24*time.Hour))
	for {
		var ts activities.TaskStatus
		if err := do.run(ctx, apiOptions(2*time.Minute), a.Poll, activities.PollInput{SHA256: in.SHA256, TaskID: st.TaskID, FileKey: in.FileKey}).Get(ctx, &ts); err != nil {
			return err
		}
		st.Polls++
		st.RemoteStatus, st.Total, st.Success, st.Failure = ts.Status, ts.Total, ts.Success, ts.Failure
		st.show(ctx)
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

// pollAndDownload polls until the task is exported and downloads its zip,
// every billed call bounded: each poll attempt (and its retries) ends at
// the deadline, and answers that cost a call but give nothing usable (an
// unreadable 200, exported without a result link, an unknown task, a
// refused link) count against the worker's budget, which the next poll
// checks before it calls. A refused link is polled for anew here, so
// every billed call is counted in Polls.
//
// After each wait it recalls the record (recallAgain): a record found
// there is returned as the run's result.
func pollAndDownload(ctx workflow.Context, in Input, st *state, do steps, uploadSHA256 string) (zipKey string, recalled *Result, err error) {
	b := newBackoff(in.PollInterval, in.MaxPollInterval)
	limit := orDefault(in.Deadline, 24*time.Hour)
	deadline := workflow.Now(ctx).Add(limit)
	unusable, lastProblem := 0, ""
	late := func(cause string) error {
		return temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("task %s not exported within %v (status %s, %d of %d done%s); raise the deadline or check the service",
				st.TaskID, limit, orDash(st.RemoteStatus), st.Success+st.Failure, st.Total, cause), "PollDeadline", nil)
	}
	// sleep waits d, then recalls the record; found is the record's
	// result if there is one.
	sleep := func(d time.Duration) (found *Result, err error) {
		if workflow.Now(ctx).Add(d).After(deadline) {
			last := ""
			if lastProblem != "" {
				last = "; the last answer: " + lastProblem
			}
			return nil, late(last)
		}
		if st.changes.current {
			st.publish(ctx) // the file waits here, as polling
		}
		if err := workflow.Sleep(ctx, d); err != nil {
			return nil, err
		}
		res, _, err := st.recallAgain(ctx, in, do)
		return res, err
	}
	for {
		opts := apiOptions(2 * time.Minute)
		left := deadline.Sub(workflow.Now(ctx))
		if left < 0 {
			return "", nil, late("")
		}
		opts.ScheduleToCloseTimeout = max(left, time.Second) // (0 would be no bound)
		var ts activities.TaskStatus
		err := do.run(ctx, opts, a.Poll, activities.PollInput{SHA256: in.SHA256, TaskID: st.TaskID, FileKey: in.FileKey,
			Report: true, Unusable: unusable, LastProblem: lastProblem, UploadSHA256: uploadSHA256}).Get(ctx, &ts)
		if endedAtDeadline(err) {
			return "", nil, late("; the last poll failed: " + rootCause(err))
		}
		if err != nil {
			return "", nil, err
		}
		if !ts.Free {
			st.Polls++
		}
		if ts.Problem != "" {
			unusable, lastProblem = unusable+1, ts.Problem
			workflow.GetLogger(ctx).Warn("a poll gave no usable answer", "task_id", st.TaskID, "problem", ts.Problem, "in_a_row", unusable)
			if found, err := sleep(b.again()); err != nil || found != nil {
				return "", found, err
			}
			continue
		}
		st.RemoteStatus, st.Total, st.Success, st.Failure = ts.Status, ts.Total, ts.Success, ts.Failure
		if ts.Status == "exported" {
			st.ETA = time.Time{}
			st.enter(ctx, StageDownloading)
			var dl activities.DownloadResult
			if err := do.run(ctx, apiOptions(30*time.Minute), a.Download,
				activities.DownloadInput{SHA256: in.SHA256, TaskID: st.TaskID, FileKey: in.FileKey, Report: true}).Get(ctx, &dl); err != nil {
				return "", nil, err
			}
			if dl.Refused == "" {
				return dl.ZipKey, nil, nil
			}
			// A fresh link comes from a poll, at once.
			unusable, lastProblem = unusable+1, "the result link was refused: "+dl.Refused
			workflow.GetLogger(ctx).Warn("result link refused; polling for a new one", "task_id", st.TaskID, "in_a_row", unusable)
			st.enter(ctx, StagePolling)
			continue
		}
		unusable, lastProblem = 0, ""
		now := workflow.Now(ctx)
		delay, eta := b.next(now, ts)
		st.ETA = eta
		if found, err := sleep(delay); err != nil || found != nil {
			return "", found, err
		}
	}
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// archive moves the input to done/ or failed/ into out. On a watcher's
// files queue the wait for that watcher is bounded (Input.ArchiveWait), and
// shown as StageAwaitingWatcher once it lasts; past the bound the error is
// of type errArchiveStranded and says whose watcher and what to do.
func (s *state) archive(ctx workflow.Context, in Input, do steps, arg activities.ArchiveInput, out *string) error {
	if in.FilesQueue == "" || !s.changes.has(ctx, changeArchiveWait) {
		return archive(ctx, in, do, arg).Get(ctx, out)
	}
	wait := orDefault(in.ArchiveWait, time.Hour)
	opts := ioOptions(time.Minute)
	opts.TaskQueue = in.FilesQueue
	opts.ScheduleToStartTimeout = wait
	since := workflow.Now(ctx)
	fut := workflow.ExecuteActivity(workflow.WithActivityOptions(ctx, opts), a.Archive, arg)
	tctx, cancel := workflow.WithCancel(ctx)
	timer := workflow.NewTimer(tctx, min(archiveNotice, wait/4))
	waiting := false
	sel := workflow.NewSelector(ctx)
	sel.AddFuture(fut, func(workflow.Future) {})
	sel.AddFuture(timer, func(f workflow.Future) { waiting = f.Get(ctx, nil) == nil })
	sel.Select(ctx)
	cancel()
	watcher := FilesQueueOwner(in.FilesQueue)
	stage := s.Stage
	if waiting {
		s.Waiting = fmt.Sprintf("the archive waits for watcher %q (task queue %s) since %s; it gives up at %s",
			watcher, in.FilesQueue, since.UTC().Format(time.DateTime+" UTC"), since.Add(wait).UTC().Format(time.DateTime+" UTC"))
		s.enter(ctx, StageAwaitingWatcher)
		s.publish(ctx)
		workflow.GetLogger(ctx).Warn("the archive waits for its watcher", "watcher", watcher, "task_queue", in.FilesQueue, "bound", wait)
	}
	err := fut.Get(ctx, out)
	if waiting {
		s.Waiting = ""
		s.enter(ctx, stage)
		s.publish(ctx)
	}
	var timeout *temporal.TimeoutError
	if errors.As(err, &timeout) && timeout.TimeoutType() == enumspb.TIMEOUT_TYPE_SCHEDULE_TO_START {
		then := "either starts it anew"
		if arg.Dir == in.DoneDir {
			then = fmt.Sprintf("its results are in %s and recorded: either takes it to done/ without a new charge", OutputLocation(in.OutputDir, OutputName(in.Name, in.SHA256)))
		}
		return temporal.NewNonRetryableApplicationError(fmt.Sprintf(
			"watcher %q did not take up the archive step within %v (task queue %s), so the input is still at %s. "+
				"Start a watcher with --watcher-id %s (PHONECHECK_WATCHER_ID) on its folder, or move the file from processing/ back into its inbox; %s",
			watcher, wait, in.FilesQueue, in.Path, watcher, then), errArchiveStranded, nil)
	}
	return err
}

// isStranded reports an archive that its watcher never picked up.
func isStranded(err error) bool {
	var appErr *temporal.ApplicationError
	return errors.As(err, &appErr) && appErr.Type() == errArchiveStranded
}

// isDiskFull reports a step whose folder is full or read-only.
func isDiskFull(err error) bool {
	var appErr *temporal.ApplicationError
	return errors.As(err, &appErr) && appErr.Type() == activities.ErrDiskFull
}

// archive moves the input to done/ or failed/. The input is a file on the
// host that claimed it: with a FilesQueue the activity runs there, whatever
// worker runs the rest.
func archive(ctx workflow.Context, in Input, do steps, arg activities.ArchiveInput) workflow.Future {
	if in.FilesQueue != "" {
		opts := ioOptions(time.Minute)
		opts.TaskQueue = in.FilesQueue
		return workflow.ExecuteActivity(workflow.WithActivityOptions(ctx, opts), a.Archive, arg)
	}
	return do.run(ctx, ioOptions(time.Minute), a.Archive, arg)
}

// OutputLocation is where a file's outputs are: a path below a local
// output directory, or the URL of that prefix in a bucket.
func OutputLocation(output, name string) string {
	if !strings.Contains(output, "://") {
		return filepath.Join(output, name)
	}
	base, _, _ := strings.Cut(output, "?") // the query holds options (region, endpoint), not a place
	loc := strings.TrimSuffix(base, "/") + "/" + name
	if strings.HasPrefix(base, "file://") {
		return filepath.FromSlash(strings.TrimPrefix(loc, "file://"))
	}
	return loc
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

// endedAtDeadline reports a poll whose retries ended at its
// schedule-to-close (the deadline): with a timeout, or with the last
// attempt's error when the next retry would come after it. Polls retry
// every other error without a limit of attempts, so an error that is not
// final ended so.
func endedAtDeadline(err error) bool {
	var timeout *temporal.TimeoutError
	var actErr *temporal.ActivityError
	var appErr *temporal.ApplicationError
	var canceled *temporal.CanceledError
	switch {
	case err == nil, errors.As(err, &canceled):
		return false
	case errors.As(err, &timeout):
		return true
	case errors.As(err, &actErr) && actErr.RetryState() == enumspb.RETRY_STATE_TIMEOUT:
		return true
	case errors.As(err, &appErr) && (appErr.NonRetryable() || slices.Contains(apiNonRetryable, appErr.Type())):
		return false
	}
	return errors.As(err, &actErr)
}

// rootCause is the innermost message of an error chain.
func rootCause(err error) string {
	for {
		u := errors.Unwrap(err)
		if u == nil {
			return err.Error()
		}
		err = u
	}
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

// heartbeatTimeout is how long an activity may go without a heartbeat before
// Temporal takes its worker for lost and schedules the next attempt: what a
// killed worker's file waits before another worker picks it up. The
// activities heartbeat every 5-7 s while they work (a long remote call from
// its own goroutine), and the workers send each heartbeat within
// heartbeatThrottle, so a live attempt has 13 s to spare.
const (
	heartbeatTimeout  = 20 * time.Second
	heartbeatThrottle = 5 * time.Second
)

// ioOptions are for local work: retried with backoff, heartbeats for the long ones.
func ioOptions(timeout time.Duration) workflow.ActivityOptions {
	return workflow.ActivityOptions{
		StartToCloseTimeout: timeout,
		HeartbeatTimeout:    heartbeatTimeout,
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
		HeartbeatTimeout:    heartbeatTimeout,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval: 2 * time.Second, BackoffCoefficient: 2, MaximumInterval: 5 * time.Minute,
			NonRetryableErrorTypes: apiNonRetryable,
		},
	}
}

// apiNonRetryable are the error types of the remote service that no retry fixes.
var apiNonRetryable = []string{activities.ErrBadInput, activities.ErrBadRequest, activities.ErrUnauthorized}
