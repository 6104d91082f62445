package workflows_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/worker"
	"google.golang.org/protobuf/encoding/protojson"

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

// A run started at a change level by a starter of this code but run by a
// worker of before it (a cluster upgraded starters first) has the version
// marker that worker recorded. This code, replaying it, asks for no
// marker; the history must still replay.
func TestReplayLevelledRunRecordedByAnOlderWorker(t *testing.T) {
	for _, f := range []string{"testdata/history_local_v4.json", "testdata/history_activities_v4.json"} {
		t.Run(filepath.Base(f), func(t *testing.T) {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			var h historypb.History
			if err := protojson.Unmarshal(b, &h); err != nil {
				t.Fatal(err)
			}
			markers := 0
			for _, e := range h.Events {
				if e.GetMarkerRecordedEventAttributes().GetMarkerName() == "Version" {
					markers++
				}
			}
			if markers == 0 {
				t.Fatal("the older worker's history has no version marker")
			}
			p := h.Events[0].GetWorkflowExecutionStartedEventAttributes().GetInput().GetPayloads()[0]
			var in map[string]any
			if err := json.Unmarshal(p.Data, &in); err != nil {
				t.Fatal(err)
			}
			in["changes"] = workflows.CurrentChanges
			if p.Data, err = json.Marshal(in); err != nil {
				t.Fatal(err)
			}
			r := worker.NewWorkflowReplayer()
			r.RegisterWorkflow(workflows.ProcessFile)
			if err := r.ReplayWorkflowHistory(nil, &h); err != nil {
				t.Fatal(err)
			}
		})
	}
}
