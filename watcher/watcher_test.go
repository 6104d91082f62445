package watcher

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"github.com/phonecheck/phonecheck/internal/testkit"
	"io"
	"io/fs"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fsnotify/fsnotify"
)

func numbers(i int) string {
	return fmt.Sprintf("+41 79 %03d %02d %02d\n+1 650 253 %04d\n", i%1000, i%100, i/100%100, i%10000)
}

// A writer that adds a line every 100 ms for 3 s (each pause shorter than the
// settle window) must not be claimed before it closes the file, and the run
// must get the whole content.
func TestSlowWriterIsNotClaimedBeforeItFinishes(t *testing.T) {
	e := newEnv(t)
	f := e.folder("inbox")
	f.Settle = 300 * time.Millisecond
	s := newFake()
	s.verify = true
	w := start(t, mustNew(t, e.config(f), s))

	path := filepath.Join(e.dir("inbox"), "slow.txt")
	out, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	var want strings.Builder
	end := time.Now().Add(3 * time.Second)
	for i := 0; time.Now().Before(end); i++ {
		line := fmt.Sprintf("+41 44 668 18 %02d\n", i%100)
		want.WriteString(line)
		if _, err := out.WriteString(line); err != nil {
			t.Fatal(err)
		}
		time.Sleep(100 * time.Millisecond)
		if _, err := os.Stat(path); err != nil || w.Stats().Claimed.Load() != 0 {
			t.Fatalf("claimed after %d lines while the writer was still writing", i+1)
		}
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
	testkit.WaitFor(t, 5*time.Second, "the start", func() bool { return s.numStarted() == 1 })
	s.check(t)
	if got := s.started[0]; got.SHA256 != sum(want.String()) || got.Size != int64(want.Len()) || got.Name != "slow.txt" {
		t.Fatalf("started with %s (%d bytes), want the whole file %s (%d bytes)", got.SHA256, got.Size, sum(want.String()), want.Len())
	}
	if got := e.read(filepath.Join("processing", "inbox", filepath.Base(s.started[0].Path))); got != want.String() {
		t.Fatal("the claimed file does not hold what was written")
	}
}

// Temporary and hidden names are never claimed; renaming into place is the way in.
func TestTemporaryNamesWaitForRenameIntoPlace(t *testing.T) {
	e := newEnv(t)
	s := newFake()
	w := start(t, mustNew(t, e.config(e.folder("inbox")), s))
	temps := []string{"x.txt.part", "y.tmp", ".hidden.txt", "z.txt~", "a.crdownload", "b.txt.swp", "c.partial", "~$sheet.txt", "d.TMP"}
	for i, n := range temps {
		e.write("inbox/"+n, numbers(i))
	}
	time.Sleep(800 * time.Millisecond) // four settle windows
	if n := s.numStarted(); n != 0 || w.Stats().Seen.Load() != 0 {
		t.Fatalf("temporary files were taken: %d started, %d seen", n, w.Stats().Seen.Load())
	}
	if err := os.Rename(filepath.Join(e.dir("inbox"), "x.txt.part"), filepath.Join(e.dir("inbox"), "x.txt")); err != nil {
		t.Fatal(err)
	}
	testkit.WaitFor(t, 3*time.Second, "x.txt to start", func() bool { return s.numStarted() == 1 })
	if got := s.startedNames(); !slices.Equal(got, []string{"x.txt"}) {
		t.Fatalf("started %v, want [x.txt]", got)
	}
	if got := len(e.files("inbox")); got != len(temps)-1 {
		t.Fatalf("inbox holds %d files, want the %d temporary ones left alone", got, len(temps)-1)
	}
}

// In marker mode a file waits for "<file>.done"; a marker older than the file does not count.
func TestDoneMarker(t *testing.T) {
	e := newEnv(t)
	f := e.folder("inbox")
	f.DoneMarker = true
	s := newFake()
	w := start(t, mustNew(t, e.config(f), s))

	e.write("inbox/a.txt", numbers(1))
	time.Sleep(700 * time.Millisecond)
	if s.numStarted() != 0 || w.Stats().Claimed.Load() != 0 {
		t.Fatal("claimed without its .done marker")
	}
	e.write("inbox/a.txt.done", "")
	testkit.WaitFor(t, 2*time.Second, "a.txt to start", func() bool { return s.numStarted() == 1 })
	testkit.WaitFor(t, time.Second, "the marker to be removed", func() bool { return len(e.files("inbox")) == 0 })

	// A marker left from an earlier file does not let the next one through.
	e.write("inbox/b.txt.done", "")
	old := time.Now().Add(-time.Hour)
	if err := os.Chtimes(filepath.Join(e.dir("inbox"), "b.txt.done"), old, old); err != nil {
		t.Fatal(err)
	}
	e.write("inbox/b.txt", numbers(2))
	time.Sleep(700 * time.Millisecond)
	if s.numStarted() != 1 {
		t.Fatal("a stale marker (older than its file) let the file through")
	}
	now := time.Now()
	if err := os.Chtimes(filepath.Join(e.dir("inbox"), "b.txt.done"), now, now); err != nil {
		t.Fatal(err)
	}
	testkit.WaitFor(t, 2*time.Second, "b.txt to start", func() bool { return s.numStarted() == 2 })
	if got := s.startedNames(); !slices.Equal(got, []string{"a.txt", "b.txt"}) {
		t.Fatalf("started %v", got)
	}
}

// 500 files dropped at once: each content gets exactly one Start call.
func TestManyFilesDroppedAtOnceStartOnceEach(t *testing.T) {
	e := newEnv(t)
	s := newFake()
	w := start(t, mustNew(t, e.config(e.folder("inbox")), s))
	const n = 500
	for i := range n {
		e.write(fmt.Sprintf("inbox/n%03d.txt", i), numbers(i))
	}
	testkit.WaitFor(t, 20*time.Second, "500 starts", func() bool { return s.numStarted() == n })
	time.Sleep(300 * time.Millisecond) // room for a double start to show
	s.mu.Lock()
	for i := range n {
		if c := s.calls[sum(numbers(i))]; c != 1 {
			t.Errorf("n%03d.txt: %d Start calls, want 1", i, c)
		}
	}
	s.mu.Unlock()
	st := w.Stats().Snapshot()
	if st.Started != n || st.Claimed != n || st.Existing != 0 || st.Failed != 0 {
		t.Errorf("stats %+v", st)
	}
	if got := len(e.files("processing/inbox")); got != n {
		t.Errorf("processing holds %d files, want %d", got, n)
	}
	if got := e.files("inbox"); len(got) != 0 {
		t.Errorf("inbox still holds %d files", len(got))
	}
}

func TestFilesPresentBeforeStartAreProcessed(t *testing.T) {
	e := newEnv(t)
	for i := range 20 {
		e.write(fmt.Sprintf("inbox/early%02d.txt", i), numbers(i))
	}
	e.write("inbox/early.txt.part", numbers(99))
	s := newFake()
	start(t, mustNew(t, e.config(e.folder("inbox")), s))
	testkit.WaitFor(t, 5*time.Second, "20 starts", func() bool { return s.numStarted() == 20 })
	if got := e.files("inbox"); !slices.Equal(got, []string{"early.txt.part"}) {
		t.Fatalf("inbox holds %v", got)
	}
}

// The watcher is stopped and started again, again and again, while files keep
// arriving: no file is missed, and no content is started twice.
func TestRestartWhileFilesArriveMissesNoneDoublesNone(t *testing.T) {
	e := newEnv(t)
	f := e.folder("inbox")
	f.Settle = 150 * time.Millisecond
	cfg := e.config(f)
	cfg.Concurrency = 3
	s := newFake()
	s.verify = true

	const n = 400
	var produced sync.WaitGroup
	produced.Go(func() {
		for i := range n {
			name := fmt.Sprintf("inbox/f%03d.txt", i)
			if i%3 == 0 { // rename into place
				e.write(name+".part", numbers(i))
				if err := os.Rename(filepath.Join(e.root, name+".part"), filepath.Join(e.root, name)); err != nil {
					t.Error(err)
				}
			} else {
				e.write(name, numbers(i))
			}
			time.Sleep(time.Duration(rand.IntN(15)) * time.Millisecond)
		}
	})
	done := make(chan struct{})
	go func() { produced.Wait(); close(done) }()

	restarts := 0
	for {
		r := start(t, mustNew(t, cfg, s))
		select {
		case <-done:
		case <-time.After(time.Duration(200+rand.IntN(500)) * time.Millisecond):
		}
		select {
		case <-done:
			testkit.WaitFor(t, 20*time.Second, "all starts", func() bool { return s.numStarted() == n })
			r.stop(t)
			t.Logf("%d restarts; last run: %+v", restarts, r.Stats().Snapshot())
			goto check
		default:
			r.stop(t)
			restarts++
			if rand.IntN(2) == 0 {
				time.Sleep(time.Duration(rand.IntN(300)) * time.Millisecond) // down for a while
			}
		}
	}
check:
	s.check(t)
	if restarts < 3 {
		t.Errorf("only %d restarts: the test did not exercise restarts", restarts)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range n {
		h := sum(numbers(i))
		p, ok := s.runPath[h]
		if !ok {
			t.Errorf("f%03d.txt was never started", i)
			continue
		}
		if _, err := os.Stat(p); err != nil {
			t.Errorf("f%03d.txt: the file its run was started with is gone: %v", i, err)
		}
	}
	if got := len(s.started); got != n {
		t.Errorf("%d runs started, want %d", got, n)
	}
	if got := len(e.files("processing/inbox")); got != n {
		t.Errorf("processing holds %d files, want %d (one per run)", got, n)
	}
	if got := e.files("done/inbox"); len(got) != 0 {
		t.Errorf("distinct files were treated as duplicates: %v", got)
	}
	if got := e.files("inbox"); len(got) != 0 {
		t.Errorf("inbox still holds %v", got)
	}
}

// Identical content in several files, in one folder or two, starts one run;
// the other copies go to done/ with a .duplicate note naming the workflow.
func TestIdenticalContentStartsOnce(t *testing.T) {
	e := newEnv(t)
	s := newFake()
	w := start(t, mustNew(t, e.config(e.folder("inbox"), e.folder("inbox2")), s))
	content := numbers(7)
	e.write("inbox/a.txt", content)
	time.Sleep(50 * time.Millisecond)
	e.write("inbox/b.txt", content)
	e.write("inbox2/c.txt", content)
	testkit.WaitFor(t, 5*time.Second, "the duplicates", func() bool { return w.Stats().Duplicates.Load() == 2 })
	if s.numStarted() != 1 {
		t.Fatalf("%d runs started for one content", s.numStarted())
	}
	first := filepath.Base(s.started[0].Path)
	wf := "phonecheck-" + sum(content)[:16]
	if got := e.files("processing/inbox"); !slices.Equal(got, []string{first}) {
		t.Errorf("processing/inbox holds %v, want only the run's file %s", got, first)
	}
	var notes int
	for _, dir := range []string{"done/inbox", "done/inbox2"} {
		for _, name := range e.files(dir) {
			if strings.HasSuffix(name, ".duplicate") {
				notes++
				note := e.read(filepath.Join(dir, name))
				if !strings.Contains(note, wf) || !strings.Contains(note, sum(content)) {
					t.Errorf("%s does not name the workflow and hash:\n%s", name, note)
				}
				if got := e.read(filepath.Join(dir, strings.TrimSuffix(name, ".duplicate"))); got != content {
					t.Errorf("%s: the duplicate's content was not kept", name)
				}
			}
		}
	}
	if notes != 2 {
		t.Errorf("%d .duplicate notes, want 2", notes)
	}
	if st := w.Stats().Snapshot(); st.Started != 1 || st.Existing != 2 || st.Claimed != 3 {
		t.Errorf("stats %+v", st)
	}
}

// Lost events (an overflow) are made good by the rescan that follows.
func TestOverflowIsRecoveredByRescan(t *testing.T) {
	e := newEnv(t)
	s := newFake()
	w := mustNew(t, e.config(e.folder("inbox")), s) // periodic rescan: 1h
	var drop atomic.Bool
	drop.Store(true)
	w.eventHook = func(fsnotify.Event) bool { return !drop.Load() }
	r := start(t, w)
	testkit.WaitFor(t, time.Second, "the first scan", func() bool { return w.Stats().Rescans.Load() > 0 })
	for i := range 5 {
		e.write(fmt.Sprintf("inbox/lost%d.txt", i), numbers(i))
	}
	time.Sleep(600 * time.Millisecond)
	if s.numStarted() != 0 || w.Stats().Seen.Load() != 0 {
		t.Fatal("files were seen although their events were dropped")
	}
	drop.Store(false)
	w.inject <- fsnotify.ErrEventOverflow
	testkit.WaitFor(t, 3*time.Second, "the rescan to find the files", func() bool { return s.numStarted() == 5 })
	if got := r.Stats().Overflows.Load(); got != 1 {
		t.Errorf("overflows = %d, want 1", got)
	}
}

// A real kernel queue overflow: the loop is held while 10,000 files arrive
// (20,000 events against a queue of 16,384).
func TestKernelQueueOverflowIsRecovered(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 10,000 files")
	}
	if b, err := os.ReadFile("/proc/sys/fs/inotify/max_queued_events"); err != nil || strings.TrimSpace(string(b)) != "16384" {
		t.Skipf("needs inotify with max_queued_events 16384 (%q, %v)", b, err)
	}
	e := newEnv(t)
	s := newFake()
	w := mustNew(t, e.config(e.folder("inbox")), s)
	release := make(chan struct{})
	var once sync.Once
	w.eventHook = func(fsnotify.Event) bool { once.Do(func() { <-release }); return true }
	start(t, w)
	testkit.WaitFor(t, time.Second, "the first scan", func() bool { return w.Stats().Rescans.Load() > 0 })
	const n = 10000
	for i := range n {
		e.write(fmt.Sprintf("inbox/q%05d.txt", i), numbers(i)+fmt.Sprint(i))
	}
	close(release)
	testkit.WaitFor(t, 60*time.Second, "10,000 starts", func() bool { return s.numStarted() == n })
	if got := w.Stats().Overflows.Load(); got < 1 {
		t.Errorf("overflows = %d: the kernel queue did not overflow", got)
	}
}

func TestPollMode(t *testing.T) {
	e := newEnv(t)
	f := e.folder("inbox")
	f.Poll = true
	s := newFake()
	w := start(t, mustNew(t, e.config(f), s))
	e.write("inbox/p1.txt", numbers(1))
	e.write("inbox/p2.txt.tmp", numbers(2))
	testkit.WaitFor(t, 3*time.Second, "p1 to start", func() bool { return s.numStarted() == 1 })
	if err := os.Rename(filepath.Join(e.dir("inbox"), "p2.txt.tmp"), filepath.Join(e.dir("inbox"), "p2.txt")); err != nil {
		t.Fatal(err)
	}
	testkit.WaitFor(t, 3*time.Second, "p2 to start", func() bool { return s.numStarted() == 2 })
	if w.fsw != nil {
		t.Error("poll mode opened an event watcher")
	}
}

// When a watch cannot be added the folder is polled instead.
func TestPollFallbackWhenWatchFails(t *testing.T) {
	e := newEnv(t)
	var logs bytes.Buffer
	var mu sync.Mutex
	s := newFake()
	w, err := New(e.config(e.folder("inbox")), s, slog.New(slog.NewTextHandler(lockedWriter{&mu, &logs}, nil)))
	if err != nil {
		t.Fatal(err)
	}
	w.addWatch = func(string) error {
		return fmt.Errorf("inotify_add_watch: %w", os.NewSyscallError("inotify_add_watch", errors.New("no space left on device")))
	}
	start(t, w)
	e.write("inbox/fallback.txt", numbers(1))
	testkit.WaitFor(t, 3*time.Second, "the start", func() bool { return s.numStarted() == 1 })
	mu.Lock()
	defer mu.Unlock()
	if !strings.Contains(logs.String(), "polling folder") || !strings.Contains(logs.String(), "no space left") {
		t.Errorf("the fallback is not logged with its cause:\n%s", logs.String())
	}
}

type lockedWriter struct {
	mu *sync.Mutex
	w  *bytes.Buffer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func TestSubdirectoriesOfARecursiveFolder(t *testing.T) {
	e := newEnv(t)
	f := e.folder("inbox")
	f.Recursive = true
	e.write("inbox/old/before.txt", numbers(0))
	s := newFake()
	start(t, mustNew(t, e.config(f), s))
	testkit.WaitFor(t, 3*time.Second, "before.txt", func() bool { return s.numStarted() == 1 })
	e.write("inbox/sub/deeper/x.txt", numbers(1))
	e.write("inbox/.git/hidden.txt", numbers(2))
	e.write("inbox/old/y.txt", numbers(3))
	testkit.WaitFor(t, 3*time.Second, "x.txt and y.txt", func() bool { return s.numStarted() == 3 })
	time.Sleep(300 * time.Millisecond)
	if got := s.startedNames(); !slices.Equal(got, []string{"old/before.txt", "old/y.txt", "sub/deeper/x.txt"}) {
		t.Fatalf("started %v", got)
	}
}

// Unreadable, empty, blank and binary files go to failed/ with a reason and are not started.
func TestBadFilesGoToFailedWithAReason(t *testing.T) {
	e := newEnv(t)
	s := newFake()
	w := mustNew(t, e.config(e.folder("inbox")), s)
	w.open = func(p string) (inputFile, error) {
		if strings.Contains(filepath.Base(p), "locked") {
			return nil, &fs.PathError{Op: "open", Path: p, Err: fs.ErrPermission}
		}
		return os.Open(p)
	}
	start(t, w)
	bad := map[string]struct{ content, want string }{
		"empty.txt":  {"", "empty (0 bytes)"},
		"blank.txt":  {" \n\t\r\n\n", "only white space"},
		"bom.txt":    {"\ufeff\n \u3000\u00a0\n", "only white space"},
		"binary.txt": {"+41 44 668 18 00\n\x00\x01\x02", "binary data (byte 17 is a NUL byte)"},
		"legacy.xls": {"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1", "save it as XLSX or CSV"},
		"report.pdf": {"%PDF-1.4\n", "a PDF document"},
		"locked.txt": {numbers(1), "could not be read"},
	}
	for name, b := range bad {
		e.write("inbox/"+name, b.content)
	}
	e.write("inbox/good.txt", numbers(2))
	// A workbook and UTF-16 text (Excel's "Unicode text") are inputs too.
	e.write("inbox/good.xlsx", "PK\x03\x04\x14\x00\x00\x00\x00\x00")
	e.write("inbox/good-utf16.txt", "\xff\xfe+\x004\x001\x00")
	testkit.WaitFor(t, 5*time.Second, "the rejections", func() bool { return w.Stats().Failed.Load() == int64(len(bad)) })
	testkit.WaitFor(t, 5*time.Second, "the good files", func() bool { return s.numStarted() == 3 })
	if got := s.startedNames(); !slices.Equal(got, []string{"good-utf16.txt", "good.txt", "good.xlsx"}) {
		t.Fatalf("started %v", got)
	}
	failed := e.files("failed/inbox")
	if len(failed) != 2*len(bad) {
		t.Fatalf("failed/ holds %v", failed)
	}
	for _, name := range failed {
		if !strings.HasSuffix(name, ".reason") {
			continue
		}
		orig := originalName(strings.TrimSuffix(name, ".reason"))
		reason := e.read("failed/inbox/" + name)
		if !strings.Contains(reason, bad[orig].want) || !strings.HasPrefix(reason, orig+" was not processed") ||
			!strings.Contains(reason, "inbox") {
			t.Errorf("%s: reason %q does not say %q", orig, reason, bad[orig].want)
		}
		if got := e.read("failed/inbox/" + strings.TrimSuffix(name, ".reason")); got != bad[orig].content {
			t.Errorf("%s: content changed on the way to failed/", orig)
		}
	}
	if got := e.files("processing/inbox"); len(got) != 3 {
		t.Errorf("processing holds %v, want the good files only", got)
	}
}

// When Start fails (Temporal unreachable) the file stays in processing/ and is retried.
func TestStartErrorKeepsTheFileAndRetries(t *testing.T) {
	e := newEnv(t)
	s := newFake()
	s.failNext = 3
	w := start(t, mustNew(t, e.config(e.folder("inbox")), s))
	e.write("inbox/r.txt", numbers(1))
	testkit.WaitFor(t, 3*time.Second, "a failed attempt", func() bool { return w.Stats().Retries.Load() >= 1 })
	if got := e.files("processing/inbox"); len(got) != 1 || originalName(got[0]) != "r.txt" {
		t.Fatalf("after a failed Start processing/ holds %v", got)
	}
	testkit.WaitFor(t, 5*time.Second, "the start", func() bool { return s.numStarted() == 1 })
	if st := w.Stats().Snapshot(); st.Retries != 3 || st.Started != 1 || st.Errors != 3 || st.Duplicates != 0 {
		t.Errorf("stats %+v", st)
	}
	if got := e.files("processing/inbox"); len(got) != 1 {
		t.Errorf("processing holds %v", got)
	}
}

func TestPermanentStartErrorGoesToFailed(t *testing.T) {
	e := newEnv(t)
	s := newFake()
	s.failNext = 1
	s.failWith = Permanent(errors.New("namespace phonecheck does not exist"))
	w := start(t, mustNew(t, e.config(e.folder("inbox")), s))
	e.write("inbox/p.txt", numbers(1))
	testkit.WaitFor(t, 3*time.Second, "the rejection", func() bool { return w.Stats().Failed.Load() == 1 })
	var reason string
	for _, n := range e.files("failed/inbox") {
		if strings.HasSuffix(n, ".reason") {
			reason = e.read("failed/inbox/" + n)
		}
	}
	if !strings.Contains(reason, "namespace phonecheck does not exist") {
		t.Errorf("reason %q", reason)
	}
}

// Files left in processing/ by a crash are taken up at startup: one never
// started is started; one whose run exists is left to it; another copy of a
// started content is a duplicate; and with a starter that cannot tell, the
// file is left alone.
func TestFilesLeftInProcessingAreTakenUp(t *testing.T) {
	e := newEnv(t)
	s := newFake()
	e.write("processing/inbox/0123456789ab-never.txt", numbers(1))
	e.write("processing/inbox/abcdefabcdef-running.txt", numbers(2))
	e.write("processing/inbox/a1b2c3d4e5f6-copy.txt", numbers(3))
	s.runPath[sum(numbers(2))] = filepath.Join(e.dir("processing"), "inbox", "abcdefabcdef-running.txt")
	s.runPath[sum(numbers(3))] = filepath.Join(e.root, "elsewhere", "original.txt")
	w := start(t, mustNew(t, e.config(e.folder("inbox")), s))
	testkit.WaitFor(t, 3*time.Second, "the recovered files", func() bool {
		st := w.Stats()
		return st.Existing.Load() == 2 && st.Started.Load() == 1 && st.Duplicates.Load() == 1
	})
	if st := w.Stats().Snapshot(); st.Recovered != 3 || st.Resumed != 1 || st.Duplicates != 1 {
		t.Errorf("stats %+v", st)
	}
	if got := s.started[0]; got.Name != "never.txt" || !got.Recovered {
		t.Errorf("started %+v", got)
	}
	if got := e.files("processing/inbox"); !slices.Equal(got, []string{"0123456789ab-never.txt", "abcdefabcdef-running.txt"}) {
		t.Errorf("processing holds %v", got)
	}
	if got := e.files("done/inbox"); !slices.Equal(got, []string{"a1b2c3d4e5f6-copy.txt", "a1b2c3d4e5f6-copy.txt.duplicate"}) {
		t.Errorf("done holds %v", got)
	}

	// A starter that cannot tell which file a run uses: recovered files stay.
	e2 := newEnv(t)
	s2 := newFake()
	s2.hidePath = true
	e2.write("processing/inbox/abcdefabcdef-running.txt", numbers(2))
	s2.runPath[sum(numbers(2))] = "?"
	w2 := start(t, mustNew(t, e2.config(e2.folder("inbox")), s2))
	testkit.WaitFor(t, 3*time.Second, "the recovered file", func() bool { return w2.Stats().Existing.Load() == 1 })
	time.Sleep(100 * time.Millisecond)
	if got := e2.files("processing/inbox"); len(got) != 1 || w2.Stats().Duplicates.Load() != 0 {
		t.Errorf("a file whose run may exist was moved: processing holds %v", got)
	}
}

// On cancellation a Start in flight gets ShutdownGrace; a file not started
// stays in processing/ and the next Run starts it.
func TestShutdownLeavesUnstartedFilesForTheNextRun(t *testing.T) {
	e := newEnv(t)
	cfg := e.config(e.folder("inbox"))
	cfg.ShutdownGrace = 200 * time.Millisecond
	s := newFake()
	s.block = true
	r := start(t, mustNew(t, cfg, s))
	e.write("inbox/s.txt", numbers(1))
	testkit.WaitFor(t, 3*time.Second, "the claim", func() bool { return r.Stats().Claimed.Load() == 1 })
	time.Sleep(50 * time.Millisecond)
	t0 := time.Now()
	r.stop(t)
	if d := time.Since(t0); d > time.Second {
		t.Errorf("Run took %v to return with a grace of 200ms", d)
	}
	if got := e.files("processing/inbox"); len(got) != 1 {
		t.Fatalf("processing holds %v", got)
	}
	s.mu.Lock()
	s.block = false
	s.mu.Unlock()
	start(t, mustNew(t, cfg, s))
	testkit.WaitFor(t, 3*time.Second, "the start", func() bool { return s.numStarted() == 1 })
}

// A write that lands after the claim (a writer pausing longer than the
// settle window) is noticed: here it lands after the hash has read the file
// and before the watcher compares the file with its claim-time size.
func TestWriteAfterClaimIsWaitedFor(t *testing.T) {
	e := newEnv(t)
	s := newFake()
	s.verify = true
	w := mustNew(t, e.config(e.folder("inbox")), s)
	var once sync.Once
	w.open = func(p string) (inputFile, error) {
		f, err := os.Open(p)
		if err != nil {
			return nil, err
		}
		late := func() {
			once.Do(func() {
				if a, err := os.OpenFile(p, os.O_APPEND|os.O_WRONLY, 0); err == nil {
					_, _ = a.WriteString("+41 44 668 18 01\n")
					_ = a.Close()
				}
			})
		}
		return &appendAtEOF{File: f, late: late}, nil
	}
	start(t, w)
	e.write("inbox/late.txt", "+41 44 668 18 00\n")
	testkit.WaitFor(t, 3*time.Second, "the start", func() bool { return s.numStarted() == 1 })
	s.check(t)
	if got, want := s.started[0].SHA256, sum("+41 44 668 18 00\n+41 44 668 18 01\n"); got != want {
		t.Fatalf("started with the content before the late write")
	}
}

// appendAtEOF runs late when a read reaches the end of the file.
type appendAtEOF struct {
	*os.File
	late func()
}

func (a *appendAtEOF) Read(p []byte) (int, error) {
	n, err := a.File.Read(p)
	if err == io.EOF {
		a.late()
	}
	return n, err
}

func TestLogsNeverHoldFileContents(t *testing.T) {
	e := newEnv(t)
	var logs bytes.Buffer
	var mu sync.Mutex
	s := newFake()
	s.failNext = 1
	w, err := New(e.config(e.folder("inbox")), s, slog.New(slog.NewJSONHandler(lockedWriter{&mu, &logs}, &slog.HandlerOptions{Level: slog.LevelDebug})))
	if err != nil {
		t.Fatal(err)
	}
	start(t, w)
	e.write("inbox/secret.txt", "+41 79 QZX SECRET 01\n")
	e.write("inbox/secret-bin.txt", "SECRET\x00")
	testkit.WaitFor(t, 3*time.Second, "both files", func() bool { return s.numStarted() == 1 && w.Stats().Failed.Load() == 1 })
	mu.Lock()
	defer mu.Unlock()
	// Upper-case letters never occur in hashes, hex tokens or timestamps.
	if strings.Contains(logs.String(), "SECRET") || strings.Contains(logs.String(), "QZX") {
		t.Errorf("logs hold file contents:\n%s", logs.String())
	}
	if !strings.Contains(logs.String(), `"msg":"started"`) {
		t.Errorf("no start logged:\n%s", logs.String())
	}
}

func TestRunTwiceIsAnError(t *testing.T) {
	e := newEnv(t)
	w := mustNew(t, e.config(e.folder("inbox")), newFake())
	start(t, w)
	time.Sleep(20 * time.Millisecond)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := w.Run(ctx); err == nil {
		t.Fatal("a second Run did not fail")
	}
}

func TestNewChecksConfig(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "inbox")
	for _, tc := range []struct {
		cfg  Config
		want string
	}{
		{Config{}, "no folder to watch"},
		{Config{Folders: []Folder{{Dir: in, Settle: -time.Second}}}, "settle -1s is negative"},
		{Config{Folders: []Folder{{Dir: "/"}}}, "file system root"},
		{Config{Folders: []Folder{{Dir: in}}, Concurrency: -1}, "concurrency -1 is negative"},
		{Config{Folders: []Folder{{Dir: in, StateDir: in}}}, "inside the inbox"},
	} {
		if _, err := New(tc.cfg, newFake(), nil); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: got %v, want %q", tc.cfg, err, tc.want)
		}
	}
	if _, err := New(Config{Folders: []Folder{{Dir: in}}}, nil, nil); err == nil {
		t.Error("New accepted a nil Starter")
	}
	if err := os.WriteFile(filepath.Join(dir, "file"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := New(Config{Folders: []Folder{{Dir: filepath.Join(dir, "file")}}}, newFake(), nil); err == nil {
		t.Error("New accepted a file as inbox")
	}
	w, err := New(Config{Folders: []Folder{{Dir: in, Region: "ch"}}}, newFake(), nil)
	if err != nil {
		t.Fatal(err)
	}
	f := w.Folders()[0]
	for _, d := range []string{f.Dir, f.ProcessingDir(), f.DoneDir(), f.FailedDir()} {
		if st, err := os.Stat(d); err != nil || !st.IsDir() {
			t.Errorf("%s was not created: %v", d, err)
		}
	}
	if f.Region != "CH" || f.Settle != DefaultSettle || f.DoneDir() != filepath.Join(dir, "done", "inbox") {
		t.Errorf("folder %+v", f)
	}
}

// MinAge holds a file back until it is that old, on top of the settle window;
// a file whose modification time is old enough waits for the settle window only.
func TestMinAge(t *testing.T) {
	e := newEnv(t)
	f := e.folder("inbox")
	f.MinAge = time.Second
	s := newFake()
	start(t, mustNew(t, e.config(f), s))
	e.write("inbox/old.txt", numbers(1))
	past := time.Now().Add(-time.Hour)
	if err := os.Chtimes(filepath.Join(e.dir("inbox"), "old.txt"), past, past); err != nil {
		t.Fatal(err)
	}
	e.write("inbox/new.txt", numbers(2))
	t0 := time.Now()
	testkit.WaitFor(t, 3*time.Second, "old.txt", func() bool { return s.numStarted() == 1 })
	if got := s.startedNames(); !slices.Equal(got, []string{"old.txt"}) {
		t.Fatalf("started %v first, want old.txt", got)
	}
	testkit.WaitFor(t, 3*time.Second, "new.txt", func() bool { return s.numStarted() == 2 })
	if d := time.Since(t0); d < f.MinAge-50*time.Millisecond {
		t.Errorf("new.txt started after %v, before its minimum age of %v", d, f.MinAge)
	}
}

// No more than Concurrency files are hashed and started at once.
func TestConcurrencyIsBounded(t *testing.T) {
	e := newEnv(t)
	cfg := e.config(e.folder("inbox"))
	cfg.Concurrency = 3
	inner := newFake()
	var now, peak atomic.Int32
	s := StarterFunc(func(ctx context.Context, c Claim) (StartResult, error) {
		n := now.Add(1)
		defer now.Add(-1)
		for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
		}
		time.Sleep(30 * time.Millisecond)
		return inner.Start(ctx, c)
	})
	start(t, mustNew(t, cfg, s))
	for i := range 30 {
		e.write(fmt.Sprintf("inbox/c%02d.txt", i), numbers(i))
	}
	testkit.WaitFor(t, 5*time.Second, "30 starts", func() bool { return inner.numStarted() == 30 })
	if p := peak.Load(); p > 3 || p < 2 {
		t.Errorf("peak concurrent Start calls %d, want 2..3", p)
	}
}

// A long name still fits in processing/ with its prefix, and an inbox removed
// while watched is created and watched again.
func TestLongNameAndRemovedInbox(t *testing.T) {
	e := newEnv(t)
	s := newFake()
	w := start(t, mustNew(t, e.config(e.folder("inbox")), s))
	long := strings.Repeat("n", 250) + ".txt"
	e.write("inbox/"+long, numbers(1))
	testkit.WaitFor(t, 3*time.Second, "the long name", func() bool { return s.numStarted() == 1 })
	if got := s.started[0].Name; got != long {
		t.Errorf("Name = %q, want the original name", got)
	}
	if err := os.RemoveAll(e.dir("inbox")); err != nil {
		t.Fatal(err)
	}
	testkit.WaitFor(t, 3*time.Second, "the inbox to be created again", func() bool {
		_, err := os.Stat(e.dir("inbox"))
		return err == nil
	})
	time.Sleep(50 * time.Millisecond)
	e.write("inbox/again.txt", numbers(2))
	testkit.WaitFor(t, 3*time.Second, "a file in the new inbox", func() bool { return s.numStarted() == 2 })
	if w.Stats().Rescans.Load() > 3 {
		t.Logf("rescans: %d", w.Stats().Rescans.Load())
	}
}
