package watcher

import (
	"container/heap"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/fsnotify/fsnotify"
)

// Claim is one claimed input file, handed to Starter.Start.
type Claim struct {
	// Path is the claimed file, now in Folder.ProcessingDir(). The run reads it
	// from there and archives it into Folder.DoneDir() or Folder.FailedDir().
	Path string
	// Name is the file's original base name in the inbox.
	Name string
	// Rel is its original path relative to the inbox, slash-separated (Name
	// unless the folder is recursive; Name again for a file recovered from processing/).
	Rel string
	// SHA256 is the hex digest of the content; the run's id derives from it.
	SHA256 string
	// Size is the content length in bytes.
	Size int64
	// Folder holds the settings of the watched folder (shared: do not modify).
	Folder *Folder
	// Recovered is set for a file found in processing/ at startup: it may
	// already have a run (the watcher stopped after starting it).
	Recovered bool
}

// StartResult is what Starter.Start reports.
type StartResult struct {
	// WorkflowID identifies the run for this content (new or existing).
	WorkflowID string
	// Existing is set when a run for this content existed already, so none was started.
	Existing bool
	// Path, when Existing, is the Claim.Path that the existing run was started
	// with ("" if the starter cannot tell). It tells a file whose run exists
	// (left alone: that run reads and archives it) from another copy of the same
	// content (moved to done/ with a .duplicate note).
	Path string
	// Await, when set for an Existing run, waits for that run to close and
	// tells how it ended. A duplicate copy then follows its original: to
	// done/ once the run completed, to failed/ with the run's reason when it
	// did not. Without Await a duplicate goes to done/ at once.
	Await func(ctx context.Context) (Outcome, error)
}

// Outcome is how a run ended.
type Outcome struct {
	// OK is set for a run that completed; otherwise Reason says why not.
	OK     bool
	Reason string
}

// Starter starts one pipeline run per distinct content. Start must be
// idempotent by Claim.SHA256 (for example a Temporal workflow id derived from
// it): calling it again for the same content reports Existing. Start is called
// from several goroutines at once.
type Starter interface {
	Start(ctx context.Context, c Claim) (StartResult, error)
}

// StarterFunc adapts a function to Starter.
type StarterFunc func(ctx context.Context, c Claim) (StartResult, error)

// Start calls f.
func (f StarterFunc) Start(ctx context.Context, c Claim) (StartResult, error) { return f(ctx, c) }

// ErrPermanent marks a Start error that retrying cannot fix; the file then goes
// to failed/ with the error as its reason. Other errors are retried with backoff.
var ErrPermanent = errors.New("permanent")

// Permanent wraps err so that the watcher does not retry it.
func Permanent(err error) error { return fmt.Errorf("%w: %w", ErrPermanent, err) }

// Watcher watches inbox folders and starts one run per new file.
type Watcher struct {
	cfg     Config
	folders []*folder
	starter Starter
	log     *slog.Logger
	stats   Stats
	queue   jobQueue
	running atomic.Bool
	// followers are the duplicates waiting for their original's outcome;
	// they stop waiting when runCtx, Run's context, ends.
	followers sync.WaitGroup
	runCtx    context.Context

	// Owned by the Run loop.
	fsw     *fsnotify.Watcher
	watched map[string]*folder // watched directory -> its folder
	cands   map[string]*candidate
	due     dueHeap
	timerAt time.Time
	gen     uint64
	claimed []*job          // claims of this check pass, queued once durable
	toSync  map[string]bool // directories whose names changed in this pass

	// Test hooks.
	open      func(string) (inputFile, error)
	addWatch  func(string) error        // nil: fsw.Add
	eventHook func(fsnotify.Event) bool // false drops the event
	inject    chan error                // errors as if from fsnotify
}

type folder struct {
	*Folder
	processing, done, failed string
	poll                     bool
	// lease: claim a file only under a read lease, which proves that no
	// one has it open for writing (local Linux file systems).
	lease atomic.Bool
}

// candidate is a file in an inbox that is not claimed yet.
type candidate struct {
	f          *folder
	path       string
	fi         os.FileInfo
	lastChange time.Time // when the watcher last saw the file change
	due        time.Time // the pending check, zero if none
	gen        uint64    // the scan that last saw it
	claimFails int
	staleSaid  bool
	openSaid   bool // "still open for writing" was logged
}

