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
		// The rows are parsed on every core; the report takes them in order.
		err = results.ReadParallel(ctx, rows, in.RowsKey, func([]phone.Result, *struct{}) error { return nil },
			func(batch []phone.Result, _ *struct{}) error {
				for i := range batch {
					b.Add(&batch[i])
				}
				n += len(batch)
				hb.beat(n)
				return nil
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
