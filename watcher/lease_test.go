//go:build linux

package watcher

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/phonecheck/phonecheck/internal/testkit"
)

// A writer that holds the file open, writes half of it, stalls for seven
// settle windows (a stalled upload, an SFTP client on a slow link) and
// writes the rest is not claimed until it closes the file: the run gets the
// whole content, however long the pause.
func TestStalledWriterHoldingTheFileOpenIsNotClaimed(t *testing.T) {
	e := newEnv(t)
	f := e.folder("inbox") // settle 200 ms
	s := newFake()
	s.verify = true
	w := start(t, mustNew(t, e.config(f), s))

	path := filepath.Join(e.dir("inbox"), "stalled.txt")
	out, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	half := strings.Repeat("+41 44 668 18 00\n", 500)
	if _, err := out.WriteString(half); err != nil {
		t.Fatal(err)
	}
	stall := 7 * f.Settle
	for end := time.Now().Add(stall); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
		if w.Stats().Claimed.Load() != 0 {
			t.Fatal("claimed while its writer held it open, paused after half of it")
		}
	}
	if _, err := out.WriteString(half); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
	testkit.WaitFor(t, 5*time.Second, "the start", func() bool { return s.numStarted() == 1 })
	s.check(t)
	want := half + half
	if got := s.started[0]; got.SHA256 != sum(want) || got.Size != int64(len(want)) {
		t.Fatalf("started with %d bytes, want the whole file (%d bytes)", got.Size, len(want))
	}
}

// A writer that opens the claimed file itself (in processing/) and keeps
// writing is waited for: the hash, and so the run, is of the content once
// the writer has closed the file.
func TestWriterOfTheClaimedFileIsWaitedFor(t *testing.T) {
	e := newEnv(t)
	s := newFake()
	s.verify = true
	w := mustNew(t, e.config(e.folder("inbox")), s)
	var once sync.Once
	w.open = func(p string) (inputFile, error) {
		once.Do(func() {
			if a, err := os.OpenFile(p, os.O_APPEND|os.O_WRONLY, 0); err == nil {
				go func() {
					time.Sleep(600 * time.Millisecond) // three settle windows
					_, _ = a.WriteString("+41 44 668 18 01\n")
					_ = a.Close()
				}()
			}
		})
		return os.Open(p)
	}
	start(t, w)
	e.write("inbox/reopened.txt", "+41 44 668 18 00\n")
	testkit.WaitFor(t, 5*time.Second, "the start", func() bool { return s.numStarted() == 1 })
	s.check(t)
	if got, want := s.started[0].SHA256, sum("+41 44 668 18 00\n+41 44 668 18 01\n"); got != want {
		t.Fatal("started with the content before its writer closed the file")
	}
}
