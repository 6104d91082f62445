package watcher

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/phonecheck/phonecheck/internal/durable"
	"github.com/phonecheck/phonecheck/internal/input"
)

// job is a claimed file on its way to Start.
type job struct {
	claim  Claim
	before os.FileInfo // the file when it was claimed; nil when recovered
	fresh  bool        // claimed by this Run, so no run can have been started with its path before
	calls  int         // Start calls made
	errs   int         // Start errors in a row
	hashed bool
	open   bool // "open for writing" was logged
}

// claim renames a ready file into processing/ and queues it.
func (w *Watcher) claim(c *candidate, fi, marker os.FileInfo) {
	f := c.f
	name := filepath.Base(c.path)
	dst := ""
	for range 8 {
		d := filepath.Join(f.processing, claimedName(name))
		if _, err := os.Lstat(d); errors.Is(err, fs.ErrNotExist) {
			dst = d
			break
		}
	}
	err := errors.New("no free name in " + f.processing)
	if dst != "" {
		err = os.Rename(c.path, dst)
		if errors.Is(err, fs.ErrNotExist) {
			if _, serr := os.Lstat(c.path); serr != nil {
				// Another watcher claimed it, or it was removed: not ours.
				delete(w.cands, c.path)
				w.log.Debug("file went away before its claim", "folder", f.Dir, "file", name)
				return
			}
			// processing/ itself is missing: create it and try once more.
			if err = os.MkdirAll(f.processing, 0o755); err == nil {
				err = os.Rename(c.path, dst)
			}
		}
	}
	if err != nil {
		c.claimFails++
		w.stats.Errors.Add(1)
		hint := ""
		if errors.Is(err, syscall.EXDEV) {
			hint = ": processing/ is on another file system; set the state dir on the inbox's file system"
		}
		d := w.retryDelay(c.claimFails)
		w.log.Error("cannot claim file"+hint, "folder", f.Dir, "file", name, "error", err, "retry_in", d)
		w.schedule(c, time.Now().Add(d))
		return
	}
	delete(w.cands, c.path)
	w.toSync[filepath.Dir(c.path)], w.toSync[f.processing] = true, true
	w.stats.Claimed.Add(1)
	if marker != nil {
		mp := c.path + MarkerSuffix
		if cur, err := os.Lstat(mp); err == nil && os.SameFile(cur, marker) {
			if err := os.Remove(mp); err != nil && !errors.Is(err, fs.ErrNotExist) {
				w.log.Warn("cannot remove marker", "folder", f.Dir, "marker", filepath.Base(mp), "error", err)
			}
		}
	}
	rel, err := filepath.Rel(f.Dir, c.path)
	if err != nil {
		rel = name
	}
	w.log.Info("claimed", "folder", f.Dir, "file", filepath.ToSlash(rel), "size", fi.Size(), "path", dst)
	w.claimed = append(w.claimed, &job{
		claim:  Claim{Path: dst, Name: name, Rel: filepath.ToSlash(rel), Folder: f.Folder},
		before: fi,
		fresh:  true,
	})
}

// flushClaims makes the renames of this check pass durable, one sync per
// directory, and only then queues the claimed files: no run is started for
// a claim that a power cut could undo.
func (w *Watcher) flushClaims() {
	for d := range w.toSync {
		if err := durable.SyncDir(d); err != nil {
			w.stats.Errors.Add(1)
			w.log.Warn("cannot sync a folder after a claim", "dir", d, "error", err)
		}
		delete(w.toSync, d)
	}
	for _, j := range w.claimed {
		w.queue.push(j)
	}
	clear(w.claimed)
	w.claimed = w.claimed[:0]
}

// recoverProcessing queues the files a previous run left in processing/.
func (w *Watcher) recoverProcessing() {
	for _, f := range w.folders {
		entries, err := os.ReadDir(f.processing)
		if err != nil {
			w.stats.Errors.Add(1)
			w.log.Error("cannot read processing folder", "folder", f.Dir, "dir", f.processing, "error", err)
			continue
		}
		n := 0
		for _, e := range entries {
			if !e.Type().IsRegular() || ignoredName(e.Name()) {
				continue
			}
			name := originalName(e.Name())
			w.queue.push(&job{claim: Claim{
				Path: filepath.Join(f.processing, e.Name()), Name: name, Rel: name,
				Folder: f.Folder, Recovered: true,
			}})
			n++
		}
		if n > 0 {
			w.stats.Recovered.Add(int64(n))
			w.log.Info("taking up files left in processing", "folder", f.Dir, "files", n)
		}
	}
}

