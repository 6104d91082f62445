// Package workflows holds the Temporal workflow that carries one number file
// through the task lifecycle. Workflow code is deterministic: all I/O is in
// package activities.
package workflows

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

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
		return workflow.ExecuteLocalActivity(workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{
			StartToCloseTimeout: opts.StartToCloseTimeout, RetryPolicy: opts.RetryPolicy,
			// Unset, a local activity's schedule-to-close is its
			// start-to-close, and its retries would end there: a service
			// down for two minutes would fail the file. Activities retry
			// without such a bound; the retry policy and the poll deadline
			// end them.
			ScheduleToCloseTimeout: localRetryBound,
		}), fn, arg)
	}
	return workflow.ExecuteActivity(workflow.WithActivityOptions(ctx, opts), fn, arg)
}

// ProcessFile validates one file: prepare, upload once, poll, download,
// join, export in parallel, archive.
func ProcessFile(ctx workflow.Context, in Input) (*Result, error) {
	st := &state{started: workflow.Now(ctx), stages: map[string]float64{}, eager: true}
	if err := workflow.SetQueryHandler(ctx, "progress", func() (Progress, error) { return st.Progress, nil }); err != nil {
		return nil, err
	}
	var do steps
	if workflow.GetVersion(ctx, changeLocalSteps, workflow.DefaultVersion, 1) >= 1 {
		do.local = in.Size > 0 && in.Size <= LocalStepMaxBytes
		st.eager = !do.local
	}
	res, err := run(ctx, in, st, do)
	if err == nil {
		return res, nil
	}
	// Whatever failed, the input leaves the pipeline with a reason.
	st.Error = err.Error()
	st.enter(ctx, StageArchiving)
	var archived string
	if aerr := archive(ctx, in, do, activities.ArchiveInput{
		Path: in.Path, SHA256: in.SHA256, Dir: in.FailedDir, Reason: failureReason(err),
	}).Get(ctx, &archived); aerr != nil {
		workflow.GetLogger(ctx).Error("archiving the failed input", "error", aerr)
	}
	st.enter(ctx, StageFailed)
	st.publish(ctx)
	return nil, temporal.NewNonRetryableApplicationError(st.Error, "PhonecheckFailed", err)
}

func run(ctx workflow.Context, in Input, st *state, do steps) (*Result, error) {
	st.enter(ctx, StagePreparing)
	var prep activities.PrepareResult
	if err := do.run(ctx, ioOptions(30*time.Minute), a.Prepare,
		activities.PrepareInput{Key: in.Key, Path: in.Path, SHA256: in.SHA256, Region: in.Region}).Get(ctx, &prep); err != nil {
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
		if err := workflow.ExecuteActivity(workflow.WithActivityOptions(ctx, apiOptions(30*time.Minute)), a.Upload,
			activities.UploadInput{SHA256: in.SHA256, UploadKey: prep.UploadKey, Name: in.Name}).Get(ctx, &up); err != nil {
			return nil, err
		}
		st.TaskID, st.Total = up.TaskID, up.Total

		st.enter(ctx, StagePolling)
		st.publish(ctx)
		if err := poll(ctx, in, st, do); err != nil {
			return nil, err
		}

		st.enter(ctx, StageDownloading)
		var dl activities.DownloadResult
		if err := do.run(ctx, apiOptions(30*time.Minute), a.Download,
			activities.DownloadInput{SHA256: in.SHA256, TaskID: st.TaskID}).Get(ctx, &dl); err != nil {
			return nil, err
		}
		zipKey = dl.ZipKey
	}

	st.enter(ctx, StageJoining)
	var joined activities.JoinResult
	if err := do.run(ctx, ioOptions(30*time.Minute), a.Join,
		activities.JoinInput{SHA256: in.SHA256, LocalKey: prep.LocalKey, ZipKey: zipKey, TaskID: st.TaskID}).Get(ctx, &joined); err != nil {
		return nil, err
	}

	st.enter(ctx, StageExporting)
	name := OutputName(in.Name, in.SHA256)
	futures := make([]workflow.Future, len(in.Formats))
	for i, f := range in.Formats { // the exports run in parallel
		futures[i] = do.run(ctx, ioOptions(30*time.Minute), a.Export, activities.ExportInput{RowsKey: joined.RowsKey, Format: f, Output: in.OutputDir, Dir: name})
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
	var summaryPath string
	if err := do.run(ctx, ioOptions(time.Minute), a.WriteSummary, activities.SummaryInput{Output: in.OutputDir, Dir: name, Summary: sum}).Get(ctx, &summaryPath); err != nil {
		return nil, err
	}
	var archived string
	if err := archive(ctx, in, do, activities.ArchiveInput{
		Path: in.Path, SHA256: in.SHA256, Dir: in.DoneDir, Clean: true}).Get(ctx, &archived); err != nil {
		return nil, err
	}
	st.enter(ctx, StageDone)
	st.publish(ctx)
	return &Result{Progress: st.Progress, OutputDir: OutputLocation(in.OutputDir, name), Outputs: outputs, Summary: summaryPath, Archived: archived,
		Rows: joined.Rows, Valid: joined.Valid, Invalid: joined.Invalid}, nil
}

// poll asks gettasks until the task is exported, waiting on durable timers
// whose length adapts to the task's progress: every poll is billed.
func poll(ctx workflow.Context, in Input, st *state, do steps) error {
	b := newBackoff(in.PollInterval, in.MaxPollInterval)
	deadline := workflow.Now(ctx).Add(orDefault(in.Deadline, 24*time.Hour))
	for {
		var ts activities.TaskStatus
		if err := do.run(ctx, apiOptions(2*time.Minute), a.Poll, activities.PollInput{SHA256: in.SHA256, TaskID: st.TaskID}).Get(ctx, &ts); err != nil {
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
