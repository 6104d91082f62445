package activities

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"github.com/phonecheck/phonecheck/taskapi"
)

type PollInput struct {
	SHA256  string `json:"sha256"`
	TaskID  string `json:"task_id"`
	FileKey string `json:"file_key,omitempty"` // names the work files (workflows.FileKey); "" for sha256
	// Report asks for answers that cost a call but give nothing usable
	// (TaskStatus.Problem) to be returned, for the workflow to count,
	// instead of failing the attempt; runs started before leave it unset.
	Report bool `json:"report,omitempty"`
	// Unusable is how many such answers came in a row; at
	// Activities.RetryBudget the poll gives up before calling. LastProblem
	// is the last of them, for the reason.
	Unusable    int    `json:"unusable,omitempty"`
	LastProblem string `json:"last_problem,omitempty"`
	// UploadSHA256 names the task's ledger entry, for the reason.
	UploadSHA256 string `json:"upload_sha256,omitempty"`
}

// TaskStatus is one gettasks answer, without the result link (a bearer
// token for the results, kept in the work directory instead).
type TaskStatus struct {
	Status  string `json:"status"`
	Total   int    `json:"total"`
	Success int    `json:"success"`
	Failure int    `json:"failure"`
	// Problem (with PollInput.Report) is why the answer is of no use: an
	// unreadable 200, exported without a result link, an unknown task.
	Problem string `json:"problem,omitempty"`
	// Free marks an answer that cost nothing (an unknown task's 404).
	Free bool `json:"free,omitempty"`
	// Link reports that the result link is kept (exported and usable).
	Link bool `json:"link,omitempty"`
}

// resultLink is a task's result link as the work files keep it, with the
// run that asked for it.
type resultLink struct {
	TaskID string     `json:"task_id"`
	URL    string     `json:"url"`
	RunID  string     `json:"run_id"`
	Status TaskStatus `json:"status"` // the answer that gave it
}

// retryBudget is Activities.RetryBudget or its default.
func (a *Activities) retryBudget() int {
	if a.RetryBudget > 0 {
		return a.RetryBudget
	}
	return 5
}

// Poll asks for the task's state once (a billed call). The result link is
// kept in the store, not returned: it grants access to results.
func (a *Activities) Poll(ctx context.Context, in PollInput) (TaskStatus, error) {
	work := workOf(in.FileKey, in.SHA256)
	if !in.Report {
		return a.pollV0(ctx, in, work)
	}
	if in.Unusable >= a.retryBudget() {
		return TaskStatus{}, temporal.NewNonRetryableApplicationError(fmt.Sprintf(
			"task %s: %d calls in a row gave no usable answer (the last: %s); gave up, as --api-retry-budget says. %s",
			in.TaskID, in.Unusable, in.LastProblem, a.afresh(in.UploadSHA256)), ErrBadResult, nil)
	}
	linkKey, err := workKey(work, "result_link.json")
	if err != nil {
		return TaskStatus{}, err
	}
	runID := activity.GetInfo(ctx).WorkflowExecution.RunID
	// A poll of this run that saw the task exported, whose answer the
	// workflow did not record (a crash), is answered from the store.
	if b, err := a.Store.ReadAll(ctx, linkKey); err == nil {
		var l resultLink
		if json.Unmarshal(b, &l) == nil && l.TaskID == in.TaskID && l.RunID == runID && l.URL != "" {
			return l.Status, nil
		}
	}
	task, err := a.API.GetTask(ctx, in.TaskID)
	switch {
	case errors.Is(err, taskapi.ErrNotFound):
		return TaskStatus{Problem: fmt.Sprintf("the service does not know task %s (%v)", in.TaskID, err), Free: true}, nil
	case errors.Is(err, taskapi.ErrBadResponse):
		return TaskStatus{Problem: err.Error()}, nil
	case errors.Is(err, taskapi.ErrTaskFailed):
		return TaskStatus{}, temporal.NewNonRetryableApplicationError(err.Error()+
			": the service will not finish this task. "+a.afresh(in.UploadSHA256), ErrBadRequest, nil)
	case err != nil:
		return TaskStatus{}, apiError(err)
	}
	ts := TaskStatus{Status: string(task.Status), Total: int(task.Total), Success: int(task.Success), Failure: int(task.Failure)}
	if task.Status.Done() {
		if task.ResultURL == "" {
			ts.Problem = fmt.Sprintf("the service reports task %s exported but gave no result_url", in.TaskID)
			return ts, nil
		}
		ts.Link = true
		b, _ := json.Marshal(resultLink{TaskID: in.TaskID, URL: task.ResultURL, RunID: runID, Status: ts})
		if err := a.Store.WriteAll(ctx, linkKey, b); err != nil {
			return TaskStatus{}, err
		}
	}
	return ts, nil
}

// pollV0 is Poll for runs started before answers were reported: errors
// fail the attempt, and the link is kept as result_url.
func (a *Activities) pollV0(ctx context.Context, in PollInput, work string) (TaskStatus, error) {
	linkKey, err := workKey(work, "result_url")
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

// afresh says where a task is recorded and how to start afresh.
func (a *Activities) afresh(uploadSHA256 string) string {
	where := ""
	if uploadSHA256 != "" {
		where = " (the task is recorded in " + a.Store.Location(LedgerKey(uploadSHA256)) + ")"
	}
	return "If the service no longer has it or failed it, upload the file anew with 'phonecheck submit --force FILE'" + where
}
