package activities

import (
	"bytes"
	"context"
	"testing"

	"github.com/phonecheck/phonecheck/internal/corpus"
	"github.com/phonecheck/phonecheck/internal/report"
	"github.com/phonecheck/phonecheck/phone"
	"github.com/phonecheck/phonecheck/results"
)

// TestReportOfRecordsIsTheReportOfRows: the report counted on the joined
// records, with only the rows it lists parsed, is the page the report of
// every parsed row was.
func TestReportOfRecordsIsTheReportOfRows(t *testing.T) {
	g := corpus.New(11)
	var joined bytes.Buffer
	w, _ := results.NewWriter(results.CSV, &joined)
	for i := range 40_000 { // several batches, past report.MaxRows of both kinds
		line := g.Line()
		if i%89 == 0 {
			line = joinEdgeLines[(i/89)%len(joinEdgeLines)]
		}
		r := phone.Check(phone.CleanLine(line), i+1, corpus.Region)
		if i%7 == 0 && r.CountryCode != "" {
			r.PhoneCheck = phone.Unanswered
		}
		if err := w.Write(&r); err != nil {
			t.Fatal(err)
		}
	}
	w.Close()
	for _, rows := range []int{40_000, 700} { // and a file whose rows are all listed
		local := joined.Bytes()
		if rows < 40_000 {
			local = local[:bytes.Index(local, []byte(",701,"))]
			local = local[:bytes.LastIndexByte(local, '\n')+1]
		}
		byRows, byRecords := report.New(report.Info{File: "f"}), report.New(report.Info{File: "f"})
		if err := results.ReadParallel(context.Background(), bytes.NewReader(local), "joined.csv", func([]phone.Result, *struct{}) error { return nil },
			func(batch []phone.Result, _ *struct{}) error {
				for i := range batch {
					byRows.Add(&batch[i])
				}
				return nil
			}); err != nil {
			t.Fatal(err)
		}
		if err := results.ReadParallelRecords(context.Background(), bytes.NewReader(local), "joined.csv", func(raw []byte, first int, rb *reportBatch) error {
			return rb.read(raw, first, "joined.csv")
		}, func(rb *reportBatch) error { return rb.addTo(byRecords, "joined.csv") }); err != nil {
			t.Fatal(err)
		}
		var want, got bytes.Buffer
		if err := byRows.WriteHTML(&want); err != nil {
			t.Fatal(err)
		}
		if err := byRecords.WriteHTML(&got); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got.Bytes(), want.Bytes()) {
			t.Errorf("%d rows: the report of records differs from the report of rows (%d vs %d bytes)%s", rows, got.Len(), want.Len(), firstDiff(got.Bytes(), want.Bytes()))
		}
	}
}