// process hashes and checks a claimed file, then starts its run.
func (w *Watcher) process(ctx context.Context, j *job) {
	c := &j.claim
	log := w.log.With("folder", c.Folder.Dir, "file", c.Rel, "path", c.Path)
	if !j.hashed {
		in, err := w.inspect(c.Path, w.leases(c.Folder))
		switch {
		case errors.Is(err, fs.ErrNotExist):
			// Its run archived it, or a person moved it: nothing left to do.
			log.Debug("claimed file is gone")
			return
		case err != nil:
			w.fail(j, "it could not be read: "+err.Error(),
				"Check that the watcher's user may read it, then move it back into the inbox.")
			return
		}
		if in.open {
			// A writer holds the claimed file open (it opened it as the
			// claim renamed it): its content is not final yet.
			if !j.open {
				j.open = true
				log.Warn("claimed file is open for writing; waiting for its writer to close it")
			}
			j.before = nil
			w.later(j, c.Folder.Settle)
			return
		}
		if j.before != nil && (in.size != j.before.Size() || !in.mtime.Equal(j.before.ModTime())) {
			// Something still writes through an open handle: wait for it.
			log.Warn("claimed file is still being written; waiting for it to settle", "size", in.size)
			j.before = in.info
			w.later(j, c.Folder.Settle)
			return
		}
		if in.problem != "" {
			w.fail(j, in.problem, in.todo)
			return
		}
		c.SHA256, c.Size, j.hashed = in.sum, in.size, true
	}
	log = log.With("sha256", c.SHA256)

	j.calls++
	res, err := w.starter.Start(ctx, *c)
	if err != nil {
		if errors.Is(err, ErrPermanent) {
			// The reason gives the cause; "permanent" is the watcher's word, not the user's.
			w.fail(j, "its run could not be started: "+strings.TrimPrefix(err.Error(), ErrPermanent.Error()+": "),
				"Fix the cause, then move the file back into the inbox.")
			return
		}
		if ctx.Err() != nil {
			log.Info("stopping: file left in processing for the next start")
			return
		}
		j.errs++
		w.stats.Errors.Add(1)
		w.stats.Retries.Add(1)
		d := w.retryDelay(j.errs)
		log.Warn("cannot start run; the file stays in processing and is retried", "error", err, "attempt", j.errs, "retry_in", d)
		w.later(j, d)
		return
	}
	log = log.With("workflow", res.WorkflowID)
	if !res.Existing {
		w.stats.Started.Add(1)
		log.Info("started")
		return
	}
	w.stats.Existing.Add(1)
	switch {
	case res.Path != "" && filepath.Clean(res.Path) == filepath.Clean(c.Path):
		w.stats.Resumed.Add(1)
		log.Info("run exists for this file already; left to it")
	case res.Path != "" || (j.fresh && j.calls == 1):
		// Another copy of this content has its run: this one ends as that
		// run does.
		if res.Await == nil {
			w.duplicate(j, res)
			return
		}
		log.Info("duplicate content; waiting for the run of its original", "original", res.Path)
		w.followers.Go(func() { w.follow(w.runCtx, j, res) })
	default:
		log.Warn("a run exists for this content, but the starter cannot tell whether it uses this file; left in processing")
	}
}

// leases reports whether the folder's files are read under a lease.
func (w *Watcher) leases(f *Folder) bool {
	for _, wf := range w.folders {
		if wf.Folder == f {
			return wf.lease.Load()
		}
	}
	return false
}

// follow waits for the outcome of the run that a duplicate's content
// already has, then archives the duplicate as that run ended. Until then
// the copy stays in processing/; a watcher stopped meanwhile takes it up
// again when it starts.
func (w *Watcher) follow(ctx context.Context, j *job, res StartResult) {
	c := &j.claim
	for n := 1; ; n++ {
		out, err := res.Await(ctx)
		if err == nil {
			if out.OK {
				w.duplicate(j, res)
			} else {
				w.fail(j, fmt.Sprintf("its content is that of workflow %s, which ended without results: %s", res.WorkflowID, out.Reason),
					"Fix the cause, then move the file back into the inbox.")
			}
			return
		}
		if ctx.Err() != nil {
			return
		}
		w.stats.Errors.Add(1)
		d := w.retryDelay(n)
		w.log.Warn("cannot learn the outcome of the original's run; the duplicate stays in processing", "folder", c.Folder.Dir, "file", c.Rel, "workflow", res.WorkflowID, "error", err, "retry_in", d)
		select {
		case <-ctx.Done():
			return
		case <-time.After(d):
		}
	}
}

