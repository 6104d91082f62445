package activities

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"path"
	"time"

	"github.com/phonecheck/phonecheck/internal/bufpool"
	"github.com/phonecheck/phonecheck/internal/input"
	"github.com/phonecheck/phonecheck/internal/store"
	"github.com/phonecheck/phonecheck/internal/validate"
	"github.com/phonecheck/phonecheck/phone"
	"github.com/phonecheck/phonecheck/results"
)

// A CSV, TSV or XLSX input goes through the pipeline as a table: its work
// files local.csv and joined.csv hold every row with its original columns
// and, per phone column, the result schema and results.DetailColumn
// (results.NewTableWriter with a comma and no BOM), and layout.json beside
// them holds the output's results.Layout. The join, the exports and the
// report read a file's rows as a table when layout.json is there, so a
// table's outputs are what `validate` writes for the same file and options.
// The upload is the distinct E.164 numbers of the phone cells, as for
// one number a line.
const layoutName = "layout.json"

// prepareTable is Prepare for a table: local.csv, upload.txt and layout.json.
func (a *Activities) prepareTable(ctx context.Context, t *input.Table, work, uploadKey, localKey, region string, checked func() error) (PrepareResult, error) {
	layout := validate.Layout(t)
	layoutKey, err := workKey(work, layoutName)
	if err != nil {
		return PrepareResult{}, err
	}
	res := PrepareResult{UploadKey: uploadKey, LocalKey: localKey}
	localOut, err := a.Store.Create(ctx, localKey)
	if err != nil {
		return PrepareResult{}, err
	}
	defer localOut.Abort()
	local, err := results.NewTableWriter(results.CSV, localOut, results.Layout{Columns: layout.Columns, Phone: layout.Phone})
	if err != nil {
		return PrepareResult{}, badInput("%v", err)
	}
	uploadOut, err := a.Store.Create(ctx, uploadKey)
	if err != nil {
		return PrepareResult{}, err
	}
	defer uploadOut.Abort()
	uploadHash := sha256.New()
	upload := bufpool.Writer(io.MultiWriter(uploadOut, uploadHash))
	defer bufpool.PutWriter(upload)
	hb := &heartbeatEvery{ctx: ctx, d: 5 * time.Second}
	w := &prepareTableWriter{prepareWriter{upload: upload, seen: newVerdictSet(), res: &res}}
	sum, err := validate.RunTable(ctx, t, w, validate.TableOptions{
		Options: validate.Options{Region: region, Progress: func(rows, _ int64) { hb.beat(rows) }},
		Encoder: results.TableEncoderOf(local),
	})
	if err != nil {
		return PrepareResult{}, err
	}
	if err := checked(); err != nil {
		return PrepareResult{}, err
	}
	res.Lines, res.Rows = sum.Lines, int(sum.Rows)
	if err := local.Close(); err != nil {
		return PrepareResult{}, err
	}
	if err := localOut.Commit(); err != nil {
		return PrepareResult{}, err
	}
	if err := upload.Flush(); err != nil {
		return PrepareResult{}, err
	}
	if err := uploadOut.Commit(); err != nil {
		return PrepareResult{}, err
	}
	b, err := json.Marshal(layout)
	if err != nil {
		return PrepareResult{}, err
	}
	lw, err := a.Store.Create(ctx, layoutKey)
	if err != nil {
		return PrepareResult{}, err
	}
	defer lw.Abort()
	if _, err := lw.Write(b); err != nil {
		return PrepareResult{}, err
	}
	if err := lw.Commit(); err != nil {
		return PrepareResult{}, err
	}
	res.UploadSHA256 = hex.EncodeToString(uploadHash.Sum(nil))
	return res, nil
}

// prepareTableWriter folds a table row's phone cells into the upload.
type prepareTableWriter struct{ p prepareWriter }

func (w *prepareTableWriter) WriteRow(r *results.TableRow) error {
	for i := range r.Results {
		if err := w.p.Write(&r.Results[i]); err != nil {
			return err
		}
	}
	return nil
}