// New checks cfg, creates the inboxes and their processing/, done/ and failed/
// folders, and returns a Watcher that Run starts. logger may be nil.
func New(cfg Config, starter Starter, logger *slog.Logger) (*Watcher, error) {
	if starter == nil {
		return nil, errors.New("watcher: no Starter")
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	cfg, err := cfg.normalize()
	if err != nil {
		return nil, fmt.Errorf("watcher: %w", err)
	}
	w := &Watcher{
		cfg:     cfg,
		starter: starter,
		log:     logger,
		open:    func(p string) (inputFile, error) { return os.Open(p) },
		watched: map[string]*folder{},
		cands:   map[string]*candidate{},
		toSync:  map[string]bool{},
		inject:  make(chan error, 1),
	}
	w.queue.wake = make(chan struct{}, 1)
	for i := range w.cfg.Folders {
		f := &folder{Folder: &w.cfg.Folders[i]}
		f.processing, f.done, f.failed = f.ProcessingDir(), f.DoneDir(), f.FailedDir()
		for _, d := range []string{f.Dir, f.processing, f.done, f.failed} {
			if err := os.MkdirAll(d, 0o755); err != nil {
				return nil, fmt.Errorf("watcher: folder %s: %w", f.Dir, err)
			}
		}
		in, err := os.Stat(f.Dir)
		if err != nil {
			return nil, fmt.Errorf("watcher: %w", err)
		}
		if !in.IsDir() {
			return nil, fmt.Errorf("watcher: %s is not a directory", f.Dir)
		}
		pr, err := os.Stat(f.processing)
		if err != nil {
			return nil, fmt.Errorf("watcher: %w", err)
		}
		if !sameDevice(in, pr) {
			return nil, fmt.Errorf("watcher: %s and %s are on different file systems, so a claim cannot be an atomic rename: set the state dir on the inbox's file system", f.Dir, f.processing)
		}
		f.poll = f.Poll
		w.folders = append(w.folders, f)
	}
	return w, nil
}

// Folders returns the watched folders with defaults applied and paths made
// absolute; Claim.Folder points at one of them.
func (w *Watcher) Folders() []*Folder {
	out := make([]*Folder, len(w.folders))
	for i, f := range w.folders {
		out[i] = f.Folder
	}
	return out
}

// Stats returns the live counters.
func (w *Watcher) Stats() *Stats { return &w.stats }

// Run watches until ctx is cancelled. It first takes up files left in
// processing/ and files already in the inboxes. On cancellation it stops
// claiming, lets Start calls in flight finish for up to ShutdownGrace, and
// returns nil; files not started yet stay in processing/ for the next Run.
// A Watcher runs once.
func (w *Watcher) Run(ctx context.Context) error {
	if !w.running.CompareAndSwap(false, true) {
		return errors.New("watcher: Run called twice")
	}
	w.runCtx = ctx
	workCtx, stopWork := context.WithCancel(context.WithoutCancel(ctx))
	defer stopWork()
	var workers sync.WaitGroup
	for range w.cfg.Concurrency {
		workers.Go(func() {
			for {
				j, ok := w.queue.pop(ctx)
				if !ok {
					return
				}
				w.process(workCtx, j)
			}
		})
	}

	w.setupWatches()
	w.recoverProcessing()
	for _, f := range w.folders {
		w.rescan(f, f.Dir)
	}
	w.loop(ctx)

	if w.fsw != nil {
		_ = w.fsw.Close()
	}
	grace := time.AfterFunc(w.cfg.ShutdownGrace, stopWork)
	workers.Wait()
	w.followers.Wait()
	grace.Stop()
	s := w.stats.Snapshot()
	w.log.Info("watcher stopped", "claimed", s.Claimed, "started", s.Started, "existing", s.Existing, "failed", s.Failed)
	return nil
}

func (w *Watcher) setupWatches() {
	for _, f := range w.folders {
		// A read lease sees only this host's writers: on a network file
		// system the settle window alone decides.
		f.lease.Store(leasesSupported && remoteFS(f.Dir) == "")
		if f.poll {
			w.log.Info("polling folder (configured)", "folder", f.Dir, "every", w.cfg.PollInterval)
			continue
		}
		if kind := remoteFS(f.Dir); kind != "" {
			f.poll = true
			w.log.Warn("polling folder: it is on a "+kind+" file system, where events miss changes made by other hosts", "folder", f.Dir, "every", w.cfg.PollInterval)
		}
	}
	needEvents := false
	for _, f := range w.folders {
		needEvents = needEvents || !f.poll
	}
	if !needEvents {
		return
	}
	fsw, err := fsnotify.NewWatcher()
	if err != nil {
		w.stats.Errors.Add(1)
		w.log.Warn("polling all folders: file system events are unavailable", "error", err, "every", w.cfg.PollInterval)
		for _, f := range w.folders {
			f.poll = true
		}
		return
	}
	w.fsw = fsw // the first scan adds the watches
}

// watchDir adds one watch. On failure it switches the folder to polling, logs
// why and returns false.
func (w *Watcher) watchDir(f *folder, d string) bool {
	if f.poll {
		return false
	}
	if _, ok := w.watched[d]; ok {
		return true
	}
	var err error
	if w.addWatch != nil {
		err = w.addWatch(d)
	} else {
		err = w.fsw.Add(d)
	}
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return true // gone already; nothing to watch
		}
		f.poll = true
		w.stats.Errors.Add(1)
		hint := ""
		if errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EMFILE) {
			hint = " (raise fs.inotify.max_user_watches or max_user_instances)"
		}
		w.log.Warn("polling folder: cannot watch a directory"+hint, "folder", f.Dir, "dir", d, "error", err, "every", w.cfg.PollInterval)
		return false
	}
	w.watched[d] = f
	return true
}

