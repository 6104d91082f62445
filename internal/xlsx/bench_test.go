package xlsx

import (
	"os"
	"runtime"
	"testing"

	"github.com/phonecheck/phonecheck/internal/corpus"
)

// BenchmarkRead1M reads a 1M-row, 6-column workbook the way Excel stores a
// contact export (shared strings, numeric ids and phone numbers):
//
//	go test ./internal/xlsx -run '^$' -bench Read1M -benchtime 1x
func BenchmarkRead1M(b *testing.B) {
	path, err := corpus.BenchTable("xlsx", 1_000_000)
	if err != nil {
		b.Fatal(err)
	}
	st, _ := os.Stat(path)
	b.SetBytes(st.Size())
	b.ResetTimer()
	for range b.N {
		f, err := os.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		w, err := Open(f, st.Size(), Limits{})
		if err != nil {
			b.Fatal(err)
		}
		rows, err := w.Rows(0)
		if err != nil {
			b.Fatal(err)
		}
		n, cells := 0, 0
		for rows.Next() {
			n++
			cells += len(rows.Values())
		}
		if err := rows.Err(); err != nil {
			b.Fatal(err)
		}
		rows.Close()
		f.Close()
		if n != 1_000_001 {
			b.Fatalf("%d rows", n)
		}
	}
	b.ReportMetric(1e6*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	b.ReportMetric(float64(ms.HeapSys)/(1<<20), "heap-sys-MiB")
}
