package workflows

import "go.temporal.io/sdk/workflow"

// changeOneMarker is the change id a run started on this code records
// alone: it stands for every change id above (local steps, finished
// records, billed calls, report, cancel archives, split, archive wait, disk
// full, notify) and for the shorter history below. Each workflow.GetVersion
// costs a marker event and an upsert of the TemporalChangeVersion search
// attribute, a write to visibility, so six of them were a third of a small
// file's events. Runs started before it replay with their own markers.
//
// Its runs also record a small file's stages with fewer workflow tasks:
//   - the polling stage is published only when a poll waits on a timer
//     (a first poll that finds the task exported never shows it);
//   - the finished record is written in the task that archives, with no
//     timer first: on a watcher's files queue the archive is an activity,
//     so every local step's result is already in the history; in up, a
//     crash before that task completes runs it again from a recall of the
//     record, which answers it when the record was written.
const changeOneMarker = "one-marker"

// changes answers which changes a run has.
type changes struct{ current bool }

func newChanges(ctx workflow.Context) changes {
	return changes{current: workflow.GetVersion(ctx, changeOneMarker, workflow.DefaultVersion, 1) >= 1}
}

// has reports change id: every change for a run with changeOneMarker,
// otherwise its own marker, recorded now if the run is new to it.
func (c changes) has(ctx workflow.Context, id string) bool {
	return c.current || workflow.GetVersion(ctx, id, workflow.DefaultVersion, 1) >= 1
}
