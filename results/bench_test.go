package results

import (
	"encoding/csv"
	"encoding/json"
	"io"
	"runtime"
	"runtime/metrics"
	"sync"
	"testing"
	"time"

	"github.com/phonecheck/phonecheck/internal/corpus"
	"github.com/phonecheck/phonecheck/phone"
)

// Each benchmark op is one row; Close (for XLSX the whole zip) is included.

func benchWriter(b *testing.B, f Format) {
	benchNewWriter(b, func(w io.Writer) (Writer, error) { return NewWriter(f, w) })
}

func benchNewWriter(b *testing.B, newWriter func(io.Writer) (Writer, error)) {
	rows := benchRows()
	b.ReportAllocs()
	b.ResetTimer()
	w, err := newWriter(io.Discard)
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

// BenchmarkXLSXWriterExcelize is the baseline of BenchmarkXLSXWriter: the
// excelize stream writer that xlsxWriter replaced.
func BenchmarkXLSXWriterExcelize(b *testing.B) {
	benchNewWriter(b, func(w io.Writer) (Writer, error) { return newExcelizeXLSXWriter(w) })
}

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

// realisticRows are 20,000 rows of the benchmark corpus (internal/corpus, the
// input of BenchmarkValidate1M), checked with its region: the mix of values
// and lengths of a real results file. A million rows cycle through them, far
// more than the 32 KiB that deflate looks back, so repeats do not make the
// XML compress better than real data would.
var realisticRows = sync.OnceValue(func() []phone.Result {
	g := corpus.New(1)
	rows := make([]phone.Result, 0, 20000)
	for n := 1; len(rows) < cap(rows); n++ {
		if line := g.Line(); !phone.IsBlank(line) {
			rows = append(rows, phone.Check(phone.CleanLine(line), n, corpus.Region))
		}
	}
	return rows
})

// BenchmarkXLSX1M writes 1M realistic rows per op, to XLSX with xlsxWriter and
// with the excelize stream writer it replaced (the baseline, in the same run),
// and to CSV for scale. It reports ns/row; MB/s of the rows as CSV text (the
// same for every writer); the output's size; and the peak of the heap in use
// above what it was before the op (sampled every 10 ms).
//
//	go test ./results -run '^$' -bench XLSX1M -benchtime 1x -count 3
func BenchmarkXLSX1M(b *testing.B) {
	const n = 1_000_000
	rows := realisticRows()
	writeRows := func(w Writer) error {
		var r phone.Result
		for i := range n {
			r = rows[i%len(rows)]
			r.Line = i + 1
			if err := w.Write(&r); err != nil {
				return err
			}
		}
		return w.Close()
	}
	var csvSize countingWriter
	if err := writeRows(newCSVWriter(&csvSize)); err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct {
		name      string
		newWriter func(io.Writer) (Writer, error)
	}{
		{"xlsx", func(w io.Writer) (Writer, error) { return NewWriter(XLSX, w) }},
		{"excelize", func(w io.Writer) (Writer, error) { return newExcelizeXLSXWriter(w) }},
		{"csv", func(w io.Writer) (Writer, error) { return NewWriter(CSV, w) }},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(int64(csvSize))
			b.ReportAllocs()
			var size countingWriter
			var peak uint64
			for range b.N {
				size = 0
				stop := samplePeakHeap(&peak)
				w, err := bc.newWriter(&size)
				if err == nil {
					err = writeRows(w)
				}
				stop()
				if err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n*b.N), "ns/row")
			b.ReportMetric(float64(size)/1e6, "out-MB")
			b.ReportMetric(float64(peak)/1e6, "peak-heap-MB")
		})
	}
}

type countingWriter int64

func (c *countingWriter) Write(p []byte) (int, error) {
	*c += countingWriter(len(p))
	return len(p), nil
}

// samplePeakHeap samples the heap in use every 10 ms until stop is called and
// raises *peak to the most it rose above its size at the start. It reads
// runtime/metrics, which does not stop the world as ReadMemStats does.
func samplePeakHeap(peak *uint64) (stop func()) {
	samples := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}, {Name: "/memory/classes/heap/unused:bytes"}}
	inUse := func() uint64 {
		metrics.Read(samples)
		return samples[0].Value.Uint64() + samples[1].Value.Uint64()
	}
	runtime.GC()
	base := inUse()
	done, finished := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(finished)
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for {
			if n := inUse(); n > base && n-base > *peak {
				*peak = n - base
			}
			select {
			case <-done:
				return
			case <-tick.C:
			}
		}
	}()
	return func() { close(done); <-finished }
}
