package doctor

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/phonecheck/phonecheck/internal/testkit"
	"github.com/phonecheck/phonecheck/internal/testkit/stack"
	"github.com/phonecheck/phonecheck/temporalx"
)

func dirs(t *testing.T) (data, inbox, out string) {
	root := t.TempDir()
	data, inbox, out = filepath.Join(root, "data"), filepath.Join(root, "inbox"), filepath.Join(root, "results")
	for _, d := range []string{data, inbox, out} {
		os.MkdirAll(d, 0o755)
	}
	return
}

func report(t *testing.T, o Options) (string, int) {
	t.Helper()
	var buf bytes.Buffer
	failed := Print(&buf, Run(context.Background(), o))
	return buf.String(), failed
}

// TestLiveStackIsHealthy: against a live embedded Temporal server and the
// offline API with the right key, every check passes.
func TestLiveStackIsHealthy(t *testing.T) {
	s := stack.New(t, 0)
	data, inbox, out := dirs(t)
	text, failed := report(t, Options{Temporal: temporalx.ClientOptions{Address: s.Addr}, APIURL: s.APIURL, APIKey: stack.Key,
		DataDir: data, Inbox: inbox, Out: out})
	if failed != 0 || strings.Count(text, "✓") != 6 {
		t.Errorf("%d failed:\n%s", failed, text)
	}
	for _, want := range []string{"namespace \"default\" is registered", "search attribute PhonecheckStage exists", "accepts the API key", "renames to",
		"✓ store     " + filepath.Join(data, "store") + " is writable, readable and deletable"} {
		if !strings.Contains(text, want) {
			t.Errorf("report lacks %q:\n%s", want, text)
		}
	}
	// The wrong key: 401 says so, and the key itself is never printed.
	text, failed = report(t, Options{Temporal: temporalx.ClientOptions{Address: s.Addr}, APIURL: s.APIURL, APIKey: "wrong-key-0000",
		DataDir: data, Inbox: inbox, Out: out})
	if failed != 1 || !strings.Contains(text, "✗ task API") || !strings.Contains(text, "refuses the API key (401): the key is wrong") ||
		!strings.Contains(text, "→ set PHONECHECK_API_KEY") || strings.Contains(text, "wrong-key-0000") {
		t.Errorf("wrong key: %d failed:\n%s", failed, text)
	}
}

// TestDeadAddressesAndMissingFolders: nothing listens, nothing exists; each
// check fails with what to do, quickly.
func TestDeadAddressesAndMissingFolders(t *testing.T) {
	root := t.TempDir()
	file := filepath.Join(root, "file")
	os.WriteFile(file, nil, 0o644)
	text, failed := report(t, Options{Temporal: temporalx.ClientOptions{Address: testkit.FreeAddr(t)},
		APIURL: "http://" + testkit.FreeAddr(t), APIKey: "k",
		DataDir: filepath.Join(file, "under-a-file"), Inbox: file, Out: ""})
	if failed != 6 {
		t.Errorf("%d failed, want 6:\n%s", failed, text)
	}
	for _, want := range []string{"✗ temporal  cannot reach", "connection refused", "→ start Temporal", "✗ task API  cannot reach",
		"under-a-file: not a directory", "→ create it", "file is not a directory", "✗ results   no folder configured"} {
		if !strings.Contains(text, want) {
			t.Errorf("report lacks %q:\n%s", want, text)
		}
	}
	// A missing folder under a writable one is created on start: fine.
	text, _ = report(t, Options{Temporal: temporalx.ClientOptions{Address: testkit.FreeAddr(t)}, Out: filepath.Join(root, "new", "results")})
	if !strings.Contains(text, "✓ results   "+filepath.Join(root, "new", "results")+" does not exist yet") {
		t.Errorf("missing results folder:\n%s", text)
	}
	// Stores: a bucket in memory works; an unknown scheme says what to give.
	text, _ = report(t, Options{Temporal: temporalx.ClientOptions{Address: testkit.FreeAddr(t)}, Store: "mem://", Out: "ftp://host/results"})
	for _, want := range []string{"✓ store     mem://", "✗ results   store: \"ftp://host/results\": unsupported scheme", "→ give a directory, file:///dir or s3://"} {
		if !strings.Contains(text, want) {
			t.Errorf("stores: report lacks %q:\n%s", want, text)
		}
	}
	// No URL: the API check is skipped, not failed (up runs its own server).
	text, _ = report(t, Options{Temporal: temporalx.ClientOptions{Address: testkit.FreeAddr(t)}})
	if !strings.Contains(text, "- task API  no --api-url") {
		t.Errorf("no URL:\n%s", text)
	}
}
