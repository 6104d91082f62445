package cli

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"

	"github.com/phonecheck/phonecheck/activities"
	"github.com/phonecheck/phonecheck/phone"
	"github.com/phonecheck/phonecheck/workflows"
)

func runSubmit(args []string, stdio IO) int {
	const name = "submit"
	fs := newFlags(name, "FILE [--wait] [--region XX] [--formats csv,xlsx] [--out DIR] [--json]", stdio)
	wait := fs.Bool("wait", false, "wait for the results, with a progress line")
	asJSON := fs.Bool("json", false, "print the workflow's state as JSON")
	b := bindConfig(fs, "region", "formats", "out", "data_dir", "store")
	tf := addTemporalFlags(b)
	pos, cfg, code, ok := parseBound(stdio, name, fs, b, args)
	if !ok {
		return code
	}
	if len(pos) != 1 {
		return usageError(stdio, name, "give one FILE to submit")
	}
	reg, err := phone.NormalizeRegion(cfg.String("region"))
	if err != nil {
		return usageError(stdio, name, "--region: %v", err)
	}
	fmts, err := parseFormats(cfg.String("formats"))
	if err != nil {
		return usageError(stdio, name, "%v", err)
	}
	out := cfg.String("out")
	data := absPath(cfg.String("data_dir"))
	copyPath, sum, size, err := copyIn(pos[0], filepath.Join(data, "submitted"))
	if err != nil {
		return runError(stdio, name, err, "")
	}
	ctx := context.Background()
	st, err := openStore(cfg.String("store"), data)
	if err != nil {
		os.Remove(copyPath)
		return runError(stdio, name, err, "")
	}
	defer st.Close()
	key, err := activities.PutInput(ctx, st, sum, copyPath)
	if err != nil {
		os.Remove(copyPath)
		return runError(stdio, name, err, "")
	}
	c, err := tf.dial()
	if err != nil {
		return runError(stdio, name, err, "")
	}
	defer c.Close()
	in := workflows.Input{Path: copyPath, Key: key, Name: filepath.Base(pos[0]), SHA256: sum, Size: size, Region: reg, Formats: fmts,
		OutputDir: outLocation(out), DoneDir: filepath.Join(data, "done"), FailedDir: filepath.Join(data, "failed")}
	run, existing, err := workflows.Start(ctx, c, in)
	if err != nil {
		os.Remove(copyPath)
		return runError(stdio, name, err, "")
	}
	if existing {
		os.Remove(copyPath) // the earlier submission has its own copy
		fmt.Fprintf(stdio.Err, "phonecheck: %s was submitted before (same content): %s\n", pos[0], run.GetID())
	} else if !*asJSON {
		fmt.Fprintf(stdio.Err, "phonecheck: submitted %s as %s\n", pos[0], run.GetID())
	}
	if !*wait {
		if *asJSON {
			return printJSON(stdio, map[string]any{"workflow_id": run.GetID(), "run_id": run.GetRunID(), "existing": existing})
		}
		fmt.Fprintf(stdio.Out, "%s\n", run.GetID())
		return ExitOK
	}
	return waitAndReport(ctx, c, run, stdio, *asJSON)
}

// copyIn copies the user's file into dir (the user's file is never moved
// or changed) and returns the copy's path and the content's sha256.
func copyIn(src, dir string) (path, sum string, size int64, err error) {
	f, err := os.Open(src)
	if err != nil {
		return "", "", 0, err
	}
	defer f.Close()
	if st, err := f.Stat(); err != nil {
		return "", "", 0, err
	} else if st.IsDir() {
		return "", "", 0, fmt.Errorf("%s is a directory", src)
	}
	if err := ensureDir(dir); err != nil {
		return "", "", 0, err
	}
	tmp, err := os.CreateTemp(dir, ".submit-*")
	if err != nil {
		return "", "", 0, err
	}
	defer os.Remove(tmp.Name())
	h := sha256.New()
	if size, err = io.Copy(io.MultiWriter(tmp, h), f); err != nil {
		tmp.Close()
		return "", "", 0, err
	}
	if err := tmp.Close(); err != nil {
		return "", "", 0, err
	}
	sum = hex.EncodeToString(h.Sum(nil))
	path = filepath.Join(dir, sum[:12]+"-"+filepath.Base(src))
	return path, sum, size, os.Rename(tmp.Name(), path)
}

