package devserver

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"

	"github.com/phonecheck/phonecheck/internal/testkit"
)

// TestShortTimersFireOnTime: a poll's 250 ms wait must not take a second.
// The history service moves a timer's fire time to at least its
// TimerProcessorMaxTimeShift past now (1 s by default); the embedded
// server sets it low, since one process has one clock.
func TestShortTimersFireOnTime(t *testing.T) {
	c := sleeperServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	// The first run warms up the task queue; the second is measured.
	for i, id := range []string{"warm", "short"} {
		run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: "q"}, sleeper, 250*time.Millisecond)
		if err != nil {
			t.Fatal(err)
		}
		if err := run.Get(ctx, nil); err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			continue
		}
		var started, fired time.Time
		for it := c.GetWorkflowHistory(ctx, id, run.GetRunID(), false, 0); it.HasNext(); {
			e, err := it.Next()
			if err != nil {
				t.Fatal(err)
			}
			switch {
			case e.GetTimerStartedEventAttributes() != nil:
				started = e.GetEventTime().AsTime()
			case e.GetTimerFiredEventAttributes() != nil:
				fired = e.GetEventTime().AsTime()
			}
		}
		if waited := fired.Sub(started); waited > 700*time.Millisecond {
			t.Errorf("a 250 ms timer fired after %v", waited)
		} else {
			t.Logf("a 250 ms timer fired after %v", waited)
		}
	}
}

// TestServerReadsNotItsExecutable: the SDK workers inside the server (and
// the worker here) take their binary checksum from temporalx.BuildID, not
// from an MD5 of the executable, which read all of it at start (about a
// second of CPU for phonecheck's 400 MB). The SDK keeps the checksum for the
// process: on code that reads it, this test fails when it is the first to
// start a worker (run it alone).
func TestServerReadsNotItsExecutable(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(exe)
	if err != nil {
		t.Fatal(err)
	}
	before := readBytes(t)
	c := sleeperServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{TaskQueue: "q"}, sleeper, time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	if err := run.Get(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if read := readBytes(t) - before; read > st.Size()/2 {
		t.Errorf("the process read %d bytes, its executable is %d", read, st.Size())
	}
}

// sleeperServer starts a server and a worker of sleeper on task queue "q",
// both stopped when the test ends, and returns a client of it.
func sleeperServer(t *testing.T) client.Client {
	t.Helper()
	addr := testkit.FreeAddr(t)
	srv, err := Start(Options{DatabaseFile: filepath.Join(t.TempDir(), "temporal.db"), FrontendAddress: addr})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Stop() })
	c, err := client.Dial(client.Options{HostPort: addr, Logger: quietLogger{}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	w := worker.New(c, "q", worker.Options{})
	w.RegisterWorkflow(sleeper)
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Stop)
	return c
}

// readBytes is what the process has read so far (rchar of /proc/self/io).
func readBytes(t *testing.T) int64 {
	b, err := os.ReadFile("/proc/self/io")
	if err != nil {
		t.Skip("no /proc/self/io:", err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "rchar: "); ok {
			n, _ := strconv.ParseInt(v, 10, 64)
			return n
		}
	}
	t.Skip("no rchar in /proc/self/io")
	return 0
}
