package watcher

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/phonecheck/phonecheck/internal/testkit"
)

// A duplicate copy waits in processing/ for its original's run and then
// ends as it did: done/ (with a .duplicate note) after a completed run,
// failed/ with the run's reason after a failed one.
func TestDuplicateFollowsItsOriginal(t *testing.T) {
	for _, tc := range []struct {
		name    string
		outcome Outcome
		dir     string
		note    string
	}{
		{"completed", Outcome{OK: true}, "done/inbox", ".duplicate"},
		{"failed", Outcome{Reason: "the task API refused the key"}, "failed/inbox", ".reason"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			s := newFake()
			s.await = true
			w := start(t, mustNew(t, e.config(e.folder("inbox")), s))
			content := numbers(3)
			e.write("inbox/original.txt", content)
			testkit.WaitFor(t, 5*time.Second, "the original's start", func() bool { return s.numStarted() == 1 })
			e.write("inbox/copy.txt", content)
			testkit.WaitFor(t, 5*time.Second, "the copy's start", func() bool { return w.Stats().Existing.Load() == 1 })
			time.Sleep(300 * time.Millisecond) // room for an early archive to show
			if got := e.files("processing/inbox"); len(got) != 2 {
				t.Fatalf("processing holds %v before the original's run ended, want both copies", got)
			}
			if got := e.files(tc.dir); len(got) != 0 {
				t.Fatalf("%s holds %v before the original's run ended", tc.dir, got)
			}
			s.finish(sum(content), tc.outcome)
			testkit.WaitFor(t, 5*time.Second, "the copy archived", func() bool {
				return w.Stats().Duplicates.Load()+w.Stats().Failed.Load() == 1
			})
			var note string
			testkit.WaitFor(t, time.Second, "the copy's note", func() bool {
				for _, n := range e.files(tc.dir) {
					if strings.HasSuffix(n, "copy.txt"+tc.note) {
						note = e.read(filepath.Join(tc.dir, n))
						return true
					}
				}
				return false
			})
			if !tc.outcome.OK && !strings.Contains(note, tc.outcome.Reason) {
				t.Errorf("the copy's reason does not give the original's:\n%s", note)
			}
			if got := e.files("processing/inbox"); len(got) != 1 || !strings.HasSuffix(got[0], "original.txt") {
				t.Errorf("processing holds %v, want only the original (its run archives it)", got)
			}
		})
	}
}

// A watcher stopped while a duplicate waits leaves it in processing/; the
// next one takes it up and follows the original again.
func TestWaitingDuplicateSurvivesARestart(t *testing.T) {
	e := newEnv(t)
	s := newFake()
	s.await = true
	cfg := e.config(e.folder("inbox"))
	r := start(t, mustNew(t, cfg, s))
	content := numbers(4)
	e.write("inbox/original.txt", content)
	testkit.WaitFor(t, 5*time.Second, "the original's start", func() bool { return s.numStarted() == 1 })
	e.write("inbox/copy.txt", content)
	testkit.WaitFor(t, 5*time.Second, "the copy's start", func() bool { return r.Stats().Existing.Load() == 1 })
	stopped := time.Now()
	r.stop(t)
	if d := time.Since(stopped); d > 2*time.Second {
		t.Errorf("stopping took %v with a duplicate waiting", d)
	}
	if got := e.files("processing/inbox"); len(got) != 2 {
		t.Fatalf("processing holds %v after the stop, want both copies", got)
	}
	r2 := start(t, mustNew(t, cfg, s))
	testkit.WaitFor(t, 5*time.Second, "both taken up", func() bool { return r2.Stats().Existing.Load() == 2 })
	s.finish(sum(content), Outcome{OK: true})
	testkit.WaitFor(t, 5*time.Second, "the copy in done", func() bool { return r2.Stats().Duplicates.Load() == 1 })
	if st := r2.Stats().Snapshot(); st.Resumed != 1 {
		t.Errorf("stats %+v: want the original resumed", st)
	}
}
