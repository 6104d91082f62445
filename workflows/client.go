package workflows

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"

	"github.com/phonecheck/phonecheck/activities"
	"github.com/phonecheck/phonecheck/internal/store"
)

// This file is what a client of the pipeline calls: the watcher, the CLI,
// the Terraform provider and the tests go through it, never through
// literals of their own.

// Submit puts a file's content into the workers' store and starts its
// workflow: the one way a starter hands a file over. in.Path is a file
// nobody writes to again (the claimed file, or submit's copy): a directory
// store on its file system keeps it as a second name, not a copy.
// in.FileKey and in.Key are set here.
func Submit(ctx context.Context, c client.Client, st *store.Store, in Input) (run client.WorkflowRun, existing bool, err error) {
	in.FileKey = FileKey(in.SHA256, in.Options)
	var copied bool
	if in.Key, copied, err = activities.PutInput(ctx, st, in.FileKey, in.Path); err != nil {
		return nil, false, err
	}
	run, existing, err = Start(ctx, c, in)
	if existing && copied {
		// The run that has this content has read its input, or was
		// given its own: the copy made now is nobody's.
		if derr := st.Delete(ctx, in.Key); derr != nil && err == nil {
			err = derr
		}
	}
	return run, existing, err
}

// startSummary is the line the Temporal UI shows for a file's workflow.
func startSummary(in Input) string {
	s := in.Name
	if in.Region != "" {
		s += " · region " + in.Region
	}
	if len(in.Formats) > 0 {
		s += " · " + strings.Join(in.Formats, ", ")
	}
	return s
}

