package results

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/phonecheck/phonecheck/phone"
)

// DetailColumn follows the result schema in table outputs: why a row reads
// as it does where the table itself made a difference (an empty cell, a
// ragged row, a number a spreadsheet stored without its leading + or 0, an
// unknown region).
const DetailColumn = "ReasonDetail"

// Layout is the shape of a table output: the input's own columns first, in
// their order and under their names, then for each phone column the result
// schema and DetailColumn.
type Layout struct {
	Columns []string // the input's column names
	// Phone names the phone columns. With one, the result columns carry the
	// schema's names (unless one of the input's columns has such a name);
	// with several, each group's names are prefixed with its column's.
	Phone []string
	// Delimiter and BOM shape CSV output: the input's separator (',' if 0)
	// and a UTF-8 byte order mark for Excel.
	Delimiter byte
	BOM       bool
}

// GroupWidth is the number of result columns per phone column.
var GroupWidth = len(phone.Header) + 1

// Header is the output's header row.
func (l Layout) Header() []string {
	h := append([]string(nil), l.Columns...)
	prefix := len(l.Phone) > 1 || l.collides()
	for _, p := range l.Phone {
		for _, name := range append(append([]string(nil), phone.Header...), DetailColumn) {
			if prefix {
				name = p + " " + name
			}
			h = append(h, name)
		}
	}
	return h
}

// collides reports whether an input column has a result column's name.
func (l Layout) collides() bool {
	for _, c := range l.Columns {
		for _, name := range append(append([]string(nil), phone.Header...), DetailColumn) {
			if strings.EqualFold(strings.TrimSpace(c), name) {
				return true
			}
		}
	}
	return false
}

// TableRow is one row of a table output.
type TableRow struct {
	Values  []string       // the input's cells: fewer are padded, more are cut
	Results []phone.Result // one per phone column
	Details []string       // beside Results
}

// TableWriter streams table rows into one document, as Writer does result rows.
type TableWriter interface {
	WriteRow(r *TableRow) error
	Close() error
}

// NewTableWriter returns a TableWriter of format f for layout l.
func NewTableWriter(f Format, w io.Writer, l Layout) (TableWriter, error) {
	if len(l.Phone) == 0 {
		return nil, fmt.Errorf("results: a table output needs a phone column")
	}
	header := l.Header()
	switch f {
	case CSV:
		return newCSVTableWriter(w, l, header), nil
	case JSONL:
		return newJSONLTableWriter(w, l, header), nil
	case XLSX:
		if len(header) > 16384 {
			return nil, fmt.Errorf("results: %d columns are more than a sheet holds (16,384)", len(header))
		}
		widths := make([]float64, 0, len(header))
		for range l.Columns {
			widths = append(widths, 16)
		}
		for range l.Phone {
			widths = append(append(widths, xlsxColWidths[:]...), 40)
		}
		x, err := newXLSXSheetWriter(w, header, widths)
		if err != nil {
			return nil, err
		}
		return &xlsxTableWriter{x: x, l: l}, nil
	}
	_, err := ParseFormat(string(f))
	return nil, err
}

// cells calls fn with every cell of r in the layout's order; line is the
// index of each group's Line column (written as digits).
func (l *Layout) cells(r *TableRow, fn func(col int, s string)) {
	col := 0
	for i := range l.Columns {
		v := ""
		if i < len(r.Values) {
			v = r.Values[i]
		}
		fn(col, v)
		col++
	}
	var line [20]byte
	for g := range l.Phone {
		var res phone.Result
		if g < len(r.Results) {
			res = r.Results[g]
		}
		detail := ""
		if g < len(r.Details) {
			detail = r.Details[g]
		}
		for _, s := range [...]string{res.Number, res.PhoneCheck, res.Input, string(strconv.AppendInt(line[:0], int64(res.Line), 10)),
			res.Reason, res.Type, res.CountryCode, res.Region, res.International, res.National, res.Carrier, res.Location, res.TimeZones, detail} {
			fn(col, s)
			col++
		}
	}
}

// TableEncoder is Encoder for table rows: the part of a TableWriter whose
// rows encode independently (CSV and JSON Lines, not XLSX), so that the
// workers encode and one goroutine writes.
type TableEncoder interface {
	AppendRow(dst []byte, r *TableRow) []byte
	WriteEncoded(b []byte) error
}

// TableEncoderOf returns w's TableEncoder, or nil when w's rows must go
// through WriteRow.
func TableEncoderOf(w TableWriter) TableEncoder {
	e, _ := w.(TableEncoder)
	return e
}

// --- CSV ---

type csvTableWriter struct {
	w       *bufio.Writer
	l       Layout
	comma   byte
	special [256]bool
	line    []byte
	closed  bool
}

func newCSVTableWriter(w io.Writer, l Layout, header []string) *csvTableWriter {
	c := &csvTableWriter{w: bufio.NewWriterSize(w, bufSize), l: l, comma: l.Delimiter}
	if c.comma == 0 {
		c.comma = ','
	}
	c.special = csvSpecial
	c.special[','] = false
	c.special[c.comma] = true
	if l.BOM {
		c.w.WriteString("\uFEFF")
	}
	b := c.line[:0]
	for i, name := range header {
		if i > 0 {
			b = append(b, c.comma)
		}
		b = c.appendField(b, name)
	}
	c.line = b
	_, _ = c.w.Write(append(b, '\n')) // sticky in bufio, returned later
	return c
}

