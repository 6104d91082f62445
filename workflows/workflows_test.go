package workflows

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/worker"

	"github.com/phonecheck/phonecheck/activities"
)

const sha = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

func testInput() Input {
	return Input{Path: "/in/processing/numbers.txt", Name: "numbers.txt", SHA256: sha, Options: Options{Region: "CH"},
		Formats: []string{"csv", "xlsx"}, OutputDir: "/out", DoneDir: "/in/done", FailedDir: "/in/failed"}
}

// bothSizes runs a test on a large input (every step an activity) and on a
// small one (local steps): the workflow must behave the same.
func bothSizes(t *testing.T, test func(*testing.T, Input)) {
	for _, size := range []int64{LocalStepMaxBytes + 1, 1000} {
		t.Run(fmt.Sprintf("size=%d", size), func(t *testing.T) {
			in := testInput()
			in.Size = size
			test(t, in)
		})
	}
}

func newEnv(t *testing.T) *testsuite.TestWorkflowEnvironment {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	// The 1 s default deadlock detector trips on a loaded machine; the
	// replay test holds determinism.
	env.SetWorkerOptions(worker.Options{DeadlockDetectionTimeout: time.Minute})
	env.RegisterWorkflow(ProcessFile)
	env.RegisterActivity(&activities.Activities{})
	// No file finished before; recording and cleaning up succeed.
	env.OnActivity(a.Recall, mock.Anything, mock.Anything).Return(activities.RecallResult{}, nil).Maybe()
	env.OnActivity(a.Finish, mock.Anything, mock.Anything).Return(nil).Maybe()
	return env
}

var prepared = activities.PrepareResult{UploadKey: "work/" + sha + "/upload.txt", LocalKey: "work/" + sha + "/local.csv",
	Lines: 10, Rows: 9, Uploaded: 6, Folded: 2, SetAside: 1}

func okSteps(env *testsuite.TestWorkflowEnvironment) {
	okStepsAfterPrepare(env)
	env.OnActivity(a.Prepare, mock.Anything, mock.Anything).Return(prepared, nil)
}

func okStepsAfterPrepare(env *testsuite.TestWorkflowEnvironment) {
	env.OnActivity(a.Download, mock.Anything, mock.Anything).Return(activities.DownloadResult{ZipKey: "work/r.zip", Bytes: 10}, nil)
	env.OnActivity(a.Join, mock.Anything, mock.Anything).Return(activities.JoinResult{RowsKey: "work/j.csv", Rows: 9, Valid: 7, Invalid: 2}, nil)
	env.OnActivity(a.Export, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.ExportInput) (activities.ExportResult, error) {
			return activities.ExportResult{Path: in.Output + "/" + in.Dir + "/results." + in.Format}, nil
		})
	env.OnActivity(a.Report, mock.Anything, mock.Anything).Return(activities.ReportResult{Path: "/out/numbers-0123456789ab/report.html"}, nil)
	env.OnActivity(a.WriteSummary, mock.Anything, mock.Anything).Return("/out/numbers-0123456789ab/summary.json", nil)
	env.OnActivity(a.Archive, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.ArchiveInput) (string, error) {
			return in.Dir + "/numbers.txt", nil
		})
}

func TestProcessFileHappyPath(t *testing.T) { bothSizes(t, testProcessFileHappyPath) }

func testProcessFileHappyPath(t *testing.T, in Input) {
	env := newEnv(t)
	okSteps(env)
	env.OnActivity(a.Upload, mock.Anything, mock.Anything).Return(activities.UploadResult{TaskID: "t1", Total: 6}, nil).Once()
	statuses := []activities.TaskStatus{{Status: "pending", Total: 6}, {Status: "processing", Total: 6, Success: 2}, {Status: "exported", Total: 6, Success: 5, Failure: 1}}
	for _, s := range statuses {
		env.OnActivity(a.Poll, mock.Anything, mock.Anything).Return(s, nil).Once()
	}
	env.ExecuteWorkflow(ProcessFile, in)
	require.True(t, env.IsWorkflowCompleted())
	require.NoError(t, env.GetWorkflowError())
	var res Result
	require.NoError(t, env.GetWorkflowResult(&res))
	require.Equal(t, StageDone, res.Stage)
	require.Equal(t, 3, res.Polls)
	require.Equal(t, "t1", res.TaskID)
	require.Equal(t, "/out/numbers-0123456789ab/results.xlsx", res.Outputs["xlsx"])
	require.Equal(t, "/in/done/numbers.txt", res.Archived)
	require.Equal(t, "/out/numbers-0123456789ab/report.html", res.Report)
	require.Equal(t, 6, res.Uploaded)
	env.AssertExpectations(t)
}

