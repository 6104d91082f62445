package watcher

import "sync/atomic"

// Stats are the watcher's counters, safe for concurrent reads (for example by a
// Prometheus collector). They only grow.
type Stats struct {
	Seen       atomic.Int64 // candidate files first noticed in an inbox
	Claimed    atomic.Int64 // files renamed into processing/
	Recovered  atomic.Int64 // files found in processing/ at startup
	Started    atomic.Int64 // Start calls that started a new run
	Existing   atomic.Int64 // Start calls that found a run for the content already
	Duplicates atomic.Int64 // of those, other copies of the content, moved to done/ with a .duplicate note
	Resumed    atomic.Int64 // of those, files whose run already exists with this very file (after a restart)
	Failed     atomic.Int64 // files moved to failed/ with a .reason
	Retries    atomic.Int64 // Start attempts scheduled again after an error
	Rescans    atomic.Int64 // full scans of an inbox
	Overflows  atomic.Int64 // event queue overflows (each followed by a rescan)
	Errors     atomic.Int64 // errors logged (watch, scan, rename, Start)
}

// StatsSnapshot is a plain copy of Stats.
type StatsSnapshot struct {
	Seen, Claimed, Recovered, Started, Existing, Duplicates, Resumed,
	Failed, Retries, Rescans, Overflows, Errors int64
}

// Snapshot copies the counters (each read atomically, not all at one instant).
func (s *Stats) Snapshot() StatsSnapshot {
	return StatsSnapshot{
		Seen: s.Seen.Load(), Claimed: s.Claimed.Load(), Recovered: s.Recovered.Load(),
		Started: s.Started.Load(), Existing: s.Existing.Load(), Duplicates: s.Duplicates.Load(),
		Resumed: s.Resumed.Load(), Failed: s.Failed.Load(), Retries: s.Retries.Load(),
		Rescans: s.Rescans.Load(), Overflows: s.Overflows.Load(), Errors: s.Errors.Load(),
	}
}
