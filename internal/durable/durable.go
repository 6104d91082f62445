// Package durable writes and moves files so that a crash or a power cut
// leaves the old state or the new one, never a part: data goes to a temp file
// that is synced and renamed into place, and the directory that holds the new
// name is synced too. The pipeline's archive steps and the watcher use it
// alike, so an input leaves the inbox's folders by one set of rules.
package durable

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// WriteFile writes data to path atomically: path is absent, old or whole,
// after a crash and after a power cut.
func WriteFile(path string, data []byte, perm os.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // a no-op once renamed
	_, err = tmp.Write(data)
	if err == nil {
		err = tmp.Chmod(perm)
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	return Rename(tmp.Name(), path)
}

// Rename renames src to dst and syncs the directories of both names, so
// the move survives a power cut.
func Rename(src, dst string) error {
	if err := os.Rename(src, dst); err != nil {
		return err
	}
	if err := SyncDir(filepath.Dir(dst)); err != nil {
		return err
	}
	if sd := filepath.Dir(src); sd != filepath.Dir(dst) {
		return SyncDir(sd)
	}
	return nil
}

// SyncDir makes the names in dir durable. File systems that cannot sync a
// directory (some network and FUSE mounts answer EINVAL) are taken at their
// word: there is nothing more to do there.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, errSyncUnsupported) {
		return fmt.Errorf("syncing %s: %w", dir, err)
	}
	return nil
}

// Note is a text file written beside an archived file, named after it with
// Suffix (".reason", ".duplicate").
type Note struct {
	Suffix string
	Text   string
}

// MoveInto moves the file src into dir and returns its new path. The note,
// if any, is written first, so a crash in between leaves src where it was
// (to be taken up again), never an archived file without its note. When dir
// holds another file of that name already, tag (a content hash, say) goes
// into the new name and both are kept. Moving again after a crash is safe:
// when src is gone and its archived copy is there, that copy's path is the
// answer; when both are gone, the answer is "".
func MoveInto(src, dir, tag string, note *Note) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	plain := filepath.Join(dir, filepath.Base(src))
	tagged := plain
	if tag != "" {
		ext := filepath.Ext(plain)
		tagged = strings.TrimSuffix(plain, ext) + "-" + tag + ext
	}
	if _, err := os.Lstat(src); errors.Is(err, os.ErrNotExist) {
		for _, p := range []string{tagged, plain} {
			if _, err := os.Lstat(p); err == nil {
				return p, nil // an earlier attempt moved it
			}
		}
		return "", nil // nothing to archive: the input is gone
	}
	dst := plain
	if _, err := os.Lstat(plain); err == nil {
		dst = tagged
	}
	if note != nil {
		if err := WriteFile(dst+note.Suffix, []byte(note.Text), 0o644); err != nil {
			return "", err
		}
	}
	if err := Rename(src, dst); err != nil {
		return "", err
	}
	return dst, nil
}
