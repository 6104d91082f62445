package cli

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/phonecheck/phonecheck/internal/store"
	"github.com/phonecheck/phonecheck/internal/testkit"
	"github.com/phonecheck/phonecheck/watcher"
)

// A file dropped while the workers' store is full goes to failed/ at once
// with a reason that names the store and says what to do, instead of
// waiting in processing/ with the reason only in the log. Nothing was sent,
// so nothing is charged.
func TestWatcherFailsAFileTheFullStoreRefuses(t *testing.T) {
	storeDir := testkit.SmallFS(t, "")
	st, err := store.Open(context.Background(), storeDir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	inbox := filepath.Join(t.TempDir(), "inbox")
	os.MkdirAll(inbox, 0o755)
	folder := watcher.Folder{Dir: inbox, Region: "CH", Settle: 100 * time.Millisecond}
	// The starter's store is full before it hands anything to Temporal:
	// no client is needed.
	w, err := watcher.New(watcher.Config{Folders: []watcher.Folder{folder}}, workflowStarter{store: st}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	defer func() { cancel(); <-done }()

	if err := os.WriteFile(filepath.Join(inbox, "numbers.txt"), []byte(strings.Repeat("+41446681800\n", 100_000)), 0o644); err != nil { // 1.3 MB
		t.Fatal(err)
	}
	failed := folder.FailedDir()
	var reason string
	// The reason is written before the input is renamed beside it (a crash
	// between them leaves the reason), so wait for both.
	testkit.WaitFor(t, 30*time.Second, "the file in failed/ with its reason", func() bool {
		m, _ := filepath.Glob(filepath.Join(failed, "*numbers.txt.reason"))
		in, _ := filepath.Glob(filepath.Join(failed, "*numbers.txt"))
		if len(m) != 1 || len(in) != 1 {
			return false
		}
		b, _ := os.ReadFile(m[0])
		reason = string(b)
		return true
	})
	if strings.Contains(reason, "permanent") {
		t.Errorf("the reason speaks of the watcher's internals:\n%s", reason)
	}
	for _, want := range []string{"its run could not be started: the workers' store " + storeDir + " is full", "no space left on device", "make room there", "nothing was sent or charged"} {
		if !strings.Contains(reason, want) {
			t.Errorf("the reason does not say %q:\n%s", want, reason)
		}
	}
}
