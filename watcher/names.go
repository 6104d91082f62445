package watcher

import (
	"crypto/rand"
	"encoding/hex"
	"path/filepath"
	"strings"
	"unicode/utf8"
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

// maxNameLen is the longest file name most file systems take (NAME_MAX).
const maxNameLen = 255

// claimedName gives a file a unique name in processing/: "<12 hex>-<name>".
// The prefix keeps two inputs of the same name apart, even when several
// watchers share the folder. A name too long for the prefix is shortened in
// the middle, keeping its extension.
func claimedName(name string) string {
	var b [tokenLen / 2]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:]) + "-" + shorten(name, maxNameLen-tokenLen-1)
}

// shorten cuts name to at most n bytes, on a rune boundary, keeping a short extension.
func shorten(name string, n int) string {
	if len(name) <= n {
		return name
	}
	ext := filepath.Ext(name)
	if len(ext) > 16 {
		ext = ""
	}
	head := name[:n-len(ext)]
	for len(head) > 0 && !utf8.ValidString(head) {
		head = head[:len(head)-1]
	}
	return head + ext
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
