package store

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// allocatedPer is the bytes f allocates per call, averaged over n calls.
func allocatedPer(n int, f func()) uint64 {
	f() // warm up
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range n {
		f()
	}
	runtime.ReadMemStats(&after)
	return (after.TotalAlloc - before.TotalAlloc) / uint64(n)
}

// A small file put into the store, or a small object copied to another,
// goes through a buffer of its size, not the blob writer's 1 MiB: a burst
// of small files made that most of its garbage.
func TestSmallCopiesTakeNoMegabyte(t *testing.T) {
	ctx := context.Background()
	for name, s := range stores(t) {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "small.txt")
			content := strings.Repeat("+41446681800\n", 100)
			if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
				t.Fatal(err)
			}
			put := allocatedPer(20, func() {
				if _, err := s.Put(ctx, "a/small.txt", path); err != nil {
					t.Fatal(err)
				}
			})
			cp := allocatedPer(20, func() {
				r, err := s.Open(ctx, "a/small.txt")
				if err != nil {
					t.Fatal(err)
				}
				defer r.Close()
				w, err := s.Create(ctx, "b/small.txt")
				if err != nil {
					t.Fatal(err)
				}
				if _, err := io.Copy(w, r); err != nil {
					t.Fatal(err)
				}
				if err := w.Commit(); err != nil {
					t.Fatal(err)
				}
			})
			for what, n := range map[string]uint64{"Put": put, "a copy from another object": cp} {
				if n > 512<<10 {
					t.Errorf("%s of %d bytes allocates %d bytes", what, len(content), n)
				}
			}
			got, err := s.ReadAll(ctx, "b/small.txt")
			if err != nil || string(got) != content {
				t.Fatalf("the copy holds %d bytes (%v), want the %d written", len(got), err, len(content))
			}
		})
	}
}
