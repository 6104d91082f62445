package workflows_test

import (
	"path/filepath"
	"testing"

	"go.temporal.io/sdk/worker"

	"github.com/phonecheck/phonecheck/workflows"
)

// The histories in testdata/history_*.json are real runs' histories
// (TestFileThroughThePipelineEqualsValidate with -update-history writes the
// current version's); those of earlier versions stay. Replaying them fails
// when a change to the workflow would break determinism for runs in flight:
// guard such changes with workflow.GetVersion.
func TestReplayProcessFile(t *testing.T) {
	files, _ := filepath.Glob("testdata/history_*.json")
	if len(files) < 3 {
		t.Fatalf("%d histories in testdata, want the v0 one and the current local and activity ones", len(files))
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			r := worker.NewWorkflowReplayer()
			r.RegisterWorkflow(workflows.ProcessFile)
			if err := r.ReplayWorkflowHistoryFromJSONFile(nil, f); err != nil {
				t.Fatal(err)
			}
		})
	}
}
