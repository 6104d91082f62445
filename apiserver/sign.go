package apiserver

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/url"
	"path/filepath"
	"strconv"
	"time"
)

// signer makes result links that work without an API key, like a presigned
// storage URL: the path names the task, and an HMAC over the task id and the
// expiry proves the server issued the link.
type signer struct{ secret []byte }

// loadSigner reads the secret from dir, creating it on first start, so links
// stay valid across restarts.
func loadSigner(dir string) (*signer, error) {
	v, _, err := loadOrCreate(filepath.Join(dir, "url-secret"), func() string {
		b := make([]byte, 32)
		rand.Read(b)
		return hex.EncodeToString(b)
	})
	if err != nil {
		return nil, err
	}
	secret, err := hex.DecodeString(v)
	if err != nil || len(secret) < 16 {
		return nil, errors.New("apiserver: url-secret is damaged: delete it to generate a new one (issued links stop working)")
	}
	return &signer{secret: secret}, nil
}

func (s *signer) mac(taskID string, expires int64) []byte {
	m := hmac.New(sha256.New, s.secret)
	m.Write([]byte(taskID + "\n" + strconv.FormatInt(expires, 10)))
	return m.Sum(nil)
}

// path returns the signed path and query of a task's result zip.
func (s *signer) path(taskID string, expires time.Time) string {
	e := expires.Unix()
	q := url.Values{"expires": {strconv.FormatInt(e, 10)}, "sig": {hex.EncodeToString(s.mac(taskID, e))}}
	return "/v1/results/" + taskID + ".zip?" + q.Encode()
}

var (
	errBadSignature = errors.New("the link's signature does not match: ask gettasks for a fresh result_url")
	errExpired      = errors.New("the link has expired: ask gettasks for a fresh result_url")
)

// verify checks a link's query for taskID at time now.
func (s *signer) verify(taskID string, q url.Values, now time.Time) error {
	e, err := strconv.ParseInt(q.Get("expires"), 10, 64)
	if err != nil {
		return errBadSignature
	}
	got, err := hex.DecodeString(q.Get("sig"))
	if err != nil || !hmac.Equal(got, s.mac(taskID, e)) { // constant time
		return errBadSignature
	}
	if now.Unix() >= e {
		return errExpired
	}
	return nil
}
