package results

import (
	"encoding/csv"
	"encoding/json"
	"io"
	"testing"

	"github.com/phonecheck/phonecheck/phone"
)

// Each benchmark op is one row; Close (for XLSX the whole zip) is included.

func benchWriter(b *testing.B, f Format) {
	rows := benchRows()
	b.ReportAllocs()
	b.ResetTimer()
	w, err := NewWriter(f, io.Discard)
	if err != nil {
		b.Fatal(err)
	}
	var r phone.Result // outside the loop: &r escapes through the interface
	for i := range b.N {
		r = rows[i%len(rows)]
		r.Line = i + 1
		if err := w.Write(&r); err != nil {
			b.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

func BenchmarkCSVWriter(b *testing.B)   { benchWriter(b, CSV) }
func BenchmarkJSONLWriter(b *testing.B) { benchWriter(b, JSONL) }
func BenchmarkXLSXWriter(b *testing.B)  { benchWriter(b, XLSX) }

// The stdlib baselines the hand-rolled CSV and JSONL writers are measured against.

func BenchmarkCSVWriterStdlib(b *testing.B) {
	rows := benchRows()
	b.ReportAllocs()
	w := csv.NewWriter(io.Discard)
	_ = w.Write(phone.Header)
	var rec []string
	for i := range b.N {
		r := rows[i%len(rows)]
		r.Line = i + 1
		rec = r.Record(rec[:0])
		_ = w.Write(rec)
	}
	w.Flush()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

func BenchmarkJSONLWriterStdlib(b *testing.B) {
	rows := benchRows()
	b.ReportAllocs()
	enc := json.NewEncoder(io.Discard)
	enc.SetEscapeHTML(false)
	var r phone.Result
	for i := range b.N {
		r = rows[i%len(rows)]
		r.Line = i + 1
		_ = enc.Encode(&r)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}
