package validate

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/phonecheck/phonecheck/internal/input"
	"github.com/phonecheck/phonecheck/phone"
	"github.com/phonecheck/phonecheck/results"
)

// TableRowWriter receives a table's rows in input order. WriteRow must not
// keep r after it returns (its slices are reused; its strings may be kept).
type TableRowWriter interface {
	WriteRow(r *results.TableRow) error
}

// Layout is the output layout of a table read with the options of t.
func Layout(t *input.Table) results.Layout {
	l := results.Layout{Columns: t.Columns, Delimiter: t.Delimiter, BOM: t.BOM || t.Encoding() != "" && t.Encoding() != input.UTF8}
	for _, p := range t.Phone {
		l.Phone = append(l.Phone, t.Columns[p])
	}
	return l
}

type tableBatch struct {
	in  input.Batch
	out []results.TableRow
	res []phone.Result // backing of out[i].Results
	det []string       // and of out[i].Details
	enc []byte         // the rows formatted, when the writer can take them so
}

// TableOptions are Options for RunTable: Encoder, when set, encodes every
// row on the workers and writes the bytes in order (w may then be nil).
type TableOptions struct {
	Options
	Encoder results.TableEncoder
}

// RunTable validates the phone columns of every row of t and writes each
// row with its results to w, in input order, on every core: the table
// counterpart of Run. Summary.Rows counts the rows, Valid and Invalid the
// cells checked.
func RunTable(ctx context.Context, t *input.Table, w TableRowWriter, topt TableOptions) (Summary, error) {
	opt := topt.Options
	start := time.Now()
	workers := opt.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	batchRows := opt.BatchLines
	if batchRows <= 0 {
		batchRows = 1024
	}
	cacheSize := opt.CacheSize
	if cacheSize == 0 {
		cacheSize = phone.DefaultCacheSize
	} else if cacheSize < 0 {
		cacheSize = 0
	}
	// Formatting the rows is half the work of a table: the workers do it
	// too when the writer lets them.
	enc := topt.Encoder
	sum := Summary{ByReason: map[string]int64{}}
	every := opt.ProgressEvery
	if every <= 0 {
		every = 250 * time.Millisecond
	}
	nextProgress := time.Now().Add(every)
	readErr, err := inOrder(ctx, workers,
		func() *tableBatch { return &tableBatch{} },
		func(b *tableBatch) (bool, error) {
			err := t.Read(&b.in, batchRows)
			if err == io.EOF {
				return false, nil
			}
			return err == nil, err
		},
		func() func(*tableBatch) {
			c := newCellChecker(t, opt.Region, cacheSize)
			return func(b *tableBatch) {
				c.batch(b)
				if enc != nil {
					b.enc = b.enc[:0]
					for i := range b.out {
						b.enc = enc.AppendRow(b.enc, &b.out[i])
					}
				}
			}
		},
		func(b *tableBatch) error {
			if enc != nil {
				if err := enc.WriteEncoded(b.enc); err != nil {
					return err
				}
			}
			for i := range b.out {
				if w != nil {
					if err := w.WriteRow(&b.out[i]); err != nil {
						return err
					}
				}
				sum.Rows++
				for k := range b.out[i].Results {
					r := &b.out[i].Results[k]
					if r.IsValid() {
						sum.Valid++
					} else {
						sum.Invalid++
					}
					sum.ByReason[r.Reason]++
				}
				sum.Lines = b.in.Rows[i].Line
			}
			if opt.Progress != nil && time.Now().After(nextProgress) {
				opt.Progress(sum.Rows, -1)
				nextProgress = time.Now().Add(every)
			}
			return nil
		})
	sum.Elapsed = time.Since(start)
	if err != nil {
		return sum, err
	}
	if readErr != nil {
		return sum, readErr
	}
	return sum, ctx.Err()
}

// cellChecker checks a table's phone cells, each against its row's region.
type cellChecker struct {
	phoneCols []int
	regionCol int
	columns   int
	text      bool // a text table, whose short rows are ragged (a sheet's rows end at their last value)
	region    string
	cacheSize int
	checkers  map[string]*phone.Checker
	regions   map[string]string // a region column's values, read
}