func (w *Watcher) loop(ctx context.Context) {
	var events <-chan fsnotify.Event
	var errs <-chan error
	if w.fsw != nil {
		events, errs = w.fsw.Events, w.fsw.Errors
	}
	rescan := time.NewTicker(w.cfg.Rescan)
	defer rescan.Stop()
	poll := time.NewTicker(w.cfg.PollInterval)
	defer poll.Stop()
	check := time.NewTimer(time.Hour)
	check.Stop()
	defer check.Stop()
	for {
		w.armTimer(check)
		select {
		case <-ctx.Done():
			return
		case ev, ok := <-events:
			if !ok {
				events = nil
				continue
			}
			w.handleEvent(ev)
		case err, ok := <-errs:
			if !ok {
				errs = nil
				continue
			}
			w.handleWatchError(err)
		case err := <-w.inject:
			w.handleWatchError(err)
		case <-rescan.C:
			for _, f := range w.folders {
				w.rescan(f, f.Dir)
			}
		case <-poll.C:
			for _, f := range w.folders {
				if f.poll {
					w.rescan(f, f.Dir)
				}
			}
		case <-check.C:
			w.timerAt = time.Time{}
			w.checkDue()
		}
	}
}

// armTimer points the check timer at the earliest pending check.
func (w *Watcher) armTimer(t *time.Timer) {
	if len(w.due) == 0 {
		return
	}
	at := w.due[0].at
	if !w.timerAt.IsZero() && !w.timerAt.After(at) {
		return
	}
	w.timerAt = at
	t.Reset(max(time.Until(at), 0))
}

func (w *Watcher) handleWatchError(err error) {
	if errors.Is(err, fsnotify.ErrEventOverflow) {
		w.stats.Overflows.Add(1)
		w.log.Warn("file system events were lost (queue overflow); rescanning every folder")
	} else {
		w.stats.Errors.Add(1)
		w.log.Error("file system watch error; rescanning every folder", "error", err)
	}
	for _, f := range w.folders {
		w.rescan(f, f.Dir)
	}
}

func (w *Watcher) handleEvent(ev fsnotify.Event) {
	if w.eventHook != nil && !w.eventHook(ev) {
		return
	}
	path := filepath.Clean(ev.Name)
	f := w.watched[filepath.Dir(path)]
	if f == nil {
		if ev.Has(fsnotify.Remove) || ev.Has(fsnotify.Rename) {
			w.unwatchTree(path)
			for _, f := range w.folders {
				if f.Dir == path {
					w.rescan(f, f.Dir) // the inbox itself went away: create and watch it again
				}
			}
		}
		return
	}
	if ev.Has(fsnotify.Remove) || ev.Has(fsnotify.Rename) {
		if _, ok := w.watched[path]; ok {
			w.unwatchTree(path)
			return
		}
	}
	if f.Recursive && ev.Has(fsnotify.Create) {
		if fi, err := os.Lstat(path); err == nil && fi.IsDir() {
			if !ignoredName(fi.Name()) {
				w.rescan(f, path) // watches each directory before reading it
			}
			return
		}
	}
	w.observe(f, path, ev.Has(fsnotify.Create) || ev.Has(fsnotify.Write))
}

