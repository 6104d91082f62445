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
	from := filepath.Join(src.dir, filepath.FromSlash(srcKey))
	to := filepath.Join(s.dir, filepath.FromSlash(key))
	fi, err := os.Stat(from)
	if err != nil || !fi.Mode().IsRegular() {
		return 0, false, nil
	}
	if cur, err := os.Stat(to); err == nil && os.SameFile(fi, cur) {
		return fi.Size(), true, nil // linked by an earlier attempt
	}
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
	// The data was synced when srcKey was committed; the new names are not yet.
	if err := syncUp(filepath.Dir(to), s.dir); err != nil {
		return 0, false, s.fail("link", key, err)
	}
	return fi.Size(), true, nil
}
