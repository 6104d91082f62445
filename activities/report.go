package activities

import (
	"bufio"
	"context"
	"path/filepath"
	"time"

	"github.com/phonecheck/phonecheck/internal/report"
	"github.com/phonecheck/phonecheck/phone"
	"github.com/phonecheck/phonecheck/results"
)

type ReportInput struct {
	RowsKey string  `json:"rows_key"`
	Output  string  `json:"output"` // as in ExportInput
	Dir     string  `json:"dir"`
	Summary Summary `json:"summary"` // the file's figures so far
}

type ReportResult struct {
	Path string `json:"path"` // a local path, or a URL for a remote store
}

// ReportName is the report's file name in a file's output directory.
const ReportName = "report.html"

// Report writes report.html into the file's output directory: the page a
// person opens to see the file's totals, its invalid rows and why, the
// breakdowns, billing and timings. It reads the joined rows once.
func (a *Activities) Report(ctx context.Context, in ReportInput) (ReportResult, error) {
	dst, err := a.output(ctx, in.Output)
	if err != nil {
		return ReportResult{}, err
	}
	rows, err := a.Store.Open(ctx, in.RowsKey)
	if err != nil {
		return ReportResult{}, err
	}
	defer rows.Close()
	s := in.Summary
	files := map[string]string{"summary": "summary.json"}
	for label, p := range s.Outputs {
		files[label] = filepath.Base(p) // beside the report
	}
	b := report.New(report.Info{File: s.File, SHA256: s.SHA256, TaskID: s.TaskID, Region: s.Region, Lines: s.Lines,
		Uploaded: s.Uploaded, Folded: s.Folded, SetAside: s.SetAside, Polls: s.Polls, MissingVerdicts: s.MissingVerdicts,
		StartedAt: s.StartedAt, FinishedAt: s.FinishedAt, StageSeconds: s.StageSeconds, Outputs: files})
	hb := &heartbeatEvery{ctx: ctx, d: 5 * time.Second}
	n := 0
	table, err := a.tableLayout(ctx, in.RowsKey)
	if err != nil {
		return ReportResult{}, err
	}
	if table != nil {
		err = reportTable(ctx, rows, in.RowsKey, table, b.Add)
	} else {
		// The records are counted on every core, and only those the
		// report lists are parsed; the report takes them in order.
		err = results.ReadParallelRecords(ctx, rows, in.RowsKey, func(raw []byte, firstLine int, rb *reportBatch) error {
			return rb.read(raw, firstLine, in.RowsKey)
		}, func(rb *reportBatch) error {
			n += rb.rows
			hb.beat(n)
			return rb.addTo(b, in.RowsKey)
		})
	}
	if err != nil {
		return ReportResult{}, err
	}
	key := in.Dir + "/" + ReportName
	dst.RemoveTemps(key) // a killed attempt's partial file
	sw, err := dst.Create(ctx, key)
	if err != nil {
		return ReportResult{}, err
	}
	defer sw.Abort()
	bw := bufio.NewWriterSize(sw, 64<<10)
	if err := b.WriteHTML(bw); err != nil {
		return ReportResult{}, err
	}
	if err := bw.Flush(); err != nil {
		return ReportResult{}, err
	}
	if err := sw.Commit(); err != nil {
		return ReportResult{}, err
	}
	return ReportResult{Path: dst.Location(key)}, nil
}

// reportBatch is what Report's workers make of a batch of joined records:
// their counts by the values the report breaks down, and where the first
// report.MaxRows valid and invalid records are (the only ones the report
// may list).
type reportBatch struct {
	rows   int
	counts map[reportKey]int
	kept   []keptRecord // in order
	valid  int          // kept valid records
	names  interner
}

// keptRecord is a record of the batch (its bytes stay the batch's until
// the batch is handed over), and its verdict.
type keptRecord struct {
	rec   []byte
	valid bool
}

// reportKey is a row's values that the report counts.
type reportKey struct{ verdict, reason, typ, region, carrier string }

// The columns the report counts beside those of the join.
const colCarrier = 10

func (rb *reportBatch) read(raw []byte, firstLine int, name string) error {
	rb.rows, rb.kept, rb.valid = 0, rb.kept[:0], 0
	if rb.counts == nil {
		rb.counts = map[reportKey]int{}
	}
	clear(rb.counts)
	return eachRecord(raw, firstLine, name, func(rec []byte, spans [][2]int) {
		field := func(i int) string { return rb.names.of(unquoteField(rec[spans[i][0]:spans[i][1]])) }
		k := reportKey{field(colPhoneCheck), field(colReason), field(colType), field(colRegion), field(colCarrier)}
		rb.counts[k]++
		rb.rows++
		valid := k.verdict == phone.Valid
		if valid && rb.valid < report.MaxRows || !valid && len(rb.kept)-rb.valid < report.MaxRows {
			rb.kept = append(rb.kept, keptRecord{rec, valid})
			if valid {
				rb.valid++
			}
		}
	})
}

// addTo adds the batch's counts to the report, and the records it lists.
func (rb *reportBatch) addTo(b *report.Builder, name string) error {
	for k, n := range rb.counts {
		b.Count(k.verdict, k.reason, k.typ, k.region, k.carrier, n)
	}
	for _, k := range rb.kept {
		if !b.Wants(k.valid) {
			continue
		}
		var r phone.Result
		if err := results.ParseRecord(k.rec, name, &r); err != nil {
			return err
		}
		b.Keep(&r)
	}
	return nil
}
