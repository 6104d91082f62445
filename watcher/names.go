package watcher

import (
	"crypto/rand"
	"encoding/hex"
	"path/filepath"
	"strings"
)

// MarkerSuffix names the marker file of DoneMarker mode: "<file>.done".
const MarkerSuffix = ".done"

// temporarySuffixes are names that writers use before renaming a file into
// place; such files are never claimed.
var temporarySuffixes = []string{".part", ".partial", ".tmp", ".temp", ".crdownload", ".download", ".swp", ".swx", "~", MarkerSuffix}

// ignoredName reports whether a base name is hidden or temporary.
func ignoredName(name string) bool {
	if name == "" || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "~$") {
		return true
	}
	lower := strings.ToLower(name)
	for _, s := range temporarySuffixes {
		if strings.HasSuffix(lower, s) {
			return true
		}
	}
	return false
}

// matches reports whether name passes the folder's patterns.
func (f *Folder) matches(name string) bool {
	if len(f.Patterns) == 0 {
		return true
	}
	lower := strings.ToLower(name)
	for _, p := range f.Patterns {
		if ok, _ := filepath.Match(strings.ToLower(p), lower); ok {
			return true
		}
	}
	return false
}

// tokenLen is the length of the random prefix of a claimed name.
const tokenLen = 12

// claimedName gives a file a unique name in processing/: "<12 hex>-<name>".
// The prefix keeps two inputs of the same name apart, even when several
// watchers share the folder.
func claimedName(name string) string {
	var b [tokenLen / 2]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:]) + "-" + name
}

// originalName undoes claimedName; other names are returned as they are.
func originalName(claimed string) string {
	if len(claimed) > tokenLen+1 && claimed[tokenLen] == '-' {
		if _, err := hex.DecodeString(claimed[:tokenLen]); err == nil {
			return claimed[tokenLen+1:]
		}
	}
	return claimed
}
