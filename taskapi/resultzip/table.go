package resultzip

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"iter"
	"slices"
	"strconv"
	"strings"

	"github.com/phonecheck/phonecheck/internal/spool"
	"github.com/phonecheck/phonecheck/internal/xlsx"
	"github.com/phonecheck/phonecheck/phone"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
)

// ResultTable streams the rows of the table found in a results zip. It is
// not safe for concurrent use.
type ResultTable struct {
	entry   string
	format  string
	columns []string
	index   map[string]int // lowercased column name -> position (first wins)
	number  int            // position of Number
	verdict int            // position of phoneCheck
	src     rowSource
	first   *Row  // the first row, read ahead to tell an empty table at open
	err     error // sticky
	rows    int
	closers []io.Closer
}

// Row is one data row. Number and PhoneCheck are trimmed; PhoneCheck is
// phone.Valid or phone.Invalid whatever its case in the file.
type Row struct {
	Number     string
	PhoneCheck string
	// N is the row's 1-based position among the table's data rows.
	N      int
	index  map[string]int
	values []string
}

// Get returns the value of a column by header name (case-insensitive), as
// it is in the file; "" when the table has no such column or the row no
// such cell.
func (r Row) Get(column string) string {
	i, ok := r.index[strings.ToLower(column)]
	if !ok || i >= len(r.values) {
		return ""
	}
	return r.values[i]
}

// Result maps the row onto the result schema by column name; columns the
// table lacks stay empty (Line 0 when absent or not a number).
func (r Row) Result() phone.Result {
	line, _ := strconv.Atoi(strings.TrimSpace(r.Get("Line")))
	return phone.Result{
		Number: r.Number, PhoneCheck: r.PhoneCheck, Input: r.Get("Input"), Line: line,
		Reason: r.Get("Reason"), Type: r.Get("Type"), CountryCode: r.Get("CountryCode"),
		Region: r.Get("Region"), International: r.Get("International"), National: r.Get("National"),
		Carrier: r.Get("Carrier"), Location: r.Get("Location"), TimeZones: r.Get("TimeZones"),
	}
}

// Entry is the zip entry the table comes from.
func (t *ResultTable) Entry() string { return t.entry }

// Format is "csv", "txt", "tsv" or "xlsx", from the entry's extension.
func (t *ResultTable) Format() string { return t.format }

// Columns is the header as found (trimmed).
func (t *ResultTable) Columns() []string { return slices.Clone(t.columns) }

// Next returns the next row, or io.EOF after the last. After any other
// error the table is unusable and Next keeps returning that error.
func (t *ResultTable) Next() (Row, error) {
	if t.first != nil {
		r := *t.first
		t.first = nil
		return r, nil
	}
	if t.err != nil {
		return Row{}, t.err
	}
	r, err := t.read()
	if err == io.EOF {
		t.err = io.EOF
		return Row{}, io.EOF
	}
	if err != nil {
		t.err = fmt.Errorf("results: %w", err)
		return Row{}, t.err
	}
	return r, nil
}

// All ranges over the rows; it stops after the first error, which it yields.
func (t *ResultTable) All() iter.Seq2[Row, error] {
	return func(yield func(Row, error) bool) {
		for {
			r, err := t.Next()
			if err == io.EOF || !yield(r, err) || err != nil {
				return
			}
		}
	}
}

// Close releases the zip file and any temp files. It is safe to repeat.
func (t *ResultTable) Close() error {
	var errs []error
	if t.src != nil {
		errs = append(errs, t.src.close())
		t.src = nil
	}
	for _, c := range t.closers {
		errs = append(errs, c.Close())
	}
	t.closers = nil
	if t.err == nil {
		t.err = errors.New("results: table is closed")
	}
	return errors.Join(errs...)
}

