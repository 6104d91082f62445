package testkit

import (
	"testing"
	"time"

	"github.com/phonecheck/phonecheck/internal/freeport"
)

// WaitFor polls cond every 10 ms until it holds, and fails the test after d.
func WaitFor(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// FreeAddr is a loopback address nothing listens on right now, outside the
// range outbound connections take their ports from (see freeport).
func FreeAddr(t testing.TB) string {
	t.Helper()
	addr, err := freeport.Addr("127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	return addr
}
