package results

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// TestEncoderWritesWhatWriteWrites: rows encoded by several goroutines and
// written in order with WriteEncoded give the bytes Write gives, for every
// format that has an Encoder; XLSX has none.
func TestEncoderWritesWhatWriteWrites(t *testing.T) {
	rows := append(sampleRows(), benchRows()...)
	for _, f := range []Format{CSV, JSONL, XLSX} {
		var buf strings.Builder
		w, err := NewWriter(f, &buf)
		if err != nil {
			t.Fatal(err)
		}
		enc := EncoderOf(w)
		if f == XLSX {
			if enc != nil {
				t.Error("XLSX has an Encoder")
			}
			continue
		}
		// Four goroutines encode a quarter each; the parts are written in order.
		parts := make([][]byte, 4)
		var wg sync.WaitGroup
		for p := range parts {
			wg.Go(func() {
				for i := p * len(rows) / 4; i < (p+1)*len(rows)/4; i++ {
					parts[p] = enc.AppendRow(parts[p], &rows[i])
				}
			})
		}
		wg.Wait()
		for _, part := range parts {
			if err := enc.WriteEncoded(part); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		if want := writeAll(t, f, rows); !bytes.Equal([]byte(buf.String()), want) {
			t.Errorf("%s: encoded rows differ from written rows", f)
		}
		if err := enc.WriteEncoded([]byte("x\n")); err == nil {
			t.Errorf("%s: WriteEncoded after Close succeeded", f)
		}
	}
}

// TestFileEncoder: a File's Encoder writes into the file; after Commit it
// refuses; an XLSX file has none.
func TestFileEncoder(t *testing.T) {
	dir := t.TempDir()
	rows := sampleRows()
	f, err := Create(filepath.Join(dir, "out.csv"), CSV)
	if err != nil {
		t.Fatal(err)
	}
	enc := f.Encoder()
	var b []byte
	for i := range rows {
		b = enc.AppendRow(b, &rows[i])
	}
	if err := enc.WriteEncoded(b); err != nil {
		t.Fatal(err)
	}
	if err := f.Commit(); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(dir, "out.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, writeAll(t, CSV, rows)) {
		t.Error("the file's encoded rows differ from written rows")
	}
	if err := enc.WriteEncoded(b); err == nil {
		t.Error("WriteEncoded after Commit succeeded")
	}
	x, err := Create(filepath.Join(dir, "out.xlsx"), XLSX)
	if err != nil {
		t.Fatal(err)
	}
	defer x.Abort()
	if x.Encoder() != nil {
		t.Error("an XLSX file has an Encoder")
	}
}