// read gets the next non-blank row from the source and checks it. Errors
// name the entry and the line or row, and wrap ErrBadRow unless they
// already wrap one of the package's errors.
func (t *ResultTable) read() (Row, error) {
	for {
		values, err := t.src.next()
		if err == io.EOF {
			return Row{}, io.EOF
		}
		if err != nil {
			if !fatal(err) {
				err = fmt.Errorf("%v: %w", err, ErrBadRow)
			}
			return Row{}, fmt.Errorf("%s %s: %w", quoteName(t.entry), t.src.pos(), err)
		}
		if blank(values) {
			continue
		}
		t.rows++
		r := Row{N: t.rows, index: t.index, values: values}
		if t.number < len(values) {
			r.Number = strings.TrimSpace(values[t.number])
		}
		var v string
		if t.verdict < len(values) {
			v = strings.ToLower(strings.TrimSpace(values[t.verdict]))
		}
		switch {
		case r.Number == "":
			return Row{}, fmt.Errorf("%s %s: no Number: %w", quoteName(t.entry), t.src.pos(), ErrBadRow)
		case v != phone.Valid && v != phone.Invalid:
			return Row{}, fmt.Errorf("%s %s: phoneCheck is %q, not valid or invalid: %w",
				quoteName(t.entry), t.src.pos(), shorten(v), ErrBadRow)
		}
		r.PhoneCheck = v
		return r, nil
	}
}

func blank(values []string) bool {
	for _, v := range values {
		if strings.TrimSpace(v) != "" {
			return false
		}
	}
	return true
}

func shorten(s string) string {
	if len(s) > 200 {
		return strings.ToValidUTF8(s[:200], "") + "…"
	}
	return s
}

// rowSource yields the raw data rows of one table.
type rowSource interface {
	next() ([]string, error) // io.EOF at the end
	pos() string             // where the last row came from, for messages
	close() error
}

// newTable checks a header and, if it has both columns, makes the table
// and reads its first row. note says why a header does not qualify.
func newTable(entry, format string, header []string, src rowSource) (t *ResultTable, note string, err error) {
	cols, index := normalizeHeader(header)
	num, okN := index["number"]
	ver, okV := index["phonecheck"]
	if len(header) == 0 {
		return nil, "is empty", nil
	}
	if !okN || !okV {
		return nil, fmt.Sprintf("has the columns [%s]", shorten(strings.Join(cols, ", "))), nil
	}
	t = &ResultTable{entry: entry, format: format, columns: cols, index: index, number: num, verdict: ver, src: src}
	first, err := t.read()
	if err == io.EOF {
		return nil, "", fmt.Errorf("%s has a header and no rows: %w", quoteName(entry), ErrEmptyTable)
	}
	if err != nil {
		return nil, "", err
	}
	t.first = &first
	return t, "", nil
}

// normalizeHeader trims names (and a BOM) and indexes them lowercased.
func normalizeHeader(header []string) ([]string, map[string]int) {
	cols := make([]string, len(header))
	index := make(map[string]int, len(header))
	for i, h := range header {
		h = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(h), "\ufeff"))
		cols[i] = h
		if _, dup := index[strings.ToLower(h)]; !dup && h != "" {
			index[strings.ToLower(h)] = i
		}
	}
	return cols, index
}

// fatal tells errors that condemn the whole zip from ones that only mean
// this entry is not the table.
func fatal(err error) bool {
	return errors.Is(err, ErrZipLimit) || errors.Is(err, ErrNotZip) || errors.Is(err, ErrUnsafeZip)
}

// --- CSV and TXT ---

// delimiters a text table may use, in the order tried.
var delimiters = []rune{',', ';', '\t'}

// textSource reads a delimited text entry.
type textSource struct {
	er      *entryReader
	br      *bufio.Reader // what cr reads from: it has no buffer of its own
	cr      *csv.Reader
	sep     byte
	lim     *recordLimiter
	maxLine int
	offset  int // lines before the csv.Reader's first (blank lines, header)
	line    int // line of the last record read, for messages
	end     int64
	// lines and bytes read by fastNext, which the csv.Reader does not count
	fastLines int
	fastBytes int64
	csvLines  int // lines the csv.Reader read
}

// fastText lets the tests compare the fast path with encoding/csv alone.
var fastText = true

func (s *textSource) next() ([]string, error) {
	s.lim.n = 0
	var rec []string
	var err error
	if fastText {
		rec = s.fastNext()
	}
	if rec == nil {
		rec, err = s.cr.Read()
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			s.line = pe.StartLine + s.offset + s.fastLines
			if pe.Err == csv.ErrFieldCount {
				err = nil // rows may be shorter or longer than the header
			}
		} else if err == nil {
			s.line, _ = s.cr.FieldPos(0)
			s.line += s.offset + s.fastLines
			// The record ends on its last field's line, plus the line
			// breaks inside it (only a quoted field holds them, as LF).
			last, _ := s.cr.FieldPos(len(rec) - 1)
			s.csvLines = last + strings.Count(rec[len(rec)-1], "\n")
		} else {
			s.line++ // the record after the last one read
		}
		if err != nil {
			return nil, err
		}
	}
	// the limiter bounds memory loosely (it allows for read-ahead); this is the exact check
	start := s.end
	if s.end = s.cr.InputOffset() + s.fastBytes; s.end-start > int64(s.maxLine)+2 {
		return nil, fmt.Errorf("a line (or run of blank lines) longer than %d bytes: %w", s.maxLine, ErrZipLimit)
	}
	return rec, nil
}