// Start starts the workflow for a file whose content is in the store
// already, or finds the one that already ran or runs for the same content
// and options (existing is then true). A failed run may be started again by
// dropping the file again; a completed one only with in.Generation set
// (NewGeneration: submit --force), never while one runs.
func Start(ctx context.Context, c client.Client, in Input) (run client.WorkflowRun, existing bool, err error) {
	if in.FileKey == "" {
		in.FileKey = FileKey(in.SHA256, in.Options)
	}
	in.Changes = CurrentChanges
	id := WorkflowIDPrefix + in.FileKey
	reuse := enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE_FAILED_ONLY
	if in.Generation != "" {
		reuse = enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE
	}
	run, err = c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:                                       id,
		TaskQueue:                                TaskQueue,
		WorkflowIDReusePolicy:                    reuse,
		WorkflowExecutionErrorWhenAlreadyStarted: true,
		// For list, and for a starter that finds the run again after a
		// restart (StartedPath): names, options and paths, never numbers.
		Memo:          map[string]any{MemoFile: in.Name, "options": in.Options.String(), "path": in.Path},
		StaticSummary: startSummary(in),
		// Searchable from the start, before any worker has picked it up.
		TypedSearchAttributes: temporal.NewSearchAttributes(stageKey.ValueSet(StagePreparing)),
		// No eager start, though up's client runs the worker: a first
		// task handed straight back to the worker goes ahead of the runs
		// already going, whose next tasks wait on the worker's sticky
		// queue. Under a burst of files they timed out there and fell
		// behind every new run (TestABurstKeepsRunsGoing); through
		// matching, the worker's pollers take a sticky task first.
		EnableEagerStart: false,
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

// NewGeneration is a fresh Input.Generation: a run with it starts afresh,
// taking neither the finished record nor the task recorded for the same
// numbers, and uploads with an Idempotency-Key of its own.
func NewGeneration() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// FileKey names a file to the pipeline: its content's sha256 and a digest
// of its options, "<sha256>-<12 hex digits>". Its workflow id is
// WorkflowIDPrefix plus the key, and its input and work files in the
// store are named by it.
func FileKey(sha256Hex string, o Options) string {
	sum := sha256.Sum256([]byte("phonecheck options\n" + o.canonical()))
	return sha256Hex + "-" + hex.EncodeToString(sum[:6])
}

// canonical is the options as "name=value" lines in a fixed order, only
// those set, normalized as the pipeline reads them.
func (o Options) canonical() string {
	var b strings.Builder
	if r := strings.ToUpper(strings.TrimSpace(o.Region)); r != "" {
		b.WriteString("region=" + r + "\n")
	}
	if o.Split {
		b.WriteString("split=true\n")
	}
	for _, c := range o.Columns {
		b.WriteString("column=" + strings.TrimSpace(c) + "\n")
	}
	if c := strings.TrimSpace(o.RegionColumn); c != "" {
		b.WriteString("region_column=" + c + "\n")
	}
	if s := strings.TrimSpace(o.Sheet); s != "" {
		b.WriteString("sheet=" + s + "\n")
	}
	return b.String()
}

// String is the options for people: "region=CH", "" when none are set.
func (o Options) String() string {
	return strings.ReplaceAll(strings.TrimSuffix(o.canonical(), "\n"), "\n", " ")
}

// StartedPath is the input path a workflow run was started with ("" if it
// cannot be read): the memo's "path", or, for runs started before the memo
// held it, the path in the start event's input. runID "" is the latest run.
func StartedPath(ctx context.Context, c client.Client, id, runID string) string {
	desc, err := c.DescribeWorkflowExecution(ctx, id, runID)
	if err != nil {
		return ""
	}
	var path string
	if p := desc.WorkflowExecutionInfo.GetMemo().GetFields()["path"]; p != nil {
		if converter.GetDefaultDataConverter().FromPayload(p, &path) == nil && path != "" {
			return path
		}
	}
	in, err := startInput(ctx, c, id, desc.WorkflowExecutionInfo.GetExecution().GetRunId())
	if err != nil {
		return ""
	}
	return in.Path
}

// Outcome waits for a workflow run to close and tells how it ended: ok for
// a completed run, else the reason it did not (its failure's message, or
// that it was canceled, terminated or timed out). err is set only when the
// outcome could not be learned (ctx ended, the server cannot be reached).
func Outcome(ctx context.Context, c client.Client, id, runID string) (ok bool, reason string, err error) {
	err = c.GetWorkflow(ctx, id, runID).Get(ctx, nil)
	if err == nil {
		return true, "", nil
	}
	var closed *temporal.WorkflowExecutionError
	if !errors.As(err, &closed) {
		return false, "", err
	}
	var canceled *temporal.CanceledError
	var terminated *temporal.TerminatedError
	var timedOut *temporal.TimeoutError
	switch {
	case errors.As(err, &canceled):
		return false, "its workflow " + id + " was canceled", nil
	case errors.As(err, &terminated):
		return false, "its workflow " + id + " was terminated", nil
	case errors.As(err, &timedOut):
		return false, "its workflow " + id + " timed out", nil
	}
	return false, RootMessage(err), nil
}

// RootMessage is the innermost message of a workflow failure: what failed
// and what to do, without Temporal's wrapping.
func RootMessage(err error) string {
	for {
		u := errors.Unwrap(err)
		if u == nil {
			if appErr, ok := err.(*temporal.ApplicationError); ok && appErr.Message() != "" {
				return appErr.Message() // without "(type: …, retryable: …)"
			}
			return err.Error()
		}
		err = u
	}
}

// GetProgress asks a file's workflow for its Progress (QueryProgress).
func GetProgress(ctx context.Context, c client.Client, id string) (Progress, error) {
	var p Progress
	v, err := c.QueryWorkflow(ctx, id, "", QueryProgress)
	if err != nil {
		return p, err
	}
	return p, v.Get(&p)
}

// ListQuery is the visibility query for the pipeline's files, only those in
// stage when it is not "".
func ListQuery(stage string) (string, error) {
	q := "WorkflowType = 'ProcessFile'"
	if stage == "" {
		return q, nil
	}
	if strings.ContainsAny(stage, "'\\") {
		return "", fmt.Errorf("%q is not a stage name", stage)
	}
	return q + fmt.Sprintf(" AND %s = '%s'", StageSearchAttribute, stage), nil
}

// StatusName is a workflow execution status as users see it: running,
// completed, failed, canceled, terminated, continued_as_new, timed_out.
func StatusName(s enumspb.WorkflowExecutionStatus) string {
	return strings.ToLower(strings.TrimPrefix(s.String(), "WORKFLOW_EXECUTION_STATUS_"))
}

// HashFile is the sha256 (hex) and size of a file's content, which its
// workflow id is made of.
func HashFile(path string) (sha256Hex string, size int64, err error) {
	f, err := os.Open(path)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	h := sha256.New()
	if size, err = io.Copy(h, f); err != nil {
		return "", 0, err
	}
	return hex.EncodeToString(h.Sum(nil)), size, nil
}

// IDsForArg reads what a user names a file's workflow by: a workflow id, a
// content sha256, or a file (hashed as the watcher and submit do), the
// latter two with the options it was started with. It returns the ids that
// may be meant, best first: the id of content and options, then the id the
// same content had before options were part of it (LegacyWorkflowID).
func IDsForArg(arg string, o Options) ([]string, error) {
	if strings.HasPrefix(arg, WorkflowIDPrefix) {
		return []string{arg}, nil
	}
	sum := arg
	if len(arg) != 64 || strings.Trim(arg, "0123456789abcdef") != "" {
		var err error
		if sum, _, err = HashFile(arg); err != nil {
			return nil, fmt.Errorf("%s is neither a workflow id nor a readable file: %w", arg, err)
		}
	}
	return []string{WorkflowID(sum, o), LegacyWorkflowID(sum)}, nil
}

// FindWorkflow is the workflow a user names by arg (see IDsForArg): the
// first candidate that exists, where a legacy id counts only when its run
// was started with the same options. A workflow id is returned as given.
// When no candidate exists the error is a *NoWorkflowError.
func FindWorkflow(ctx context.Context, c client.Client, arg string, o Options) (string, error) {
	ids, err := IDsForArg(arg, o)
	if err != nil {
		return "", err
	}
	if len(ids) == 1 {
		return ids[0], nil
	}
	for i, id := range ids {
		if _, err := c.DescribeWorkflowExecution(ctx, id, ""); err != nil {
			var notFound *serviceerror.NotFound
			if errors.As(err, &notFound) {
				continue
			}
			return "", err
		}
		if i == 0 {
			return id, nil
		}
		if in, err := startInput(ctx, c, id, ""); err == nil && in.Options.canonical() == o.canonical() {
			return id, nil
		}
	}
	return ids[0], &NoWorkflowError{ID: ids[0], Options: o, Others: otherRuns(ctx, c, strings.TrimPrefix(ids[1], WorkflowIDPrefix))}
}

// NoWorkflowError is a file that has no workflow with the options asked
// for; Others are the options of the workflows its content has.
type NoWorkflowError struct {
	ID      string
	Options Options
	Others  []string
}

func (e *NoWorkflowError) Error() string {
	s := "no workflow " + e.ID + " for this content"
	if o := e.Options.String(); o != "" {
		s += " with " + o
	}
	if len(e.Others) > 0 {
		return s + "; the content was submitted with " + strings.Join(e.Others, ", ") + " (give the same options, e.g. --region)"
	}
	return s + ": submit the file first"
}

// otherRuns are the options of the workflows of content sha, as "region=CH"
// ("no options" when none): a hint when the options asked for have none.
func otherRuns(ctx context.Context, c client.Client, sha string) []string {
	resp, err := c.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{PageSize: 20,
		Query: fmt.Sprintf("WorkflowId STARTS_WITH '%s%s'", WorkflowIDPrefix, sha)})
	if err != nil {
		return nil
	}
	var out []string
	for _, e := range resp.Executions {
		o := ""
		if p := e.GetMemo().GetFields()["options"]; p != nil {
			_ = converter.GetDefaultDataConverter().FromPayload(p, &o)
		} else if in, err := startInput(ctx, c, e.GetExecution().GetWorkflowId(), ""); err == nil {
			o = in.Options.String()
		}
		if o == "" {
			o = "no options"
		}
		if !slices.Contains(out, o) {
			out = append(out, o)
		}
	}
	return out
}

// startInput is the Input a workflow run was started with (runID "": the latest run).
func startInput(ctx context.Context, c client.Client, id, runID string) (Input, error) {
	var in Input
	it := c.GetWorkflowHistory(ctx, id, runID, false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	if !it.HasNext() {
		return in, fmt.Errorf("workflow %s has no history", id)
	}
	ev, err := it.Next()
	if err != nil {
		return in, err
	}
	attrs := ev.GetWorkflowExecutionStartedEventAttributes()
	if attrs == nil || len(attrs.GetInput().GetPayloads()) == 0 {
		return in, fmt.Errorf("workflow %s: the first event is not its start", id)
	}
	return in, converter.GetDefaultDataConverter().FromPayload(attrs.GetInput().GetPayloads()[0], &in)
}
