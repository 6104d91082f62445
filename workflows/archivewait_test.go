package workflows_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.temporal.io/api/workflowservice/v1"

	"github.com/phonecheck/phonecheck/activities"
	"github.com/phonecheck/phonecheck/internal/testkit"
	"github.com/phonecheck/phonecheck/workflows"
)

// The archive of a watched file runs on its watcher's files queue. With
// no watcher of that id, the run shows that it waits (stage
// awaiting-watcher in list, the watcher named in status); a watcher
// recreated with the same id takes the archive up, while one with a new id
// does not, and past the bound the file fails naming the watcher, its
// results recorded: dropped again, it goes to done/ without a new charge.
func TestArchiveWaitsForItsWatcher(t *testing.T) {
	t.Parallel() // waits on timers and kills, not on the CPU
	s := newStack(t, 0)
	ctx := context.Background()
	filesWorker := func(id string) {
		w := workflows.NewFilesWorker(s.Client, &activities.Activities{Store: s.Store}, id)
		if err := w.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(w.Stop)
	}
	// awaiting checks what list and status show of a waiting archive.
	awaiting := func(t *testing.T, id, watcher string) {
		t.Helper()
		waitStage(t, s.Client, id, workflows.StageAwaitingWatcher)
		p, err := workflows.GetProgress(ctx, s.Client, id)
		if err != nil || !strings.Contains(p.Waiting, `watcher "`+watcher+`"`) {
			t.Errorf("progress while waiting: %+v, %v; want the watcher %q named", p, err, watcher)
		}
		q, _ := workflows.ListQuery(workflows.StageAwaitingWatcher)
		testkit.WaitFor(t, time.Minute, "list --stage awaiting-watcher to show "+id, func() bool {
			resp, err := s.Client.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{Query: q})
			if err != nil {
				return false
			}
			for _, e := range resp.Executions {
				if e.Execution.WorkflowId == id {
					return true
				}
			}
			return false
		})
	}

	t.Run("same id", func(t *testing.T) {
		in := s.input(t, "same.txt", 500, 31)
		in.FilesQueue, in.ArchiveWait = workflows.FilesQueue("watch-a"), time.Minute // shown as waiting after 15 s
		charges := s.Charges("tasks")
		run, _, err := workflows.Submit(ctx, s.Client, s.Store, in)
		if err != nil {
			t.Fatal(err)
		}
		awaiting(t, run.GetID(), "watch-a")
		filesWorker("watch-a") // the watcher recreated with its id
		res := waitResult(t, s.Client, run.GetID())
		if res.Archived != filepath.Join(in.DoneDir, "same.txt") || res.Stage != workflows.StageDone {
			t.Errorf("archived to %q at stage %s, want done/same.txt", res.Archived, res.Stage)
		}
		if n := s.Charges("tasks") - charges; n != 1 {
			t.Errorf("%d upload charges, want 1", n)
		}
	})

	t.Run("new id", func(t *testing.T) {
		in := s.input(t, "new.txt", 500, 32)
		in.FilesQueue, in.ArchiveWait = workflows.FilesQueue("watch-old"), 12*time.Second
		filesWorker("watch-new") // recreated with another id: not its queue
		charges := s.Charges("tasks")
		run, _, err := workflows.Submit(ctx, s.Client, s.Store, in)
		if err != nil {
			t.Fatal(err)
		}
		awaiting(t, run.GetID(), "watch-old")
		err = s.Client.GetWorkflow(ctx, run.GetID(), "").Get(ctx, nil)
		reason := workflows.RootMessage(err)
		for _, want := range []string{`watcher "watch-old"`, "--watcher-id watch-old", in.Path, "without a new charge"} {
			if err == nil || !strings.Contains(reason, want) {
				t.Errorf("the run ended with %q, want it to say %q", reason, want)
			}
		}
		if _, err := os.Stat(in.Path); err != nil {
			t.Errorf("the input left its place without an archive: %v", err)
		}
		// What the reason says to do: the file dropped again, at the new watcher.
		in.FilesQueue = workflows.FilesQueue("watch-new")
		again, _, err := workflows.Submit(ctx, s.Client, s.Store, in)
		if err != nil {
			t.Fatal(err)
		}
		res := waitResult(t, s.Client, again.GetID())
		if res.Archived != filepath.Join(in.DoneDir, "new.txt") {
			t.Errorf("dropped again, archived to %q, want done/new.txt", res.Archived)
		}
		if _, err := os.Stat(res.Outputs["csv"]); err != nil {
			t.Errorf("the results kept from the first run: %v", err)
		}
		if n := s.Charges("tasks") - charges; n != 1 {
			t.Errorf("%d upload charges, want 1 (the second run takes the recorded result)", n)
		}
	})
}