// TestUploadRunsOnceWhenLaterStepsFail: every later step fails and retries,
// and the billed upload still runs once.
func TestUploadRunsOnceWhenLaterStepsFail(t *testing.T) {
	bothSizes(t, testUploadRunsOnceWhenLaterStepsFail)
}

func testUploadRunsOnceWhenLaterStepsFail(t *testing.T, in Input) {
	env := newEnv(t)
	env.OnActivity(a.Prepare, mock.Anything, mock.Anything).Return(prepared, nil)
	env.OnActivity(a.Upload, mock.Anything, mock.Anything).Return(activities.UploadResult{TaskID: "t1", Total: 6}, nil).Once()
	env.OnActivity(a.Poll, mock.Anything, mock.Anything).Return(activities.TaskStatus{}, errors.New("502 from the service")).Times(2)
	env.OnActivity(a.Poll, mock.Anything, mock.Anything).Return(activities.TaskStatus{Status: "exported", Total: 6, Success: 6}, nil).Once()
	env.OnActivity(a.Download, mock.Anything, mock.Anything).Return(activities.DownloadResult{}, errors.New("connection reset")).Times(2)
	env.OnActivity(a.Download, mock.Anything, mock.Anything).Return(activities.DownloadResult{ZipKey: "work/r.zip"}, nil).Once()
	env.OnActivity(a.Join, mock.Anything, mock.Anything).Return(activities.JoinResult{}, errors.New("disk full")).Once()
	env.OnActivity(a.Join, mock.Anything, mock.Anything).Return(activities.JoinResult{RowsKey: "work/j.csv", Rows: 9}, nil).Once()
	env.OnActivity(a.Export, mock.Anything, mock.Anything).Return(activities.ExportResult{}, errors.New("disk full")).Times(2)
	env.OnActivity(a.Export, mock.Anything, mock.Anything).Return(activities.ExportResult{Path: "/out/x"}, nil)
	env.OnActivity(a.Report, mock.Anything, mock.Anything).Return(activities.ReportResult{}, errors.New("disk full")).Once()
	env.OnActivity(a.Report, mock.Anything, mock.Anything).Return(activities.ReportResult{Path: "/out/report.html"}, nil).Once()
	env.OnActivity(a.WriteSummary, mock.Anything, mock.Anything).Return("/out/s.json", nil)
	env.OnActivity(a.Archive, mock.Anything, mock.Anything).Return("/in/done/numbers.txt", nil)
	env.ExecuteWorkflow(ProcessFile, in)
	require.NoError(t, env.GetWorkflowError())
	env.AssertNumberOfCalls(t, "Upload", 1)
	env.AssertNumberOfCalls(t, "Poll", 3)
}

// TestPollBacksOffUntilTheDeadline: a task that never moves is polled with
// doubling waits up to the maximum, and the workflow gives up at the deadline.
func TestPollBacksOffUntilTheDeadline(t *testing.T) { bothSizes(t, testPollBacksOffUntilTheDeadline) }

func testPollBacksOffUntilTheDeadline(t *testing.T, in Input) {
	env := newEnv(t)
	okSteps(env)
	env.OnActivity(a.Upload, mock.Anything, mock.Anything).Return(activities.UploadResult{TaskID: "t1", Total: 6}, nil)
	var pollTimes []time.Time
	env.OnActivity(a.Poll, mock.Anything, mock.Anything).Return(
		func(_ context.Context, _ activities.PollInput) (activities.TaskStatus, error) {
			pollTimes = append(pollTimes, env.Now())
			return activities.TaskStatus{Status: "pending", Total: 6}, nil
		})
	in.PollInterval, in.MaxPollInterval, in.Deadline = 2*time.Second, 30*time.Second, 5*time.Minute
	env.ExecuteWorkflow(ProcessFile, in)
	err := env.GetWorkflowError()
	require.Error(t, err)
	require.Contains(t, err.Error(), "not exported within 5m0s")
	var waits []time.Duration
	for i := 1; i < len(pollTimes); i++ {
		waits = append(waits, pollTimes[i].Sub(pollTimes[i-1]).Round(time.Second))
	}
	require.Equal(t, []time.Duration{2 * time.Second, 4 * time.Second, 8 * time.Second, 16 * time.Second, 30 * time.Second}, waits[:5])
	// 2+4+8+16 = 30s, then every 30s until 5 minutes: 4 + 9 = 13 polls (+1 first).
	require.Len(t, pollTimes, 14)
	env.AssertCalled(t, "Archive", mock.Anything, mock.MatchedBy(func(in activities.ArchiveInput) bool {
		return in.Dir == "/in/failed" && strings.Contains(in.Reason, "not exported")
	}))
}

