package cli

import (
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/phonecheck/phonecheck/internal/corpus"
	"github.com/phonecheck/phonecheck/internal/nyarukaloop"
)

// The validate benchmarks run over the same generated, realistic 1M-line
// file (go run ./tools/gennumbers writes it too):
//
//	go test ./cmd/phonecheck/internal/cli -run '^$' -bench Validate1M -benchtime 1x
func benchFile() (string, error) { return corpus.BenchFile(1_000_000) }

func BenchmarkValidate1M(b *testing.B) {
	in, err := benchFile()
	if err != nil {
		b.Fatal(err)
	}
	for _, format := range []string{"csv", "jsonl", "xlsx"} {
		b.Run(format, func(b *testing.B) {
			out := filepath.Join(b.TempDir(), "out."+format)
			for range b.N {
				if code := Main([]string{"validate", "-q", "--region", corpus.Region, "-o", out, in}, IO{Err: io.Discard}); code != 0 {
					b.Fatalf("exit %d", code)
				}
			}
			b.ReportMetric(1e6*float64(b.N)/b.Elapsed().Seconds(), "lines/s")
		})
	}
}

// BenchmarkValidate1MTable validates a 1M-row, 6-column contact export
// (corpus.BenchTable: the phone column's values are the benchmark lines)
// as CSV and as XLSX, writing the enriched CSV; /lines is the same
// numbers one per line, the baseline in the same run:
//
//	go test ./cmd/phonecheck/internal/cli -run '^$' -bench Validate1MTable -benchtime 1x
func BenchmarkValidate1MTable(b *testing.B) {
	lines, err := benchFile()
	if err != nil {
		b.Fatal(err)
	}
	for _, tc := range []struct{ name, path string }{{"lines", lines}, {"csv", ""}, {"xlsx", ""}} {
		if tc.path == "" {
			if tc.path, err = corpus.BenchTable(tc.name, 1_000_000); err != nil {
				b.Fatal(err)
			}
		}
		b.Run(tc.name, func(b *testing.B) {
			out := filepath.Join(b.TempDir(), "out.csv")
			for range b.N {
				if code := Main([]string{"validate", "-q", "--region", corpus.Region, "-o", out, tc.path}, IO{Err: io.Discard}); code != 0 {
					b.Fatalf("exit %d", code)
				}
			}
			b.ReportMetric(1e6*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}

// BenchmarkValidate1MBaseline is the plain single-threaded loop of nyaruka
// calls that fills the full schema, writing the same CSV: what a straight
// implementation costs.
func BenchmarkValidate1MBaseline(b *testing.B) {
	in, err := benchFile()
	if err != nil {
		b.Fatal(err)
	}
	out := filepath.Join(b.TempDir(), "out.csv")
	b.ResetTimer()
	for range b.N {
		if err := baselineValidate(in, out); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(1e6*float64(b.N)/b.Elapsed().Seconds(), "lines/s")
}

func baselineValidate(in, out string) error {
	f, err := os.Open(in)
	if err != nil {
		return err
	}
	defer f.Close()
	o, err := os.Create(out)
	if err != nil {
		return err
	}
	defer o.Close()
	return nyarukaloop.Validate(f, o, corpus.Region)
}