// waitAndReport shows progress until the workflow closes, then its result.
func waitAndReport(ctx context.Context, c client.Client, run client.WorkflowRun, stdio IO, asJSON bool) int {
	done := make(chan error, 1)
	var res workflows.Result
	go func() { done <- run.Get(ctx, &res) }()
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	start := time.Now()
	for {
		select {
		case err := <-done:
			if stdio.ErrIsTerminal && !asJSON {
				fmt.Fprint(stdio.Err, "\r\033[K")
			}
			if err != nil {
				if asJSON {
					printJSON(stdio, map[string]any{"workflow_id": run.GetID(), "status": "failed", "error": rootMessage(err)})
				}
				return runError(stdio, "submit", errors.New(rootMessage(err)), "see the .reason file in the failed folder")
			}
			if asJSON {
				return printJSON(stdio, res)
			}
			printResult(stdio, run.GetID(), res)
			return ExitOK
		case <-tick.C:
			if !stdio.ErrIsTerminal || asJSON {
				continue
			}
			if p, err := queryProgress(ctx, c, run.GetID()); err == nil {
				fmt.Fprintf(stdio.Err, "\r\033[K%s", progressText(p, time.Since(start)))
			}
		}
	}
}

func queryProgress(ctx context.Context, c client.Client, id string) (workflows.Progress, error) {
	var p workflows.Progress
	v, err := c.QueryWorkflow(ctx, id, "", "progress")
	if err != nil {
		return p, err
	}
	return p, v.Get(&p)
}

func progressText(p workflows.Progress, elapsed time.Duration) string {
	s := fmt.Sprintf("%-11s %s", p.Stage, elapsed.Round(time.Second))
	if p.Total > 0 {
		done := p.Success + p.Failure
		s += fmt.Sprintf("  %s/%s checked (%d%%)", group(int64(done)), group(int64(p.Total)), done*100/p.Total)
	}
	if p.Polls > 0 {
		s += fmt.Sprintf("  %d polls", p.Polls)
	}
	if !p.ETA.IsZero() {
		if left := time.Until(p.ETA); left > 0 {
			s += fmt.Sprintf("  ETA %s", left.Round(time.Second))
		}
	}
	return s
}

func printResult(stdio IO, id string, r workflows.Result) {
	fmt.Fprintf(stdio.Out, "%s: %s rows, %s valid, %s invalid (uploaded %s, folded %s, set aside %s; %d polls; task %s)\n",
		id, group(int64(r.Rows)), group(int64(r.Valid)), group(int64(r.Invalid)),
		group(int64(r.Uploaded)), group(int64(r.Folded)), group(int64(r.SetAside)), r.Polls, orDash(r.TaskID))
	for _, f := range sortedKeys(r.Outputs) {
		fmt.Fprintf(stdio.Out, "  %-5s %s\n", f, r.Outputs[f])
	}
	fmt.Fprintf(stdio.Out, "  summary %s\n", r.Summary)
}

func printJSON(stdio IO, v any) int {
	enc := json.NewEncoder(stdio.Out)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return ExitError
	}
	return ExitOK
}

// rootMessage is the innermost message of a workflow failure: what failed
// and what to do, without Temporal's wrapping.
func rootMessage(err error) string {
	for {
		u := errors.Unwrap(err)
		if u == nil {
			return err.Error()
		}
		err = u
	}
}

