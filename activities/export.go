package activities

import (
	"context"
	"io"
	"time"

	"github.com/phonecheck/phonecheck/internal/store"
	"github.com/phonecheck/phonecheck/phone"
	"github.com/phonecheck/phonecheck/results"
)

type ExportInput struct {
	RowsKey string `json:"rows_key"`
	Format  string `json:"format"`
	Output  string `json:"output"` // the output store: a directory or a URL
	Dir     string `json:"dir"`    // the file's own directory in it
	// Split also writes valid.<format> and invalid.<format>: the rows
	// whose phoneCheck is valid, and the others, with the same header.
	Split bool `json:"split,omitempty"`
}

type ExportResult struct {
	Path  string `json:"path"` // a local path, or a URL for a remote store
	Bytes int64  `json:"bytes"`
	// Valid and Invalid are the split files' locations, when asked for.
	Valid   string `json:"valid,omitempty"`
	Invalid string `json:"invalid,omitempty"`
}

// Export writes one output format of the joined rows into the file's
// directory in the output store, atomically. A full or read-only output
// folder fails the file at once, with what to do.
func (a *Activities) Export(ctx context.Context, in ExportInput) (ExportResult, error) {
	res, err := a.export(ctx, in)
	return res, diskError(err, "the output folder "+in.Output,
		"make room there (or make it writable, or give the file another output), then drop the file again: "+
			"its remote task is recorded, so that is not charged again")
}

func (a *Activities) export(ctx context.Context, in ExportInput) (ExportResult, error) {
	format, err := results.ParseFormat(in.Format)
	if err != nil {
		return ExportResult{}, badInput("%v", err)
	}
	dst, err := a.output(ctx, in.Output)
	if err != nil {
		return ExportResult{}, err
	}
	key := in.Dir + "/results." + string(format)
	dst.RemoveTemps(key) // a killed attempt's partial file
	table, err := a.tableLayout(ctx, in.RowsKey)
	if err != nil {
		return ExportResult{}, err
	}
	copies := format == results.CSV && (table == nil || tableCopies(format, table))
	if copies {
		// The joined rows are that CSV already, byte for byte: on one file
		// system the output is a second name for them, not a copy.
		if n, ok, err := dst.Link(ctx, key, a.Store, in.RowsKey); err != nil {
			return ExportResult{}, err
		} else if ok {
			return a.exported(ctx, dst, in, format, key, n)
		}
	}
	rows, err := a.Store.Open(ctx, in.RowsKey)
	if err != nil {
		return ExportResult{}, err
	}
	defer rows.Close()
	sw, err := dst.Create(ctx, key)
	if err != nil {
		return ExportResult{}, err
	}
	defer sw.Abort()
	var n int64
	if !copies && table != nil {
		if err := exportTable(ctx, rows, in.RowsKey, format, table, sw); err != nil {
			return ExportResult{}, err
		}
	} else if copies {
		if n, err = io.Copy(sw, rows); err != nil {
			return ExportResult{}, err
		}
	} else {
		out, err := results.NewWriter(format, sw)
		if err != nil {
			return ExportResult{}, err
		}
		// The rows are parsed on every core (and encoded there, for a
		// format with an Encoder), and written in order.
		enc := results.EncoderOf(out)
		hb := &heartbeatEvery{ctx: ctx, d: 5 * time.Second}
		rowsDone := 0
		if err := results.ReadParallel(ctx, rows, in.RowsKey, func(rows []phone.Result, b *[]byte) error {
			if enc != nil {
				*b = (*b)[:0]
				for i := range rows {
					*b = enc.AppendRow(*b, &rows[i])
				}
			}
			return nil
		}, func(rows []phone.Result, b *[]byte) error {
			rowsDone += len(rows)
			hb.beat(rowsDone)
			if enc != nil {
				return enc.WriteEncoded(*b)
			}
			for i := range rows {
				if err := out.Write(&rows[i]); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			return ExportResult{}, err
		}
		if err := out.Close(); err != nil {
			return ExportResult{}, err
		}
	}
	if err := sw.Commit(); err != nil {
		return ExportResult{}, err
	}
	if n == 0 {
		if n, err = dst.Size(ctx, key); err != nil {
			return ExportResult{}, err
		}
	}
	return a.exported(ctx, dst, in, format, key, n)
}

// exported is the result of an export of n bytes under key, once the split
// files are written too, when asked for.
func (a *Activities) exported(ctx context.Context, dst *store.Store, in ExportInput, format results.Format, key string, n int64) (res ExportResult, err error) {
	res = ExportResult{Path: dst.Location(key), Bytes: n}
	if in.Split {
		if res.Valid, res.Invalid, err = a.exportSplit(ctx, dst, in, format); err != nil {
			return ExportResult{}, err
		}
	}
	return res, nil
}

// exportSplit writes valid.<format> and invalid.<format> in one pass over
// the joined rows, committed once both are complete.
func (a *Activities) exportSplit(ctx context.Context, dst *store.Store, in ExportInput, format results.Format) (valid, invalid string, err error) {
	keys := [2]string{in.Dir + "/valid." + string(format), in.Dir + "/invalid." + string(format)}
	var sws [2]*store.Writer
	var outs [2]results.Writer
	for i, k := range keys {
		dst.RemoveTemps(k)
		if sws[i], err = dst.Create(ctx, k); err != nil {
			return "", "", err
		}
		defer sws[i].Abort()
		if outs[i], err = results.NewWriter(format, sws[i]); err != nil {
			return "", "", err
		}
	}
	rows, err := a.Store.Open(ctx, in.RowsKey)
	if err != nil {
		return "", "", err
	}
	defer rows.Close()
	hb := &heartbeatEvery{ctx: ctx, d: 5 * time.Second}
	done := 0
	if err := results.ReadParallel(ctx, rows, in.RowsKey, func([]phone.Result, *struct{}) error { return nil },
		func(batch []phone.Result, _ *struct{}) error {
			for i := range batch {
				out := outs[1]
				if batch[i].IsValid() {
					out = outs[0]
				}
				if err := out.Write(&batch[i]); err != nil {
					return err
				}
			}
			done += len(batch)
			hb.beat(done)
			return nil
		}); err != nil {
		return "", "", err
	}
	for i := range outs {
		if err := outs[i].Close(); err != nil {
			return "", "", err
		}
	}
	for i := range sws {
		if err := sws[i].Commit(); err != nil {
			return "", "", err
		}
	}
	return dst.Location(keys[0]), dst.Location(keys[1]), nil
}
