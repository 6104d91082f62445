package store

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"path/filepath"
)

// Link puts src's object srcKey under key without copying its bytes, when
// both stores are directories on one file system: a hard link, made under
// a temp name (which RemoveTemps knows) and renamed into place. Objects are
// never written in place, so the two names keep the same content. ok is
// false when a link cannot be made (another backend, another file system,
// links not supported): the caller copies instead.
func (s *Store) Link(ctx context.Context, key string, src *Store, srcKey string) (n int64, ok bool, err error) {
	if s.dir == "" || src.dir == "" || ctx.Err() != nil {
		return 0, false, ctx.Err()
	}
	// The data was synced when srcKey was committed.
	return s.link(key, filepath.Join(src.dir, filepath.FromSlash(srcKey)), false)
}

// LinkFile puts the local file at path under key as a second name of that
// file, without a copy, when the store is a directory on path's file
// system; ok is false otherwise, and the caller copies (Put). Only for a
// file that is complete and that nobody writes to again (a finished
// download, a claimed input): the object is that file. Its data is synced
// first, as a copy's would be. A file linked so costs the file system no
// new inode, and removing the store's name later frees none: on a file
// system that scans past recently freed inodes on every create (ext4
// without a journal), each one a burst of small files saves is a create
// made cheaper.
func (s *Store) LinkFile(ctx context.Context, key, path string) (n int64, ok bool, err error) {
	if s.dir == "" || ctx.Err() != nil {
		return 0, false, ctx.Err()
	}
	return s.link(key, path, true)
}

// Adopt puts the finished local file at path under key: as a second name
// of it where LinkFile can, as a copy (Put) elsewhere. The same rule as
// LinkFile's holds: nobody writes to the file again.
func (s *Store) Adopt(ctx context.Context, key, path string) (int64, error) {
	n, ok, err := s.LinkFile(ctx, key, path)
	if err != nil || ok {
		return n, err
	}
	return s.Put(ctx, key, path)
}

func (s *Store) link(key, from string, syncData bool) (n int64, ok bool, err error) {
	to := filepath.Join(s.dir, filepath.FromSlash(key))
	fi, err := os.Stat(from)
	if err != nil || !fi.Mode().IsRegular() {
		return 0, false, nil
	}
	if cur, err := os.Stat(to); err == nil && os.SameFile(fi, cur) {
		return fi.Size(), true, nil // linked by an earlier attempt
	}
	if syncData {
		if err := syncFile(from); err != nil {
			return 0, false, nil
		}
	}
	existed := existingAncestor(filepath.Dir(to), s.dir)
	if err := os.MkdirAll(filepath.Dir(to), 0o777); err != nil { // as the blob writer makes them
		return 0, false, nil
	}
	var suffix [8]byte
	_, _ = rand.Read(suffix[:])
	tmp := to + "." + hex.EncodeToString(suffix[:]) + ".tmp"
	if err := os.Link(from, tmp); err != nil {
		return 0, false, nil
	}
	err = os.Rename(tmp, to)
	// A rename between two names of one file leaves both (POSIX): when
	// another attempt linked key meanwhile, tmp is still there.
	os.Remove(tmp)
	if err != nil {
		return 0, false, s.fail("link", key, err)
	}
	if err := s.synced.syncUp(filepath.Dir(to), s.dir, existed); err != nil {
		return 0, false, s.fail("link", key, err)
	}
	return fi.Size(), true, nil
}

func syncFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}
