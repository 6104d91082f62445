package spool

import (
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// A spool is read back at any offset, leaves its directory empty while it
// is open and after Close, and a second Close does nothing.
func TestSpoolLeavesNothing(t *testing.T) {
	dir := t.TempDir()
	f, err := Create(dir, "x-*.xlsx")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.WriteString(f, "0123456789"); err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 3)
	if _, err := f.ReadAt(b, 4); err != nil || string(b) != "456" {
		t.Fatalf("ReadAt: %q, %v", b, err)
	}
	if left, _ := os.ReadDir(dir); len(left) != 0 {
		t.Errorf("an open spool has a name: %v", left)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := Create(filepath.Join(dir, "missing"), "x-*"); err == nil {
		t.Error("Create in a missing directory succeeded")
	}
}

// A process killed while its spool is open leaves nothing in the directory.
func TestSpoolOfAKilledProcess(t *testing.T) {
	if os.Getenv("SPOOL_CHILD") != "" {
		f, err := Create(os.Getenv("SPOOL_CHILD"), "x-*")
		if err != nil {
			os.Exit(2)
		}
		f.WriteString(strings.Repeat("x", 1<<20))
		os.Stdout.WriteString("ready\n")
		select {} // killed here
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run", "^TestSpoolOfAKilledProcess$")
	cmd.Env = append(os.Environ(), "SPOOL_CHILD="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 6)
	if _, err := io.ReadFull(out, b); err != nil || string(b) != "ready\n" {
		t.Fatalf("child: %q, %v", b, err)
	}
	cmd.Process.Kill()
	cmd.Wait()
	if left, _ := os.ReadDir(dir); len(left) != 0 {
		t.Errorf("a killed process left %v", left)
	}
}
