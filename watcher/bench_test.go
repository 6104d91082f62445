package watcher

import (
	"fmt"
	"github.com/phonecheck/phonecheck/internal/testkit"
	"os"
	"slices"
	"testing"
	"time"
)

// Time from the last write to Start, against the settle window. The write is
// bracketed: the latency counts from the end of the write (an upper bound),
// and Start must come no earlier than the settle window after its beginning.
func TestSettleToStartLatency(t *testing.T) {
	e := newEnv(t)
	f := e.folder("inbox")
	f.Settle = 250 * time.Millisecond
	s := newFake()
	start(t, mustNew(t, e.config(f), s))
	var lat []time.Duration
	for i := range 12 {
		name := fmt.Sprintf("l%02d.txt", i)
		before := time.Now()
		e.write("inbox/"+name, numbers(i))
		written := time.Now()
		testkit.WaitFor(t, 3*time.Second, name, func() bool { return s.numStarted() == i+1 })
		s.mu.Lock()
		at := s.startedAt[name]
		s.mu.Unlock()
		if early := at.Sub(before); early < f.Settle {
			t.Errorf("%s started %v after its write began, before the settle window of %v", name, early, f.Settle)
		}
		lat = append(lat, at.Sub(written))
	}
	slices.Sort(lat)
	p50, p95, worst := lat[len(lat)/2], lat[len(lat)*95/100], lat[len(lat)-1]
	t.Logf("settle %v: last write to Start p50 %v, p95 %v, max %v (over the window: p50 %v, max %v)",
		f.Settle, p50.Round(time.Millisecond), p95.Round(time.Millisecond), worst.Round(time.Millisecond),
		(p50 - f.Settle).Round(time.Millisecond), (worst - f.Settle).Round(time.Millisecond))
	if p50 > f.Settle+200*time.Millisecond {
		t.Errorf("median %v exceeds settle + 200ms", p50)
	}
	if worst > f.Settle+time.Second {
		t.Errorf("worst %v exceeds settle + 1s", worst)
	}
}

// 10,000 files dropped at once are all started within 60 s.
func TestTenThousandFilesDroppedAtOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 10,000 files")
	}
	e := newEnv(t)
	f := e.folder("inbox")
	f.Settle = 500 * time.Millisecond
	cfg := e.config(f)
	cfg.Rescan = 10 * time.Second
	s := newFake()
	w := start(t, mustNew(t, cfg, s))
	const n = 10000
	t0 := time.Now()
	for i := range n {
		e.write(fmt.Sprintf("inbox/t%05d.txt", i), numbers(i)+fmt.Sprint(i))
	}
	written := time.Since(t0)
	testkit.WaitFor(t, 60*time.Second, "10,000 starts", func() bool { return s.numStarted() == n })
	all := time.Since(t0)
	t.Logf("10,000 files: written in %v, all started %v after the first write (%v after the last; settle %v); stats %+v",
		written.Round(time.Millisecond), all.Round(time.Millisecond), (all - written).Round(time.Millisecond), f.Settle, w.Stats().Snapshot())
	if all > 60*time.Second {
		t.Errorf("took %v", all)
	}
}

// BenchmarkDropFiles drops b.N files into a running watcher at once and
// waits until every one is started (fake Starter; settle 500ms, included).
// go test -run '^$' -bench DropFiles -benchtime 10000x ./watcher
func BenchmarkDropFiles(b *testing.B) {
	e := newEnv(b)
	f := e.folder("inbox")
	f.Settle = 500 * time.Millisecond
	cfg := e.config(f)
	cfg.Rescan = 10 * time.Second
	s := newFake()
	w := mustNew(b, cfg, s)
	start(b, w)
	testkit.WaitFor(b, time.Second, "the first scan", func() bool { return w.Stats().Rescans.Load() > 0 })
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		e.write(fmt.Sprintf("inbox/b%07d.txt", i), numbers(i)+fmt.Sprint(i))
	}
	testkit.WaitFor(b, 10*time.Minute, "all starts", func() bool { return s.numStarted() == b.N })
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "files/s")
	b.ReportMetric(float64(w.Stats().Overflows.Load()), "overflows")
}

// A file moved into the inbox whole (mv keeps its modification time) has
// held still since then: it is started at once, not a settle window after
// it appeared. A file written just now still waits the window.
func TestFileMovedInWholeIsNotMadeToWait(t *testing.T) {
	e := newEnv(t)
	f := e.folder("inbox")
	f.Settle = 3 * time.Second
	s := newFake()
	start(t, mustNew(t, e.config(f), s))
	e.write("staging/old.txt", numbers(1))
	old := time.Now().Add(-time.Minute)
	if err := os.Chtimes(e.dir("staging/old.txt"), old, old); err != nil {
		t.Fatal(err)
	}
	moved := time.Now()
	if err := os.Rename(e.dir("staging/old.txt"), e.dir("inbox/old.txt")); err != nil {
		t.Fatal(err)
	}
	testkit.WaitFor(t, 2*time.Second, "old.txt", func() bool { return s.numStarted() == 1 })
	t.Logf("moved in, started after %v (settle window %v)", time.Since(moved).Round(time.Millisecond), f.Settle)

	written := time.Now()
	e.write("inbox/new.txt", numbers(2))
	testkit.WaitFor(t, 5*time.Second, "new.txt", func() bool { return s.numStarted() == 2 })
	if waited := time.Since(written); waited < f.Settle {
		t.Errorf("a file written just now started after %v, within the settle window of %v", waited, f.Settle)
	}
}