// appendField appends s, quoted as appendCSVField quotes (with this
// writer's separator in place of the comma).
func (c *csvTableWriter) appendField(b []byte, s string) []byte {
	if s == "" {
		return b
	}
	quote := false
	for i := 0; i < len(s); i++ {
		if c.special[s[i]] {
			quote = true
			break
		}
	}
	if !quote && (s[0] > ' ' && s[0] < 0x80) && s != `\.` {
		return append(b, s...) // the common case, in one pass
	}
	if !quote && !csvNeedsQuotes(s) {
		return append(b, s...)
	}
	return appendQuoted(b, s)
}

func (c *csvTableWriter) WriteRow(r *TableRow) error {
	if c.closed {
		return errClosed
	}
	c.line = c.AppendRow(c.line[:0], r)
	_, err := c.w.Write(c.line)
	return err
}

// AppendRow formats one row with its line end.
func (c *csvTableWriter) AppendRow(b []byte, r *TableRow) []byte {
	for i := range c.l.Columns {
		if i > 0 {
			b = append(b, c.comma)
		}
		if i < len(r.Values) {
			b = c.appendField(b, r.Values[i])
		}
	}
	for g := range c.l.Phone {
		var res phone.Result
		if g < len(r.Results) {
			res = r.Results[g]
		}
		if len(c.l.Columns) > 0 || g > 0 {
			b = append(b, c.comma)
		}
		b = c.appendField(b, res.Number)
		b = c.appendField(append(b, c.comma), res.PhoneCheck)
		b = c.appendField(append(b, c.comma), res.Input)
		b = strconv.AppendInt(append(b, c.comma), int64(res.Line), 10)
		for _, s := range [...]string{res.Reason, res.Type, res.CountryCode, res.Region,
			res.International, res.National, res.Carrier, res.Location, res.TimeZones} {
			b = c.appendField(append(b, c.comma), s)
		}
		b = append(b, c.comma)
		if g < len(r.Details) {
			b = c.appendField(b, r.Details[g])
		}
	}
	return append(b, '\n')
}

func (c *csvTableWriter) WriteEncoded(b []byte) error {
	if c.closed {
		return errClosed
	}
	_, err := c.w.Write(b)
	return err
}

func (c *csvTableWriter) Close() error {
	if c.closed {
		return errClosed
	}
	c.closed = true
	return c.w.Flush()
}

// --- JSON Lines ---

type jsonlTableWriter struct {
	w      *bufio.Writer
	l      Layout
	keys   []string // `{"name":`, `,"email":`, ...
	lines  map[int]bool
	line   []byte
	closed bool
}

// newJSONLTableWriter keys each object by the header's names, made unique
// (a blank or repeated name becomes its column's letters: "Column C").
func newJSONLTableWriter(w io.Writer, l Layout, header []string) *jsonlTableWriter {
	j := &jsonlTableWriter{w: bufio.NewWriterSize(w, bufSize), l: l, lines: map[int]bool{}}
	seen := map[string]bool{}
	for i, name := range header {
		if strings.TrimSpace(name) == "" || seen[name] {
			name = "Column " + xlsxColName(i)
		}
		seen[name] = true
		sep := ","
		if i == 0 {
			sep = "{"
		}
		j.keys = append(j.keys, sep+string(appendJSONString(nil, name))+":")
	}
	for g := range l.Phone {
		j.lines[len(l.Columns)+g*GroupWidth+3] = true
	}
	return j
}

func (j *jsonlTableWriter) WriteRow(r *TableRow) error {
	if j.closed {
		return errClosed
	}
	j.line = j.AppendRow(j.line[:0], r)
	_, err := j.w.Write(j.line)
	return err
}

// AppendRow formats one row as a line of JSON.
func (j *jsonlTableWriter) AppendRow(b []byte, r *TableRow) []byte {
	j.l.cells(r, func(col int, s string) {
		b = append(b, j.keys[col]...)
		if j.lines[col] {
			b = append(b, s...) // Line, a number
		} else {
			b = appendJSONString(b, s)
		}
	})
	return append(b, '}', '\n')
}

func (j *jsonlTableWriter) WriteEncoded(b []byte) error {
	if j.closed {
		return errClosed
	}
	_, err := j.w.Write(b)
	return err
}

func (j *jsonlTableWriter) Close() error {
	if j.closed {
		return errClosed
	}
	j.closed = true
	return j.w.Flush()
}

// --- XLSX ---

type xlsxTableWriter struct {
	x *xlsxWriter
	l Layout
}

func (t *xlsxTableWriter) WriteRow(r *TableRow) error {
	x := t.x
	return x.writeRow(func(b []byte, row int) []byte {
		prev := -1
		t.l.cells(r, func(col int, s string) {
			b = appendCell(b, col, row, &prev, s)
		})
		return b
	})
}

func (t *xlsxTableWriter) Close() error { return t.x.Close() }
func (t *xlsxTableWriter) abort()       { t.x.abort() }
