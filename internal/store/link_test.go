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
