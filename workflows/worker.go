package workflows

import (
	"context"
	"errors"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"

	"github.com/phonecheck/phonecheck/activities"
)

// NewWorker returns a worker on TaskQueue with the workflow and the
// activities registered.
func NewWorker(c client.Client, acts *activities.Activities, opts worker.Options) worker.Worker {
	w := worker.New(c, TaskQueue, opts)
	w.RegisterWorkflow(ProcessFile)
	w.RegisterActivity(acts)
	return w
}

// FilesQueue is the task queue of a host's files: a watcher serves the
// archive step on it, since only that host can move the files it claimed.
func FilesQueue(host string) string { return TaskQueue + "-files-" + host }

// NewFilesWorker returns a worker that runs only the archive step, on the
// files queue of this host.
func NewFilesWorker(c client.Client, acts *activities.Activities, host string) worker.Worker {
	w := worker.New(c, FilesQueue(host), worker.Options{})
	w.RegisterActivityWithOptions(acts.Archive, activity.RegisterOptions{Name: "Archive"})
	return w
}

// StartedPath is the input path a workflow was started with (from its memo).
func StartedPath(ctx context.Context, c client.Client, id string) string {
	desc, err := c.DescribeWorkflowExecution(ctx, id, "")
	if err != nil {
		return ""
	}
	var path string
	if p := desc.WorkflowExecutionInfo.GetMemo().GetFields()["path"]; p != nil {
		_ = converter.GetDefaultDataConverter().FromPayload(p, &path)
	}
	return path
}

// Start starts the workflow for a file, or finds the one that already ran
// or runs for the same content (existing is then true). A failed run may be
// started again by dropping the file again; a completed one never is.
func Start(ctx context.Context, c client.Client, in Input) (run client.WorkflowRun, existing bool, err error) {
	id := WorkflowID(in.SHA256)
	run, err = c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:                                       id,
		TaskQueue:                                TaskQueue,
		WorkflowIDReusePolicy:                    enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE_FAILED_ONLY,
		WorkflowExecutionErrorWhenAlreadyStarted: true,
		Memo:                                     map[string]any{"file": in.Name}, // for list; names, never numbers
		// Searchable from the start, before any worker has picked it up.
		TypedSearchAttributes: temporal.NewSearchAttributes(stageKey.ValueSet(StagePreparing)),
	}, ProcessFile, in)
	var started *serviceerror.WorkflowExecutionAlreadyStarted
	if errors.As(err, &started) {
		return c.GetWorkflow(ctx, id, started.RunId), true, nil
	}
	if err != nil {
		return nil, false, err
	}
	return run, false, nil
}
