package cli

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.temporal.io/api/workflowservice/v1"

	"github.com/phonecheck/phonecheck/internal/pipelinetest"
	"github.com/phonecheck/phonecheck/internal/store"
	"github.com/phonecheck/phonecheck/watcher"
)

// TestWatchStartsOneWorkflowPerContent drops 300 files (and copies of some)
// into a watched inbox with a real embedded Temporal server behind the
// starter, and counts the workflows Temporal holds: one per content. No
// worker runs, so every workflow stays open where it can be counted.
func TestWatchStartsOneWorkflowPerContent(t *testing.T) {
	if testing.Short() {
		t.Skip("starts an embedded Temporal server")
	}
	dir := t.TempDir()
	dev, c := pipelinetest.Temporal(t, filepath.Join(dir, "t.db"), pipelinetest.FreeAddr(t))
	defer dev.Stop()
	defer c.Close()

	bucket, err := store.Open(context.Background(), filepath.Join(dir, "store"))
	if err != nil {
		t.Fatal(err)
	}
	defer bucket.Close()
	inbox := filepath.Join(dir, "inbox")
	folders, err := watchFolders([]string{inbox}, "CH", "csv", filepath.Join(dir, "out"), false, 200*time.Millisecond)
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
	if st.Started != distinct || st.Duplicates != copies {
		t.Errorf("started %d (want %d), duplicates %d (want %d): %+v", st.Started, distinct, st.Duplicates, copies, st)
	}
	// Visibility catches up with the starts a moment later; it must then
	// hold exactly one workflow per content, never more.
	var count int64
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		resp, err := c.CountWorkflow(context.Background(), &workflowservice.CountWorkflowExecutionsRequest{Query: "WorkflowType = 'ProcessFile'"})
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
	dups, _ := filepath.Glob(filepath.Join(folders[0].DoneDir(), "*.duplicate"))
	if len(dups) != copies {
		t.Errorf("%d .duplicate notes, want %d", len(dups), copies)
	}
}

// TestStatusAndResultsOfAnUnknownFile: both commands name the missing
// workflow and say what to do, instead of passing on Temporal's error.
func TestStatusAndResultsOfAnUnknownFile(t *testing.T) {
	if testing.Short() {
		t.Skip("starts an embedded Temporal server")
	}
	addr := pipelinetest.FreeAddr(t)
	dev, c := pipelinetest.Temporal(t, filepath.Join(t.TempDir(), "t.db"), addr)
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
