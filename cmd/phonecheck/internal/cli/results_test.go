package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/phonecheck/phonecheck/internal/testkit"
	"github.com/phonecheck/phonecheck/internal/testkit/stack"
	"github.com/phonecheck/phonecheck/workflows"
)

// closingFile stands for a file in a given stage: it answers the progress
// query with that stage and finishes once signalled.
func closingFile(ctx workflow.Context, stage string) (workflows.Result, error) {
	if err := workflow.SetQueryHandler(ctx, workflows.QueryProgress, func() (workflows.Progress, error) {
		return workflows.Progress{Stage: stage}, nil
	}); err != nil {
		return workflows.Result{}, err
	}
	workflow.GetSignalChannel(ctx, "finish").Receive(ctx, nil)
	return workflows.Result{Progress: workflows.Progress{Stage: workflows.StageDone}, Rows: 15, Valid: 15}, nil
}

// TestResultsWaitsForAFileThatIsClosing is what a script does that waits
// for the results folder and then asks for the results: the file's outputs
// are written but it is still archiving its input. results waits for the
// moment that takes; a file earlier in its run is an error naming its stage,
// unless --wait.
func TestResultsWaitsForAFileThatIsClosing(t *testing.T) {
	addr := testkit.FreeAddr(t)
	dev, c := stack.Temporal(t, filepath.Join(t.TempDir(), "temporal.db"), addr)
	defer dev.Stop()
	defer c.Close()
	w := worker.New(c, "results-test", worker.Options{})
	w.RegisterWorkflowWithOptions(closingFile, workflow.RegisterOptions{Name: "ClosingFile"})
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	ctx := context.Background()
	start := func(sha, stage string) string {
		id := workflows.WorkflowID(strings.Repeat(sha, 64), workflows.Options{Region: "CH"})
		if _, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: "results-test"}, "ClosingFile", stage); err != nil {
			t.Fatal(err)
		}
		testkit.WaitFor(t, 30*time.Second, "the file's progress", func() bool {
			p, err := workflows.GetProgress(ctx, c, id)
			return err == nil && p.Stage == stage
		})
		return id
	}
	results := func(args ...string) (int, string, string) {
		var out, errOut bytes.Buffer
		code := Main(append([]string{"results", "--json", "--temporal-address", addr}, args...), IO{Out: &out, Err: &errOut})
		return code, out.String(), errOut.String()
	}
	finishIn := func(id string, d time.Duration) {
		time.AfterFunc(d, func() { c.SignalWorkflow(ctx, id, "", "finish", nil) })
	}

	archiving := start("a", workflows.StageArchiving)
	finishIn(archiving, time.Second)
	code, out, errOut := results(archiving)
	var res workflows.Result
	if code != ExitOK || json.Unmarshal([]byte(out), &res) != nil || res.Rows != 15 {
		t.Fatalf("results of a file archiving its input: exit %d, %q, %s", code, out, errOut)
	}

	uploading := start("b", workflows.StageUploading)
	if code, _, errOut := results(uploading); code == ExitOK || !strings.Contains(errOut, "still running (stage uploading)") {
		t.Fatalf("results of a file still uploading: exit %d, %s", code, errOut)
	}
	finishIn(uploading, time.Second)
	if code, out, errOut := results("--wait", uploading); code != ExitOK || !strings.Contains(out, `"rows": 15`) {
		t.Fatalf("results --wait of a file still uploading: exit %d, %q, %s", code, out, errOut)
	}
}
