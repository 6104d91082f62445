package durable

import (
	"os"
	"path/filepath"
	"testing"
)

func read(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestWriteFileReplacesWholeAndLeavesNoTemp(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "a.txt")
	for _, s := range []string{"first\n", "second, longer\n"} {
		if err := WriteFile(p, []byte(s), 0o640); err != nil {
			t.Fatal(err)
		}
		if got := read(t, p); got != s {
			t.Errorf("got %q, want %q", got, s)
		}
	}
	if st, _ := os.Stat(p); st.Mode().Perm() != 0o640 {
		t.Errorf("mode %v", st.Mode())
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Errorf("left behind: %v", ents)
	}
	if err := WriteFile(filepath.Join(dir, "missing", "b"), nil, 0o644); err == nil {
		t.Error("wrote into a missing directory")
	}
}

func TestMoveInto(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "processing")
	done := filepath.Join(dir, "done")
	os.MkdirAll(in, 0o755)
	src := filepath.Join(in, "n.txt")
	os.WriteFile(src, []byte("1\n"), 0o644)

	dst, err := MoveInto(src, done, "abc", &Note{Suffix: ".reason", Text: "why\n"})
	if err != nil || dst != filepath.Join(done, "n.txt") {
		t.Fatalf("MoveInto = %q, %v", dst, err)
	}
	if read(t, dst) != "1\n" || read(t, dst+".reason") != "why\n" {
		t.Error("content or note wrong")
	}
	// Again after a crash: the file is archived already.
	if again, err := MoveInto(src, done, "abc", nil); err != nil || again != dst {
		t.Errorf("second MoveInto = %q, %v", again, err)
	}

	// Another file of the same name: both are kept, the new one tagged.
	os.WriteFile(src, []byte("2\n"), 0o644)
	dst2, err := MoveInto(src, done, "def", nil)
	if err != nil || dst2 != filepath.Join(done, "n-def.txt") || read(t, dst2) != "2\n" || read(t, dst) != "1\n" {
		t.Fatalf("collision: %q, %v", dst2, err)
	}
	if again, _ := MoveInto(src, done, "def", nil); again != dst2 {
		t.Errorf("retry after a tagged move = %q, want %q", again, dst2)
	}
	// Nothing to move and nothing archived: no error, no path.
	if got, err := MoveInto(filepath.Join(in, "gone.txt"), done, "x", nil); got != "" || err != nil {
		t.Errorf("gone: %q, %v", got, err)
	}
}

// The note is written before the move: where the note cannot be written the
// input stays where it was.
func TestMoveIntoKeepsTheInputWhenTheNoteFails(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "n.txt")
	os.WriteFile(src, []byte("1\n"), 0o644)
	failed := filepath.Join(dir, "failed")
	// A directory where the note should go: no rename can replace it.
	os.MkdirAll(filepath.Join(failed, "n.txt.reason", "x"), 0o755)
	if _, err := MoveInto(src, failed, "x", &Note{Suffix: ".reason", Text: "r"}); err == nil {
		t.Fatal("moved although the note could not be written")
	}
	if read(t, src) != "1\n" {
		t.Error("the input is gone")
	}
	if _, err := os.Stat(filepath.Join(failed, "n.txt")); err == nil {
		t.Error("archived without its note")
	}
}
