//go:build chaos

package chaos

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.temporal.io/api/serviceerror"

	"github.com/phonecheck/phonecheck/workflows"
)

// TestStalledWriter: a producer that holds its file open in the inbox,
// writes half, stalls past the settle window and writes the rest (an SFTP
// client on a slow link) gets the whole file processed, never the half.
func TestStalledWriter(t *testing.T) {
	t.Parallel()
	s := newStack(t, stackOptions{WorkerArgs: []string{"--formats", "csv"}})
	content := numbersFile(20_000, seed^0x57a1)
	half := bytes.LastIndexByte(content[:len(content)/2], '\n') + 1
	f, err := os.Create(filepath.Join(s.inbox, "stalled.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write(content[:half]); err != nil {
		t.Fatal(err)
	}
	f.Sync()
	time.Sleep(5 * time.Second) // up's settle window is 2 s
	if _, err := f.Write(content[half:]); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	o := s.wait(s.workflowID(content), 6*time.Minute)
	if o.Err != nil {
		t.Fatalf("the file failed: %v", o.Err)
	}
	got, err := os.ReadFile(o.Result.Outputs["csv"])
	if err != nil {
		t.Fatal(err)
	}
	lost := 0
	if want := validateCSV(t, content, "CH"); !bytes.Equal(got, want) {
		lost = max(1, bytes.Count(want, []byte("\n"))-bytes.Count(got, []byte("\n")))
		t.Errorf("CSV differs from phonecheck validate of the whole file (%d bytes, want %d)", len(got), len(want))
	}
	var notFound *serviceerror.NotFound
	if _, err := s.c.DescribeWorkflowExecution(context.Background(), s.workflowID(content[:half]), ""); !errors.As(err, &notFound) {
		t.Errorf("a run was started for the first half (describe: %v)", err)
	}
	if !s.waitArchived("done", content, 30*time.Second) {
		t.Errorf("the file is not in done/")
	}
	report.add(func(f *figures) { f.cases++; f.lostRows += lost })
	report.line("stalled writer (half, 5 s pause, rest): done, %d rows equal to validate of the whole file", o.Result.Rows)
}

// TestDuplicateFollowsAFailingOriginal: a copy dropped while its original is still
// running follows the original's outcome: when the original fails, the
// copy goes to failed/ too, with the original's reason, never to done/.
func TestDuplicateFollowsAFailingOriginal(t *testing.T) {
	t.Parallel()
	f := newFakeAPI(t)
	f.createDelay = 8 * time.Second
	const number = "+41446681999"
	f.mu.Lock()
	f.zips[number] = []byte("<html><body>502 Bad Gateway</body></html>") // fails the original at its download
	f.mu.Unlock()
	s := newStack(t, stackOptions{APIURL: f.api.URL})
	content := []byte(number + "\n+41 79 123 45 67\n")
	id := s.drop("original.txt", content)
	deadline := time.Now().Add(2 * time.Minute)
	for {
		if _, err := s.progress(id); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the original did not start\n%s", s.diagnostics())
		}
		time.Sleep(50 * time.Millisecond)
	}
	s.drop("original-copy.txt", content)
	if o := s.wait(id, 3*time.Minute); o.Err == nil {
		t.Fatal("the original did not fail")
	}
	orig := s.waitReason("original.txt", time.Minute)
	copyReason := s.waitReason("original-copy.txt", 2*time.Minute)
	if !strings.Contains(strings.ToLower(copyReason), "zip") || !strings.Contains(copyReason, workflows.WorkflowIDPrefix) {
		t.Errorf("the copy's reason does not give its original's run and reason:\n%s\n(original's: %s)", copyReason, orig)
	}
	if m, _ := filepath.Glob(filepath.Join(s.dir, "done", "inbox", "*")); len(m) != 0 {
		t.Errorf("done/ holds %v", m)
	}
	if n := f.n.Load(); n != 1 {
		t.Errorf("%d uploads for one content, want 1", n)
	}
	report.add(func(f *figures) { f.cases++; f.badInputs++ })
	report.line("duplicate of a failing file: both in failed/, the copy with its original's reason %q", firstLine(copyReason))
}