// fastNext reads the next record itself when it is one buffered line
// without a quote: encoding/csv (with LazyQuotes and any number of
// fields, as here) splits such a line at every delimiter, after dropping
// its line break (CRLF or LF, or a CR at the end of the input), and skips
// it when it is empty. That is most lines of a result CSV (a writer quotes
// only a field that needs it), read here with less work. Anything else (a
// quote, a line longer than the buffer, the end, a read error) is left to
// the csv.Reader: nil.
func (s *textSource) fastNext() []string {
	for {
		buf, _ := s.br.Peek(s.br.Buffered())
		n := bytes.IndexByte(buf, '\n') + 1 // the line with its LF; 0 if none is buffered
		if n == 0 {
			var err error
			buf, err = s.br.Peek(textBuf)
			if err != nil && err != io.EOF {
				// The reader below (the limiter, the zip) fails again on
				// the csv.Reader's next read: it reports the error.
				return nil
			}
			if n = bytes.IndexByte(buf, '\n') + 1; n == 0 {
				if err == nil || len(buf) == 0 {
					return nil
				}
				n = len(buf) // the last line, without a line break
			}
		}
		line := buf[:n]
		if bytes.IndexByte(line, '"') >= 0 {
			return nil
		}
		if line[len(line)-1] == '\n' { // line is not empty: it holds the LF, or is the last
			line = line[:len(line)-1]
		}
		if len(line) > 0 && line[len(line)-1] == '\r' {
			line = line[:len(line)-1]
		}
		if len(line) == 0 {
			if _, err := s.br.Discard(n); err != nil {
				return nil
			}
			s.fastLines++
			s.fastBytes += int64(n)
			continue
		}
		str := string(line)
		rec := make([]string, 0, bytes.Count(line, []byte{s.sep})+1)
		for {
			i := strings.IndexByte(str, s.sep)
			if i < 0 {
				rec = append(rec, str)
				break
			}
			rec = append(rec, str[:i])
			str = str[i+1:]
		}
		if _, err := s.br.Discard(n); err != nil {
			return nil
		}
		s.fastLines++
		s.fastBytes += int64(n)
		s.line = s.offset + s.fastLines + s.csvLines
		return rec
	}
}

func (s *textSource) pos() string { return "line " + strconv.Itoa(s.line) }

func (s *textSource) close() error { return s.er.Close() }

