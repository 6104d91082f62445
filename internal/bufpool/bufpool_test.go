package bufpool

import (
	"bytes"
	"io"
	"strings"
	"testing"
)

// A recycled reader or writer starts clean: nothing of its last stream is
// read or written again.
func TestRecycledBuffersStartClean(t *testing.T) {
	for range 3 {
		br := Reader(strings.NewReader("first stream, half read\nrest"))
		if _, err := br.ReadString('\n'); err != nil {
			t.Fatal(err)
		}
		PutReader(br)
		br = Reader(strings.NewReader("second"))
		got, err := io.ReadAll(br)
		if err != nil || string(got) != "second" {
			t.Fatalf("recycled reader read %q, %v; want %q", got, err, "second")
		}
		PutReader(br)

		var first, second bytes.Buffer
		bw := Writer(&first)
		bw.WriteString("never flushed")
		PutWriter(bw)
		bw = Writer(&second)
		bw.WriteString("flushed")
		if err := bw.Flush(); err != nil {
			t.Fatal(err)
		}
		PutWriter(bw)
		if first.Len() != 0 || second.String() != "flushed" {
			t.Fatalf("writers wrote %q and %q; want nothing and %q", first.String(), second.String(), "flushed")
		}
		if bw.Size() != Size {
			t.Fatalf("buffer size %d, want %d", bw.Size(), Size)
		}
	}
}
