package workflows_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/phonecheck/phonecheck/workflows"
)

// TestSplitWritesValidAndInvalid: a file asked for again with Split is
// another workflow, uncharged (the same numbers), whose exports add
// valid.<format> and invalid.<format>: the full file's header, and its rows
// parted by the phoneCheck column.
func TestSplitWritesValidAndInvalid(t *testing.T) {
	s := newStack(t, 0)
	plain := s.input(t, "split.txt", 2000, 77)
	run, _, err := workflows.Submit(context.Background(), s.Client, s.Store, plain)
	if err != nil {
		t.Fatal(err)
	}
	if res := waitResult(t, s.Client, run.GetID()); res.Outputs["valid.csv"] != "" {
		t.Fatalf("a run without split wrote %v", res.Outputs)
	}
	in := s.input(t, "split-again.txt", 2000, 77)
	in.Split = true
	run2, existing, err := workflows.Submit(context.Background(), s.Client, s.Store, in)
	if err != nil || existing || run2.GetID() == run.GetID() {
		t.Fatalf("split start: %v, existing %v, id %s", err, existing, run2.GetID())
	}
	res := waitResult(t, s.Client, run2.GetID())
	if n := s.Charges("tasks"); n != 1 {
		t.Errorf("%d upload charges, want 1: the split run takes the task of the same numbers", n)
	}
	read := func(key string) []string {
		t.Helper()
		p := res.Outputs[key]
		if p == "" || filepath.Dir(p) != res.OutputDir {
			t.Fatalf("output %s at %q, want it in %s", key, p, res.OutputDir)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		return strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	}
	full, valid, invalid := read("csv"), read("valid.csv"), read("invalid.csv")
	if valid[0] != full[0] || invalid[0] != full[0] {
		t.Fatalf("headers differ: %q %q %q", full[0], valid[0], invalid[0])
	}
	var wantValid, wantInvalid []string
	for _, l := range full[1:] {
		if strings.SplitN(l, ",", 3)[1] == "valid" { // the phoneCheck column
			wantValid = append(wantValid, l)
		} else {
			wantInvalid = append(wantInvalid, l)
		}
	}
	if strings.Join(valid[1:], "\n") != strings.Join(wantValid, "\n") || strings.Join(invalid[1:], "\n") != strings.Join(wantInvalid, "\n") {
		t.Errorf("split rows: %d valid, %d invalid; want %d and %d", len(valid)-1, len(invalid)-1, len(wantValid), len(wantInvalid))
	}
	if len(valid)-1 != res.Valid || len(invalid)-1 != res.Invalid || res.Valid == 0 || res.Invalid == 0 {
		t.Errorf("%d valid and %d invalid rows, the result counts %d and %d", len(valid)-1, len(invalid)-1, res.Valid, res.Invalid)
	}
	for _, key := range []string{"valid.xlsx", "invalid.xlsx"} {
		b, err := os.ReadFile(res.Outputs[key])
		if err != nil || !bytes.HasPrefix(b, []byte("PK")) {
			t.Errorf("%s: %v", key, err)
		}
	}
	if *updateHistory {
		saveHistory(t, historyEvents(t, s.Client, run2.GetID()), "testdata/history_split.json")
	}
}