// openTextEntry finds the header line of a text entry, picks the delimiter that
// makes it hold both columns, and returns the table or a note.
func openTextEntry(er *entryReader, format string, maxLine int) (*ResultTable, string, error) {
	// UTF-16 (Excel's "Unicode text") is decoded when it has a BOM; a UTF-8
	// BOM is dropped; anything else passes through as is.
	lim := &recordLimiter{r: transform.NewReader(er, unicode.BOMOverride(transform.Nop)), max: int64(maxLine) + textBuf}
	br := bufio.NewReaderSize(lim, textBuf)
	fail := func(err error) (*ResultTable, string, error) {
		_ = er.Close()
		if fatal(err) {
			return nil, "", err
		}
		return nil, fmt.Sprintf("%s cannot be read as a table (%v)", quoteName(er.name), err), nil
	}

	// Blank lines before the header count against the line limit too, so a
	// flood of them stops as early as one long line.
	var header []byte
	var sep rune
	offset, consumed := 0, 0
	for {
		line, err := br.ReadSlice('\n')
		if err == bufio.ErrBufferFull { // longer than the buffer: gather it, up to the limit
			long := bytes.Clone(line)
			for err == bufio.ErrBufferFull && consumed+len(long) <= maxLine+2 {
				line, err = br.ReadSlice('\n')
				long = append(long, line...)
			}
			line = long
		}
		if consumed += len(line); consumed > maxLine+2 { // +2: the CRLF
			return fail(fmt.Errorf("%s line %d: a line (or run of blank lines) longer than %d bytes: %w", quoteName(er.name), offset+1, maxLine, ErrZipLimit))
		}
		if err != nil && err != io.EOF {
			return fail(err)
		}
		trimmed := bytes.TrimSpace(bytes.TrimPrefix(line, []byte("\ufeff")))
		if len(trimmed) == 0 {
			if err == io.EOF {
				_ = er.Close()
				return nil, quoteName(er.name) + " is empty", nil
			}
			offset++
			continue
		}
		offset++
		// Excel writes "sep=;" above a CSV to name its separator.
		if s := strings.ToLower(string(trimmed)); sep == 0 && len(s) == 5 && strings.HasPrefix(s, "sep=") &&
			slices.Contains(delimiters, rune(s[4])) {
			sep = rune(s[4])
			continue
		}
		header = bytes.Clone(trimmed)
		break
	}

	// The delimiter is the one whose split of the header has both columns
	// (the most columns if several do); if none does, the one with the most
	// columns, for the note.
	try := delimiters
	if sep != 0 {
		try = []rune{sep}
	}
	var best []string
	bestSep, found := ',', false
	for _, d := range try {
		fields := splitHeader(header, d)
		_, index := normalizeHeader(fields)
		_, okN := index["number"]
		_, okV := index["phonecheck"]
		if ok := okN && okV; (ok && (!found || len(fields) > len(best))) || (!found && len(fields) > len(best)) {
			best, bestSep, found = fields, d, ok
		}
	}
	cr := csv.NewReader(br)
	cr.Comma, cr.LazyQuotes, cr.FieldsPerRecord = bestSep, true, -1
	src := &textSource{er: er, br: br, cr: cr, sep: byte(bestSep), lim: lim, maxLine: maxLine, offset: offset, line: offset}
	t, note, err := newTable(er.name, format, best, src)
	if t == nil {
		_ = er.Close()
	}
	if note != "" {
		note = quoteName(er.name) + " " + note
	}
	return t, note, err
}

// splitHeader parses one header line with delimiter d.
func splitHeader(line []byte, d rune) []string {
	cr := csv.NewReader(bytes.NewReader(line))
	cr.Comma, cr.LazyQuotes, cr.FieldsPerRecord = d, true, -1
	rec, err := cr.Read()
	if err != nil {
		return strings.Split(string(line), string(d))
	}
	return rec
}

// textBuf is the text reader's buffer, which it may read ahead of a record.
const textBuf = 16 << 10

// recordLimiter fails when more than max bytes are read since n was reset
// (before each record), so one endless line or unterminated quote cannot
// take all memory. The reader above it buffers up to textBuf ahead, which
// max allows for.
type recordLimiter struct {
	r   io.Reader
	n   int64
	max int64
}

func (l *recordLimiter) Read(p []byte) (int, error) {
	n, err := l.r.Read(p)
	l.n += int64(n)
	if l.n > l.max {
		return n, fmt.Errorf("a line (or run of blank lines) longer than %d bytes: %w", l.max-textBuf, ErrZipLimit)
	}
	return n, err
}

// --- XLSX ---

// xlsxSource reads the table's sheet, then later sheets with the same header.
type xlsxSource struct {
	w      *xlsx.Workbook
	spool  *spool.File  // the workbook's bytes, inflated from the zip
	sheets []xlsx.Sheet // the table's sheet and those after it
	at     int          // index in the workbook of sheets[0]
	header []string     // normalized, to recognize continuation sheets
	rows   *xlsx.Rows
}

func (s *xlsxSource) next() ([]string, error) {
	for {
		if s.rows != nil && s.rows.Next() {
			return slices.Clone(s.rows.Values()), nil
		}
		if s.rows != nil {
			if err := s.rows.Err(); errors.Is(err, xlsx.ErrTooLarge) {
				return nil, fmt.Errorf("%v: %w", err, ErrZipLimit)
			} else if err != nil {
				return nil, fmt.Errorf("unreadable XLSX: %w", err)
			}
			_ = s.rows.Close()
			s.rows = nil
		}
		s.sheets, s.at = s.sheets[1:], s.at+1
		if len(s.sheets) == 0 {
			return nil, io.EOF
		}
		header, rows, err := sheetHeader(s.w, s.at, s.sheets[0].Name)
		if err != nil {
			return nil, err
		}
		if cols, _ := normalizeHeader(header); !slices.EqualFunc(cols, s.header, strings.EqualFold) {
			_ = rows.Close() // not a continuation of the table
			continue
		}
		s.rows = rows
	}
}

