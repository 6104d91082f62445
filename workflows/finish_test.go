package workflows_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/interceptor"
	"go.temporal.io/sdk/worker"

	"github.com/phonecheck/phonecheck/activities"
	"github.com/phonecheck/phonecheck/internal/testkit"
	"github.com/phonecheck/phonecheck/internal/testkit/stack"
	"github.com/phonecheck/phonecheck/workflows"
)

// stallAfter is a worker interceptor that, once armed, lets the named step
// run and then holds its worker there, as a kill right after it would:
// its result never reaches Temporal.
type stallAfter struct {
	interceptor.WorkerInterceptorBase
	step    string
	armed   atomic.Bool
	stalled chan struct{}
}

func (s *stallAfter) InterceptActivity(ctx context.Context, next interceptor.ActivityInboundInterceptor) interceptor.ActivityInboundInterceptor {
	return &stallInbound{ActivityInboundInterceptorBase: interceptor.ActivityInboundInterceptorBase{Next: next}, s: s}
}

type stallInbound struct {
	interceptor.ActivityInboundInterceptorBase
	s *stallAfter
}

func (i *stallInbound) ExecuteActivity(ctx context.Context, in *interceptor.ExecuteActivityInput) (any, error) {
	res, err := i.Next.ExecuteActivity(ctx, in)
	if err == nil && strings.HasSuffix(activityName(ctx), i.s.step) && i.s.armed.CompareAndSwap(true, false) {
		close(i.s.stalled)
		<-ctx.Done()
		return nil, ctx.Err()
	}
	return res, err
}

// TestKillAfterTheArchiveRunsNoStepAgain: a small file's late steps run in
// one workflow task; the worker dies right after the archive, before that
// task's results are recorded. The steps run again on the next worker and
// find their files: the file finishes with validate's rows, one upload and
// as many gettasks charges as polls counted (the poll run again is
// answered from the store).
func TestKillAfterTheArchiveRunsNoStepAgain(t *testing.T) {
	t.Parallel() // waits on timers and kills, not on the CPU
	stall := &stallAfter{step: "Archive", stalled: make(chan struct{})}
	stall.armed.Store(true)
	s := liveStack{stack.NewWith(t, stack.Options{Worker: worker.Options{Interceptors: []interceptor.WorkerInterceptor{stall}}})}
	in := s.input(t, "late-kill.txt", 3000, 93)
	content, _ := os.ReadFile(in.Path)
	run, _, err := workflows.Submit(context.Background(), s.Client, s.Store, in)
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-stall.stalled:
	case <-time.After(2 * time.Minute):
		t.Fatal("the archive never ran")
	}
	s.StopWorker()
	s.StartWorker()
	res := waitResult(t, s.Client, run.GetID())
	got, _ := os.ReadFile(res.Outputs["csv"])
	if !bytes.Equal(got, validateCSV(t, content, in.Region)) {
		t.Error("outputs differ from validate after the kill")
	}
	if n := s.Charges("tasks"); n != 1 {
		t.Errorf("%d upload charges, want 1", n)
	}
	if n := s.Charges("gettasks"); n != res.Polls {
		t.Errorf("%d gettasks charges, the workflow counted %d polls", n, res.Polls)
	}
	if ok, _ := s.Store.Exists(context.Background(), "work/"+workflows.FileKey(in.SHA256, in.Options)+"/local.csv"); ok {
		t.Error("the work files are still in the store after the file finished")
	}
}

// TestKillAfterFinishRunsNoStepAgain: the worker dies right after Finish
// wrote the finished record and removed the work files, before its
// workflow task's results are recorded. With no timer before Finish, the
// next worker runs that task again: in up (no files queue) from a recall
// of the record, on a watcher's files queue from the archive's result.
// Either way the file finishes with validate's rows, one upload, no poll
// run again, and its work files gone.
func TestKillAfterFinishRunsNoStepAgain(t *testing.T) {
	t.Parallel() // waits on timers and kills, not on the CPU
	for _, watcher := range []string{"", "finish-watcher"} {
		t.Run("files-queue="+watcher, func(t *testing.T) {
			stall := &stallAfter{step: "Finish", stalled: make(chan struct{})}
			stall.armed.Store(true)
			s := liveStack{stack.NewWith(t, stack.Options{Worker: worker.Options{Interceptors: []interceptor.WorkerInterceptor{stall}}})}
			in := s.input(t, "finish-kill.txt", 3000, 96)
			if watcher != "" {
				in.FilesQueue = workflows.FilesQueue(watcher)
				files := workflows.NewFilesWorker(s.Client, &activities.Activities{Store: s.Store}, watcher)
				if err := files.Start(); err != nil {
					t.Fatal(err)
				}
				defer files.Stop()
			}
			content, _ := os.ReadFile(in.Path)
			run, _, err := workflows.Submit(context.Background(), s.Client, s.Store, in)
			if err != nil {
				t.Fatal(err)
			}
			select {
			case <-stall.stalled:
			case <-time.After(2 * time.Minute):
				t.Fatal("Finish never ran")
			}
			s.StopWorker()
			s.StartWorker()
			res := waitResult(t, s.Client, run.GetID())
			got, _ := os.ReadFile(res.Outputs["csv"])
			if !bytes.Equal(got, validateCSV(t, content, in.Region)) {
				t.Error("outputs differ from validate after the kill")
			}
			if n := s.Charges("tasks"); n != 1 {
				t.Errorf("%d upload charges, want 1", n)
			}
			if n := s.Charges("gettasks"); n != res.Polls {
				t.Errorf("%d gettasks charges, the workflow counted %d polls (a poll ran again)", n, res.Polls)
			}
			if res.Archived != filepath.Join(in.DoneDir, in.Name) {
				t.Errorf("archived to %q", res.Archived)
			}
			if ok, _ := s.Store.Exists(context.Background(), "work/"+workflows.FileKey(in.SHA256, in.Options)+"/local.csv"); ok {
				t.Error("the work files are still in the store after the file finished")
			}
		})
	}
}

