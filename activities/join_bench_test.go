package activities

import (
	"archive/zip"
	"os"
	"path/filepath"
	"testing"

	"github.com/phonecheck/phonecheck/internal/corpus"
	"github.com/phonecheck/phonecheck/phone"
	"github.com/phonecheck/phonecheck/results"
)

// BenchmarkReadVerdicts1M reads the verdicts of a 1M-line file's result zip
// (its 820,000 distinct numbers, stored as up's own server writes them) into
// the join's map, and looks every one up once, as the join's rows do.
func BenchmarkReadVerdicts1M(b *testing.B) {
	path := filepath.Join(b.TempDir(), "result.zip")
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	zw := zip.NewWriter(f)
	w, err := zw.CreateHeader(&zip.FileHeader{Name: "task.csv", Method: zip.Store})
	if err != nil {
		b.Fatal(err)
	}
	cw, _ := results.NewWriter(results.CSV, w)
	g := corpus.New(1)
	seen := map[string]bool{}
	var numbers []string
	for range 1_000_000 {
		r := phone.Check(phone.CleanLine(g.Line()), 1, corpus.Region)
		if r.CountryCode == "" || seen[r.Number] {
			continue
		}
		seen[r.Number] = true
		numbers = append(numbers, r.Number)
		r = phone.Check(r.Number, len(seen), "")
		if err := cw.Write(&r); err != nil {
			b.Fatal(err)
		}
	}
	if err := cw.Close(); err != nil {
		b.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		b.Fatal(err)
	}
	f.Close()
	for b.Loop() {
		v, err := readVerdicts(path, "task", corpus.Region, len(numbers))
		if err != nil {
			b.Fatal(err)
		}
		for _, n := range numbers {
			if _, ok, _ := v.get(n); !ok {
				b.Fatalf("%s: no verdict", n)
			}
		}
	}
}