func newCellChecker(t *input.Table, region string, cacheSize int) *cellChecker {
	return &cellChecker{phoneCols: t.Phone, regionCol: t.RegionColumn, columns: len(t.Columns), text: t.Format != "xlsx", region: region,
		cacheSize: cacheSize, checkers: map[string]*phone.Checker{}, regions: map[string]string{}}
}

func (c *cellChecker) checker(region string) *phone.Checker {
	ch, ok := c.checkers[region]
	if !ok {
		ch = phone.NewChecker(region, c.cacheSize)
		c.checkers[region] = ch
	}
	return ch
}

func (c *cellChecker) batch(b *tableBatch) {
	rows := b.in.Rows
	k := len(c.phoneCols)
	if cap(b.out) < len(rows) {
		b.out = make([]results.TableRow, len(rows))
	}
	b.out = b.out[:len(rows)]
	if cap(b.res) < len(rows)*k {
		b.res = make([]phone.Result, len(rows)*k)
		b.det = make([]string, len(rows)*k)
	}
	b.res, b.det = b.res[:len(rows)*k], b.det[:len(rows)*k]
	for i := range rows {
		res, det := b.res[i*k:(i+1)*k:(i+1)*k], b.det[i*k:(i+1)*k:(i+1)*k]
		c.row(&rows[i], res, det)
		b.out[i] = results.TableRow{Values: rows[i].Values, Results: res, Details: det}
	}
}

// row checks one row's phone cells into res, with why into det.
func (c *cellChecker) row(r *input.Row, res []phone.Result, det []string) {
	region, regionNote := c.region, ""
	if c.regionCol >= 0 && c.regionCol < len(r.Values) {
		if v := strings.TrimSpace(r.Values[c.regionCol]); v != "" {
			code, ok := c.regions[v]
			if !ok {
				code, ok = input.RegionOf(v)
				if !ok {
					code = "?"
				}
				if len(c.regions) < 4096 {
					c.regions[v] = code
				}
			}
			if code != "?" {
				region = code
			} else if c.region != "" {
				regionNote = fmt.Sprintf("region %q is not a country code or name; read against %s", v, c.region)
			} else {
				regionNote = fmt.Sprintf("region %q is not a country code or name", v)
			}
		}
	}
	ragged := ""
	if n := len(r.Values); n < c.columns && c.text {
		ragged = "row has " + strconv.Itoa(n) + " of " + strconv.Itoa(c.columns) + " columns"
	} else if n > c.columns {
		extra := make([]string, 0, n-c.columns)
		for _, v := range r.Values[c.columns:] {
			extra = append(extra, strconv.Quote(v))
		}
		ragged = "row has " + strconv.Itoa(n) + " fields, the header " + strconv.Itoa(c.columns) + "; beyond it: " + strings.Join(extra, ", ")
	}
	for g, col := range c.phoneCols {
		cell := ""
		if col < len(r.Values) {
			cell = r.Values[col]
		}
		numeric := col < len(r.Numeric) && r.Numeric[col]
		var notes []string
		res[g], notes = c.cell(cell, numeric, r.Line, region, notes)
		if regionNote != "" && !strings.HasPrefix(strings.TrimSpace(cell), "+") {
			notes = append(notes, regionNote)
		}
		if ragged != "" {
			notes = append(notes, ragged)
		}
		det[g] = strings.Join(notes, "; ")
	}
}

// cell checks one phone cell. A cell a workbook stored as a number has lost
// any leading + or 0: it is read against the region first, and if that is
// not a valid number, as an international number (the + restored).
func (c *cellChecker) cell(cell string, numeric bool, line int, region string, notes []string) (phone.Result, []string) {
	input := phone.CleanLine(cell)
	if phone.IsBlank(input) {
		r := c.checker(region).Check(input, line)
		return r, append(notes, "empty")
	}
	r := c.checker(region).Check(input, line)
	if !numeric || r.IsValid() {
		return r, notes
	}
	if plus := c.checker("").Check("+"+strings.TrimSpace(input), line); plus.IsValid() {
		plus.Input = input
		return plus, append(notes, "a numeric cell, read as +"+strings.TrimSpace(input)+" (a spreadsheet drops the + of a number typed as +"+strings.TrimSpace(input)+")")
	}
	return r, append(notes, "a numeric cell: a spreadsheet drops a leading 0 or +; store phone numbers as text")
}
