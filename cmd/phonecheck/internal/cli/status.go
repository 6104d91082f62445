package cli

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/phonecheck/phonecheck/cmd/phonecheck/internal/config"
	"github.com/phonecheck/phonecheck/workflows"
)

var statusCmd = &command{
	name:    "status",
	args:    "ID|FILE",
	summary: "show a file's stage and progress",
	about: "Shows a workflow's stage, counters and polls. It takes a workflow id, a sha256 or the\n" +
		"file itself; a file or sha256 is looked up with the region it was submitted with\n" +
		"(`--region`, or the configured one), and a miss names the regions its content was\n" +
		"submitted with.",
	keys:  slices.Concat([]string{"region", "split"}, config.TemporalKeys),
	flags: jsonFlag(runStatus),
}

func runStatus(x *call, asJSON bool) int {
	stdio := x.stdio
	ctx := context.Background()
	id, c, desc, code := workflowTarget(ctx, x)
	if code >= 0 {
		return code
	}
	defer c.Close()
	status := workflows.StatusName(desc.WorkflowExecutionInfo.Status)
	p, qerr := workflows.GetProgress(ctx, c, id)
	if asJSON {
		out := map[string]any{"workflow_id": id, "status": status}
		if qerr == nil {
			out["progress"] = p
		}
		if d, ok, err := workflows.GetDelivery(ctx, c, desc.WorkflowExecutionInfo.GetExecution().GetRunId()); err == nil && ok {
			out["notice"] = d
		}
		return printJSON(stdio, out)
	}
	fmt.Fprintf(stdio.Out, "%s: %s\n", id, status)
	if qerr != nil {
		fmt.Fprintf(stdio.Out, "  progress unavailable: %v (is a worker running?)\n", qerr)
		return ExitOK
	}
	fmt.Fprintf(stdio.Out, "  stage %s, remote %s, task %s\n  lines %d: uploaded %d, folded %d, set aside %d\n  checked %d of %d, %d polls\n",
		p.Stage, orDash(p.RemoteStatus), orDash(p.TaskID), p.Lines, p.Uploaded, p.Folded, p.SetAside, p.Success+p.Failure, p.Total, p.Polls)
	if p.Waiting != "" {
		fmt.Fprintf(stdio.Out, "  waiting: %s\n", p.Waiting)
	}
	if p.Error != "" {
		fmt.Fprintf(stdio.Out, "  error: %s\n", p.Error)
	}
	if d, ok, err := workflows.GetDelivery(ctx, c, desc.WorkflowExecutionInfo.GetExecution().GetRunId()); err == nil && ok {
		fmt.Fprintf(stdio.Out, "  notice %s after %d attempts", d.State, d.Attempts)
		if !d.DeliveredAt.IsZero() {
			fmt.Fprintf(stdio.Out, ", delivered %s (HTTP %d)", d.DeliveredAt.Format(time.RFC3339), d.HTTPStatus)
		}
		if !d.NextAttempt.IsZero() {
			fmt.Fprintf(stdio.Out, ", next attempt %s", d.NextAttempt.Format(time.RFC3339))
		}
		if d.LastError != "" {
			fmt.Fprintf(stdio.Out, "; last error: %s", d.LastError)
		}
		fmt.Fprintln(stdio.Out)
	}
	return ExitOK
}