// unwatchTree forgets a directory that was removed or moved away, and those below it.
func (w *Watcher) unwatchTree(dir string) {
	for d := range w.watched {
		if within(d, dir) {
			delete(w.watched, d)
			if w.fsw != nil {
				_ = w.fsw.Remove(d)
			}
		}
	}
}

// observe records what the file at path looks like now and schedules its check.
// changed says an event reported a change.
func (w *Watcher) observe(f *folder, path string, changed bool) *candidate {
	name := filepath.Base(path)
	if f.DoneMarker && strings.HasSuffix(name, MarkerSuffix) {
		path, name, changed = strings.TrimSuffix(path, MarkerSuffix), strings.TrimSuffix(name, MarkerSuffix), false
	}
	if ignoredName(name) || !f.matches(name) {
		return nil
	}
	fi, err := os.Lstat(path)
	if err != nil || !fi.Mode().IsRegular() {
		delete(w.cands, path)
		return nil
	}
	now := time.Now()
	c := w.cands[path]
	switch {
	case c == nil:
		// A file first seen has held still since its modification time,
		// not since now: one moved into the inbox whole (mv keeps the
		// time) or waiting there at start is not made to wait again.
		// Clock skew can only make it wait longer.
		since := now
		if mt := fi.ModTime(); mt.Before(now) {
			since = mt
		}
		c = &candidate{f: f, path: path, fi: fi, lastChange: since}
		w.cands[path] = c
		w.stats.Seen.Add(1)
		w.log.Debug("new file", "folder", f.Dir, "file", name, "size", fi.Size())
	case changed || fileChanged(c.fi, fi):
		c.fi, c.lastChange = fi, now
	}
	w.schedule(c, w.readyAt(c))
	return c
}

func fileChanged(a, b os.FileInfo) bool {
	return a.Size() != b.Size() || !a.ModTime().Equal(b.ModTime()) || !os.SameFile(a, b)
}

// readyAt is when c may be claimed if nothing changes.
func (w *Watcher) readyAt(c *candidate) time.Time {
	at := c.lastChange
	if !c.f.DoneMarker {
		at = at.Add(c.f.Settle)
	}
	if c.f.MinAge > 0 {
		old := c.fi.ModTime().Add(c.f.MinAge)
		if seen := c.lastChange.Add(c.f.MinAge); seen.Before(old) {
			old = seen
		}
		if old.After(at) {
			at = old
		}
	}
	return at
}

func (w *Watcher) schedule(c *candidate, at time.Time) {
	if !c.due.IsZero() && !c.due.After(at) {
		return // an earlier check is pending; it reschedules as needed
	}
	c.due = at
	heap.Push(&w.due, dueItem{at: at, path: c.path})
}

func (w *Watcher) checkDue() {
	now := time.Now()
	for len(w.due) > 0 && !w.due[0].at.After(now) {
		it := heap.Pop(&w.due).(dueItem)
		c := w.cands[it.path]
		if c == nil || !c.due.Equal(it.at) {
			continue // stale entry
		}
		c.due = time.Time{}
		w.check(c, now)
	}
	w.flushClaims()
}

