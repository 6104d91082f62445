package resultzip

import (
	"archive/zip"
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
	zw := zip.NewWriter(f)
	zw.RegisterCompressor(zip.Deflate, results.ParallelDeflate)
	w, err := zw.CreateHeader(&zip.FileHeader{Name: "task.csv", Method: zip.Deflate})
	if err != nil {
		return err
	}
	cw, err := results.NewWriter(results.CSV, w)
	if err != nil {
		return err
	}
	g := corpus.New(1)
	seen := map[string]bool{}
	for range 1_000_000 {
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
			cpu := cpuTime()
			for b.Loop() {
				t, err := OpenZip(path, ZipOptions{})
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
		})
	}
}

// cpuTime is the process's CPU time so far, every thread's.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
