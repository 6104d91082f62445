package store

import (
	"os"
	"path/filepath"
	"strings"
)

// RemoveTemps deletes the temp files that writers of key left beside it in
// a directory store (<key>.<hex>.tmp, the names fileblob writes to before a
// commit renames them): a process killed while writing never removes its
// own. Call it only where no other writer of key can be running, such as a
// retried activity before it writes again. Other stores keep no temp files
// under the key; for them it does nothing.
func (s *Store) RemoveTemps(key string) {
	if s.dir == "" {
		return
	}
	path := filepath.Join(s.dir, filepath.FromSlash(key))
	dir, prefix := filepath.Dir(path), filepath.Base(path)+"."
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		n := e.Name()
		if e.Type().IsRegular() && strings.HasPrefix(n, prefix) && strings.HasSuffix(n, ".tmp") &&
			strings.Trim(n[len(prefix):len(n)-len(".tmp")], "0123456789abcdef") == "" {
			os.Remove(filepath.Join(dir, n))
		}
	}
}
