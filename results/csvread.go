package results

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/phonecheck/phonecheck/internal/bufpool"
	"github.com/phonecheck/phonecheck/phone"
)

// RowReader reads back a CSV in the result schema, as the CSV writer writes
// it (the pipeline's own intermediate files). It parses RFC 4180 as
// encoding/csv does (quoted fields, "" escapes, CRLF, line breaks inside
// quotes), but makes one string per row and splits it in place: re-reading
// a million rows with encoding/csv took most of the join and the exports.
type RowReader struct {
	br     *bufio.Reader
	name   string // for messages
	line   int    // of the record just read
	buf    []byte
	fields []string // as many as a record should have
	ends   []int
}

// NewRowReader reads and checks the header; name is used in messages.
func NewRowReader(r io.Reader, name string) (*RowReader, error) {
	rr := newRecordReader(r, name, len(phone.Header))
	n, err := rr.record()
	if errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%s: empty, not a result file", name)
	}
	if err != nil {
		return nil, err
	}
	if n != len(phone.Header) || strings.Join(rr.fields[:n], ",") != strings.Join(phone.Header, ",") {
		return nil, fmt.Errorf("%s: not a result file (header %q)", name, rr.fields[:min(n, len(rr.fields))])
	}
	return rr, nil
}

// Read fills r with the next row; it returns io.EOF after the last. The
// strings in r stay valid after the next Read.
func (rr *RowReader) Read(r *phone.Result) error {
	n, err := rr.record()
	if err != nil {
		return err
	}
	if n != len(phone.Header) {
		return fmt.Errorf("%s: line %d: %d fields, want %d", rr.name, rr.line, n, len(phone.Header))
	}
	f := rr.fields
	line, err := strconv.Atoi(f[3])
	if err != nil {
		return fmt.Errorf("%s: line %d: Line %q is not a number", rr.name, rr.line, f[3])
	}
	*r = phone.Result{Number: f[0], PhoneCheck: f[1], Input: f[2], Line: line, Reason: f[4], Type: f[5],
		CountryCode: f[6], Region: f[7], International: f[8], National: f[9], Carrier: f[10], Location: f[11], TimeZones: f[12]}
	return nil
}

func newRecordReader(r io.Reader, name string, width int) *RowReader {
	return newRowReaderOn(bufpool.Reader(r), name, width)
}

// release hands rr's buffer back for reuse; rr and what it returned last
// must not be used after it.
func (rr *RowReader) release() {
	if rr.br != nil {
		bufpool.PutReader(rr.br)
		rr.br = nil
	}
}

// newRowReaderOn reads records of width fields from br.
func newRowReaderOn(br *bufio.Reader, name string, width int) *RowReader {
	return &RowReader{br: br, name: name, fields: make([]string, width), ends: make([]int, width+1)}
}

// record reads one record into rr.fields and returns its field count (a
// record of more fields than the schema is cut there and reported as such).
func (rr *RowReader) record() (int, error) {
	raw, err := rr.readLine()
	if err != nil {
		return 0, err
	}
	rr.line++
	if bytes.IndexByte(raw, '"') < 0 { // the common case: split in place
		s := string(trimEOL(raw))
		n := 0
		for {
			i := strings.IndexByte(s, ',')
			if n == len(rr.fields) {
				return n + 1 + strings.Count(s, ","), nil // too many fields
			}
			if i < 0 {
				rr.fields[n] = s
				return n + 1, nil
			}
			rr.fields[n], s = s[:i], s[i+1:]
			n++
		}
	}
	return rr.quoted(raw)
}

// quoted parses a record with quotes, reading on while a quoted field
// spans lines.
func (rr *RowReader) quoted(raw []byte) (int, error) {
	startLine := rr.line
	out := rr.buf[:0]
	ends := rr.ends // field ends in out
	n := 0
	for {
		// One field from raw.
		if len(raw) > 0 && raw[0] == '"' {
			raw = raw[1:]
			for {
				i := bytes.IndexByte(raw, '"')
				if i < 0 { // the quoted field goes on past this line
					chunk := raw
					if bytes.HasSuffix(chunk, []byte("\r\n")) { // encoding/csv turns CRLF in quotes into LF
						chunk = append(chunk[:len(chunk)-2:len(chunk)-2], '\n')
					}
					out = append(out, chunk...)
					next, err := rr.readRawLine()
					if len(next) == 0 && errors.Is(err, io.EOF) {
						return 0, fmt.Errorf("%s: line %d: quoted field not closed", rr.name, startLine)
					}
					if err != nil && !errors.Is(err, io.EOF) {
						return 0, err
					}
					rr.line++
					raw = next
					continue
				}
				out = append(out, raw[:i]...)
				raw = raw[i+1:]
				if len(raw) > 0 && raw[0] == '"' { // "" is a quote
					out = append(out, '"')
					raw = raw[1:]
					continue
				}
				break
			}
			if len(trimEOL(raw)) == 0 {
				raw = nil // the record ends here
			} else if raw[0] != ',' {
				return 0, fmt.Errorf("%s: line %d: extraneous %q after a quoted field", rr.name, rr.line, raw[0])
			}
		} else {
			var field []byte
			if i := bytes.IndexByte(raw, ','); i >= 0 {
				field, raw = raw[:i], raw[i:]
			} else { // the last field runs to the line's end
				field, raw = trimEOL(raw), nil
			}
			if bytes.IndexByte(field, '"') >= 0 {
				return 0, fmt.Errorf("%s: line %d: bare quote in an unquoted field", rr.name, rr.line)
			}
			out = append(out, field...)
		}
		if n < len(ends) {
			ends[n] = len(out)
		}
		n++
		if len(raw) == 0 {
			break
		}
		raw = raw[1:] // the comma
	}
	rr.buf = out
	s := string(out)
	start := 0
	for i := 0; i < min(n, len(rr.fields)); i++ {
		rr.fields[i], start = s[start:ends[i]], ends[i]
	}
	return n, nil
}