// later queues j again after d.
func (w *Watcher) later(j *job, d time.Duration) {
	time.AfterFunc(d, func() { w.queue.push(j) })
}

func (w *Watcher) retryDelay(n int) time.Duration {
	d := w.cfg.RetryMin
	for i := 1; i < n && d < w.cfg.RetryMax; i++ {
		d *= 2
	}
	d = min(d, w.cfg.RetryMax)
	return time.Duration(float64(d) * (0.8 + 0.4*rand.Float64()))
}

// fail moves a claimed file to failed/ beside a <name>.reason file.
func (w *Watcher) fail(j *job, problem, todo string) {
	c := &j.claim
	var b strings.Builder
	fmt.Fprintf(&b, "%s was not processed: %s\n%s\n\n", c.Name, problem, todo)
	fmt.Fprintf(&b, "inbox:  %s\nfile:   %s\n", c.Folder.Dir, c.Rel)
	if c.SHA256 != "" {
		fmt.Fprintf(&b, "sha256: %s\n", c.SHA256)
	}
	fmt.Fprintf(&b, "time:   %s\n", time.Now().UTC().Format(time.RFC3339))
	dst, err := w.archive(c.Path, c.Folder.FailedDir(), shortTag(c.SHA256), ".reason", b.String())
	if err != nil {
		w.stats.Errors.Add(1)
		// Nothing retries this by itself: the log says where the file is and what to do.
		w.log.Error("cannot move file to failed; it stays in processing", "folder", c.Folder.Dir, "file", c.Rel,
			"reason", problem, "path", c.Path, "error", err,
			"todo", "make room in (or make writable) "+c.Folder.FailedDir()+", then restart the watcher, which takes up files left in processing, or move the file back into the inbox")
		return
	}
	w.stats.Failed.Add(1)
	w.log.Warn("file rejected", "folder", c.Folder.Dir, "file", c.Rel, "reason", problem, "path", dst)
}

// duplicate moves a claimed file whose content has a run already to done/,
// beside a <name>.duplicate note naming that run.
func (w *Watcher) duplicate(j *job, res StartResult) {
	c := &j.claim
	var b strings.Builder
	fmt.Fprintf(&b, "%s was not processed again: the same content is already handled by workflow %s.\n", c.Name, res.WorkflowID)
	b.WriteString("Its results are that workflow's results; this copy needs nothing more.\n\n")
	fmt.Fprintf(&b, "inbox:    %s\nfile:     %s\nsha256:   %s\nworkflow: %s\n", c.Folder.Dir, c.Rel, c.SHA256, res.WorkflowID)
	if res.Path != "" {
		fmt.Fprintf(&b, "its copy: %s\n", res.Path)
	}
	fmt.Fprintf(&b, "time:     %s\n", time.Now().UTC().Format(time.RFC3339))
	dst, err := w.archive(c.Path, c.Folder.DoneDir(), shortTag(c.SHA256), ".duplicate", b.String())
	if err != nil {
		w.stats.Errors.Add(1)
		w.log.Error("cannot move duplicate to done", "folder", c.Folder.Dir, "file", c.Rel, "error", err)
		return
	}
	w.stats.Duplicates.Add(1)
	w.log.Info("duplicate content; moved to done", "folder", c.Folder.Dir, "file", c.Rel, "sha256", c.SHA256, "workflow", res.WorkflowID, "path", dst)
}

// archive moves src into dir beside a note (dir/<name><suffix>). Written in
// that order, a crash leaves the file in processing/, where the next start
// takes it up again.
func (w *Watcher) archive(src, dir, tag, suffix, note string) (string, error) {
	return durable.MoveInto(src, dir, tag, &durable.Note{Suffix: suffix, Text: note})
}

type inspection struct {
	open    bool // someone has the file open for writing: nothing else is set
	sum     string
	size    int64
	mtime   time.Time
	info    os.FileInfo
	problem string // why the file cannot be an input, "" if it can
	todo    string
}

// inputFile is what inspect reads; *os.File is one.
type inputFile interface {
	io.ReadCloser
	Stat() (os.FileInfo, error)
}

var bufPool = sync.Pool{New: func() any { b := make([]byte, 64<<10); return &b }}