// tableLayout is the layout of the table whose work file key is, nil when
// the file is not a table.
func (a *Activities) tableLayout(ctx context.Context, key string) (*results.Layout, error) {
	lk := path.Join(path.Dir(key), layoutName)
	ok, err := a.Store.Exists(ctx, lk)
	if err != nil || !ok {
		return nil, err
	}
	r, err := a.Store.Open(ctx, lk)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	var l results.Layout
	if err := json.NewDecoder(r).Decode(&l); err != nil {
		return nil, fmt.Errorf("%s: %w", lk, err)
	}
	if len(l.Phone) == 0 {
		return nil, fmt.Errorf("%s: no phone column", lk)
	}
	return &l, nil
}

// workLayout is the layout of the work files: the input's columns, a
// comma, no BOM.
func workLayout(l *results.Layout) results.Layout {
	return results.Layout{Columns: l.Columns, Phone: l.Phone}
}

// joinTable is Join's loop for a table: every phone cell gets the remote
// verdict on its number; the counts are of rows (Rows) and cells (the rest).
func joinTable(ctx context.Context, local io.Reader, sw io.Writer, name string, l *results.Layout, verdicts *remoteVerdicts,
	res *JoinResult, unanswered, conflicting *verdictSet) error {
	tr, err := results.NewTableReader(local, name, len(l.Columns), len(l.Phone))
	if err != nil {
		return err
	}
	out, err := results.NewTableWriter(results.CSV, sw, workLayout(l))
	if err != nil {
		return err
	}
	enc := results.TableEncoderOf(out)
	hb := &heartbeatEvery{ctx: ctx, d: 5 * time.Second}
	var b joinBatch
	b.reset()
	var row results.TableRow
	var line []byte
	flush := func() {
		for _, n := range b.unanswered {
			unanswered.put(n, "")
		}
		for _, n := range b.conflicting {
			conflicting.put(n, "")
		}
		res.merge(&b.res)
		hb.beat(res.Rows)
		b.reset()
	}
	for n := 1; ; n++ {
		err := tr.Read(&row)
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		for g := range row.Results {
			r := &row.Results[g]
			b.join(r, verdicts)
			b.res.count(r)
		}
		b.res.Rows += 1 - len(row.Results) // count counted cells
		line = enc.AppendRow(line[:0], &row)
		if err := enc.WriteEncoded(line); err != nil {
			return err
		}
		if n%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
			flush()
		}
	}
	flush()
	return out.Close()
}

// exportTable is Export for a table's joined rows.
func exportTable(ctx context.Context, rows io.Reader, name string, format results.Format, l *results.Layout, sw *store.Writer) error {
	tr, err := results.NewTableReader(rows, name, len(l.Columns), len(l.Phone))
	if err != nil {
		return err
	}
	out, err := results.NewTableWriter(format, sw, *l)
	if err != nil {
		return err
	}
	hb := &heartbeatEvery{ctx: ctx, d: 5 * time.Second}
	var row results.TableRow
	for n := 1; ; n++ {
		err := tr.Read(&row)
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		if err := out.WriteRow(&row); err != nil {
			return err
		}
		if n%4096 == 0 {
			hb.beat(n)
			if err := ctx.Err(); err != nil {
				return err
			}
		}
	}
	return out.Close()
}

// tableCopies says whether a table's joined rows are its CSV output byte
// for byte: a comma and no BOM.
func tableCopies(format results.Format, l *results.Layout) bool {
	return format == results.CSV && (l.Delimiter == 0 || l.Delimiter == ',') && !l.BOM
}

// reportTable feeds a table's joined rows to the report, every phone cell.
func reportTable(ctx context.Context, rows io.Reader, name string, l *results.Layout, add func(*phone.Result)) error {
	tr, err := results.NewTableReader(rows, name, len(l.Columns), len(l.Phone))
	if err != nil {
		return err
	}
	hb := &heartbeatEvery{ctx: ctx, d: 5 * time.Second}
	var row results.TableRow
	for n := 1; ; n++ {
		err := tr.Read(&row)
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		for g := range row.Results {
			add(&row.Results[g])
		}
		if n%4096 == 0 {
			hb.beat(n)
		}
	}
}
