package workflows

import "go.temporal.io/sdk/workflow"

// changeOneMarker is the change id a run started on this code records
// alone: it stands for every change id above (local steps, finished
// records, billed calls, report, cancel archives, split, archive wait, disk
// full, notify) and for the shorter history below. Each workflow.GetVersion
// costs a marker event and an upsert of the TemporalChangeVersion search
// attribute, a write to visibility, so six of them were a third of a small
// file's events. Runs started before it replay with their own markers; runs
// started at a change level (CurrentChanges) record not even this one.
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

// CurrentChanges is the change level Start gives a new run (Input.Changes):
// level 1 has every change changeOneMarker stands for, known from the input
// alone, so the run records no marker at all. A worker of before it ignores
// the field and records the marker, which this code, replaying, passes over
// (the SDK skips version markers no GetVersion asks for). A later change
// may be gated on a higher level instead of a marker only if workers are
// upgraded before starters: a worker of before would run a levelled input
// its own way, and this code would replay it by the level.
const CurrentChanges = 1

// changes answers which changes a run has.
type changes struct{ current bool }

func newChanges(ctx workflow.Context, in Input) changes {
	if in.Changes >= 1 {
		return changes{current: true}
	}
	return changes{current: workflow.GetVersion(ctx, changeOneMarker, workflow.DefaultVersion, 1) >= 1}
}

// has reports change id: every change for a run with changeOneMarker,
// otherwise its own marker, recorded now if the run is new to it.
func (c changes) has(ctx workflow.Context, id string) bool {
	return c.current || workflow.GetVersion(ctx, id, workflow.DefaultVersion, 1) >= 1
}