func (s *xlsxSource) pos() string {
	if len(s.sheets) == 0 || s.rows == nil {
		return "at the end"
	}
	return fmt.Sprintf("sheet %q row %d", s.sheets[0].Name, s.rows.Row())
}

func (s *xlsxSource) close() error {
	if s.rows != nil {
		_ = s.rows.Close()
		s.rows = nil
	}
	return s.spool.Close()
}

// sheetHeader opens sheet i's rows and reads its first row.
func sheetHeader(w *xlsx.Workbook, i int, name string) (header []string, rows *xlsx.Rows, err error) {
	rows, err = w.Rows(i)
	if err != nil {
		return nil, nil, fmt.Errorf("unreadable XLSX sheet %q: %w", name, err)
	}
	if rows.Next() {
		header = slices.Clone(rows.Values())
	} else if err := rows.Err(); err != nil {
		_ = rows.Close()
		return nil, nil, fmt.Errorf("unreadable XLSX sheet %q: %w", name, err)
	}
	return header, rows, nil
}

// openXLSXEntry opens the workbook and looks for the table's sheet. A
// workbook is a zip inside the zip, and reading one needs random access:
// the entry is inflated into a temporary file (bounded by MaxXLSXSize,
// checked on the declared size, which archive/zip holds the entry to),
// freed when the table is closed.
func openXLSXEntry(er *entryReader, size uint64, z *zipState) (t *ResultTable, note string, err error) {
	defer er.Close()
	if size > uint64(z.lim.MaxXLSXSize) {
		return nil, "", fmt.Errorf("XLSX entry %s is larger than the limit of %d bytes: %w", quoteName(er.name), z.lim.MaxXLSXSize, ErrZipLimit)
	}
	// Bound what the workbook's own parts may inflate to by the same ratio
	// and the budget left.
	inner := min(z.lim.MaxTotalSize-z.total-int64(size), max(z.lim.MaxRatio*int64(size), ratioGrace))
	if inner <= 0 {
		return nil, "", fmt.Errorf("more than %d bytes uncompressed (at entry %s): %w", z.lim.MaxTotalSize, quoteName(er.name), ErrZipLimit)
	}
	book, n, err := spoolEntry(er, z.tempDir)
	if err != nil {
		return nil, "", err // entryReader's errors name the entry; others are the disk's
	}
	keep := false
	defer func() {
		if !keep {
			_ = book.Close()
		}
	}()
	unreadable := func(err error) (*ResultTable, string, error) {
		if errors.Is(err, xlsx.ErrTooLarge) {
			return nil, "", fmt.Errorf("XLSX entry %s: %v: %w", quoteName(er.name), err, ErrZipLimit)
		}
		return nil, fmt.Sprintf("%s is not a readable XLSX (%v)", quoteName(er.name), err), nil
	}
	w, err := xlsx.Open(book, n, xlsx.Limits{Part: inner, SharedStrings: inner})
	if err != nil {
		return unreadable(err)
	}
	var notes []string
	sheets := w.Sheets()
	for i, sheet := range sheets {
		header, rows, err := sheetHeader(w, i, sheet.Name)
		if err != nil {
			return unreadable(err)
		}
		src := &xlsxSource{w: w, spool: book, sheets: sheets[i:], at: i, rows: rows}
		src.header, _ = normalizeHeader(header)
		t, note, err := newTable(er.name, "xlsx", header, src)
		if err != nil {
			_ = rows.Close()
			return nil, "", err
		}
		if t != nil {
			keep = true
			return t, "", nil
		}
		_ = rows.Close()
		notes = append(notes, fmt.Sprintf("sheet %q %s", sheet.Name, note))
	}
	if len(notes) == 0 {
		return nil, fmt.Sprintf("%s has no sheets", quoteName(er.name)), nil
	}
	return nil, quoteName(er.name) + ": " + strings.Join(notes, ", "), nil
}

// spoolEntry copies the entry into a spool file in dir (os.TempDir() if "").
func spoolEntry(r io.Reader, dir string) (*spool.File, int64, error) {
	f, err := spool.Create(dir, "phonecheck-result-*.xlsx")
	if err != nil {
		return nil, 0, fmt.Errorf("%w: %w", ErrScratch, err)
	}
	n, err := io.Copy(f, r)
	if err != nil {
		_ = f.Close()
		if !fatal(err) { // the zip's own errors stay the zip's
			err = fmt.Errorf("%w: %w", ErrScratch, err) // the file system's error names the file
		}
		return nil, 0, err
	}
	return f, n, nil
}
