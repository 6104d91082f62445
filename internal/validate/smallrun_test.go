package validate

import (
	"context"
	"runtime"
	"strings"
	"testing"

	"github.com/phonecheck/phonecheck/internal/corpus"
)

// A 100-line file allocates for its 100 lines, not for full batches of
// 2,048 results and a fresh 256 KiB read buffer: a burst of small files
// made those most of its garbage.
func TestSmallRunAllocatesForItsLines(t *testing.T) {
	var b strings.Builder
	corpus.New(5).Write(&b, 100)
	input := b.String()
	run := func() {
		if _, err := Run(context.Background(), strings.NewReader(input), discard{}, Options{Region: "CH"}); err != nil {
			t.Fatal(err)
		}
	}
	run() // warm up: the engine's region, the buffer pool
	const n = 20
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range n {
		run()
	}
	runtime.ReadMemStats(&after)
	per := (after.TotalAlloc - before.TotalAlloc) / n
	t.Logf("a run of 100 lines allocates %d bytes", per)
	if per > 384<<10 {
		t.Errorf("a run of 100 lines allocates %d bytes", per)
	}
}