// inspect hashes a file in one streaming pass and checks that it can be an
// input: not empty, not only white space, a file validate can read by its
// first 64 KiB (input.Detect).
// With lease, it reads under a read lease, so the hash is of a file that no
// one had open for writing from the first byte read to the last.
func (w *Watcher) inspect(path string, lease bool) (inspection, error) {
	var in inspection
	f, err := w.open(path)
	if err != nil {
		return in, err
	}
	defer f.Close()
	leased := false
	if of, ok := f.(*os.File); ok && lease {
		switch takeLease(of) {
		case leaseBusy:
			in.open = true
			return in, nil
		case leaseHeld:
			leased = true
		}
	}
	bp := bufPool.Get().(*[]byte)
	defer bufPool.Put(bp)
	buf := *bp
	h := sha256.New()
	var blank blankCheck
	var n int64
	head := make([]byte, 0, input.HeadSize)
	for {
		k, rerr := f.Read(buf)
		if k > 0 {
			chunk := buf[:k]
			if len(head) < cap(head) {
				head = append(head, chunk[:min(k, cap(head)-len(head))]...)
			}
			h.Write(chunk)
			blank.write(chunk)
			n += int64(k)
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			return in, rerr
		}
	}
	// What validate cannot read is named as validate names it: a legacy or
	// password-protected workbook, a PDF, an archive, binary data.
	var at io.ReaderAt
	if of, ok := f.(*os.File); ok {
		at = of
	}
	if n > 0 {
		if c, err := input.Detect(head, at, n); err != nil {
			in.problem = strings.TrimPrefix(err.Error(), input.ErrUnsupported.Error()+": ")
			in.todo = "Save it as CSV, XLSX or plain text with one phone number per line, and drop it into the inbox again."
		} else if c == input.ZipFile {
			blank.blank = false // a workbook: whether it holds numbers is the run's to say
		}
	}
	if leased && leaseBroken(f.(*os.File)) {
		in.open = true // a writer opened it while it was read
		return in, nil
	}
	info, err := f.Stat()
	if err != nil {
		return in, err
	}
	in.info, in.size, in.mtime = info, info.Size(), info.ModTime()
	in.sum = hex.EncodeToString(h.Sum(nil))
	switch {
	case in.problem != "":
	case n == 0:
		in.problem = "it is empty (0 bytes)"
		in.todo = "Write one phone number per line and drop the file into the inbox again."
	case blank.blank:
		in.problem = fmt.Sprintf("it holds only white space (%d bytes, no phone number)", n)
		in.todo = "Write one phone number per line and drop the file into the inbox again."
	}
	return in, nil
}

// blankCheck follows whether a stream holds only white space (Unicode
// White_Space, and byte order marks), across chunk boundaries.
type blankCheck struct {
	blank   bool
	started bool
	carry   []byte
}

func (b *blankCheck) write(p []byte) {
	if !b.started {
		b.started, b.blank = true, true
	}
	if !b.blank {
		return
	}
	if len(b.carry) > 0 {
		p = append(b.carry, p...)
		b.carry = nil
	}
	for i := 0; i < len(p); {
		c := p[i]
		if c < utf8.RuneSelf {
			if c != ' ' && (c < '\t' || c > '\r') {
				b.blank = false
				return
			}
			i++
			continue
		}
		if !utf8.FullRune(p[i:]) {
			b.carry = append([]byte(nil), p[i:]...)
			return
		}
		r, size := utf8.DecodeRune(p[i:])
		if r != '\uFEFF' && !unicode.IsSpace(r) {
			b.blank = false
			return
		}
		i += size
	}
}

// jobQueue is an unbounded FIFO that the workers drain.
type jobQueue struct {
	mu    sync.Mutex
	items []*job
	wake  chan struct{}
}

func (q *jobQueue) push(j *job) {
	q.mu.Lock()
	q.items = append(q.items, j)
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// pop waits for a job; it returns false once ctx is done.
func (q *jobQueue) pop(ctx context.Context) (*job, bool) {
	for {
		if ctx.Err() != nil {
			return nil, false
		}
		q.mu.Lock()
		if len(q.items) > 0 {
			j := q.items[0]
			q.items[0] = nil
			q.items = q.items[1:]
			more := len(q.items) > 0
			q.mu.Unlock()
			if more {
				select { // pass the wake-up on to another worker
				case q.wake <- struct{}{}:
				default:
				}
			}
			return j, true
		}
		q.mu.Unlock()
		select {
		case <-q.wake:
		case <-ctx.Done():
			return nil, false
		}
	}
}

// shortTag tells two archived files of one name apart: the content's short
// hash, or the time for a file rejected before it was hashed.
func shortTag(sha string) string {
	if sha == "" {
		return time.Now().UTC().Format("20060102T150405.000000000")
	}
	return sha[:min(12, len(sha))]
}
