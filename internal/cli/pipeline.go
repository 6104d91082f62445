package cli

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/phonecheck/phonecheck/ekycpro"
	"github.com/phonecheck/phonecheck/internal/store"
	"github.com/phonecheck/phonecheck/results"
)

// parseFormats reads a --formats list such as "csv,xlsx".
func parseFormats(s string) ([]string, error) {
	var out []string
	seen := map[results.Format]bool{}
	for _, part := range strings.Split(s, ",") {
		if strings.TrimSpace(part) == "" {
			continue
		}
		f, err := results.ParseFormat(part)
		if err != nil {
			return nil, fmt.Errorf("--formats: %v", err)
		}
		if !seen[f] {
			seen[f] = true
			out = append(out, string(f))
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("--formats: give at least one of csv, xlsx, jsonl")
	}
	return out, nil
}

// newAPIClient is the v1 task API client for the worker; the key stays here,
// in the worker's configuration, and never reaches a workflow payload.
func newAPIClient(url, key string, timeout time.Duration) (*ekycpro.Client, error) {
	if url == "" {
		return nil, fmt.Errorf("no API URL: give --api-url (or PHONECHECK_API_URL), or run 'phonecheck up' for the offline server")
	}
	if key == "" {
		return nil, fmt.Errorf("no API key for %s: give --api-key or set PHONECHECK_API_KEY", url)
	}
	if Version != "" { // a release build names itself in the User-Agent
		ekycpro.Version = Version
	}
	var opts []ekycpro.Option
	if timeout > 0 {
		opts = append(opts, ekycpro.WithTimeout(timeout))
	}
	return ekycpro.New(url, key, opts...)
}

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

func warnLogger(stdio IO) *slog.Logger {
	return slog.New(slog.NewTextHandler(stdio.Err, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

func ensureDir(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("cannot create %s: %w", dir, err)
	}
	return nil
}

// exitForParse is the exit code after a flag parsing error (the flag
// package has printed the message).
func exitForParse(err error) int {
	if flagHelp(err) {
		return ExitOK
	}
	return ExitUsage
}
