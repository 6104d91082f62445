package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"slices"
	"time"

	enumspb "go.temporal.io/api/enums/v1"

	"github.com/phonecheck/phonecheck/cmd/phonecheck/internal/config"
	"github.com/phonecheck/phonecheck/workflows"
)

var resultsCmd = &command{
	name:    "results",
	args:    "ID|FILE",
	summary: "show a finished file's summary and output paths",
	about: "Shows a finished file's counts and output paths, its report.html first (`--open` opens the\n" +
		"report in the desktop's browser). A file whose results are written but that is\n" +
		"still archiving its input is waited for (up to 30 s); one still earlier in its run is\n" +
		"an error that names its stage, unless `--wait` waits for it to finish. It takes a\n" +
		"workflow id, a sha256 or the file itself, looked up as `status` does.",
	keys: slices.Concat([]string{"region", "split"}, config.TemporalKeys),
	flags: func(fs *flag.FlagSet) func(*call) int {
		asJSON := fs.Bool("json", false, "print JSON")
		open := fs.Bool("open", false, "open the file's report.html in the browser")
		wait := fs.Bool("wait", false, "wait for a running file to finish")
		return func(x *call) int { return runResults(x, *asJSON, *open, *wait) }
	},
}

// closingWait bounds how long results waits for a file whose outputs are
// written: archiving the input and recording the result take moments, and
// whoever sees the results folder appear asks for them at once.
const closingWait = 30 * time.Second

func runResults(x *call, asJSON, open, wait bool) int {
	stdio, name := x.stdio, x.name
	ctx := context.Background()
	id, c, desc, code := workflowTarget(ctx, x)
	if code >= 0 {
		return code
	}
	defer c.Close()
	getCtx := ctx
	if desc.WorkflowExecutionInfo.Status == enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING && !wait {
		p, _ := workflows.GetProgress(ctx, c, id)
		if p.Stage != workflows.StageArchiving && p.Stage != workflows.StageDone {
			return runError(stdio, name, fmt.Errorf("%s is still running (stage %s)", id, orDash(p.Stage)), "wait with 'phonecheck results --wait' or try again later")
		}
		var cancel context.CancelFunc
		getCtx, cancel = context.WithTimeout(ctx, closingWait)
		defer cancel()
	}
	var res workflows.Result
	if err := c.GetWorkflow(ctx, id, "").Get(getCtx, &res); err != nil {
		if getCtx.Err() != nil && ctx.Err() == nil {
			return runError(stdio, name, fmt.Errorf("%s wrote its results but has not finished archiving its input in %s", id, closingWait),
				"see 'phonecheck status' for the stage it is in")
		}
		return runError(stdio, name, errors.New(workflows.RootMessage(err)), "")
	}
	if asJSON {
		return printJSON(stdio, res)
	}
	printResult(stdio, id, res)
	if open {
		if err := openReport(res.Report); err != nil {
			return runError(stdio, name, err, "")
		}
	}
	return ExitOK
}
