package workflows_test

import (
	"bytes"
	"context"
	"io/fs"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/phonecheck/phonecheck/internal/testkit"
	"github.com/phonecheck/phonecheck/internal/testkit/stack"
	"github.com/phonecheck/phonecheck/workflows"
)

// TestFullOutputFailsTheFileAndRoomFinishesIt: out/ on a 1 MiB tmpfs
// cannot hold a file's results. The file fails in seconds, not after
// minutes of retries, with a reason that says out/ is full and what to do,
// in its .reason file, in the workflow's failure (what status prints) and
// in the workers' log;
// nothing partial is left in out/. With room again, the same file dropped
// again finishes on its recorded task: one upload charge in all.
func TestFullOutputFailsTheFileAndRoomFinishesIt(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test: starts Temporal and the API server")
	}
	var logs testkit.SyncBuffer
	s := liveStack{stack.NewWith(t, stack.Options{Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelWarn}))})}
	out := testkit.SmallFS(t, "")

	in := s.input(t, "full.txt", 30000, 96) // its CSV alone is over 1 MiB
	in.OutputDir = out
	content, _ := os.ReadFile(in.Path)
	start := time.Now()
	run, _, err := workflows.Submit(context.Background(), s.Client, s.Store, in)
	if err != nil {
		t.Fatal(err)
	}
	// Ten retries with backoff took about four minutes; a full disk ends
	// the file at once. The bound is generous for a loaded machine.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	err = run.Get(ctx, nil)
	took := time.Since(start)
	if err == nil || ctx.Err() != nil {
		t.Fatalf("the file did not fail within 2 minutes on a full out/: %v", err)
	}
	t.Logf("failed in %v: %v", took.Round(time.Millisecond), err)
	testkit.WaitFor(t, 30*time.Second, "the failure in the workers' log", func() bool { return strings.Contains(logs.String(), "file failed") })
	for where, text := range map[string]string{"the workflow's failure": err.Error(), ".reason": readReason(t, in), "the workers' log": logs.String()} {
		for _, want := range []string{"the output folder " + out + " is full", "no space left on device", "make room there", "drop the file again"} {
			if !strings.Contains(text, want) {
				t.Errorf("%s does not say %q: %s", where, want, text)
			}
		}
	}
	if got := regularFiles(out); len(got) != 0 {
		t.Errorf("partial files left in out/: %v", got)
	}
	if n := s.Charges("tasks"); n != 1 {
		t.Fatalf("%d upload charges before the drop again, want 1", n)
	}

	// Room again: the same content dropped again finishes, uncharged.
	if b, err := exec.Command("mount", "-o", "remount,size=64m", out).CombinedOutput(); err != nil {
		t.Fatalf("remount: %v: %s", err, b)
	}
	again := s.inputOf(t, "full-again.txt", content)
	again.OutputDir = out
	run2, existing, err := workflows.Submit(context.Background(), s.Client, s.Store, again)
	if err != nil || existing {
		t.Fatalf("drop again: %v (existing %v)", err, existing)
	}
	res := waitResult(t, s.Client, run2.GetID())
	got, _ := os.ReadFile(res.Outputs["csv"])
	if !bytes.Equal(got, validateCSV(t, content, in.Region)) {
		t.Error("outputs differ from validate after room returned")
	}
	if n := s.Charges("tasks"); n != 1 {
		t.Errorf("%d upload charges, want 1: dropped again after the disk was full, the file was uploaded again", n)
	}
	if _, err := os.Stat(filepath.Join(again.DoneDir, "full-again.txt")); err != nil {
		t.Errorf("the file dropped again is not in done/: %v", err)
	}
}

// readReason is the .reason file beside a failed input.
func readReason(t *testing.T, in workflows.Input) string {
	b, err := os.ReadFile(filepath.Join(in.FailedDir, in.Name+".reason"))
	if err != nil {
		t.Errorf("no .reason beside the failed input: %v", err)
	}
	return string(b)
}

// regularFiles lists the files below dir.
func regularFiles(dir string) []string {
	var got []string
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			got = append(got, p)
		}
		return nil
	})
	return got
}
