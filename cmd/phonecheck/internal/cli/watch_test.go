package cli

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/worker"

	"github.com/phonecheck/phonecheck/activities"
	"github.com/phonecheck/phonecheck/internal/store"
	"github.com/phonecheck/phonecheck/internal/testkit"
	"github.com/phonecheck/phonecheck/internal/testkit/stack"
	"github.com/phonecheck/phonecheck/taskapi"
	"github.com/phonecheck/phonecheck/watcher"
	"github.com/phonecheck/phonecheck/workflows"
)

// TestWatchStartsOneWorkflowPerContent drops 300 files (and copies of some)
// into a watched inbox with a real embedded Temporal server behind the
// starter, and counts the workflows Temporal holds: one per content. No
// worker runs, so every workflow stays open where it can be counted, and
// the copies wait for them.
func TestWatchStartsOneWorkflowPerContent(t *testing.T) {
	if testing.Short() {
		t.Skip("starts an embedded Temporal server")
	}
	dir := t.TempDir()
	dev, c := stack.Temporal(t, filepath.Join(dir, "t.db"), testkit.FreeAddr(t))
	defer dev.Stop()
	defer c.Close()

	bucket, err := store.Open(context.Background(), filepath.Join(dir, "store"))
	if err != nil {
		t.Fatal(err)
	}
	defer bucket.Close()
	inbox := filepath.Join(dir, "inbox")
	folders, err := watchFolders([]string{inbox}, folderSettings{region: "CH", formats: "csv", out: filepath.Join(dir, "out")}, false, 200*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	w, err := watcher.New(watcher.Config{Folders: folders}, workflowStarter{c: c, store: bucket}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()

	const distinct, copies = 300, 20
	for i := range distinct {
		os.WriteFile(filepath.Join(inbox, fmt.Sprintf("f%03d.txt", i)), fmt.Appendf(nil, "+4144668%04d\n", i), 0o644)
	}
	for i := range copies {
		os.WriteFile(filepath.Join(inbox, fmt.Sprintf("copy%03d.txt", i)), fmt.Appendf(nil, "+4144668%04d\n", i), 0o644)
	}
	deadline := time.Now().Add(90 * time.Second)
	for {
		st := w.Stats().Snapshot()
		if st.Started+st.Existing >= distinct+copies {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("not all files started: %+v", st)
		}
		time.Sleep(100 * time.Millisecond)
	}
	cancel()
	<-done
	st := w.Stats().Snapshot()
	if st.Started != distinct || st.Existing != copies {
		t.Errorf("started %d (want %d), existing %d (want %d): %+v", st.Started, distinct, st.Existing, copies, st)
	}
	// Visibility catches up with the starts a moment later; it must then
	// hold exactly one workflow per content, never more.
	var count int64
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		resp, err := c.CountWorkflow(context.Background(), &workflowservice.CountWorkflowExecutionsRequest{Query: mustListQuery(t)})
		if err != nil {
			t.Fatal(err)
		}
		if count = resp.Count; count >= distinct {
			break
		}
	}
	if count != distinct {
		t.Errorf("Temporal holds %d workflows, want %d", count, distinct)
	}
	// The copies wait in processing/ for their originals' runs, which no
	// worker finishes here.
	if dups, _ := filepath.Glob(filepath.Join(folders[0].DoneDir(), "*")); len(dups) != 0 {
		t.Errorf("done/ holds %d files while the originals' runs are open", len(dups))
	}
	if n := len(names(t, folders[0].ProcessingDir())); n != distinct+copies {
		t.Errorf("processing/ holds %d files, want %d", n, distinct+copies)
	}
}

// TestStatusAndResultsOfAnUnknownFile: both commands name the missing
// workflow and say what to do, instead of passing on Temporal's error.
func TestStatusAndResultsOfAnUnknownFile(t *testing.T) {
	if testing.Short() {
		t.Skip("starts an embedded Temporal server")
	}
	addr := testkit.FreeAddr(t)
	dev, c := stack.Temporal(t, filepath.Join(t.TempDir(), "t.db"), addr)
	defer dev.Stop()
	defer c.Close()
	file := filepath.Join(t.TempDir(), "never-submitted.txt")
	os.WriteFile(file, []byte("+41446681800\n"), 0o644)
	for _, cmd := range []string{"status", "results"} {
		code, _, errs := run(t, "", cmd, "--temporal-address", addr, file)
		if code != ExitError || !strings.Contains(errs, "no workflow phonecheck-") || !strings.Contains(errs, "submit the file first") {
			t.Errorf("%s: exit %d, %q", cmd, code, errs)
		}
	}
}

func mustListQuery(t *testing.T) string {
	q, err := workflows.ListQuery("")
	if err != nil {
		t.Fatal(err)
	}
	return q
}

// runWatcher runs a watcher on inbox with the real starter until the
// returned stop is called.
func runWatcher(t *testing.T, s *stack.Stack, inbox string) (*watcher.Watcher, func()) {
	t.Helper()
	folders, err := watchFolders([]string{inbox}, folderSettings{region: "CH", formats: "csv", out: filepath.Join(s.Dir, "out")}, false, 200*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	w, err := watcher.New(watcher.Config{Folders: folders}, workflowStarter{c: s.Client, store: s.Store}, testLog(t))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	stopped := false
	stop := func() {
		if !stopped {
			stopped = true
			cancel()
			<-done
		}
	}
	t.Cleanup(stop)
	return w, stop
}

func testLog(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
}

// names lists the file names in dir.
func names(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		out = append(out, e.Name())
	}
	return out
}

// TestRestartWithADuplicateInProcessing: the watcher stops with a file
// started and a copy of it claimed but not started. The next watcher, with
// the real starter against a real server, finds the file's run by the path
// it was started with (left to it), and the copy follows that run to done/
// once a worker finishes it: nothing stays in processing/, one charge.
func TestRestartWithADuplicateInProcessing(t *testing.T) {
	s := stack.New(t, 0)
	s.StopWorker()
	inbox := filepath.Join(s.Dir, "inbox")
	content := []byte("+41446681800\n+41 79 123 45 67\n")
	w, stop := runWatcher(t, s, inbox)
	os.WriteFile(filepath.Join(inbox, "original.txt"), content, 0o644)
	testkit.WaitFor(t, 30*time.Second, "the start", func() bool { return w.Stats().Started.Load() == 1 })
	stop()
	processing, done := w.Folders()[0].ProcessingDir(), w.Folders()[0].DoneDir()
	// A copy claimed just before the watcher stopped, never started.
	os.WriteFile(filepath.Join(processing, "0123456789ab-copy.txt"), content, 0o644)

	w2, _ := runWatcher(t, s, inbox)
	testkit.WaitFor(t, 30*time.Second, "both taken up", func() bool { return w2.Stats().Existing.Load() == 2 })
	if st := w2.Stats().Snapshot(); st.Resumed != 1 {
		t.Fatalf("stats %+v: the run's own file was not recognised by its path", st)
	}
	s.StartWorker()
	testkit.WaitFor(t, time.Minute, "processing/ empty", func() bool { return len(names(t, processing)) == 0 })
	got := names(t, done) // claimed names: "<12 hex>-<name>"
	for i, n := range got {
		got[i] = n[13:]
	}
	slices.Sort(got)
	if want := []string{"copy.txt", "copy.txt.duplicate", "original.txt"}; !slices.Equal(got, want) {
		t.Errorf("done/ holds %v, want %v", got, want)
	}
	if n := s.Charges("tasks"); n != 1 {
		t.Errorf("%d upload charges, want 1", n)
	}
}

// TestDuplicateOfAFailingFile: a copy dropped while its original's run is
// under way waits for it; the run fails (the worker's API key is refused),
// and the copy goes to failed/ with that reason, not to done/.
func TestDuplicateOfAFailingFile(t *testing.T) {
	s := stack.New(t, 0)
	s.StopWorker()
	inbox := filepath.Join(s.Dir, "inbox")
	content := []byte("+41446681800\n")
	w, _ := runWatcher(t, s, inbox)
	os.WriteFile(filepath.Join(inbox, "original.txt"), content, 0o644)
	testkit.WaitFor(t, 30*time.Second, "the start", func() bool { return w.Stats().Started.Load() == 1 })
	os.WriteFile(filepath.Join(inbox, "copy.txt"), content, 0o644)
	testkit.WaitFor(t, 30*time.Second, "the copy's start", func() bool { return w.Stats().Existing.Load() == 1 })

	api, err := taskapi.New(s.APIURL, "not-the-key-0000000000")
	if err != nil {
		t.Fatal(err)
	}
	bad := workflows.NewWorker(s.Client, &activities.Activities{API: api, Store: s.Store, Scratch: filepath.Join(s.Dir, "scratch")}, worker.Options{})
	if err := bad.Start(); err != nil {
		t.Fatal(err)
	}
	defer bad.Stop()
	failed := w.Folders()[0].FailedDir()
	var reason []byte
	testkit.WaitFor(t, time.Minute, "the copy in failed/", func() bool {
		m, _ := filepath.Glob(filepath.Join(failed, "*-copy.txt.reason"))
		if len(m) == 1 {
			reason, _ = os.ReadFile(m[0])
		}
		return len(m) == 1
	})
	if !strings.Contains(string(reason), "API key") || !strings.Contains(string(reason), workflows.WorkflowIDPrefix) {
		t.Errorf("the copy's reason does not give its original's:\n%s", reason)
	}
	if got := names(t, w.Folders()[0].DoneDir()); len(got) != 0 {
		t.Errorf("done/ holds %v", got)
	}
}
