package watcher

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/phonecheck/phonecheck/internal/testkit"
)

// A bad file that cannot go to a full failed/ stays in processing/, and the
// log says so, why, and what to do; with room again the next start takes
// it up and moves it to failed/ with its reason.
func TestFullFailedKeepsTheFileAndSaysWhatToDo(t *testing.T) {
	root := testkit.SmallFS(t, "")
	e := &env{t: t, root: root}
	var logs bytes.Buffer
	var mu sync.Mutex
	cfg := e.config(e.folder("inbox"))
	w, err := New(cfg, newFake(), slog.New(slog.NewTextHandler(lockedWriter{&mu, &logs}, &slog.HandlerOptions{Level: slog.LevelWarn})))
	if err != nil {
		t.Fatal(err)
	}
	r := start(t, w)
	filler := filepath.Join(root, "filler")
	f, _ := os.Create(filler)
	f.Write(make([]byte, 2<<20)) // fills the disk; the error is expected
	f.Close()
	e.write("inbox/empty.txt", "") // an empty file needs no block
	testkit.WaitFor(t, 10*time.Second, "the failed move to failed/", func() bool { return w.Stats().Errors.Load() >= 1 })
	r.stop(t)
	if got := e.files("processing/inbox"); len(got) != 1 || originalName(got[0]) != "empty.txt" {
		t.Errorf("processing/ holds %v, want empty.txt", got)
	}
	if got := e.files("failed/inbox"); len(got) != 0 {
		t.Errorf("failed/ holds %v, want nothing (not even a partial reason)", got)
	}
	mu.Lock()
	log := logs.String()
	mu.Unlock()
	for _, want := range []string{"cannot move file to failed; it stays in processing", "empty (0 bytes)", "no space left on device",
		"make room in (or make writable) " + e.dir("failed/inbox"), "restart the watcher"} {
		if !strings.Contains(log, want) {
			t.Errorf("the log does not say %q:\n%s", want, log)
		}
	}

	// Room again: the next start takes the file up and fails it properly.
	os.Remove(filler)
	w2 := start(t, mustNew(t, cfg, newFake()))
	testkit.WaitFor(t, 10*time.Second, "the file in failed/", func() bool { return w2.Stats().Failed.Load() == 1 })
	if got := e.files("failed/inbox"); len(got) != 2 {
		t.Errorf("failed/ holds %v, want empty.txt and its reason", got)
	}
	if got := e.files("processing/inbox"); len(got) != 0 {
		t.Errorf("processing/ still holds %v", got)
	}
}
