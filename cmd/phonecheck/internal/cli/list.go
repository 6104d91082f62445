package cli

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"sync"
	"text/tabwriter"
	"time"

	"go.temporal.io/api/workflowservice/v1"

	"github.com/phonecheck/phonecheck/cmd/phonecheck/internal/config"
	"github.com/phonecheck/phonecheck/workflows"
)

var listCmd = &command{
	name:    "list",
	summary: "list recent files and their stages",
	about: "Lists recent files from Temporal's visibility store, newest first, filtered by the\n" +
		"`PhonecheckStage` search attribute with `--stage`. A running file shows its progress: the\n" +
		"numbers the service has checked of those uploaded.",
	keys: config.TemporalKeys,
	flags: func(fs *flag.FlagSet) func(*call) int {
		stage := fs.String("stage", "", "only files in this `STAGE`: preparing, uploading, polling, downloading, joining, exporting, archiving, awaiting-watcher, done or failed")
		limit := fs.Int("limit", 50, "at most `N` files")
		asJSON := fs.Bool("json", false, "print JSON")
		return func(x *call) int { return runList(x, *stage, *limit, *asJSON) }
	},
}

func runList(x *call, stage string, limit int, asJSON bool) int {
	stdio, name := x.stdio, x.name
	query, err := workflows.ListQuery(stage)
	if err != nil {
		return usageError(stdio, name, "--stage: %v", err)
	}
	c, err := dialTemporal(x.cfg)
	if err != nil {
		return runError(stdio, name, err, "")
	}
	defer c.Close()
	resp, err := c.ListWorkflow(context.Background(), &workflowservice.ListWorkflowExecutionsRequest{Query: query, PageSize: int32(limit)})
	if err != nil {
		return runError(stdio, name, err, "")
	}
	type row struct {
		ID      string    `json:"workflow_id"`
		File    string    `json:"file"`
		Options string    `json:"options,omitempty"`
		Stage   string    `json:"stage"`
		Status  string    `json:"status"`
		Started time.Time `json:"started"`
		// Checked and Total are a running file's progress: numbers the
		// service has answered of those uploaded.
		Checked *int `json:"checked,omitempty"`
		Total   *int `json:"total,omitempty"`
	}
	var rows []row
	for _, e := range resp.Executions {
		r := row{ID: e.Execution.WorkflowId, Started: e.StartTime.AsTime(),
			Status: workflows.StatusName(e.Status)}
		if p := e.Memo.GetFields()["file"]; p != nil {
			json.Unmarshal(p.Data, &r.File)
		}
		if p := e.Memo.GetFields()["options"]; p != nil {
			json.Unmarshal(p.Data, &r.Options)
		}
		if p := e.SearchAttributes.GetIndexedFields()[workflows.StageSearchAttribute]; p != nil {
			json.Unmarshal(p.Data, &r.Stage)
		}
		rows = append(rows, r)
	}
	// A running file's progress is a query its worker answers: at most a
	// few at once, each bounded, so a missing worker costs two seconds.
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	for i := range rows {
		if rows[i].Status != "running" {
			continue
		}
		wg.Add(1)
		go func(r *row) {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			if p, err := workflows.GetProgress(ctx, c, r.ID); err == nil && p.Total > 0 {
				checked, total := p.Success+p.Failure, p.Total
				r.Checked, r.Total = &checked, &total
			}
		}(&rows[i])
	}
	wg.Wait()
	if asJSON {
		return printJSON(stdio, rows)
	}
	tw := tabwriter.NewWriter(stdio.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "WORKFLOW\tFILE\tOPTIONS\tSTAGE\tSTATUS\tPROGRESS\tSTARTED")
	for _, r := range rows {
		progress := "-"
		if r.Checked != nil {
			progress = fmt.Sprintf("%s/%s", group(int64(*r.Checked)), group(int64(*r.Total)))
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.ID[:min(len(r.ID), len(workflows.WorkflowIDPrefix)+12)], orDash(r.File), orDash(r.Options), orDash(r.Stage), r.Status, progress, r.Started.Local().Format(time.DateTime))
	}
	tw.Flush()
	if len(rows) == 0 {
		fmt.Fprintln(stdio.Err, "no files yet: submit one with 'phonecheck submit FILE'")
	}
	return ExitOK
}
