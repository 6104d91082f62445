package store

import (
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/phonecheck/phonecheck/internal/durable"
)

// syncedDirs are the directories of a directory store whose own names are
// known durable: this process synced their parent after they were made, or
// found them made and synced it. A new object in one of them then syncs
// that directory alone, not every one above it up to the store's root:
// most of a small file's store writes go into directories that exist, and
// three fsyncs per write were two too many.
type syncedDirs struct {
	mu sync.Mutex
	m  map[string]struct{}
}

var syncDir = durable.SyncDir // a test counts the syncs

// syncedDirsMax bounds the set; past it the set starts empty again, which
// costs a few extra fsyncs and nothing else.
const syncedDirsMax = 1 << 14

func (d *syncedDirs) has(dir string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	_, ok := d.m[dir]
	return ok
}

func (d *syncedDirs) add(dir string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.m == nil || len(d.m) >= syncedDirsMax {
		d.m = make(map[string]struct{})
	}
	d.m[dir] = struct{}{}
}

// forget is told of a directory the store removed: made again, its name
// is new.
func (d *syncedDirs) forget(dir string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	delete(d.m, dir)
}

// existingAncestor is the deepest of dir and the directories above it, up
// to root, that exists now: the ones below it are made by the write that
// asks.
func existingAncestor(dir, root string) string {
	for d := dir; ; d = filepath.Dir(d) {
		if d == root || !within(d, root) || isDir(d) {
			return d
		}
	}
}

// syncUp makes an object's new name in dir durable, and the names of the
// directories made for it: it syncs dir, then the parent of every
// directory from dir up to root that is new (below existed, the deepest
// one that existed before the write) or not yet known synced.
func (s *syncedDirs) syncUp(dir, root, existed string) error {
	if err := syncDir(dir); err != nil {
		return err
	}
	for d := dir; d != root && within(d, root); d = filepath.Dir(d) {
		if len(d) <= len(existed) && s.has(d) {
			return nil
		}
		if err := syncDir(filepath.Dir(d)); err != nil {
			return err
		}
		s.add(d)
	}
	return nil
}

func within(dir, root string) bool {
	return strings.HasPrefix(dir, root+string(filepath.Separator))
}

func isDir(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.IsDir()
}
