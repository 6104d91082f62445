package store

import (
	"context"
	"path/filepath"
	"slices"
	"sync"
	"testing"
)

func TestAWriteSyncsTheDirectoriesItMadeNotEveryOneAbove(t *testing.T) {
	var mu sync.Mutex
	var synced []string
	syncDir = func(dir string) error {
		mu.Lock()
		defer mu.Unlock()
		synced = append(synced, dir)
		return nil
	}
	t.Cleanup(func() { syncDir = realSyncDir })
	ctx := context.Background()
	root := t.TempDir()
	open := func() *Store {
		s, err := Open(ctx, root)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	s := open()
	write := func(s *Store, key string) []string {
		mu.Lock()
		synced = nil
		mu.Unlock()
		if err := s.WriteAll(ctx, key, []byte("x")); err != nil {
			t.Fatal(err)
		}
		for i, d := range synced {
			rel, _ := filepath.Rel(root, d)
			synced[i] = filepath.ToSlash(rel)
		}
		return synced
	}
	all := []string{"work/f", "work", "."}
	for _, c := range []struct {
		what, key string
		s         *Store
		want      []string
	}{
		{"new directories: each one's name", "work/f/local.csv", s, all},
		{"a directory made and synced before: its new name only", "work/f/upload.txt", s, []string{"work/f"}},
		{"a new directory in a synced one", "work/g/local.csv", s, []string{"work/g", "work"}},
	} {
		if got := write(c.s, c.key); !slices.Equal(got, c.want) {
			t.Errorf("%s: synced %v, want %v", c.what, got, c.want)
		}
	}
	// Another process knows nothing synced: the first write syncs up to
	// the root, the next its directory only.
	s2 := open()
	if got := write(s2, "work/f/joined.csv"); !slices.Equal(got, all) {
		t.Errorf("first write of another process: synced %v, want %v", got, all)
	}
	if got := write(s2, "work/f/result.zip"); !slices.Equal(got, []string{"work/f"}) {
		t.Errorf("second write of another process: synced %v", got)
	}
	// A directory the store removed is new when made again.
	if err := s.DeletePrefix(ctx, "work/f/"); err != nil {
		t.Fatal(err)
	}
	if got := write(s, "work/f/local.csv"); !slices.Equal(got, []string{"work/f", "work"}) {
		t.Errorf("after the directory was removed: synced %v", got)
	}
	// A link syncs as a write does.
	mu.Lock()
	synced = nil
	mu.Unlock()
	if _, ok, err := s.Link(ctx, "out/f/results.csv", s, "work/f/local.csv"); err != nil || !ok {
		t.Fatalf("Link: %v %v", ok, err)
	}
	if len(synced) != 3 || !slices.Contains(synced, root) {
		t.Errorf("a link into new directories synced %v, want out/f, out and the root", synced)
	}
}

var realSyncDir = syncDir
