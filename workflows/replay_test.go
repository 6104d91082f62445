package workflows_test

import (
	"testing"

	"go.temporal.io/sdk/worker"

	"github.com/phonecheck/phonecheck/workflows"
)

// replayHistory is a real run's history (TestFileThroughThePipelineEqualsValidate
// with -update-history writes it). Replaying it fails when a change to the
// workflow would break determinism for runs in flight: guard such changes
// with workflow.GetVersion.
const replayHistory = "testdata/process_file_history.json"

func TestReplayProcessFile(t *testing.T) {
	r := worker.NewWorkflowReplayer()
	r.RegisterWorkflow(workflows.ProcessFile)
	if err := r.ReplayWorkflowHistoryFromJSONFile(nil, replayHistory); err != nil {
		t.Fatal(err)
	}
}