func TestPollAimsAtTheEstimatedEnd(t *testing.T) {
	b := newBackoff(2*time.Second, time.Minute)
	t0 := time.Unix(0, 0)
	d, _ := b.next(t0, activities.TaskStatus{Status: "processing", Total: 1000, Success: 100})
	require.Equal(t, 2*time.Second, d)
	// 100 more rows in 2s: 50 rows/s, 800 left: 16s (+0.5s margin).
	d, eta := b.next(t0.Add(2*time.Second), activities.TaskStatus{Status: "processing", Total: 1000, Success: 150, Failure: 50})
	require.Equal(t, 16500*time.Millisecond, d)
	require.Equal(t, t0.Add(18500*time.Millisecond), eta)
	// Very slow progress is capped at the maximum.
	d, _ = b.next(t0.Add(20*time.Second), activities.TaskStatus{Status: "processing", Total: 1000, Success: 201})
	require.Equal(t, time.Minute, d)

	// A task about to end is polled a quarter of its time left after the
	// estimate, not half a second: 400 rows in 0.5 s, 800 left: 1 s + 0.25 s.
	b = newBackoff(250*time.Millisecond, time.Minute)
	b.next(t0, activities.TaskStatus{Status: "processing", Total: 1000, Success: 0})
	d, _ = b.next(t0.Add(500*time.Millisecond), activities.TaskStatus{Status: "processing", Total: 1200, Success: 400})
	require.Equal(t, 1250*time.Millisecond, d)
}

func TestBadInputIsArchivedAsFailed(t *testing.T) { bothSizes(t, testBadInputIsArchivedAsFailed) }

func testBadInputIsArchivedAsFailed(t *testing.T, in Input) {
	env := newEnv(t)
	env.OnActivity(a.Prepare, mock.Anything, mock.Anything).Return(activities.PrepareResult{},
		temporal.NewNonRetryableApplicationError("numbers.txt holds no phone numbers", activities.ErrBadInput, nil)).Once()
	env.OnActivity(a.Archive, mock.Anything, mock.Anything).Return("/in/failed/numbers.txt", nil).Once()
	env.ExecuteWorkflow(ProcessFile, in)
	err := env.GetWorkflowError()
	require.Error(t, err)
	require.Contains(t, err.Error(), "holds no phone numbers")
	env.AssertCalled(t, "Archive", mock.Anything, mock.MatchedBy(func(in activities.ArchiveInput) bool {
		return in.Dir == "/in/failed" && strings.Contains(in.Reason, "holds no phone numbers")
	}))
	env.AssertNotCalled(t, "Upload", mock.Anything, mock.Anything)
}

func TestNothingToUploadSkipsTheService(t *testing.T) {
	bothSizes(t, testNothingToUploadSkipsTheService)
}

func testNothingToUploadSkipsTheService(t *testing.T, in Input) {
	env := newEnv(t)
	okStepsAfterPrepare(env)
	env.OnActivity(a.Prepare, mock.Anything, mock.Anything).Return(activities.PrepareResult{LocalKey: "work/l.csv", Lines: 3, Rows: 3, SetAside: 3}, nil)
	env.ExecuteWorkflow(ProcessFile, in)
	require.NoError(t, env.GetWorkflowError())
	env.AssertNotCalled(t, "Upload", mock.Anything, mock.Anything)
	env.AssertNotCalled(t, "Poll", mock.Anything, mock.Anything)
	env.AssertNotCalled(t, "Download", mock.Anything, mock.Anything)
}

func TestProgressQuery(t *testing.T) { bothSizes(t, testProgressQuery) }

func testProgressQuery(t *testing.T, in Input) {
	env := newEnv(t)
	okSteps(env)
	env.OnActivity(a.Upload, mock.Anything, mock.Anything).Return(activities.UploadResult{TaskID: "t1", Total: 6}, nil)
	env.OnActivity(a.Poll, mock.Anything, mock.Anything).Return(activities.TaskStatus{Status: "processing", Total: 6, Success: 1}, nil).Once()
	env.OnActivity(a.Poll, mock.Anything, mock.Anything).Return(activities.TaskStatus{Status: "exported", Total: 6, Success: 6}, nil)
	var seen Progress
	env.RegisterDelayedCallback(func() {
		v, err := env.QueryWorkflow("progress")
		require.NoError(t, err)
		require.NoError(t, v.Get(&seen))
	}, time.Second)
	env.ExecuteWorkflow(ProcessFile, in)
	require.NoError(t, env.GetWorkflowError())
	require.Equal(t, StagePolling, seen.Stage)
	require.Equal(t, "processing", seen.RemoteStatus)
	require.Equal(t, 1, seen.Polls)
	require.Equal(t, "t1", seen.TaskID)
}

