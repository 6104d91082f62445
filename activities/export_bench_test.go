package activities

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"

	"github.com/phonecheck/phonecheck/internal/corpus"
	"github.com/phonecheck/phonecheck/phone"
	"github.com/phonecheck/phonecheck/results"
)

func BenchmarkExportXLSX1M(b *testing.B) {
	g := corpus.New(1)
	var rows bytes.Buffer
	w, _ := results.NewWriter(results.CSV, &rows)
	for i := range 1_000_000 {
		r := phone.Check(phone.CleanLine(g.Line()), i+1, corpus.Region)
		if err := w.Write(&r); err != nil {
			b.Fatal(err)
		}
	}
	w.Close()
	a := newActivities(b, nil)
	if err := a.Store.WriteAll(context.Background(), "work/k/joined.csv", rows.Bytes()); err != nil {
		b.Fatal(err)
	}
	out := filepath.Join(b.TempDir(), "out")
	e := env()
	e.RegisterActivity(a)
	for b.Loop() {
		if _, err := e.ExecuteActivity(a.Export, ExportInput{RowsKey: "work/k/joined.csv", Format: "xlsx", Output: out, Dir: "d"}); err != nil {
			b.Fatal(err)
		}
	}
}
