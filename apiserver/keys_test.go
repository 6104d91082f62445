package apiserver_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/phonecheck/phonecheck/apiserver"
)

func TestLoadOrCreateKey(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "apiserver")
	key, created, err := apiserver.LoadOrCreateKey(dir)
	if err != nil || !created || len(key) < 20 {
		t.Fatalf("first call: %q %v %v", key, created, err)
	}
	st, err := os.Stat(apiserver.KeyFile(dir))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v %v, want mode 0600", st.Mode(), err)
	}
	again, created, err := apiserver.LoadOrCreateKey(dir)
	if err != nil || created || again != key {
		t.Errorf("second call: %q %v %v, want the stored key", again, created, err)
	}
	other, _, _ := apiserver.LoadOrCreateKey(t.TempDir())
	if other == key {
		t.Error("two directories got the same key")
	}
	// The generated key works for the server started on that directory.
	e := start(t, apiserver.Config{Dir: dir, Keys: []apiserver.Key{apiserver.NewKey(key)}})
	e.mustUpload(key, "+41791234567\n")
}

func TestKeys(t *testing.T) {
	if a, b := apiserver.NewKey("k1"), apiserver.NewKey("k1"); a != b || a.UserID == apiserver.NewKey("k2").UserID || strings.Contains(a.UserID, "k1") {
		t.Errorf("NewKey: %+v", a)
	}
	if _, err := apiserver.New(apiserver.Config{Dir: t.TempDir()}); err == nil {
		t.Error("a server without keys started")
	}
	dir := t.TempDir()
	for content, want := range map[string]string{
		"":                 "no keys",
		"# only a comment": "no keys",
		"alice:\n":         ":1: want",
		"ok\n:secret\n":    ":2: want",
	} {
		path := filepath.Join(dir, "keys")
		os.WriteFile(path, []byte(content), 0o600)
		if _, err := apiserver.ReadKeysFile(path); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("keys file %q: %v, want %q", content, err, want)
		}
	}
}
