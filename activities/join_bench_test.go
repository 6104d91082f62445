package activities

import (
	"archive/zip"
	"bytes"
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
		v, err := readVerdicts(path, b.TempDir(), "task", corpus.Region, len(numbers))
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

// BenchmarkJoin1M joins the 1M-line corpus's local.csv (every uploaded
// number answered) on its records, and, as the baseline, on parsed rows
// encoded again.
func BenchmarkJoin1M(b *testing.B) {
	g := corpus.New(1)
	var local bytes.Buffer
	w, _ := results.NewWriter(results.CSV, &local)
	verdicts := newRemoteVerdicts(0)
	for i := range 1_000_000 {
		r := phone.Check(phone.CleanLine(g.Line()), i+1, corpus.Region)
		if r.CountryCode != "" {
			verdicts.put(r.Number, r.PhoneCheck, corpus.Region)
		}
		if err := w.Write(&r); err != nil {
			b.Fatal(err)
		}
	}
	w.Close()
	for _, records := range []bool{true, false} {
		b.Run(map[bool]string{true: "records", false: "rows"}[records], func(b *testing.B) {
			for b.Loop() {
				if _, _, err := joinRun(local.Bytes(), verdicts, records); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
