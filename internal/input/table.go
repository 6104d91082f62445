package input

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/phonecheck/phonecheck/internal/xlsx"
	"github.com/phonecheck/phonecheck/phone"
)

// Options choose what is read of an input.
type Options struct {
	// Columns are the phone columns, each a header name (case-insensitive)
	// or a 1-based number; none: the column named like a phone column, else
	// the one whose values parse best.
	Columns []string
	// RegionColumn names the column of each row's region (ISO codes or
	// English country names); "" for none.
	RegionColumn string
	// Sheet is the workbook's sheet by name or 1-based number; "" for the first.
	Sheet string
	// Region is the default region (normalized), used to tell which column
	// holds phone numbers.
	Region string
	// MaxRecord bounds one CSV record (0: 1 MiB).
	MaxRecord int
}

// ErrColumn is wrapped when the phone or region column cannot be chosen.
var ErrColumn = errors.New("cannot choose the column")

// ErrEmpty is wrapped for an input without any value.
var ErrEmpty = errors.New("empty input")

// Row is one data row of a table.
type Row struct {
	Line   int      // the row's line (CSV) or row number (XLSX) in the source
	Values []string // its cells, as many as the row has (a ragged row has more or fewer than the header)
	// Numeric marks the cells a workbook stored as numbers (nil for text
	// inputs): a spreadsheet drops the leading 0 or + of such a number.
	Numeric []bool
}

// Batch holds rows read together; Table.Read reuses its storage.
type Batch struct {
	Rows  []Row
	text  []byte
	ends  []int
	vals  []string
	nums  []bool
	lines []int
	nfld  []int
}

// Table is a CSV, TSV or sheet with its columns chosen. It is not safe for
// concurrent use.
type Table struct {
	// Format is "csv", "tsv" or "xlsx".
	Format string
	// Delimiter separates a text table's fields (0 for a workbook).
	Delimiter byte
	// Sheet is the workbook sheet read.
	Sheet string
	// Columns are the header's names, or Column A, B, ... without one.
	Columns []string
	// HeaderLine is the header's line or row (0: no header).
	HeaderLine int
	// Phone are the phone columns (indexes into Columns), RegionColumn the
	// region column (-1: none).
	Phone        []int
	RegionColumn int
	// Chosen says how the phone columns were chosen, for the summary.
	Chosen string
	// BOM tells a text table that started with a UTF-8 byte order mark.
	BOM bool

	src    source
	dec    *Decoder
	sample []Row // read ahead to choose, replayed first
	next   int
}

// source yields the rows of a table, blank ones skipped.
type source interface {
	read(b *Batch, n int) error // appends up to n rows; io.EOF when none is left
	notes() []string
	close() error
}

// Encoding is a text table's encoding (see Decoder), "" for a workbook.
func (t *Table) Encoding() string {
	if t.dec == nil {
		return ""
	}
	return t.dec.Encoding()
}

// Notes says what the reader noticed that the user should know, once the
// rows are read: merged cells, formulas without a value.
func (t *Table) Notes() []string { return t.src.notes() }

// Close releases the source.
func (t *Table) Close() error { return t.src.close() }

// Read replaces b's rows with the next up to n rows; at the end it returns
// io.EOF with no rows. The rows are valid until b is read into again; their
// strings stay valid for good.
func (t *Table) Read(b *Batch, n int) error {
	b.Rows = b.Rows[:0]
	for t.next < len(t.sample) && len(b.Rows) < n {
		b.Rows = append(b.Rows, t.sample[t.next])
		t.next++
	}
	if t.next >= len(t.sample) {
		t.sample = nil
	}
	if len(b.Rows) == n {
		return nil
	}
	err := t.src.read(b, n)
	if err == io.EOF && len(b.Rows) > 0 {
		return nil
	}
	return err
}

// sampleRows is how many rows are read ahead to find the header and the
// phone column.
const sampleRows = 1000

