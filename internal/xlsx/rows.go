package xlsx

import (
	"bytes"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// Kind is what a cell held.
type Kind uint8

const (
	Empty  Kind = iota // no value
	Text               // a string (shared, inline, or a formula's)
	Number             // a number, as its digits (padded by a format of zeros)
	Date               // a number in a date or time format, as ISO 8601 text
	Bool               // TRUE or FALSE
	Error              // a formula error such as #N/A
)

// sharedStrings is the workbook's string table, held compactly: the text
// in strings of about 1 MiB, each entry a packed (chunk, start, length). A
// million strings cost a few dozen allocations, not a million, and no
// copy of the whole table is ever made.
type sharedStrings struct {
	chunks []string
	ents   []uint64
	cur    []byte // the chunk being filled
}

const (
	sstChunk     = 1 << 20
	sstStartBits = 21 // start < 2 MiB
	sstLenBits   = 22 // length < 4 MiB (Limits.Cell is capped below it)
)

func (t *sharedStrings) add(s []byte) {
	if len(t.cur)+len(s) > sstChunk && len(t.cur) > 0 {
		t.flush()
	}
	start := len(t.cur)
	t.cur = append(t.cur, s...)
	t.ents = append(t.ents, uint64(len(t.chunks))<<(sstStartBits+sstLenBits)|uint64(start)<<sstLenBits|uint64(len(s)))
}

func (t *sharedStrings) flush() {
	t.chunks = append(t.chunks, string(t.cur))
	t.cur = t.cur[:0]
}

func (t *sharedStrings) get(i int) (string, bool) {
	if i < 0 || i >= len(t.ents) {
		return "", false
	}
	e := t.ents[i]
	chunk := e >> (sstStartBits + sstLenBits)
	start := e >> sstLenBits & (1<<sstStartBits - 1)
	n := e & (1<<sstLenBits - 1)
	return t.chunks[chunk][start : start+n], true
}

// loadShared reads the shared strings table: the text of each <si>, its
// runs joined, phonetic runs (<rPh>) left out.
func (w *Workbook) loadShared() error {
	if w.shared != nil {
		return nil
	}
	w.shared = &sharedStrings{}
	if w.sstPart == "" || w.files[strings.ToLower(w.sstPart)] == nil {
		return nil
	}
	rc, hint, err := w.open(w.sstPart)
	if err != nil {
		return err
	}
	defer rc.Close()
	ahead := inflateAhead(rc, hint)
	defer ahead.Close() // deferred after rc.Close, so it runs first
	s := newScanner(ahead, w.lim.Cell+1024, w.lim.SharedStrings, hint)
	t := &sharedStrings{cur: make([]byte, 0, sstChunk)}
	var si, xs []byte
	inSI, inT, phonetic := false, false, 0
	for s.next() != tokEOF {
		switch s.kind {
		case tokStart:
			switch string(s.name) {
			case "si":
				inSI, si = true, si[:0]
				if s.empty {
					inSI = false
					t.add(nil)
				}
			case "rPh":
				if !s.empty {
					phonetic++
				}
			case "t":
				inT = !s.empty && inSI && phonetic == 0
			}
		case tokEnd:
			switch string(s.name) {
			case "si":
				if inSI {
					xs = appendXString(xs[:0], si)
					if len(xs) > w.lim.Cell {
						return fmt.Errorf("%w: %s: a string of more than %d bytes", ErrTooLarge, w.sstPart, w.lim.Cell)
					}
					t.add(xs)
				}
				inSI = false
			case "rPh":
				if phonetic > 0 {
					phonetic--
				}
			case "t":
				inT = false
			}
		case tokText:
			if inT {
				si = appendText(si, s.text, s.cdata)
			}
		}
	}
	if err := s.err(); err != nil {
		return partError(w.sstPart, err)
	}
	t.flush()
	t.cur = nil
	w.shared = t
	return nil
}

// appendXString decodes the _xHHHH_ escapes of an ST_Xstring (ECMA-376
// Part 1, 22.9.2.19): _x000D_ is a CR, _x005F_ an underscore. The code units
// are UTF-16, so a pair of escaped surrogates is one character.
func appendXString(dst, s []byte) []byte {
	i := bytes.Index(s, []byte("_x"))
	if i < 0 {
		return append(dst, s...)
	}
	for i >= 0 {
		dst = append(dst, s[:i]...)
		s = s[i:]
		u, ok := xEscape(s)
		if !ok {
			dst = append(dst, '_')
			s = s[1:]
		} else {
			s = s[7:]
			r := rune(u)
			if utf16.IsSurrogate(r) {
				r = utf8.RuneError
				if u2, ok := xEscape(s); ok && u < 0xDC00 {
					if pair := utf16.DecodeRune(rune(u), rune(u2)); pair != utf8.RuneError {
						r = pair
						s = s[7:]
					}
				}
			}
			dst = utf8.AppendRune(dst, r)
		}
		i = bytes.Index(s, []byte("_x"))
	}
	return append(dst, s...)
}

// xEscape reads _xHHHH_ at the start of s.
func xEscape(s []byte) (uint16, bool) {
	if len(s) < 7 || s[0] != '_' || s[1] != 'x' || s[6] != '_' {
		return 0, false
	}
	v, err := strconv.ParseUint(string(s[2:6]), 16, 16)
	return uint16(v), err == nil
}

// Rows reads one sheet's rows in order. It is not safe for concurrent use.
type Rows struct {
	w      *Workbook
	part   string
	rc     io.ReadCloser
	ahead  *aheadReader
	s      *scanner
	err    error
	done   bool
	inData bool

	row    int      // the current row's number (1-based)
	values []string // the current row, by column
	kinds  []Kind
	buf    []byte // the current row's own text, before it becomes one string
	spans  []cellSpan
	xs     []byte // scratch for decoding escapes

	merged   []string
	noCached int
	dim      string
}

// cellSpan is where a cell's text lies: in the row's own text, or a shared string.
type cellSpan struct {
	col        int
	kind       Kind
	start, end int    // in buf, when shared is false
	shared     string // the shared string
	isShared   bool
}

// Rows opens sheet i (see Sheets) for reading.
func (w *Workbook) Rows(i int) (*Rows, error) {
	if i < 0 || i >= len(w.sheets) {
		return nil, fmt.Errorf("%w: sheet %d of %d", ErrNoSheet, i+1, len(w.sheets))
	}
	if err := w.loadShared(); err != nil {
		return nil, err
	}
	part := w.sheets[i].part
	rc, hint, err := w.open(part)
	if err != nil {
		return nil, err
	}
	ahead := inflateAhead(rc, hint)
	return &Rows{w: w, part: part, rc: rc, ahead: ahead, s: newScanner(ahead, w.lim.Cell+4096, w.lim.Part, hint)}, nil
}

// Next reads the next row that has a cell; it returns false at the end of
// the sheet or on an error (see Err).
func (r *Rows) Next() bool {
	if r.done {
		return false
	}
	s := r.s
	for s.next() != tokEOF {
		switch s.kind {
		case tokStart:
			switch string(s.name) {
			case "sheetData":
				r.inData = !s.empty
			case "row":
				if !r.inData {
					continue
				}
				n := r.row + 1
				if v, ok := s.attr("r"); ok {
					if k, err := strconv.Atoi(string(v)); err == nil && k > 0 {
						n = k
					}
				}
				r.row = n
				if s.empty {
					continue
				}
				if err := r.readRow(); err != nil {
					r.fail(err)
					return false
				}
				if len(r.values) > 0 {
					return true
				}
			case "dimension":
				if v, ok := s.attr("ref"); ok {
					r.dim = string(v)
				}
			case "mergeCell":
				if v, ok := s.attr("ref"); ok && len(r.merged) < 100000 {
					r.merged = append(r.merged, string(v))
				}
			}
		case tokEnd:
			if string(s.name) == "sheetData" {
				r.inData = false
			}
		}
	}
	r.done = true
	if err := s.err(); err != nil {
		r.err = partError(r.part, err)
	}
	return false
}

func (r *Rows) fail(err error) {
	r.done = true
	if r.err == nil {
		r.err = err
	}
}

// readRow reads the cells of the row whose start tag was just read.
func (r *Rows) readRow() error {
	if fastRows {
		if done, err := r.fastRow(); done || err != nil {
			return err
		}
	}
	s := r.s
	r.buf = r.buf[:0]
	r.spans = r.spans[:0]
	col := -1
	for {
		switch s.next() {
		case tokEOF:
			if err := s.err(); err != nil {
				return partError(r.part, err)
			}
			return partError(r.part, io.ErrUnexpectedEOF)
		case tokEnd:
			if string(s.name) == "row" {
				return r.finishRow()
			}
		case tokStart:
			if string(s.name) != "c" {
				if !s.empty {
					if err := r.skip(); err != nil {
						return err
					}
				}
				continue
			}
			col++
			if ref, ok := s.attr("r"); ok {
				if c, ok := refColumn(ref); ok {
					col = c
				}
			}
			if col >= r.w.lim.Columns {
				return fmt.Errorf("%w: %s row %d has a cell in column %d, past the limit of %d columns", ErrTooLarge, r.part, r.row, col+1, r.w.lim.Columns)
			}
			if err := r.readCell(col); err != nil {
				return err
			}
		}
	}
}

// skip reads past the end of the element whose start tag was just read.
func (r *Rows) skip() error {
	s := r.s
	depth := 1
	for depth > 0 {
		switch s.next() {
		case tokEOF:
			if err := s.err(); err != nil {
				return partError(r.part, err)
			}
			return partError(r.part, io.ErrUnexpectedEOF)
		case tokStart:
			if !s.empty {
				depth++
			}
		case tokEnd:
			depth--
		}
	}
	return nil
}

// readCell reads one <c>: its type and style, then its value (<v>) or
// inline string (<is>); a formula (<f>) counts only by its cached value.
func (r *Rows) readCell(col int) error {
	s := r.s
	typ := cellNumber
	if t, ok := s.attr("t"); ok {
		typ = cellTypeOf(t)
	}
	style := -1
	if v, ok := s.attr("s"); ok {
		style, _ = strconv.Atoi(string(v))
	}
	if s.empty {
		return nil
	}
	start := len(r.buf)
	hasValue, hasFormula := false, false
	inV, inIS, inT, phonetic := false, false, false, 0
	for {
		switch s.next() {
		case tokEOF:
			if err := s.err(); err != nil {
				return partError(r.part, err)
			}
			return partError(r.part, io.ErrUnexpectedEOF)
		case tokStart:
			switch name := string(s.name); {
			case inIS: // rich text runs: their <t>, but not the phonetic ones
				switch name {
				case "rPh":
					if !s.empty {
						phonetic++
					}
				case "t":
					inT = !s.empty && phonetic == 0
				}
			case name == "v":
				inV, hasValue = !s.empty, true
			case name == "is":
				inIS, hasValue = !s.empty, true
			case name == "f":
				hasFormula = true
				if !s.empty {
					if err := r.skip(); err != nil {
						return err
					}
				}
			default:
				if !s.empty {
					if err := r.skip(); err != nil {
						return err
					}
				}
			}
		case tokEnd:
			switch string(s.name) {
			case "c":
				return r.addCell(col, typ, style, start, hasValue, hasFormula)
			case "v":
				inV = false
			case "is":
				inIS, inT = false, false
			case "rPh":
				if phonetic > 0 {
					phonetic--
				}
			case "t":
				inT = false
			}
		case tokText:
			if inV || inT {
				r.buf = appendText(r.buf, s.text, s.cdata)
				if len(r.buf)-start > r.w.lim.Cell {
					return fmt.Errorf("%w: %s row %d: a cell of more than %d bytes", ErrTooLarge, r.part, r.row, r.w.lim.Cell)
				}
			}
		}
	}
}

// cellType is a cell's t attribute.
type cellType uint8

const (
	cellNumber        cellType = iota // n, or no t
	cellShared                        // s
	cellInline                        // inlineStr
	cellFormulaString                 // str
	cellBool                          // b
	cellError                         // e
	cellDate                          // d: ISO 8601 text
)

func cellTypeOf(t []byte) cellType {
	switch string(t) {
	case "s":
		return cellShared
	case "inlineStr":
		return cellInline
	case "str":
		return cellFormulaString
	case "b":
		return cellBool
	case "e":
		return cellError
	case "d":
		return cellDate
	}
	return cellNumber
}

// addCell turns the raw value in buf[start:] into the cell's text.
func (r *Rows) addCell(col int, typ cellType, style, start int, hasValue, hasFormula bool) error {
	raw := r.buf[start:]
	span := cellSpan{col: col, start: start}
	switch typ {
	case cellShared:
		i, err := strconv.Atoi(string(bytes.TrimSpace(raw)))
		v, ok := r.w.shared.get(i)
		if err != nil || !ok {
			return fmt.Errorf("%w: %s cell %s%d refers to shared string %q, and the workbook has %d", ErrCorrupt, r.part, columnName(col), r.row, raw, len(r.w.shared.ents))
		}
		r.buf = r.buf[:start]
		if v == "" {
			return nil
		}
		span.kind, span.isShared, span.shared = Text, true, v
	case cellInline, cellFormulaString:
		if bytes.Contains(raw, []byte("_x")) {
			r.xs = appendXString(r.xs[:0], raw)
			r.buf = append(r.buf[:start], r.xs...)
		}
		span.kind = Text
	case cellBool:
		r.buf = r.buf[:start]
		switch strings.TrimSpace(string(raw)) {
		case "1", "true":
			r.buf = append(r.buf, "TRUE"...)
		case "0", "false":
			r.buf = append(r.buf, "FALSE"...)
		default:
			r.buf = append(r.buf, raw...)
		}
		span.kind = Bool
	case cellError:
		span.kind = Error
	case cellDate:
		span.kind = Date
	default: // "n" or none: a number
		if !hasValue && hasFormula {
			r.noCached++
		}
		if len(raw) == 0 {
			return nil
		}
		num, ok := decimalText(raw)
		if !ok {
			span.kind = Text
			break
		}
		span.kind = Number
		if style >= 0 && style < len(r.w.styles) {
			switch st := &r.w.styles[style]; st.kind {
			case fmtPadded:
				num = st.padded(num)
			case fmtDate:
				if d, ok := st.dateText(num, r.w.date1904); ok {
					num, span.kind = d, Date
				}
			}
		}
		r.buf = append(r.buf[:start], num...)
	}
	span.end = len(r.buf)
	if !span.isShared && span.end == span.start {
		return nil
	}
	r.spans = append(r.spans, span)
	return nil
}

// finishRow makes the row's values: one string for all the row's own text,
// the cells slices of it or shared strings.
func (r *Rows) finishRow() error {
	width := 0
	for _, sp := range r.spans {
		width = max(width, sp.col+1)
	}
	if cap(r.values) < width {
		r.values = make([]string, width)
		r.kinds = make([]Kind, width)
	}
	r.values, r.kinds = r.values[:width], r.kinds[:width]
	clear(r.values)
	clear(r.kinds)
	text := string(r.buf)
	for _, sp := range r.spans {
		if sp.isShared {
			r.values[sp.col] = sp.shared
		} else {
			r.values[sp.col] = text[sp.start:sp.end]
		}
		r.kinds[sp.col] = sp.kind
	}
	return nil
}

// Row is the current row's 1-based number in the sheet.
func (r *Rows) Row() int { return r.row }

// Values are the current row's cells by 0-based column, up to its last
// cell with a value; "" for cells without one. The slice is reused by
// Next; the strings stay valid.
func (r *Rows) Values() []string { return r.values }

// Kinds are the current row's cell kinds, beside Values.
func (r *Rows) Kinds() []Kind { return r.kinds }

// Err is the error that ended the rows, nil at the end of the sheet.
func (r *Rows) Err() error { return r.err }

// Merged lists the sheet's merged ranges (A1:B2), known once the rows are
// read: a merged range's value is in its first cell only.
func (r *Rows) Merged() []string { return r.merged }

// FormulasWithoutValue counts formula cells that had no cached value (a
// workbook saved by a program that does not calculate): they read as empty.
func (r *Rows) FormulasWithoutValue() int { return r.noCached }

// Dimension is the sheet's declared used range (A1:F1000), "" if none.
func (r *Rows) Dimension() string { return r.dim }

// Offset is how many bytes of the sheet's XML have been read.
func (r *Rows) Offset() int64 { return r.s.offset() }

// Close releases the sheet.
func (r *Rows) Close() error {
	r.done = true
	if r.rc == nil {
		return nil
	}
	r.ahead.Close() // before rc: it reads rc until then
	err := r.rc.Close()
	r.rc = nil
	return err
}

// refColumn reads the column of a cell reference such as "AB12".
func refColumn(ref []byte) (int, bool) {
	col := 0
	i := 0
	for ; i < len(ref); i++ {
		c := ref[i] | 0x20
		if c < 'a' || c > 'z' {
			break
		}
		col = col*26 + int(c-'a'+1)
		if col > 1<<20 {
			return 0, false
		}
	}
	if i == 0 {
		return 0, false
	}
	return col - 1, true
}

// columnName is the letters of a 0-based column: A, ..., Z, AA, ...
func columnName(col int) string {
	name := ""
	for col++; col > 0; col = (col - 1) / 26 {
		name = string(rune('A'+(col-1)%26)) + name
	}
	return name
}

// ColumnName is the letters of a 0-based column: A, ..., Z, AA, ...
func ColumnName(col int) string { return columnName(col) }

// fastRows turns the fast path on; tests compare it with the tokenizer.
var fastRows = true

// fastAhead is how much of the part the fast path wants buffered.
const fastAhead = 64 << 10

// fastRow reads the row whose start tag was just read straight from the
// scanner's buffer when it has the shape spreadsheet programs write: cells
// with r, s and t attributes holding a <v>, an <f> and a <v>, or an inline
// <is><t>. It returns false, having consumed nothing, for anything else
// (comments, CDATA, rich text, prefixes, other elements, a row that runs
// past what is buffered), which the tokenizer then reads. Both give the
// same cells.
func (r *Rows) fastRow() (bool, error) {
	s := r.s
	// Have a good stretch of the part in the buffer; a row that runs past
	// it is left to the tokenizer.
	if s.end-s.pos < fastAhead && s.rerr == nil {
		s.fill(s.pos)
	}
	end := s.end
	b := s.buf[s.pos:end]
	r.buf, r.spans = r.buf[:0], r.spans[:0]
	noCached := r.noCached
	bail := func() (bool, error) {
		r.buf, r.spans, r.noCached = r.buf[:0], r.spans[:0], noCached
		return false, nil
	}
	col := -1
	for {
		b = trimSpaceLeft(b)
		if bytes.HasPrefix(b, rowEnd) {
			break
		}
		if len(b) < 3 || b[0] != '<' || b[1] != 'c' || !(b[2] == ' ' || b[2] == '>' || b[2] == '/') {
			return bail()
		}
		gt := bytes.IndexByte(b, '>')
		if gt < 0 {
			return bail()
		}
		tag := b[2:gt]
		b = b[gt+1:]
		empty := len(tag) > 0 && tag[len(tag)-1] == '/'
		if empty {
			tag = tag[:len(tag)-1]
		}
		typ, style, ref, ok := cellAttrs(tag)
		if !ok {
			return bail()
		}
		col++
		if ref != nil {
			if c, ok := refColumn(ref); ok {
				col = c
			}
		}
		if col >= r.w.lim.Columns {
			return true, fmt.Errorf("%w: %s row %d has a cell in column %d, past the limit of %d columns", ErrTooLarge, r.part, r.row, col+1, r.w.lim.Columns)
		}
		if empty {
			continue
		}
		start := len(r.buf)
		hasValue, hasFormula := false, false
	content:
		for {
			b = trimSpaceLeft(b)
			switch {
			case bytes.HasPrefix(b, cellEnd):
				b = b[len(cellEnd):]
				break content
			case bytes.HasPrefix(b, vStart):
				text, rest, ok := textUntil(b[len(vStart):], vEnd)
				if !ok {
					return bail()
				}
				r.buf = appendText(r.buf, text, false)
				b, hasValue = rest, true
			case bytes.HasPrefix(b, []byte("<v/>")):
				b, hasValue = b[4:], true
			case bytes.HasPrefix(b, []byte("<f")) && len(b) > 2 && (b[2] == '>' || b[2] == ' ' || b[2] == '/'):
				gt := bytes.IndexByte(b, '>')
				if gt < 0 {
					return bail()
				}
				hasFormula = true
				if b[gt-1] == '/' {
					b = b[gt+1:]
					continue
				}
				i := bytes.Index(b, fEnd)
				if i < 0 {
					return bail()
				}
				b = b[i+len(fEnd):]
			case bytes.HasPrefix(b, isStart):
				b = trimSpaceLeft(b[len(isStart):])
				if !bytes.HasPrefix(b, []byte("<t")) || len(b) < 3 || b[2] != '>' && b[2] != ' ' {
					return bail()
				}
				gt := bytes.IndexByte(b, '>')
				if gt < 0 || b[gt-1] == '/' {
					return bail()
				}
				text, rest, ok := textUntil(b[gt+1:], tEnd)
				if !ok {
					return bail()
				}
				rest = trimSpaceLeft(rest)
				if !bytes.HasPrefix(rest, isEnd) {
					return bail()
				}
				r.buf = appendText(r.buf, text, false)
				b, hasValue = rest[len(isEnd):], true
			default:
				return bail()
			}
		}
		if len(r.buf)-start > r.w.lim.Cell {
			return true, fmt.Errorf("%w: %s row %d: a cell of more than %d bytes", ErrTooLarge, r.part, r.row, r.w.lim.Cell)
		}
		if err := r.addCell(col, typ, style, start, hasValue, hasFormula); err != nil {
			return true, err
		}
	}
	s.pos = end - len(b) + len(rowEnd)
	return true, r.finishRow()
}

var (
	rowEnd  = []byte("</row>")
	cellEnd = []byte("</c>")
	vStart  = []byte("<v>")
	vEnd    = []byte("</v>")
	fEnd    = []byte("</f>")
	isStart = []byte("<is>")
	isEnd   = []byte("</is>")
	tEnd    = []byte("</t>")
)

// textUntil returns the text before end, which must be the next markup.
func textUntil(b, end []byte) (text, rest []byte, ok bool) {
	i := bytes.IndexByte(b, '<')
	if i < 0 || !bytes.HasPrefix(b[i:], end) {
		return nil, nil, false
	}
	return b[:i], b[i+len(end):], true
}

func trimSpaceLeft(b []byte) []byte {
	for len(b) > 0 && isSpace(b[0]) {
		b = b[1:]
	}
	return b
}

// cellAttrs reads a cell tag's attributes as the tokenizer does; ok is
// false for what the fast path leaves to it (a prefixed or quoted-apostrophe
// attribute, anything it cannot read).
func cellAttrs(tag []byte) (typ cellType, style int, ref []byte, ok bool) {
	typ, style = cellNumber, -1
	for {
		tag = trimSpaceLeft(tag)
		if len(tag) == 0 {
			return typ, style, ref, true
		}
		eq := bytes.IndexByte(tag, '=')
		if eq <= 0 || eq+1 >= len(tag) || tag[eq+1] != '"' {
			return 0, 0, nil, false
		}
		name := tag[:eq]
		j := bytes.IndexByte(tag[eq+2:], '"')
		if j < 0 || bytes.IndexByte(name, ':') >= 0 || bytes.IndexByte(name, ' ') >= 0 {
			return 0, 0, nil, false
		}
		value := tag[eq+2 : eq+2+j]
		tag = tag[eq+3+j:]
		switch string(name) {
		case "r":
			ref = value
		case "t":
			typ = cellTypeOf(value)
		case "s":
			style, _ = strconv.Atoi(string(value))
		}
		if len(tag) > 0 && !isSpace(tag[0]) {
			return 0, 0, nil, false
		}
	}
}
