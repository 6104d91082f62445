package workflows_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/phonecheck/phonecheck/internal/corpus"
	"github.com/phonecheck/phonecheck/workflows"
)

// TestSameNumbersInAnotherFileAreOneUpload: two files whose numbers are the
// same (one has blank lines and repeats more) upload the same file, and so
// share one task: one upload charge, both finished.
func TestSameNumbersInAnotherFileAreOneUpload(t *testing.T) {
	s := newStack(t, 0)
	a := s.input(t, "a.txt", 300, 91)
	content, _ := os.ReadFile(a.Path)
	more := append(append([]byte("\n"), content...), content[:bytes.IndexByte(content, '\n')+1]...)
	b := s.inputOf(t, "b.txt", more)
	for _, in := range []workflows.Input{a, b} {
		run, _, err := workflows.Submit(context.Background(), s.Client, s.Store, in)
		if err != nil {
			t.Fatal(err)
		}
		if res := waitResult(t, s.Client, run.GetID()); res.Stage != workflows.StageDone {
			t.Fatalf("%s: stage %s", in.Name, res.Stage)
		}
	}
	if n := s.Charges("tasks"); n != 1 {
		t.Errorf("%d upload charges for two files of the same numbers, want 1", n)
	}
}

// TestRedropAfterTerminateSendsTheSameKey: a run terminated while it polls,
// its task record lost, and the file dropped again: the new run's upload
// carries the same Idempotency-Key, so a service that honours it answers
// with the first task, and one upload is charged.
func TestRedropAfterTerminateSendsTheSameKey(t *testing.T) {
	s := newStack(t, 400*time.Millisecond)
	in := s.input(t, "redrop.txt", 8000, 92)
	content, _ := os.ReadFile(in.Path)
	run, _, err := workflows.Submit(context.Background(), s.Client, s.Store, in)
	if err != nil {
		t.Fatal(err)
	}
	waitStage(t, s.Client, run.GetID(), workflows.StagePolling)
	if err := s.Client.TerminateWorkflow(context.Background(), run.GetID(), "", "test: terminated to drop again"); err != nil {
		t.Fatal(err)
	}
	records, _ := filepath.Glob(filepath.Join(s.Dir, "store", "ledger", "*"))
	old, _ := filepath.Glob(filepath.Join(s.Dir, "store", "work", "*", "task.json"))
	if len(records)+len(old) == 0 {
		t.Fatal("no task record in the store")
	}
	for _, f := range append(records, old...) {
		os.Remove(f)
	}
	again := s.inputOf(t, "redrop-again.txt", content)
	run2, existing, err := workflows.Submit(context.Background(), s.Client, s.Store, again)
	if err != nil || existing {
		t.Fatalf("drop again: %v (existing %v)", err, existing)
	}
	waitResult(t, s.Client, run2.GetID())
	if n := s.Charges("tasks"); n != 1 {
		t.Errorf("%d upload charges, want 1: the second upload had another idempotency key", n)
	}
}

// inputOf writes content into the stack's inbox as name.
func (s liveStack) inputOf(t testing.TB, name string, content []byte) workflows.Input {
	in := s.input(t, name, 1, 0)
	if err := os.WriteFile(in.Path, content, 0o644); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(content)
	in.SHA256, in.Size, in.Region = hex.EncodeToString(sum[:]), int64(len(content)), corpus.Region
	return in
}
