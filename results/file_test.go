package results

import (
	"bytes"
	"encoding/csv"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// dirNames lists a directory.
func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

func TestFileCommit(t *testing.T) {
	rows := sampleRows()
	for _, f := range []Format{CSV, XLSX, JSONL} {
		t.Run(string(f), func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "results."+string(f))
			out, err := Create(path, f)
			if err != nil {
				t.Fatal(err)
			}
			defer out.Abort()
			for i := range rows {
				if err := out.Write(&rows[i]); err != nil {
					t.Fatal(err)
				}
			}
			// Before Commit only the hidden temp file exists.
			names := dirNames(t, dir)
			if len(names) != 1 || !strings.HasPrefix(names[0], ".results."+string(f)+".") || !strings.HasSuffix(names[0], ".tmp") {
				t.Fatalf("before Commit: %q", names)
			}
			if _, err := os.Stat(path); !os.IsNotExist(err) {
				t.Fatalf("destination exists before Commit: %v", err)
			}
			if err := out.Commit(); err != nil {
				t.Fatal(err)
			}
			if names := dirNames(t, dir); len(names) != 1 || names[0] != filepath.Base(path) {
				t.Fatalf("after Commit: %q", names)
			}
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if want := writeAll(t, f, rows); !bytes.Equal(data, want) {
				t.Error("committed file differs from the writer's output")
			}
			if f == XLSX {
				x, raw := openXLSX(t, data)
				checkSheet(t, x, raw, "results", rows)
			}

			if err := out.Abort(); err != nil {
				t.Errorf("Abort after Commit: %v", err)
			}
			if _, err := os.Stat(path); err != nil {
				t.Errorf("Abort after Commit removed the file: %v", err)
			}
			if err := out.Commit(); err == nil {
				t.Error("second Commit succeeded")
			}
			if err := out.Write(&rows[0]); err == nil {
				t.Error("Write after Commit succeeded")
			}
		})
	}
}

func TestFileAbort(t *testing.T) {
	for _, f := range []Format{CSV, XLSX, JSONL} {
		t.Run(string(f), func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "out")
			out, err := Create(path, f)
			if err != nil {
				t.Fatal(err)
			}
			rows := sampleRows()
			_ = out.Write(&rows[0])
			if err := out.Abort(); err != nil {
				t.Fatal(err)
			}
			if names := dirNames(t, dir); len(names) != 0 {
				t.Fatalf("after Abort: %q", names)
			}
			if err := out.Abort(); err != nil {
				t.Errorf("second Abort: %v", err)
			}
			if err := out.Commit(); err == nil || !strings.Contains(err.Error(), "aborted") {
				t.Errorf("Commit after Abort: %v", err)
			}
			if names := dirNames(t, dir); len(names) != 0 {
				t.Fatalf("after Commit: %q", names)
			}
		})
	}
}

// Commit replaces an existing file as a whole.
func TestFileReplaces(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.csv")
	if err := os.WriteFile(path, []byte("old\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := Create(path, CSV)
	if err != nil {
		t.Fatal(err)
	}
	rows := sampleRows()
	_ = out.Write(&rows[0])
	if data, _ := os.ReadFile(path); string(data) != "old\n" {
		t.Fatal("destination changed before Commit")
	}
	if err := out.Commit(); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(path)
	recs, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
	if err != nil || len(recs) != 2 || recs[1][0] != rows[0].Number {
		t.Fatalf("got %q, %v", recs, err)
	}
	// Same mode as os.Create would give: 0666 less the umask, not CreateTemp's 0600.
	ref := filepath.Join(filepath.Dir(path), "ref")
	rf, _ := os.Create(ref)
	_ = rf.Close()
	a, _ := os.Stat(path)
	b, _ := os.Stat(ref)
	if a.Mode() != b.Mode() {
		t.Errorf("mode %v, want %v", a.Mode(), b.Mode())
	}
}

// A failure while finishing leaves nothing behind and no destination.
func TestFileCommitFailure(t *testing.T) {
	dir := t.TempDir()
	out, err := Create(filepath.Join(dir, "r.csv"), CSV)
	if err != nil {
		t.Fatal(err)
	}
	rows := sampleRows()
	_ = out.Write(&rows[0])
	_ = out.tmp.Close() // the buffered rows cannot be flushed now
	if err := out.Commit(); err == nil {
		t.Fatal("Commit succeeded")
	}
	if names := dirNames(t, dir); len(names) != 0 {
		t.Fatalf("after failed Commit: %q", names)
	}
	if err := out.Abort(); err != nil {
		t.Errorf("Abort after failed Commit: %v", err)
	}
}

func TestCreateErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := Create(filepath.Join(dir, "missing", "r.csv"), CSV); err == nil {
		t.Error("Create in a missing directory succeeded")
	}
	if _, err := Create(filepath.Join(dir, "r.xls"), "xls"); err == nil {
		t.Error("Create with an unknown format succeeded")
	}
	if names := dirNames(t, dir); len(names) != 0 {
		t.Errorf("left behind: %q", names)
	}
}

// The XLSX writer streams the zip into the file itself: however large the
// workbook (here past the 16 MiB at which excelize's stream writer spilled to
// a temp file), nothing is left in TMPDIR, on Commit or on Abort.
func TestFileXLSXTempFiles(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	rows := benchRows()
	for _, commit := range []bool{false, true} {
		out, err := Create(filepath.Join(t.TempDir(), "r.xlsx"), XLSX)
		if err != nil {
			t.Fatal(err)
		}
		for i := range 40000 { // about 25 MB of sheet XML
			if err := out.Write(&rows[i%len(rows)]); err != nil {
				t.Fatal(err)
			}
		}
		if names := dirNames(t, tmp); len(names) != 0 {
			t.Errorf("commit=%v: written to TMPDIR: %q", commit, names)
		}
		if commit {
			err = out.Commit()
		} else {
			err = out.Abort()
		}
		if err != nil {
			t.Fatal(err)
		}
		if names := dirNames(t, tmp); len(names) != 0 {
			t.Errorf("commit=%v: left in TMPDIR: %q", commit, names)
		}
	}
}
