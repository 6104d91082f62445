package store

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

func TestLinkNamesTheSameFileWithoutACopy(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	work, err := Open(ctx, filepath.Join(root, "work"))
	if err != nil {
		t.Fatal(err)
	}
	out, err := Open(ctx, filepath.Join(root, "out"))
	if err != nil {
		t.Fatal(err)
	}
	if err := work.WriteAll(ctx, "f/joined.csv", []byte("Line,Input\n1,x\n")); err != nil {
		t.Fatal(err)
	}
	for range 2 { // a retried export links again, over its first link
		n, ok, err := out.Link(ctx, "f.txt-1/results.csv", work, "f/joined.csv")
		if err != nil || !ok || n != 15 {
			t.Fatalf("Link: %d, %v, %v", n, ok, err)
		}
	}
	a, err := os.Stat(filepath.Join(root, "work", "f", "joined.csv"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.Stat(out.Location("f.txt-1/results.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if !os.SameFile(a, b) {
		t.Error("the output is a copy, not a second name")
	}
	// The work file goes at Finish; the output stays whole.
	if err := work.Delete(ctx, "f/joined.csv"); err != nil {
		t.Fatal(err)
	}
	if got, err := out.ReadAll(ctx, "f.txt-1/results.csv"); err != nil || string(got) != "Line,Input\n1,x\n" {
		t.Fatalf("after the work file went: %q, %v", got, err)
	}
	entries, _ := os.ReadDir(filepath.Dir(out.Location("f.txt-1/results.csv")))
	if len(entries) != 1 {
		t.Errorf("left beside the output: %v", entries)
	}

	// Another backend is no link: the caller copies.
	mem, err := Open(ctx, "mem://")
	if err != nil {
		t.Fatal(err)
	}
	if err := mem.WriteAll(ctx, "k", []byte("x")); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := out.Link(ctx, "k", mem, "k"); ok || err != nil {
		t.Errorf("Link from mem://: %v, %v", ok, err)
	}
	if _, ok, err := out.Link(ctx, "missing", work, "no/such"); ok || err != nil {
		t.Errorf("Link of a missing key: %v, %v", ok, err)
	}
}

func TestAdoptLinksAFinishedFileAndCopiesWhereItCannot(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	st, err := Open(ctx, filepath.Join(root, "store"))
	if err != nil {
		t.Fatal(err)
	}
	src := filepath.Join(root, "scratch", "result.zip")
	if err := os.MkdirAll(filepath.Dir(src), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(src, []byte("zip bytes"), 0o600); err != nil {
		t.Fatal(err)
	}
	for range 2 { // a retried download adopts again, over its first link
		if n, err := st.Adopt(ctx, "w/result.zip", src); err != nil || n != 9 {
			t.Fatalf("Adopt: %d, %v", n, err)
		}
	}
	a, _ := os.Stat(src)
	b, err := os.Stat(st.Location("w/result.zip"))
	if err != nil || !os.SameFile(a, b) {
		t.Fatalf("the object is not a second name of the file: %v", err)
	}
	if entries, _ := os.ReadDir(filepath.Dir(st.Location("w/result.zip"))); len(entries) != 1 {
		t.Errorf("left beside the object: %v", entries)
	}
	// The scratch name goes; the object stays whole.
	if err := os.Remove(src); err != nil {
		t.Fatal(err)
	}
	if got, err := st.ReadAll(ctx, "w/result.zip"); err != nil || string(got) != "zip bytes" {
		t.Fatalf("after the scratch name went: %q, %v", got, err)
	}

	// Another backend, or another file system, gets a copy.
	mem, err := Open(ctx, "mem://")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(src, []byte("again"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := mem.LinkFile(ctx, "k", src); ok || err != nil {
		t.Errorf("LinkFile into mem://: %v, %v", ok, err)
	}
	if n, err := mem.Adopt(ctx, "k", src); err != nil || n != 5 {
		t.Fatalf("Adopt into mem://: %d, %v", n, err)
	}
	if got, _ := mem.ReadAll(ctx, "k"); string(got) != "again" {
		t.Errorf("copied into mem://: %q", got)
	}
	if _, ok, err := st.LinkFile(ctx, "missing", filepath.Join(root, "no", "such")); ok || err != nil {
		t.Errorf("LinkFile of a missing file: %v, %v", ok, err)
	}
	if shm, err := os.MkdirTemp("/dev/shm", "adopt"); err == nil { // tmpfs: another file system
		defer os.RemoveAll(shm)
		other := filepath.Join(shm, "f")
		if err := os.WriteFile(other, []byte("elsewhere"), 0o600); err != nil {
			t.Fatal(err)
		}
		if n, err := st.Adopt(ctx, "w/other", other); err != nil || n != 9 {
			t.Fatalf("Adopt across file systems: %d, %v", n, err)
		}
		a, _ := os.Stat(other)
		b, _ := os.Stat(st.Location("w/other"))
		if os.SameFile(a, b) {
			t.Error("a link across file systems?")
		}
	}
}
