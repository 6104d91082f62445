package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/phonecheck/phonecheck/internal/store"
)

// openStore opens --store, by default the store in the data directory.
func openStore(location, dataDir string) (*store.Store, error) {
	if location == "" {
		location = filepath.Join(absPath(dataDir), "store")
	}
	s, err := store.Open(context.Background(), location)
	if err != nil {
		return nil, err
	}
	if err := s.Accessible(context.Background()); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// outLocation is an --out value: a bucket URL as given, a directory made
// absolute.
func outLocation(out string) string {
	if strings.Contains(out, "://") {
		return out
	}
	return absPath(out)
}

func absPath(p string) string {
	if a, err := filepath.Abs(p); err == nil {
		return a
	}
	return p
}

func ensureDir(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("cannot create %s: %w", dir, err)
	}
	return nil
}
