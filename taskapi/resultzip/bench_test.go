package resultzip

import (
	"archive/zip"
	"io"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/phonecheck/phonecheck/internal/corpus"
	"github.com/phonecheck/phonecheck/phone"
	"github.com/phonecheck/phonecheck/results"
)

// benchZip is a result zip as the offline server writes it: one CSV entry
// in the full schema, for the distinct numbers of the realistic 1M-line
// corpus (about 820,000). It is kept in the temp directory, as the corpus
// file is (corpus.BenchFile).
var benchZip = sync.OnceValues(func() (string, error) {
	path := filepath.Join(os.TempDir(), "phonecheck-bench-result-1000000.zip")
	if st, err := os.Stat(path); err == nil && st.Size() > 0 {
		return path, nil
	}
	f, err := os.CreateTemp(os.TempDir(), "phonecheck-bench-result-*.tmp")
	if err != nil {
		return "", err
	}
	defer os.Remove(f.Name())
	if err := writeBenchZip(f); err != nil {
		f.Close()
		return "", err
	}
	if err := f.Close(); err != nil {
		return "", err
	}
	return path, os.Rename(f.Name(), path)
})

func writeBenchZip(f *os.File) error {
	return writeResultZip(f, results.CSV, "task.csv", 1_000_000)
}

// writeResultZip writes the verdicts of the first lines of the realistic
// corpus, each distinct number once, as one entry of the format.
func writeResultZip(f io.Writer, format results.Format, name string, lines int) error {
	zw := zip.NewWriter(f)
	zw.RegisterCompressor(zip.Deflate, results.ParallelDeflate)
	w, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate})
	if err != nil {
		return err
	}
	cw, err := results.NewWriter(format, w)
	if err != nil {
		return err
	}
	g := corpus.New(1)
	seen := map[string]bool{}
	for range lines {
		r := phone.Check(phone.CleanLine(g.Line()), 1, corpus.Region)
		if r.CountryCode == "" || seen[r.Number] {
			continue
		}
		seen[r.Number] = true
		r = phone.Check(r.Number, len(seen), "")
		if err := cw.Write(&r); err != nil {
			return err
		}
	}
	if err := cw.Close(); err != nil {
		return err
	}
	return zw.Close()
}

// BenchmarkReadZip1M reads every verdict of a 1M-line file's result zip, as
// the join does; /csv is the baseline, encoding/csv for every line.
func BenchmarkReadZip1M(b *testing.B) {
	path, err := benchZip()
	if err != nil {
		b.Fatal(err)
	}
	for _, bench := range []struct {
		name string
		fast bool
	}{{"fastpath", true}, {"csv", false}} {
		b.Run(bench.name, func(b *testing.B) {
			defer func(old bool) { fastText = old }(fastText)
			fastText = bench.fast
			readEveryRow(b, path, ZipOptions{})
		})
	}
}

// BenchmarkReadZipXLSX100k reads the verdicts of a result zip whose table
// is a workbook (about 97,000 rows from 100k lines): a remote that answers
// in XLSX.
func BenchmarkReadZipXLSX100k(b *testing.B) {
	path := filepath.Join(b.TempDir(), "r.zip")
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	if err := writeResultZip(f, results.XLSX, "task.xlsx", 100_000); err != nil {
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
	readEveryRow(b, path, ZipOptions{TempDir: b.TempDir()})
}

// readEveryRow is the benchmark loop: open the zip and read every row.
func readEveryRow(b *testing.B, path string, opts ZipOptions) {
	cpu := cpuTime()
	for b.Loop() {
		t, err := OpenZip(path, opts)
		if err != nil {
			b.Fatal(err)
		}
		n := 0
		for row, err := range t.All() {
			if err != nil {
				b.Fatal(err)
			}
			if row.Number != "" {
				n++
			}
		}
		t.Close()
		b.ReportMetric(float64(n), "rows")
	}
	// The machine is shared: CPU time varies far less than wall time.
	b.ReportMetric(float64((cpuTime()-cpu).Nanoseconds())/float64(b.N), "cpu-ns/op")
}

// cpuTime is the process's CPU time so far, every thread's.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