// workflowIDFor reads a status/results argument: a workflow id, a sha256,
// or a file (hashed to the workflow id, as the watcher and submit do).
func workflowIDFor(arg string) (string, error) {
	if strings.HasPrefix(arg, workflows.WorkflowIDPrefix) {
		return arg, nil
	}
	if len(arg) == 64 && strings.Trim(arg, "0123456789abcdef") == "" {
		return workflows.WorkflowID(arg), nil
	}
	f, err := os.Open(arg)
	if err != nil {
		return "", fmt.Errorf("%s is neither a workflow id nor a readable file: %w", arg, err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return workflows.WorkflowID(hex.EncodeToString(h.Sum(nil))), nil
}

// workflowCommand is the shared start of status and results: the flags, the
// one ID|FILE argument turned into a workflow id, and the client.
func workflowCommand(name string, args []string, stdio IO) (id string, c client.Client, asJSON bool, code int) {
	fs := newFlags(name, "ID|FILE [--json]", stdio)
	tf := addTemporalFlags(bindConfig(fs))
	jsonFlag := fs.Bool("json", false, "print JSON")
	pos, _, code, ok := parseBound(stdio, name, fs, tf.b, args)
	if !ok {
		return "", nil, false, code
	}
	var err error
	if len(pos) != 1 {
		return "", nil, false, usageError(stdio, name, "give one workflow id or file")
	}
	if id, err = workflowIDFor(pos[0]); err != nil {
		return "", nil, false, runError(stdio, name, err, "")
	}
	if c, err = tf.dial(); err != nil {
		return "", nil, false, runError(stdio, name, err, "")
	}
	return id, c, *jsonFlag, -1
}

// describe is DescribeWorkflowExecution with a message for an unknown id.
func describe(ctx context.Context, c client.Client, id string) (*workflowservice.DescribeWorkflowExecutionResponse, error) {
	desc, err := c.DescribeWorkflowExecution(ctx, id, "")
	var notFound *serviceerror.NotFound
	if errors.As(err, &notFound) {
		return nil, fmt.Errorf("no workflow %s: submit the file first, or check --temporal-address", id)
	}
	return desc, err
}

func runStatus(args []string, stdio IO) int {
	const name = "status"
	id, c, asJSON, code := workflowCommand(name, args, stdio)
	if code >= 0 {
		return code
	}
	defer c.Close()
	ctx := context.Background()
	desc, err := describe(ctx, c, id)
	if err != nil {
		return runError(stdio, name, err, "")
	}
	status := strings.ToLower(strings.TrimPrefix(desc.WorkflowExecutionInfo.Status.String(), "WORKFLOW_EXECUTION_STATUS_"))
	p, qerr := queryProgress(ctx, c, id)
	if asJSON {
		out := map[string]any{"workflow_id": id, "status": status}
		if qerr == nil {
			out["progress"] = p
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
	if p.Error != "" {
		fmt.Fprintf(stdio.Out, "  error: %s\n", p.Error)
	}
	return ExitOK
}

func runList(args []string, stdio IO) int {
	const name = "list"
	fs := newFlags(name, "[--stage STAGE] [--limit N] [--json]", stdio)
	tf := addTemporalFlags(bindConfig(fs))
	stage := fs.String("stage", "", "only files in this stage (preparing, uploading, polling, downloading, joining, exporting, archiving, done, failed)")
	limit := fs.Int("limit", 50, "at most this many")
	asJSON := fs.Bool("json", false, "print JSON")
	if _, _, code, ok := parseBound(stdio, name, fs, tf.b, args); !ok {
		return code
	}
	query := "WorkflowType = 'ProcessFile'"
	if *stage != "" {
		if strings.ContainsAny(*stage, "'\\") {
			return usageError(stdio, name, "--stage: not a stage name")
		}
		query += fmt.Sprintf(" AND %s = '%s'", workflows.StageSearchAttribute, *stage)
	}
	c, err := tf.dial()
	if err != nil {
		return runError(stdio, name, err, "")
	}
	defer c.Close()
	resp, err := c.ListWorkflow(context.Background(), &workflowservice.ListWorkflowExecutionsRequest{Query: query, PageSize: int32(*limit)})
	if err != nil {
		return runError(stdio, name, err, "")
	}
	type row struct {
		ID      string    `json:"workflow_id"`
		File    string    `json:"file"`
		Stage   string    `json:"stage"`
		Status  string    `json:"status"`
		Started time.Time `json:"started"`
	}
	var rows []row
	for _, e := range resp.Executions {
		r := row{ID: e.Execution.WorkflowId, Started: e.StartTime.AsTime(),
			Status: strings.ToLower(strings.TrimPrefix(e.Status.String(), "WORKFLOW_EXECUTION_STATUS_"))}
		if p := e.Memo.GetFields()["file"]; p != nil {
			json.Unmarshal(p.Data, &r.File)
		}
		if p := e.SearchAttributes.GetIndexedFields()[workflows.StageSearchAttribute]; p != nil {
			json.Unmarshal(p.Data, &r.Stage)
		}
		rows = append(rows, r)
	}
	if *asJSON {
		return printJSON(stdio, rows)
	}
	tw := tabwriter.NewWriter(stdio.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "WORKFLOW\tFILE\tSTAGE\tSTATUS\tSTARTED")
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", r.ID[:min(len(r.ID), len(workflows.WorkflowIDPrefix)+12)], orDash(r.File), orDash(r.Stage), r.Status, r.Started.Local().Format(time.DateTime))
	}
	tw.Flush()
	if len(rows) == 0 {
		fmt.Fprintln(stdio.Err, "no files yet: submit one with 'phonecheck submit FILE'")
	}
	return ExitOK
}

func runResults(args []string, stdio IO) int {
	const name = "results"
	id, c, asJSON, code := workflowCommand(name, args, stdio)
	if code >= 0 {
		return code
	}
	defer c.Close()
	ctx := context.Background()
	desc, err := describe(ctx, c, id)
	if err != nil {
		return runError(stdio, name, err, "")
	}
	if desc.WorkflowExecutionInfo.Status == enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING {
		p, _ := queryProgress(ctx, c, id)
		return runError(stdio, name, fmt.Errorf("%s is still running (stage %s)", id, orDash(p.Stage)), "wait with 'phonecheck submit FILE --wait' or try again later")
	}
	var res workflows.Result
	if err := c.GetWorkflow(ctx, id, "").Get(ctx, &res); err != nil {
		return runError(stdio, name, errors.New(rootMessage(err)), "")
	}
	if asJSON {
		return printJSON(stdio, res)
	}
	printResult(stdio, id, res)
	return ExitOK
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func sortedKeys(m map[string]string) []string { return slices.Sorted(maps.Keys(m)) }