// newTable reads the sample, finds the header and chooses the columns.
func newTable(t *Table, opt Options) (*Table, error) {
	var b Batch
	for len(t.sample) < sampleRows+1 {
		b.Rows = b.Rows[:0]
		err := t.src.read(&b, sampleRows+1-len(t.sample))
		for _, r := range b.Rows {
			t.sample = append(t.sample, ownRow(r))
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			t.src.close()
			return nil, err
		}
	}
	if len(t.sample) == 0 {
		t.src.close()
		return nil, fmt.Errorf("%w: no values", ErrEmpty)
	}
	width := 0
	for _, r := range t.sample {
		width = max(width, len(r.Values))
	}
	first := t.sample[0]
	if isHeader(first.Values) {
		// A text table's header says how many columns it has (longer rows
		// are ragged); a sheet may have data in columns without a name.
		if t.Format != "xlsx" {
			width = len(first.Values)
		}
		t.HeaderLine = first.Line
		t.Columns = headerNames(first.Values, width)
		t.sample = t.sample[1:]
		if len(t.sample) == 0 {
			t.src.close()
			return nil, fmt.Errorf("%w: a header (line %d) and no rows", ErrEmpty, first.Line)
		}
	} else {
		t.Columns = make([]string, width)
		for i := range t.Columns {
			t.Columns[i] = "Column " + xlsx.ColumnName(i)
		}
	}
	if err := t.choose(opt); err != nil {
		t.src.close()
		return nil, err
	}
	return t, nil
}

// ownRow copies a row out of its batch.
func ownRow(r Row) Row {
	return Row{Line: r.Line, Values: append([]string(nil), r.Values...), Numeric: append([]bool(nil), r.Numeric...)}
}

// isHeader tells a header row from a data row: it has a cell with letters,
// and none that looks like data (a phone number's digits, an e-mail address).
func isHeader(cells []string) bool {
	letters := false
	for _, c := range cells {
		digits := 0
		for _, r := range c {
			if r >= '0' && r <= '9' {
				digits++
			} else if unicode.IsLetter(r) {
				letters = true
			}
		}
		if digits >= 6 || strings.Contains(c, "@") {
			return false
		}
	}
	return letters
}

// headerNames trims the header's names (and a BOM); columns beyond it, or
// without a name, are named after their letters.
func headerNames(cells []string, width int) []string {
	names := make([]string, max(width, len(cells)))
	for i := range names {
		if i < len(cells) {
			names[i] = strings.TrimSpace(strings.TrimPrefix(cells[i], "\uFEFF"))
		}
		if names[i] == "" {
			names[i] = "Column " + xlsx.ColumnName(i)
		}
	}
	return names
}

// column finds a column by name (case-insensitive), then by 1-based
// number, then by letter (C, or Column C).
func (t *Table) column(name string) (int, bool) {
	want := strings.TrimSpace(name)
	for i, c := range t.Columns {
		if strings.EqualFold(c, want) {
			return i, true
		}
	}
	if n, err := strconv.Atoi(want); err == nil && n >= 1 && n <= len(t.Columns) {
		return n - 1, true
	}
	letters := strings.TrimSpace(strings.TrimPrefix(strings.ToLower(want), "column "))
	if c, ok := letterColumn(letters); ok && c < len(t.Columns) {
		return c, true
	}
	return 0, false
}

func letterColumn(s string) (int, bool) {
	if s == "" || len(s) > 3 {
		return 0, false
	}
	col := 0
	for _, c := range []byte(s) {
		if c < 'a' || c > 'z' {
			return 0, false
		}
		col = col*26 + int(c-'a'+1)
	}
	return col - 1, true
}

// columnList quotes the columns for messages.
func (t *Table) columnList() string {
	q := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		q[i] = strconv.Quote(c)
	}
	return strings.Join(q, ", ")
}