// readLine returns the next non-blank line with its line break (a last
// line without one as is); blank lines are skipped, as encoding/csv does.
func (rr *RowReader) readLine() ([]byte, error) {
	for {
		line, err := rr.readRawLine()
		if len(line) == 0 && err != nil {
			return nil, err
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, err
		}
		if len(trimEOL(line)) > 0 {
			return line, nil
		}
		rr.line++ // a blank line: messages count it
		if err != nil {
			return nil, err
		}
	}
}

// readRawLine returns the next line, blank or not. The slice is valid until
// the next read.
func (rr *RowReader) readRawLine() ([]byte, error) {
	line, err := rr.br.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) { // a line longer than the buffer
		long := append([]byte(nil), line...)
		for errors.Is(err, bufio.ErrBufferFull) {
			line, err = rr.br.ReadSlice('\n')
			long = append(long, line...)
		}
		return long, err
	}
	return line, err
}

// trimEOL drops the line break: \n, \r\n, or a \r that ends the input.
func trimEOL(b []byte) []byte {
	if len(b) > 0 && b[len(b)-1] == '\n' {
		b = b[:len(b)-1]
	}
	if len(b) > 0 && b[len(b)-1] == '\r' {
		b = b[:len(b)-1]
	}
	return b
}

// TableReader reads back a table CSV as the table writer writes it with a
// comma and no BOM (the pipeline's own intermediate files): the input's
// columns, then each phone column's result columns.
type TableReader struct {
	rr      *RowReader
	header  []string
	columns int
	groups  int
	results []phone.Result
	details []string
}

// NewTableReader reads the header of a table of columns input columns and
// groups phone columns; name is used in messages.
func NewTableReader(r io.Reader, name string, columns, groups int) (*TableReader, error) {
	width := columns + groups*GroupWidth
	if columns < 0 || groups < 1 {
		return nil, fmt.Errorf("%s: a table of %d columns and %d phone columns", name, columns, groups)
	}
	rr := newRecordReader(r, name, width)
	n, err := rr.record()
	if errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%s: empty, not a table file", name)
	}
	if err != nil {
		return nil, err
	}
	if n != width {
		return nil, fmt.Errorf("%s: a header of %d fields, want %d", name, n, width)
	}
	return &TableReader{rr: rr, header: append([]string(nil), rr.fields...), columns: columns, groups: groups,
		results: make([]phone.Result, groups), details: make([]string, groups)}, nil
}

// Header is the table's header row.
func (t *TableReader) Header() []string { return t.header }

// Read fills r with the next row; it returns io.EOF after the last. r's
// slices are reused by the next Read; the strings stay valid.
func (t *TableReader) Read(r *TableRow) error {
	rr := t.rr
	n, err := rr.record()
	if err != nil {
		return err
	}
	if n != len(rr.fields) {
		return fmt.Errorf("%s: line %d: %d fields, want %d", rr.name, rr.line, n, len(rr.fields))
	}
	for g := range t.groups {
		f := rr.fields[t.columns+g*GroupWidth:]
		line, err := strconv.Atoi(f[3])
		if err != nil {
			return fmt.Errorf("%s: line %d: Line %q is not a number", rr.name, rr.line, f[3])
		}
		t.results[g] = phone.Result{Number: f[0], PhoneCheck: f[1], Input: f[2], Line: line, Reason: f[4], Type: f[5],
			CountryCode: f[6], Region: f[7], International: f[8], National: f[9], Carrier: f[10], Location: f[11], TimeZones: f[12]}
		t.details[g] = f[13]
	}
	r.Values = append(r.Values[:0], rr.fields[:t.columns]...)
	r.Results, r.Details = t.results, t.details
	return nil
}

// ParseRecord parses one record of a CSV in the result schema (with its
// line break or without) into r, as a RowReader reads it: for a reader of
// records (ReadParallelRecords) that needs a few of them in full.
func ParseRecord(rec []byte, name string, r *phone.Result) error {
	rr := newRowReaderOn(bufio.NewReaderSize(bytes.NewReader(rec), len(rec)+16), name, len(phone.Header))
	return rr.Read(r)
}