// check claims c when it is ready, or schedules the next check.
func (w *Watcher) check(c *candidate, now time.Time) {
	fi, err := os.Lstat(c.path)
	if err != nil || !fi.Mode().IsRegular() {
		delete(w.cands, c.path)
		return
	}
	if fileChanged(c.fi, fi) {
		c.fi, c.lastChange = fi, now
	}
	if at := w.readyAt(c); now.Before(at) {
		w.schedule(c, at)
		return
	}
	var marker os.FileInfo
	if c.f.DoneMarker {
		m, err := os.Lstat(c.path + MarkerSuffix)
		if err != nil {
			return // the marker's event or the next scan brings the file back
		}
		if m.ModTime().Before(fi.ModTime()) {
			if !c.staleSaid {
				c.staleSaid = true
				w.log.Warn("marker is older than its file; waiting for a new marker", "folder", c.f.Dir, "file", filepath.Base(c.path))
			}
			return
		}
		marker = m
	}
	if c.f.lease.Load() {
		lf, state := w.tryLease(c)
		if state == leaseBusy {
			// However long its writer pauses, a file open for writing is
			// not finished: look again once it may be.
			if !c.openSaid {
				c.openSaid = true
				w.log.Info("file is still open for writing; waiting for its writer to close it", "folder", c.f.Dir, "file", filepath.Base(c.path))
			}
			w.schedule(c, now.Add(c.f.Settle))
			return
		}
		if lf != nil {
			defer lf.Close() // releases the lease, after the claim
		}
	}
	w.claim(c, fi, marker)
}

// tryLease opens c for reading and takes a read lease on it. A file system
// that cannot take leases turns them off for the folder, once, with a log.
func (w *Watcher) tryLease(c *candidate) (*os.File, leaseState) {
	f, err := os.Open(c.path)
	if err != nil {
		return nil, leaseUnsupported // gone or unreadable: the claim says which
	}
	state := takeLease(f)
	if state != leaseHeld {
		f.Close()
		f = nil
	}
	if state == leaseUnsupported {
		c.f.lease.Store(false)
		w.log.Info("cannot take read leases in this folder (file system or permissions): files are claimed once they have held still for the settle window", "folder", c.f.Dir, "settle", c.f.Settle)
	}
	return f, state
}

// rescan walks root (the inbox or a directory below it) and observes every
// file; it is the truth that events only hint at.
func (w *Watcher) rescan(f *folder, root string) {
	w.stats.Rescans.Add(1)
	w.gen++
	gen := w.gen
	seen := func(p string) {
		if c := w.observe(f, p, false); c != nil {
			c.gen = gen
		}
	}
	if _, err := os.Lstat(f.Dir); errors.Is(err, fs.ErrNotExist) {
		w.log.Warn("inbox was removed; creating it again", "folder", f.Dir)
		if err := os.MkdirAll(f.Dir, 0o755); err != nil {
			w.stats.Errors.Add(1)
			w.log.Error("cannot create inbox", "folder", f.Dir, "error", err)
			return
		}
	}
	if f.Recursive {
		err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				if p == root {
					return err
				}
				return nil
			}
			if d.IsDir() {
				if p != root && ignoredName(d.Name()) {
					return filepath.SkipDir
				}
				// Watch before reading the directory: a file created in
				// between is seen by the watch or by the scan.
				w.watchDir(f, p)
				return nil
			}
			if d.Type().IsRegular() {
				seen(p)
			}
			return nil
		})
		if err != nil {
			w.stats.Errors.Add(1)
			w.log.Error("cannot scan folder", "folder", f.Dir, "dir", root, "error", err)
			return
		}
	} else {
		w.watchDir(f, root)
		entries, err := os.ReadDir(root)
		if err != nil {
			w.stats.Errors.Add(1)
			w.log.Error("cannot scan folder", "folder", f.Dir, "error", err)
			return
		}
		for _, e := range entries {
			if e.Type().IsRegular() {
				seen(filepath.Join(root, e.Name()))
			}
		}
	}
	// Files not seen are gone, or no longer candidates.
	for p, c := range w.cands {
		if c.f == f && c.gen != gen && within(p, root) && (f.Recursive || filepath.Dir(p) == root) {
			if _, err := os.Lstat(p); err != nil {
				delete(w.cands, p)
			}
		}
	}
}

// dueHeap orders pending checks by time.
type dueItem struct {
	at   time.Time
	path string
}

type dueHeap []dueItem

func (h dueHeap) Len() int           { return len(h) }
func (h dueHeap) Less(i, j int) bool { return h[i].at.Before(h[j].at) }
func (h dueHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *dueHeap) Push(x any)        { *h = append(*h, x.(dueItem)) }
func (h *dueHeap) Pop() any {
	old := *h
	it := old[len(old)-1]
	*h = old[:len(old)-1]
	return it
}