// choose picks the phone and region columns.
func (t *Table) choose(opt Options) error {
	t.RegionColumn = -1
	if opt.RegionColumn != "" {
		c, ok := t.column(opt.RegionColumn)
		if !ok {
			return fmt.Errorf("%w: no region column %q; the columns are %s (give --region-column NAME or NUMBER)", ErrColumn, opt.RegionColumn, t.columnList())
		}
		t.RegionColumn = c
	}
	if len(opt.Columns) > 0 {
		var names []string
		for _, name := range opt.Columns {
			c, ok := t.column(name)
			if !ok {
				return fmt.Errorf("%w: no column %q; the columns are %s (give --column NAME or NUMBER)", ErrColumn, name, t.columnList())
			}
			if !containsInt(t.Phone, c) {
				t.Phone = append(t.Phone, c)
				names = append(names, strconv.Quote(t.Columns[c]))
			}
		}
		t.Chosen = fmt.Sprintf("phone column %s (--column)", strings.Join(names, ", "))
		if len(names) > 1 {
			t.Chosen = fmt.Sprintf("phone columns %s (--column)", strings.Join(names, ", "))
		}
		return nil
	}
	scores := make([]columnScore, len(t.Columns))
	for i := range t.Columns {
		scores[i] = scoreColumn(t.sample, i, opt.Region)
		scores[i].rank = nameRank(t.Columns[i])
		if i == t.RegionColumn {
			scores[i] = columnScore{}
		}
	}
	// A column named like a phone column, if its values have numbers.
	best := -1
	for i, s := range scores {
		if s.rank == 0 || s.cells == 0 || s.phoneLike*10 < s.cells {
			continue
		}
		if best < 0 || s.rank > scores[best].rank || s.rank == scores[best].rank && s.better(scores[best]) {
			best = i
		}
	}
	if best >= 0 {
		t.Phone = []int{best}
		t.Chosen = fmt.Sprintf("phone column %q (by its name)", t.Columns[best])
		if others := t.otherNamed(scores, best); others != "" {
			t.Chosen += "; " + others
		}
		return nil
	}
	// Else the column whose values parse best.
	for i, s := range scores {
		if s.cells == 0 || s.dates*2 > s.cells || s.valid*10 < s.cells*3 && s.phoneLike*2 < s.cells {
			continue
		}
		if best < 0 || s.better(scores[best]) {
			best = i
		}
	}
	if best >= 0 {
		s := scores[best]
		t.Phone = []int{best}
		t.Chosen = fmt.Sprintf("phone column %q (its values look most like phone numbers: %d%% of %d sampled)", t.Columns[best], 100*max(s.valid, s.phoneLike)/s.cells, s.cells)
		return nil
	}
	var tried []string
	for i, s := range scores {
		if i == t.RegionColumn {
			continue
		}
		pct := 0
		if s.cells > 0 {
			pct = 100 * s.phoneLike / s.cells
		}
		tried = append(tried, fmt.Sprintf("%q %d%%", t.Columns[i], pct))
	}
	return fmt.Errorf("%w: no column looks like phone numbers (share of sampled values that do: %s); give the phone column with --column NAME or NUMBER", ErrColumn, strings.Join(tried, ", "))
}

// otherNamed mentions other phone-named columns that were not chosen.
func (t *Table) otherNamed(scores []columnScore, chosen int) string {
	var others []string
	for i, s := range scores {
		if i != chosen && s.rank >= 2 && s.phoneLike > 0 {
			others = append(others, t.Columns[i])
		}
	}
	if len(others) == 0 {
		return ""
	}
	args := "--column " + shellWord(t.Columns[chosen])
	q := make([]string, len(others))
	for i, o := range others {
		q[i] = strconv.Quote(o)
		args += " --column " + shellWord(o)
	}
	return fmt.Sprintf("%s too (give %s for all)", strings.Join(q, ", "), args)
}

