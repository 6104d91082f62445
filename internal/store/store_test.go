package store

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func stores(t *testing.T) map[string]*Store {
	t.Helper()
	ctx := context.Background()
	out := map[string]*Store{}
	for name, loc := range map[string]string{
		"dir":  filepath.Join(t.TempDir(), "store"),
		"file": "file://" + filepath.ToSlash(filepath.Join(t.TempDir(), "files")),
		"mem":  "mem://",
	} {
		s, err := Open(ctx, loc)
		if err != nil {
			t.Fatalf("%s: %v", loc, err)
		}
		t.Cleanup(func() { s.Close() })
		out[name] = s
	}
	return out
}

func TestWritesAppearWholeOrNotAtAll(t *testing.T) {
	for name, s := range stores(t) {
		t.Run(name, func(t *testing.T) { exerciseStore(t, s) })
	}
}

// exerciseStore writes, aborts, reads, copies, fetches, puts and deletes.
func exerciseStore(t *testing.T, s *Store) {
	ctx := context.Background()
	w, err := s.Create(ctx, "out/a/results.csv")
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("half"))
	if ok, _ := s.Exists(ctx, "out/a/results.csv"); ok {
		t.Fatal("visible before commit")
	}
	w.Abort()
	if ok, _ := s.Exists(ctx, "out/a/results.csv"); ok {
		t.Fatal("visible after abort")
	}
	if err := s.WriteAll(ctx, "out/a/results.csv", []byte("whole\n")); err != nil {
		t.Fatal(err)
	}
	got, err := s.ReadAll(ctx, "out/a/results.csv")
	if err != nil || string(got) != "whole\n" {
		t.Fatalf("read %q, %v", got, err)
	}
	if n, err := s.Size(ctx, "out/a/results.csv"); err != nil || n != 6 {
		t.Fatalf("size %d, %v", n, err)
	}
	local := filepath.Join(t.TempDir(), "x", "copy.csv")
	if err := s.Fetch(ctx, "out/a/results.csv", local); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(local); string(b) != "whole\n" {
		t.Fatalf("fetched %q", b)
	}
	if _, err := s.Put(ctx, "out/b/copy.csv", local); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Put(ctx, "in/put.txt", local); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ReadAll(ctx, "missing"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("missing key: %v, want ErrNotFound", err)
	}
	if err := s.DeletePrefix(ctx, "out/"); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"out/a/results.csv", "out/b/copy.csv"} {
		if ok, _ := s.Exists(ctx, k); ok {
			t.Errorf("%s survived DeletePrefix", k)
		}
	}
	if ok, _ := s.Exists(ctx, "in/put.txt"); !ok {
		t.Error("DeletePrefix removed a key outside its prefix")
	}
	if err := s.Delete(ctx, "never-there"); err != nil {
		t.Errorf("deleting a missing key: %v", err)
	}
	if err := s.Accessible(ctx); err != nil {
		t.Error(err)
	}
}

// A directory store leaves no temp files, sidecars or empty directories,
// and names every key by its path.
func TestDirectoryStoreStaysClean(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	w, _ := s.Create(ctx, "gone/x.csv")
	w.Write([]byte("x"))
	w.Abort()
	if err := s.WriteAll(ctx, "out/results.csv", []byte("a\n")); err != nil {
		t.Fatal(err)
	}
	if got := s.Location("out/results.csv"); got != filepath.Join(dir, "out", "results.csv") {
		t.Errorf("Location = %s", got)
	}
	var files []string
	filepath.WalkDir(dir, func(p string, d os.DirEntry, _ error) error {
		if !d.IsDir() {
			files = append(files, strings.TrimPrefix(p, dir))
		}
		return nil
	})
	if strings.Join(files, ",") != "/out/results.csv" {
		t.Errorf("files in the store directory: %v", files)
	}
	s.DeletePrefix(ctx, "out/")
	if _, err := os.Stat(filepath.Join(dir, "out")); !os.IsNotExist(err) {
		t.Errorf("out/ left behind: %v", err)
	}
}

func TestBadLocations(t *testing.T) {
	for _, loc := range []string{"", "ftp://host/dir", "gs://bucket"} {
		if _, err := Open(context.Background(), loc); err == nil {
			t.Errorf("Open(%q) succeeded", loc)
		}
	}
	s, err := Open(context.Background(), "mem://")
	if err != nil {
		t.Fatal(err)
	}
	if got := s.Location("a/b.csv"); got != "mem://a/b.csv" {
		t.Errorf("Location = %s", got)
	}
}

func TestListNamesKeysUnderAPrefix(t *testing.T) {
	ctx := context.Background()
	for name, s := range stores(t) {
		t.Run(name, func(t *testing.T) {
			for _, k := range []string{"ledger/a.json", "ledger/b.json", "ledgers/c.json", "work/x/ledger/d"} {
				if err := s.WriteAll(ctx, k, []byte("{}")); err != nil {
					t.Fatal(err)
				}
			}
			var got []string
			err := s.List(ctx, "ledger/", func(k string, mod time.Time) error {
				if time.Since(mod) > time.Hour {
					t.Errorf("%s: modification time %s", k, mod)
				}
				got = append(got, k)
				return nil
			})
			if err != nil || strings.Join(got, " ") != "ledger/a.json ledger/b.json" {
				t.Errorf("List(ledger/) = %v, %v", got, err)
			}
			stop := errors.New("stop")
			if err := s.List(ctx, "", func(string, time.Time) error { return stop }); !errors.Is(err, stop) {
				t.Errorf("fn's error: %v", err)
			}
		})
	}
}

// A directory store's writer holds its temp file, which Commit syncs
// before the rename, and the new names up to the store's root after it.
func TestDirectoryCommitSyncs(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	w, err := s.Create(context.Background(), "work/abc/local.csv")
	if err != nil {
		t.Fatal(err)
	}
	if w.file == nil || filepath.Dir(w.file.Name()) != filepath.Join(dir, "work", "abc") {
		t.Fatalf("the writer has no temp file beside its key to sync: %v", w.file)
	}
	if _, err := w.Write([]byte("x")); err != nil {
		t.Fatal(err)
	}
	if err := w.Commit(); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "work", "abc", "local.csv")); err != nil || string(b) != "x" {
		t.Fatalf("committed %q, %v", b, err)
	}
}
