package results

import (
	"archive/zip"
	"bytes"
	"io"
	"math/rand/v2"
	"testing"
)

// TestParallelDeflateInAZip: an entry written through ParallelDeflate, in
// writes of every size across many chunks, reads back whole with
// archive/zip (which checks the CRC), beside an entry of the standard
// compressor.
func TestParallelDeflateInAZip(t *testing.T) {
	defer func(n int) { deflateChunkSize = n }(deflateChunkSize)
	deflateChunkSize = 4 << 10
	rng := rand.New(rand.NewPCG(1, 2))
	data := make([]byte, 300<<10)
	for i := range data {
		data[i] = "0123456789,+\n abc"[rng.IntN(17)]
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	zw.RegisterCompressor(zip.Deflate, ParallelDeflate)
	for _, name := range []string{"a.csv", "empty.csv", "b.csv"} {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate})
		if err != nil {
			t.Fatal(err)
		}
		if name == "empty.csv" {
			continue
		}
		for rest := data; len(rest) > 0; {
			n := min(len(rest), 1+rng.IntN(10_000))
			if _, err := w.Write(rest[:n]); err != nil {
				t.Fatal(err)
			}
			rest = rest[n:]
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range zr.File {
		r, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(r)
		if err != nil {
			t.Fatalf("%s: %v", f.Name, err)
		}
		want := data
		if f.Name == "empty.csv" {
			want = nil
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("%s: %d bytes back, want %d", f.Name, len(got), len(want))
		}
	}
	w, _ := ParallelDeflate(io.Discard)
	w.Close()
	if _, err := w.Write([]byte("x")); err == nil {
		t.Error("Write after Close succeeded")
	}
}
