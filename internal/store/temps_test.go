package store

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

// A writer killed before Commit leaves <key>.<hex>.tmp beside the key; the
// next writer's RemoveTemps takes it away, and nothing else (found by the
// chaos suite: a worker killed during the XLSX export left one for good).
func TestRemoveTemps(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	os.MkdirAll(filepath.Join(dir, "f"), 0o755)
	stale := filepath.Join(dir, "f", "results.xlsx.1879a2b3c4d5e6f7.tmp")
	keep := []string{filepath.Join(dir, "f", "results.csv.1879a2b3c4d5e6f7.tmp"), filepath.Join(dir, "f", "results.xlsx.notes.tmp"), filepath.Join(dir, "f", "results.xlsx")}
	for _, p := range append(keep, stale) {
		if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	s.RemoveTemps("f/results.xlsx")
	if _, err := os.Stat(stale); err == nil {
		t.Error("the stale temp file is still there")
	}
	for _, p := range keep {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("%s was removed", filepath.Base(p))
		}
	}
	// A killed writer really leaves such a file.
	w, err := s.Create(context.Background(), "g/summary.json")
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("{"))
	m, _ := filepath.Glob(filepath.Join(dir, "g", "summary.json.*.tmp"))
	if len(m) != 1 {
		t.Fatalf("an open writer's temp files: %v", m)
	}
	s.RemoveTemps("g/summary.json") // as the retry after a kill would
	if m, _ := filepath.Glob(filepath.Join(dir, "g", "summary.json.*.tmp")); len(m) != 0 {
		t.Errorf("left: %v", m)
	}
	w.Abort()
}