// activityName is the running activity's type, local or not.
func activityName(ctx context.Context) string { return activity.GetInfo(ctx).ActivityType.Name }

// deleteRun removes a closed run from Temporal, as its namespace retention
// would, and waits until it is gone.
func deleteRun(t *testing.T, s liveStack, id string) {
	t.Helper()
	_, err := s.Client.WorkflowService().DeleteWorkflowExecution(context.Background(), &workflowservice.DeleteWorkflowExecutionRequest{
		Namespace: "default", WorkflowExecution: &commonpb.WorkflowExecution{WorkflowId: id}})
	if err != nil {
		t.Fatal(err)
	}
	testkit.WaitFor(t, time.Minute, "the run to be deleted", func() bool {
		_, err := s.Client.DescribeWorkflowExecution(context.Background(), id, "")
		var nf *serviceerror.NotFound
		return errors.As(err, &nf)
	})
}

// TestFinishedFileIsRemembered: after Temporal has forgotten a finished
// run, the same file dropped again gets the recorded result, uncharged;
// with its outputs gone it runs again on its recorded task (polls only);
// started afresh (submit --force) it uploads again.
func TestFinishedFileIsRemembered(t *testing.T) {
	t.Parallel() // waits on timers and kills, not on the CPU
	s := newStack(t, 0)
	in := s.input(t, "remember.txt", 500, 94)
	content, _ := os.ReadFile(in.Path)
	submit := func(name, generation string) workflows.Result {
		t.Helper()
		again := s.inputOf(t, name, content)
		again.Generation = generation
		run, existing, err := workflows.Submit(context.Background(), s.Client, s.Store, again)
		if err != nil || existing {
			t.Fatalf("submit %s: %v (existing %v)", name, err, existing)
		}
		res := waitResult(t, s.Client, run.GetID())
		if _, err := os.Stat(filepath.Join(again.DoneDir, name)); err != nil {
			t.Errorf("%s is not in done/: %v", name, err)
		}
		return res
	}
	first := submit("remember.txt", "")
	uploads, polls := s.Charges("tasks"), s.Charges("gettasks")
	deleteRun(t, s, workflows.WorkflowID(in.SHA256, in.Options))

	again := submit("remember-again.txt", "")
	if again.TaskID != first.TaskID || again.Summary != first.Summary || again.Rows != first.Rows {
		t.Errorf("dropped again: task %s, summary %s, rows %d; first: %s, %s, %d", again.TaskID, again.Summary, again.Rows, first.TaskID, first.Summary, first.Rows)
	}
	if u, p := s.Charges("tasks"), s.Charges("gettasks"); u != uploads || p != polls {
		t.Errorf("dropped again: %d upload and %d gettasks charges, want %d and %d (none new)", u, p, uploads, polls)
	}

	// The results removed: the file runs again, on the task recorded.
	os.RemoveAll(first.OutputDir)
	deleteRun(t, s, workflows.WorkflowID(in.SHA256, in.Options))
	rerun := submit("remember-rerun.txt", "")
	if rerun.TaskID != first.TaskID {
		t.Errorf("rerun without outputs used task %s, want the recorded %s", rerun.TaskID, first.TaskID)
	}
	if u, p := s.Charges("tasks"), s.Charges("gettasks"); u != uploads || p <= polls {
		t.Errorf("rerun without outputs: %d upload and %d gettasks charges, want %d and more than %d", u, p, uploads, polls)
	}
	if _, err := os.Stat(rerun.Outputs["csv"]); err != nil {
		t.Errorf("rerun wrote no results: %v", err)
	}

	// submit --force, the run closed: uploaded anew.
	forced := submit("remember-forced.txt", workflows.NewGeneration())
	if forced.TaskID == first.TaskID {
		t.Errorf("started afresh, the file kept task %s", forced.TaskID)
	}
	if u := s.Charges("tasks"); u != uploads+1 {
		t.Errorf("started afresh: %d upload charges, want %d", u, uploads+1)
	}
}

// TestCancelledFileIsArchived: a run cancelled while it polls archives its
// input to failed/ with a reason, and ends as cancelled.
func TestCancelledFileIsArchived(t *testing.T) {
	s := newStack(t, 400*time.Millisecond)
	in := s.input(t, "cancel.txt", 8000, 95)
	run, _, err := workflows.Submit(context.Background(), s.Client, s.Store, in)
	if err != nil {
		t.Fatal(err)
	}
	waitStage(t, s.Client, run.GetID(), workflows.StagePolling)
	if err := s.Client.CancelWorkflow(context.Background(), run.GetID(), ""); err != nil {
		t.Fatal(err)
	}
	waitClosed(t, s, run.GetID())
	d, err := s.Client.DescribeWorkflowExecution(context.Background(), run.GetID(), "")
	if err != nil {
		t.Fatal(err)
	}
	if st := workflows.StatusName(d.WorkflowExecutionInfo.Status); st != "canceled" {
		t.Errorf("status %s, want canceled", st)
	}
	reason, err := os.ReadFile(filepath.Join(in.FailedDir, in.Name+".reason"))
	if err != nil || !strings.Contains(string(reason), "cancelled") {
		t.Errorf("reason %q, %v", reason, err)
	}
	if _, err := os.Stat(in.Path); !os.IsNotExist(err) {
		t.Errorf("the input is still in processing: %v", err)
	}
}
