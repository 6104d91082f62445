// Package watcher watches inbox folders and starts one pipeline run per new
// input file: it never misses a file, never starts two runs for one file, and
// never reads a file that is still being written. It knows nothing of
// Temporal; it calls a Starter.
//
// # Finding files
//
// File system events (fsnotify) are hints only. The truth is a scan of every
// inbox, made at startup, every Config.Rescan (10 s), after each new
// subdirectory is watched, and after any watch error, above all an event
// queue overflow. A folder in Poll mode is only scanned, every
// Config.PollInterval; the watcher chooses it itself, and logs why, when the
// inbox is on a network or FUSE file system (NFS, SMB/CIFS, Ceph, 9p,
// virtiofs...) or a watch cannot be added.
//
// # When a file is ready
//
// Hidden and temporary names are never claimed: dotfiles, "~$" lock files, and
// names ending in .part, .partial, .tmp, .temp, .crdownload, .download, .swp,
// .swx, ~ or .done. Writers should write under such a name and rename the file
// into place. A file is ready when its size and modification time have not
// changed for Folder.Settle (2 s), with Folder.MinAge when it is that old,
// and, on a local Linux file system, when no process has it open for
// writing: the claim takes a read lease (F_SETLEASE), which the kernel grants
// only then, so a writer that pauses longer than the settle window with the
// file open is waited for. On network and FUSE file systems (whose leases
// see only this host's writers), where leases are refused (a file of
// another user without CAP_LEASE), and off Linux, the settle window alone
// decides. In
// DoneMarker mode a file is ready once "<file>.done" exists and is not older
// than the file (a stale marker left from an earlier file does not count); the
// marker is removed after the claim.
//
// # Claiming and the folder layout
//
// A ready file is claimed by an atomic rename into processing/, which lies
// beside the inbox, outside the watched tree; both folders are synced before
// the claim is queued, so no run is started for a claim that a power cut
// could undo. For the inbox /data/inbox:
//
//	/data/inbox/                   watched; users drop files here
//	/data/processing/inbox/        claimed files, "<12 hex>-<name>", while their run needs them
//	/data/done/inbox/              inputs the run archived; duplicates with a .duplicate note
//	/data/failed/inbox/            rejected inputs, each with a "<claimed name>.reason" file
//
// Folder.StateDir moves the three to another parent on the same file system.
// The random prefix keeps two files of one name apart. Folder.DoneDir and
// Folder.FailedDir give the paths to pass to the run, which archives its
// input itself when it ends.
//
// After the claim a worker (Config.Concurrency at a time, 8) hashes the file
// (sha256, streaming; under a read lease where there are leases, so a writer
// that opened the file before its claim is waited for) and checks it: an unreadable file, an empty or
// white-space-only file, or one with a NUL byte in its first 64 KiB goes to
// failed/ with a .reason saying what is wrong and what to do, and is not
// started. Otherwise it calls Starter.Start, which must be idempotent by
// content hash:
//
//   - a new run: the file now belongs to it, in processing/;
//   - Existing, with StartResult.Path equal to the claimed path: the run was
//     started for this very file before a restart; the file is left to it;
//   - Existing for another copy of the content (Path differs, or the file was
//     claimed just now and this is its first Start): the copy follows its
//     original. It waits in processing/ for that run's outcome
//     (StartResult.Await) and then goes to done/ with a
//     "<claimed name>.duplicate" note naming the workflow, or, when the run
//     failed, to failed/ with the run's reason. A starter that cannot wait
//     (no Await) has the copy moved to done/ at once;
//   - Existing, and the starter cannot tell (Path empty) for a file that may
//     have been started before: it is left in processing/ and logged;
//   - an error: the file stays in processing/ and Start is retried with
//     backoff (Config.RetryMin to RetryMax); an error wrapped with Permanent
//     sends the file to failed/ instead.
//
// At startup the files in processing/ are taken up again (hashed and
// started; Start's idempotence makes this safe). On cancellation Run stops
// claiming, lets Start calls in flight finish for up to ShutdownGrace, and
// returns; whatever was not started waits in processing/ for the next Run.
//
// Logs (log/slog) carry names, paths, sizes and hashes, never file contents.
// Stats holds counters for metrics.
package watcher
