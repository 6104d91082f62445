package workflows

import (
	"context"
	"errors"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/phonecheck/phonecheck/activities"
)

// changeNotify is the change id of notices (Input.Notify): a done or
// failed file starts a NotifyFile workflow.
const changeNotify = "notify"

// NotifyFor bounds a notice's delivery: retried with backoff for this
// long, then given up (the file's outcome is unchanged either way).
const NotifyFor = 24 * time.Hour

// NotifyWorkflowIDPrefix plus a file's run id is the id of the workflow
// that delivers that run's notice.
const NotifyWorkflowIDPrefix = "phonecheck-notify-"

// NotifyWorkflowID is the id of the notice of a file's run.
func NotifyWorkflowID(runID string) string { return NotifyWorkflowIDPrefix + runID }

// NotifyFile delivers one notice, retrying with backoff up to NotifyFor.
// It is a workflow of its own, left running when the file's closes, so a
// receiver that is down holds up neither the file nor those who wait for it.
func NotifyFile(ctx workflow.Context, in activities.NotifyInput) (activities.NotifyResult, error) {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: time.Minute, ScheduleToCloseTimeout: NotifyFor,
		RetryPolicy: &temporal.RetryPolicy{InitialInterval: 2 * time.Second, BackoffCoefficient: 2, MaximumInterval: 10 * time.Minute,
			NonRetryableErrorTypes: []string{activities.ErrBadInput, activities.ErrNotifyRefused}},
	})
	var res activities.NotifyResult
	if err := workflow.ExecuteActivity(ctx, a.Notify, in).Get(ctx, &res); err != nil {
		workflow.GetLogger(ctx).Warn("notice not delivered", "workflow_id", in.Notification.WorkflowID, "error", rootCause(err))
		return res, temporal.NewNonRetryableApplicationError("not delivered: "+rootCause(err), "NotifyFailed", nil)
	}
	return res, nil
}

// notify starts the notice of a done or failed file, when one is asked
// for, and waits only until it has started.
func notify(ctx workflow.Context, in Input, st *state, n activities.Notification) {
	if in.Notify == "" || !st.changes.has(ctx, changeNotify) {
		return
	}
	info := workflow.GetInfo(ctx)
	n.WorkflowID, n.RunID, n.Delivery = info.WorkflowExecution.ID, info.WorkflowExecution.RunID, info.WorkflowExecution.RunID
	n.Status, n.Event = st.Stage, "file."+st.Stage
	n.File, n.SHA256, n.Options, n.TaskID = in.Name, in.SHA256, in.Options.String(), st.TaskID
	n.Lines, n.Uploaded, n.Folded, n.SetAside, n.Polls = st.Lines, st.Uploaded, st.Folded, st.SetAside, st.Polls
	n.StartedAt, n.FinishedAt = st.started.UTC(), workflow.Now(ctx).UTC()
	cctx := workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{
		WorkflowID: NotifyWorkflowID(n.RunID), ParentClosePolicy: enumspb.PARENT_CLOSE_POLICY_ABANDON,
		WorkflowExecutionTimeout: NotifyFor + time.Hour,
		StaticSummary:            "notice of " + in.Name + " (" + n.Status + ")",
	})
	fut := workflow.ExecuteChildWorkflow(cctx, NotifyFile, activities.NotifyInput{URL: in.Notify, Notification: n})
	if err := fut.GetChildWorkflowExecution().Get(ctx, nil); err != nil {
		workflow.GetLogger(ctx).Error("starting the notice", "error", err)
	}
}

// Delivery is where a file's notice stands, for status.
type Delivery struct {
	ID          string    `json:"id"`    // the NotifyFile workflow
	State       string    `json:"state"` // retrying, delivered, failed, or another workflow status
	Attempts    int32     `json:"attempts"`
	LastError   string    `json:"last_error,omitempty"`
	NextAttempt time.Time `json:"next_attempt,omitempty"`
	DeliveredAt time.Time `json:"delivered_at,omitempty"`
	HTTPStatus  int       `json:"http_status,omitempty"`
}

// GetDelivery tells where the notice of a file's run stands; ok is false
// when the run has none.
func GetDelivery(ctx context.Context, c client.Client, runID string) (d Delivery, ok bool, err error) {
	d.ID = NotifyWorkflowID(runID)
	desc, err := c.DescribeWorkflowExecution(ctx, d.ID, "")
	var notFound *serviceerror.NotFound
	if errors.As(err, &notFound) {
		return d, false, nil
	}
	if err != nil {
		return d, false, err
	}
	info := desc.GetWorkflowExecutionInfo()
	switch info.GetStatus() {
	case enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING:
		d.State = "retrying"
		for _, pa := range desc.GetPendingActivities() {
			d.Attempts = pa.GetAttempt()
			if f := pa.GetLastFailure(); f != nil {
				d.LastError = f.GetMessage()
			} else if d.Attempts <= 1 {
				d.State = "sending"
			}
			if t := pa.GetScheduledTime(); t != nil && pa.GetState() == enumspb.PENDING_ACTIVITY_STATE_SCHEDULED {
				d.NextAttempt = t.AsTime()
			}
		}
		if d.LastError != "" {
			d.Attempts-- // the attempt pending has not been made yet
		}
	case enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED:
		var res activities.NotifyResult
		if err := c.GetWorkflow(ctx, d.ID, "").Get(ctx, &res); err != nil {
			return d, true, err
		}
		d.State, d.Attempts, d.DeliveredAt, d.HTTPStatus = "delivered", res.Attempt, res.DeliveredAt, res.Status
	case enumspb.WORKFLOW_EXECUTION_STATUS_FAILED:
		d.State = "failed"
		d.LastError = RootMessage(c.GetWorkflow(ctx, d.ID, "").Get(ctx, nil))
	default:
		d.State = StatusName(info.GetStatus())
	}
	return d, true, nil
}
