package apiserver

import (
	"bufio"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Key is one API key and the user its charges and tasks belong to.
type Key struct {
	UserID string
	Secret string // the X-API-Key value
}

// NewKey gives a bare key its own user id, derived from a hash of the key so
// that it is stable across restarts and does not reveal the key.
func NewKey(secret string) Key {
	sum := sha256.Sum256([]byte(secret))
	return Key{UserID: "user-" + hex.EncodeToString(sum[:6]), Secret: secret}
}

// ReadKeysFile reads one key per line, `key` or `user_id:key`; blank lines
// and lines starting with # are skipped.
func ReadKeysFile(path string) ([]Key, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var keys []Key
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k := NewKey(line)
		if user, secret, ok := strings.Cut(line, ":"); ok {
			k = Key{UserID: strings.TrimSpace(user), Secret: strings.TrimSpace(secret)}
		}
		if k.UserID == "" || k.Secret == "" {
			return nil, fmt.Errorf("%s:%d: want `key` or `user_id:key`", path, n)
		}
		keys = append(keys, k)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("%s holds no keys", path)
	}
	return keys, nil
}

// KeyFile is where LoadOrCreateKey keeps the generated key inside a server
// data directory.
func KeyFile(dir string) string { return filepath.Join(dir, "api-key") }

// LoadOrCreateKey returns the key stored in dir, generating and storing it
// (mode 0600) on first use; created tells the caller to show it once.
func LoadOrCreateKey(dir string) (key string, created bool, err error) {
	return loadOrCreate(KeyFile(dir), func() string { return "pc_" + rand.Text() })
}

// loadOrCreate reads the one-line secret at path, or writes gen() there.
// O_EXCL makes two processes starting together agree on one value.
func loadOrCreate(path string, gen func() string) (string, bool, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return "", false, err
	}
	for range 2 {
		b, err := os.ReadFile(path)
		if err == nil {
			v := strings.TrimSpace(string(b))
			if v == "" {
				return "", false, fmt.Errorf("%s is empty: delete it to generate a new one", path)
			}
			return v, false, nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return "", false, err
		}
		v := gen()
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, fs.ErrExist) {
			continue // another process won; read its value
		}
		if err != nil {
			return "", false, err
		}
		_, err = f.WriteString(v + "\n")
		if err == nil {
			err = f.Sync()
		}
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			os.Remove(path)
			return "", false, err
		}
		return v, true, nil
	}
	return "", false, fmt.Errorf("%s: could not read or create it", path)
}

// keyring authenticates X-API-Key values. It keeps only hashes, and checks a
// presented key against every one in constant time, so neither the timing
// nor the memory reveals a key.
type keyring struct {
	hashes [][sha256.Size]byte
	users  []string
}

func newKeyring(keys []Key) (*keyring, error) {
	kr := &keyring{}
	seen := map[[sha256.Size]byte]bool{}
	for _, k := range keys {
		if k.Secret == "" || k.UserID == "" {
			return nil, errors.New("apiserver: a key needs a secret and a user id")
		}
		h := sha256.Sum256([]byte(k.Secret))
		if seen[h] {
			continue
		}
		seen[h] = true
		kr.hashes = append(kr.hashes, h)
		kr.users = append(kr.users, k.UserID)
	}
	if len(kr.hashes) == 0 {
		return nil, errors.New("apiserver: no API key configured")
	}
	return kr, nil
}

// user returns the user id of a presented key.
func (kr *keyring) user(presented string) (string, bool) {
	if presented == "" {
		return "", false
	}
	h := sha256.Sum256([]byte(presented))
	found := -1
	for i := range kr.hashes {
		if subtle.ConstantTimeCompare(h[:], kr.hashes[i][:]) == 1 {
			found = i
		}
	}
	if found < 0 {
		return "", false
	}
	return kr.users[found], true
}