func shellWord(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_' || r == '-' || r == '.')
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

func containsInt(s []int, v int) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// columnScore counts what a column's sampled values look like.
type columnScore struct {
	rank      int // nameRank of its header
	cells     int // non-empty values
	valid     int // valid phone numbers (with the default region)
	phoneLike int // valid, or 7 to 15 digits with separators only
	dates     int // values shaped like dates
}

func (s columnScore) better(o columnScore) bool {
	if s.valid != o.valid {
		return s.valid*o.cells > o.valid*s.cells
	}
	return s.phoneLike*o.cells > o.phoneLike*s.cells
}

func validNumber(v, region string) bool {
	r := phone.CheckCore(v, 0, region)
	return r.IsValid()
}

func scoreColumn(rows []Row, col int, region string) columnScore {
	var s columnScore
	for _, r := range rows {
		if col >= len(r.Values) {
			continue
		}
		v := strings.TrimSpace(r.Values[col])
		if v == "" {
			continue
		}
		s.cells++
		valid := validNumber(v, region)
		if !valid && col < len(r.Numeric) && r.Numeric[col] {
			valid = validNumber("+"+v, "")
		}
		if valid {
			s.valid++
		}
		if valid || phoneShaped(v) {
			s.phoneLike++
		}
		if dateShaped(v) {
			s.dates++
		}
	}
	return s
}

// phoneShaped: 7 to 15 digits, with only the separators people write.
func phoneShaped(v string) bool {
	digits := 0
	for _, r := range v {
		switch {
		case r >= '0' && r <= '9':
			digits++
		case strings.ContainsRune(" +-().\u00a0/", r):
		default:
			return false
		}
	}
	return digits >= 7 && digits <= 15
}

// dateShaped: 2024-03-05, 05.03.2024, 3/5/24 and the like.
func dateShaped(v string) bool {
	parts := strings.FieldsFunc(v, func(r rune) bool { return r == '-' || r == '.' || r == '/' })
	if len(parts) != 3 || strings.ContainsAny(v, " +()") {
		return false
	}
	for _, p := range parts {
		if len(p) == 0 || len(p) > 4 || strings.Trim(p, "0123456789") != "" {
			return false
		}
	}
	return len(parts[0]) == 4 || len(parts[2]) == 4 || len(parts[2]) == 2
}

// --- text tables ---

// textSource reads a delimited text table.
type textSource struct {
	rr  *recordReader
	bom bool // strip a BOM from the first field read
}

func (s *textSource) read(b *Batch, n int) error {
	b.text, b.ends, b.lines, b.nfld = b.text[:0], b.ends[:0], b.lines[:0], b.nfld[:0]
	var err error
	for len(b.lines) < n {
		mark, endsMark := len(b.text), len(b.ends)
		var line int
		b.text, b.ends, line, err = s.rr.read(b.text, b.ends)
		if err != nil {
			break
		}
		if s.bom {
			s.bom = false
			if strings.HasPrefix(string(b.text[mark:min(len(b.text), mark+3)]), "\uFEFF") {
				b.text = append(b.text[:mark], b.text[mark+3:]...)
				for i := endsMark; i < len(b.ends); i++ {
					b.ends[i] -= 3
				}
			}
		}
		if blankFields(b.text[mark:]) {
			b.text, b.ends = b.text[:mark], b.ends[:endsMark]
			continue
		}
		b.lines = append(b.lines, line)
		b.nfld = append(b.nfld, len(b.ends)-endsMark)
	}
	if len(b.lines) > 0 {
		all := string(b.text)
		if !utf8.ValidString(all) {
			all = strings.ToValidUTF8(all, "\uFFFD")
			return s.fillInvalid(b, all)
		}
		b.vals = b.vals[:0]
		start, f := 0, 0
		for i, line := range b.lines {
			first := len(b.vals)
			for k := 0; k < b.nfld[i]; k++ {
				end := b.ends[f]
				b.vals = append(b.vals, all[start:end])
				start = end
				f++
			}
			b.Rows = append(b.Rows, Row{Line: line})
			b.Rows[len(b.Rows)-1].Values = b.vals[first:len(b.vals):len(b.vals)]
		}
		return nil
	}
	if err == nil {
		err = io.EOF
	}
	return err
}

// fillInvalid is the end of read for text with invalid UTF-8 (which the
// decoder passes on): each field is cleaned on its own, since the
// replacement changes the offsets.
func (s *textSource) fillInvalid(b *Batch, _ string) error {
	b.vals = b.vals[:0]
	start, f := 0, 0
	for i, line := range b.lines {
		first := len(b.vals)
		for k := 0; k < b.nfld[i]; k++ {
			end := b.ends[f]
			b.vals = append(b.vals, strings.ToValidUTF8(string(b.text[start:end]), "\uFFFD"))
			start = end
			f++
		}
		b.Rows = append(b.Rows, Row{Line: line})
		b.Rows[len(b.Rows)-1].Values = b.vals[first:len(b.vals):len(b.vals)]
	}
	return nil
}

func (s *textSource) notes() []string { return nil }
func (s *textSource) close() error    { return nil }

// OpenText reads the start of a text input (decoded by a Decoder) and
// tells whether it is a table. A table is returned ready to read; for a
// file of one value per line, table is nil and lines is the decoded text,
// to be read from its start. A header line that names a phone column
// makes a file of one value per line a table of one column; so does
// opt.Columns.
func OpenText(r io.Reader, opt Options) (table *Table, lines *Lines, err error) {
	dec := NewDecoder(r)
	br := bufio.NewReaderSize(dec, 256<<10)
	sample, perr := br.Peek(HeadSize)
	if perr != nil && perr != io.EOF && perr != bufio.ErrBufferFull {
		return nil, nil, perr
	}
	complete := perr == io.EOF
	sep, directive := sniffDelimiter(sample, complete)
	if sep == 0 && len(opt.Columns) == 0 && opt.RegionColumn == "" && !namesPhoneColumn(sample) {
		return nil, &Lines{Reader: br, dec: dec}, nil
	}
	if sep == 0 {
		sep = ','
	}
	max := opt.MaxRecord
	if max <= 0 {
		max = 1 << 20
	}
	rr := newRecordReader(br, sep, max)
	if directive {
		if _, err := rr.readLine(0); err != nil {
			return nil, nil, err
		}
	}
	t := &Table{Format: "csv", Delimiter: sep, dec: dec, src: &textSource{rr: rr, bom: true}}
	if sep == '\t' {
		t.Format = "tsv"
	}
	t.BOM = dec.Encoding() == UTF8BOM
	t, err = newTable(t, opt)
	return t, nil, err
}

// Lines is a file of one value per line, decoded.
type Lines struct {
	io.Reader
	dec *Decoder
}

// Encoding is the text's encoding (see Decoder), final once it is read.
func (l *Lines) Encoding() string { return l.dec.Encoding() }

// namesPhoneColumn reports whether the first non-blank line of a sample is
// a phone column's name alone.
func namesPhoneColumn(sample []byte) bool {
	for _, line := range strings.Split(string(sample), "\n") {
		line = strings.TrimSpace(strings.TrimPrefix(line, "\uFEFF"))
		line = strings.Trim(line, `"`)
		if line == "" {
			continue
		}
		return nameRank(line) >= 2
	}
	return false
}

// --- workbooks ---

// sheetSource reads a workbook sheet's rows.
type sheetSource struct {
	rows *xlsx.Rows
}

func (s *sheetSource) read(b *Batch, n int) error {
	b.vals, b.nums = b.vals[:0], b.nums[:0]
	type span struct{ line, from, to int }
	var spans [64]span
	got := spans[:0]
	for len(got) < n && s.rows.Next() {
		v, k := s.rows.Values(), s.rows.Kinds()
		blank := true
		for _, c := range v {
			if strings.TrimSpace(c) != "" {
				blank = false
				break
			}
		}
		if blank {
			continue
		}
		from := len(b.vals)
		b.vals = append(b.vals, v...)
		for _, kind := range k {
			b.nums = append(b.nums, kind == xlsx.Number)
		}
		got = append(got, span{s.rows.Row(), from, len(b.vals)})
	}
	for _, sp := range got {
		b.Rows = append(b.Rows, Row{Line: sp.line, Values: b.vals[sp.from:sp.to:sp.to], Numeric: b.nums[sp.from:sp.to:sp.to]})
	}
	if len(got) > 0 {
		return nil
	}
	if err := s.rows.Err(); err != nil {
		return err
	}
	return io.EOF
}

func (s *sheetSource) notes() []string {
	var out []string
	if m := s.rows.Merged(); len(m) > 0 {
		out = append(out, fmt.Sprintf("the sheet has %d merged ranges (%s); a merged range's value is in its first cell only", len(m), strings.Join(m[:min(3, len(m))], ", ")))
	}
	if n := s.rows.FormulasWithoutValue(); n > 0 {
		out = append(out, fmt.Sprintf("%d formula cells had no saved value and read as empty; open the file in Excel or LibreOffice, let it calculate, and save it again", n))
	}
	return out
}

func (s *sheetSource) close() error { return s.rows.Close() }

// OpenWorkbook opens an XLSX workbook's sheet (opt.Sheet, else the first
// visible one) as a table.
func OpenWorkbook(r io.ReaderAt, size int64, opt Options) (*Table, error) {
	w, err := xlsx.Open(r, size, xlsx.Limits{})
	if err != nil {
		return nil, err
	}
	i, err := w.SheetIndex(opt.Sheet)
	if err != nil {
		return nil, err
	}
	rows, err := w.Rows(i)
	if err != nil {
		return nil, err
	}
	t := &Table{Format: "xlsx", Sheet: w.Sheets()[i].Name, src: &sheetSource{rows: rows}}
	t, err = newTable(t, opt)
	if errors.Is(err, ErrEmpty) {
		return nil, fmt.Errorf("sheet %q: %w", w.Sheets()[i].Name, err)
	}
	return t, err
}