func TestOutputLocation(t *testing.T) {
	for _, tc := range []struct{ out, want string }{
		{"/srv/results", "/srv/results/numbers-0123456789ab"},
		{"file:///srv/results/", "/srv/results/numbers-0123456789ab"},
		{"s3://bucket/results?region=eu-west-1&endpoint=http://minio:9000", "s3://bucket/results/numbers-0123456789ab"},
	} {
		if got := OutputLocation(tc.out, "numbers-0123456789ab"); got != tc.want {
			t.Errorf("OutputLocation(%q) = %q, want %q", tc.out, got, tc.want)
		}
	}
}

// TestPollRetriesALongOutage: a service that fails every poll for minutes
// is retried with backoff until it answers, local steps as well as
// activities (a local activity's retries otherwise end with its
// start-to-close timeout).
func TestPollRetriesALongOutage(t *testing.T) { bothSizes(t, testPollRetriesALongOutage) }

func testPollRetriesALongOutage(t *testing.T, in Input) {
	env := newEnv(t)
	okSteps(env)
	env.OnActivity(a.Upload, mock.Anything, mock.Anything).Return(activities.UploadResult{TaskID: "t1", Total: 6}, nil)
	start := env.Now()
	env.OnActivity(a.Poll, mock.Anything, mock.Anything).Return(
		func(context.Context, activities.PollInput) (activities.TaskStatus, error) {
			if env.Now().Sub(start) < 10*time.Minute {
				return activities.TaskStatus{}, errors.New("503 from the service")
			}
			return activities.TaskStatus{Status: "exported", Total: 6, Success: 6}, nil
		})
	env.ExecuteWorkflow(ProcessFile, in)
	require.NoError(t, env.GetWorkflowError())
	var res Result
	require.NoError(t, env.GetWorkflowResult(&res))
	require.Equal(t, StageDone, res.Stage)
}

// TestPollDeadlineEndsFailingAttempts: a service that fails every poll is
// retried only until the deadline, which ends the file with the last error,
// not retried for as long as activities are.
func TestPollDeadlineEndsFailingAttempts(t *testing.T) {
	bothSizes(t, testPollDeadlineEndsFailingAttempts)
}

func testPollDeadlineEndsFailingAttempts(t *testing.T, in Input) {
	env := newEnv(t)
	okSteps(env)
	env.OnActivity(a.Upload, mock.Anything, mock.Anything).Return(activities.UploadResult{TaskID: "t1", Total: 6}, nil)
	env.OnActivity(a.Poll, mock.Anything, mock.Anything).Return(activities.TaskStatus{}, errors.New("503 from the service"))
	in.Deadline = 10 * time.Minute
	start := env.Now()
	env.ExecuteWorkflow(ProcessFile, in)
	err := env.GetWorkflowError()
	require.Error(t, err)
	require.Contains(t, err.Error(), "not exported within 10m0s")
	require.Contains(t, err.Error(), "503 from the service")
	require.Less(t, env.Now().Sub(start), 15*time.Minute)
	env.AssertCalled(t, "Archive", mock.Anything, mock.MatchedBy(func(in activities.ArchiveInput) bool {
		return in.Dir == "/in/failed" && strings.Contains(in.Reason, "not exported within")
	}))
}

// TestUnusableAnswersAreCountedAndPassedOn: answers without use are polls
// (billed) and the count in a row goes to the next poll, which holds the
// budget; a usable answer resets it.
func TestUnusableAnswersAreCountedAndPassedOn(t *testing.T) {
	bothSizes(t, testUnusableAnswersAreCounted)
}

func testUnusableAnswersAreCounted(t *testing.T, in Input) {
	env := newEnv(t)
	okSteps(env)
	env.OnActivity(a.Upload, mock.Anything, mock.Anything).Return(activities.UploadResult{TaskID: "t1", Total: 6}, nil)
	var counts []int
	answers := []activities.TaskStatus{{Problem: "unreadable"}, {Problem: "unreadable"}, {Status: "processing", Total: 6, Success: 1},
		{Problem: "not found", Free: true}, {Status: "exported", Total: 6, Success: 6}}
	env.OnActivity(a.Poll, mock.Anything, mock.Anything).Return(
		func(_ context.Context, p activities.PollInput) (activities.TaskStatus, error) {
			counts = append(counts, p.Unusable)
			ts := answers[0]
			answers = answers[1:]
			return ts, nil
		})
	env.ExecuteWorkflow(ProcessFile, in)
	require.NoError(t, env.GetWorkflowError())
	var res Result
	require.NoError(t, env.GetWorkflowResult(&res))
	require.Equal(t, []int{0, 1, 2, 0, 1}, counts)
	require.Equal(t, 4, res.Polls) // the 404 was free
}
