package cli

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/phonecheck/phonecheck/internal/testkit"
	"github.com/phonecheck/phonecheck/internal/testkit/stack"
)

func TestBar(t *testing.T) {
	for _, c := range []struct {
		done, total int64
		want        string
	}{
		{0, 10, "[░░░░░░░░░░]   0%"},
		{5, 10, "[█████░░░░░]  50%"},
		{10, 10, "[██████████] 100%"},
		{12, 10, "[██████████] 100%"},
		{1, 0, ""},
	} {
		if got := bar(c.done, c.total, 10); got != c.want {
			t.Errorf("bar(%d, %d) = %q, want %q", c.done, c.total, got, c.want)
		}
	}
}

// TestProgressWhereUsersLook submits a file the offline server takes a
// while over: submit --wait draws a bar on a terminal (and nothing in a
// pipe), and list shows the running file's numbers checked of uploaded.
func TestProgressWhereUsersLook(t *testing.T) {
	s := stack.New(t, 400*time.Millisecond) // per 1000 rows: about 8 s for 20,000
	var b strings.Builder
	for i := range 20000 {
		fmt.Fprintf(&b, "+4179%07d\n", i)
	}
	file := filepath.Join(t.TempDir(), "slow.txt")
	if err := os.WriteFile(file, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	common := []string{"--temporal-address", s.Addr, "--store", filepath.Join(s.Dir, "store"), "--data-dir", t.TempDir(), "--region", "CH"}
	var tty, out testkit.SyncBuffer
	done := make(chan int, 1)
	go func() {
		done <- Main(append([]string{"submit", "--wait", "--out", filepath.Join(t.TempDir(), "out")}, append(common, file)...),
			IO{Out: &out, Err: &tty, ErrIsTerminal: true})
	}()
	var listed string
	testkit.WaitFor(t, 2*time.Minute, "list to show the running file's progress", func() bool {
		var lo, le bytes.Buffer
		if Main([]string{"list", "--temporal-address", s.Addr}, IO{Out: &lo, Err: &le}) != ExitOK {
			t.Fatalf("list: %s", le.String())
		}
		listed = lo.String()
		return strings.Contains(listed, "running") && strings.Contains(listed, "/20,000")
	})
	if !strings.Contains(listed, "PROGRESS") {
		t.Errorf("list has no PROGRESS column:\n%s", listed)
	}
	if code := <-done; code != ExitOK {
		t.Fatalf("submit --wait exited %d: %s", code, tty.String())
	}
	if !strings.Contains(tty.String(), "█") || !strings.Contains(tty.String(), "checked") {
		t.Errorf("submit --wait on a terminal drew no bar: %q", tty.String())
	}
	// The same in a pipe: no control sequences, no bar.
	var pipe, pout bytes.Buffer
	if code := Main(append([]string{"submit", "--wait", "--out", filepath.Join(t.TempDir(), "out")}, append(common, file)...),
		IO{Out: &pout, Err: &pipe}); code != ExitOK {
		t.Fatalf("submit --wait exited %d: %s", code, pipe.String())
	}
	if strings.Contains(pipe.String(), "\r") || strings.Contains(pipe.String(), "█") {
		t.Errorf("submit --wait in a pipe drew progress: %q", pipe.String())
	}
}
