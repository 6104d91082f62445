// Package xlsx reads the cells of Office Open XML workbooks (.xlsx, .xlsm)
// as text, streaming: a sheet of a million rows is read in about a second
// with memory for one row, plus the workbook's shared strings.
//
// Values are what the cells hold, exactly: shared and inline strings as
// written; numbers as their decimal digits, never in exponent form and never
// rounded by a float (41446681800, not 4.14466818E10); formulas as their
// cached value; booleans as TRUE and FALSE; errors as #N/A and the like.
// Number formats are applied only where a phone number or a date would
// otherwise be lost: a format of zeros ("0000000000") pads the digits as it
// displays them, and date and time formats give ISO 8601 text.
package xlsx

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"io"
	"path"
	"strconv"
	"strings"

	"github.com/klauspost/compress/flate"
)

// Errors for files that are not a readable workbook. Their messages say
// what the file is and what to do.
var (
	// ErrNotWorkbook is wrapped for a zip that is not an XLSX workbook
	// (an OpenDocument spreadsheet, a binary workbook, a Word document...).
	ErrNotWorkbook = errors.New("not an XLSX workbook")
	// ErrCorrupt is wrapped for a workbook whose parts cannot be read.
	ErrCorrupt = errors.New("damaged XLSX workbook")
	// ErrTooLarge is wrapped when a part is over a limit.
	ErrTooLarge = errors.New("XLSX workbook over a limit")
	// ErrNoSheet is wrapped when the sheet asked for is not there.
	ErrNoSheet = errors.New("no such sheet")
)

// Limits bound what a workbook may make the reader hold or inflate. Zero
// values take the defaults.
type Limits struct {
	// SharedStrings bounds the text of the shared strings table, which is
	// held in memory (default 512 MiB of XML).
	SharedStrings int64
	// Part bounds the inflated size of any one part, sheets included
	// (default 16 GiB: a zip bomb costs time, not memory).
	Part int64
	// Cell bounds one cell's text (default 1 MiB; Excel's limit is 32,767 characters).
	Cell int
	// Columns bounds the columns of a row (default 16,384, Excel's XFD).
	Columns int
}

func (l Limits) withDefaults() Limits {
	if l.SharedStrings <= 0 {
		l.SharedStrings = 512 << 20
	}
	if l.Part <= 0 {
		l.Part = 16 << 30
	}
	if l.Cell <= 0 {
		l.Cell = 1 << 20
	}
	l.Cell = min(l.Cell, 3<<20) // what a shared string entry can say
	if l.Columns <= 0 {
		l.Columns = 16384
	}
	return l
}

// Sheet describes one worksheet.
type Sheet struct {
	Name   string
	Hidden bool // hidden or very hidden in Excel
	part   string
}

// Workbook is an open workbook. It is not safe for concurrent use.
type Workbook struct {
	zr       *zip.Reader
	files    map[string]*zip.File // by part name, lowercased
	lim      Limits
	sheets   []Sheet
	sstPart  string
	styles   []cellStyle // by the s attribute of a cell
	date1904 bool
	shared   *sharedStrings // loaded with the first sheet read
}

// Open reads the workbook's structure: its sheets, number formats and
// relationships. The shared strings are read when a sheet is first opened.
func Open(r io.ReaderAt, size int64, lim Limits) (*Workbook, error) {
	zr, err := zip.NewReader(r, size)
	if errors.Is(err, zip.ErrInsecurePath) {
		err = nil // nothing is extracted; names are only looked up
	}
	if err != nil {
		return nil, fmt.Errorf("%w: the zip cannot be read (%v)", ErrCorrupt, err)
	}
	zr.RegisterDecompressor(zip.Deflate, func(r io.Reader) io.ReadCloser { return flate.NewReader(r) })
	w := &Workbook{zr: zr, files: make(map[string]*zip.File, len(zr.File)), lim: lim.withDefaults()}
	for _, f := range zr.File {
		name := strings.ToLower(strings.TrimPrefix(strings.ReplaceAll(f.Name, `\`, "/"), "/"))
		if _, dup := w.files[name]; !dup {
			w.files[name] = f
		}
	}
	if err := w.identify(); err != nil {
		return nil, err
	}
	return w, nil
}

// identify finds the workbook part through the package relationships and
// reads it, or says what kind of file this is instead.
func (w *Workbook) identify() error {
	if f := w.files["mimetype"]; f != nil {
		if b, err := w.readSmall(f, 256); err == nil && bytes.Contains(b, []byte("opendocument")) {
			what := "an OpenDocument file"
			if bytes.Contains(b, []byte("spreadsheet")) {
				what = "an OpenDocument spreadsheet (.ods)"
			}
			return fmt.Errorf("%w: it is %s; save it as XLSX or CSV", ErrNotWorkbook, what)
		}
	}
	main := ""
	if rels, err := w.rels("_rels/.rels", ""); err == nil {
		for _, r := range rels {
			if strings.HasSuffix(r.typ, "/officeDocument") {
				main = r.target
				break
			}
		}
	}
	if main == "" && w.files["xl/workbook.xml"] != nil {
		main = "xl/workbook.xml"
	}
	switch {
	case main == "":
		what := "a zip archive"
		switch {
		case w.files["word/document.xml"] != nil:
			what = "a Word document"
		case w.files["ppt/presentation.xml"] != nil:
			what = "a PowerPoint presentation"
		}
		return fmt.Errorf("%w: it is %s, not a spreadsheet; save the table as XLSX or CSV", ErrNotWorkbook, what)
	case strings.HasSuffix(strings.ToLower(main), ".bin"):
		return fmt.Errorf("%w: it is an Excel binary workbook (.xlsb); save it as XLSX or CSV", ErrNotWorkbook)
	case !strings.HasPrefix(strings.ToLower(main), "xl/") && w.files["word/document.xml"] != nil:
		return fmt.Errorf("%w: it is a Word document, not a spreadsheet; save the table as XLSX or CSV", ErrNotWorkbook)
	}
	return w.readWorkbook(main)
}

type rel struct{ id, typ, target string }

// rels reads a relationships part; targets are resolved against dir (the
// directory of the part they belong to).
func (w *Workbook) rels(part, dir string) ([]rel, error) {
	rc, hint, err := w.open(part)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	s := newScanner(rc, 1<<20, 64<<20, hint)
	var out []rel
	for s.next() != tokEOF {
		if s.kind != tokStart || string(s.name) != "Relationship" {
			continue
		}
		var r rel
		if v, ok := s.attr("Id"); ok {
			r.id = string(appendText(nil, v, false))
		}
		if v, ok := s.attr("Type"); ok {
			r.typ = string(appendText(nil, v, false))
		}
		if v, ok := s.attr("Target"); ok {
			r.target = resolve(dir, string(appendText(nil, v, false)))
		}
		if mode, ok := s.attr("TargetMode"); ok && string(mode) == "External" {
			continue
		}
		out = append(out, r)
	}
	if err := s.err(); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrCorrupt, part, err)
	}
	return out, nil
}

// resolve makes a relationship target a part name: absolute targets are
// from the package root, others from dir.
func resolve(dir, target string) string {
	target = strings.ReplaceAll(target, `\`, "/")
	if strings.HasPrefix(target, "/") {
		return strings.TrimPrefix(path.Clean(target), "/")
	}
	return strings.TrimPrefix(path.Clean("/"+path.Join(dir, target)), "/")
}

// readWorkbook reads the sheet list and the date system, then the
// workbook's relationships and styles.
func (w *Workbook) readWorkbook(part string) error {
	dir := path.Dir(part)
	relsPart := path.Join(dir, "_rels", path.Base(part)+".rels")
	rels, err := w.rels(relsPart, dir)
	if err != nil {
		return err
	}
	byID := map[string]rel{}
	for _, r := range rels {
		byID[r.id] = r
		switch {
		case strings.HasSuffix(r.typ, "/sharedStrings"):
			w.sstPart = r.target
		case strings.HasSuffix(r.typ, "/styles"):
			if err := w.readStyles(r.target); err != nil {
				return err
			}
		}
	}
	rc, hint, err := w.open(part)
	if err != nil {
		return err
	}
	defer rc.Close()
	s := newScanner(rc, 1<<20, 256<<20, hint)
	for s.next() != tokEOF {
		if s.kind != tokStart {
			continue
		}
		switch string(s.name) {
		case "workbookPr":
			if v, ok := s.attr("date1904"); ok {
				w.date1904 = string(v) == "1" || string(v) == "true"
			}
		case "sheet":
			var sh Sheet
			if v, ok := s.attr("name"); ok {
				sh.Name = string(appendText(nil, v, false))
			}
			if v, ok := s.attr("state"); ok {
				sh.Hidden = string(v) == "hidden" || string(v) == "veryHidden"
			}
			id, _ := s.attr("id") // r:id, by its local name
			r, ok := byID[string(id)]
			if !ok || !strings.HasSuffix(r.typ, "/worksheet") {
				continue // a chart sheet, dialog sheet or macro sheet holds no cells
			}
			sh.part = r.target
			w.sheets = append(w.sheets, sh)
		}
	}
	if err := s.err(); err != nil {
		return fmt.Errorf("%w: %s: %v", ErrCorrupt, part, err)
	}
	if len(w.sheets) == 0 {
		return fmt.Errorf("%w: it has no worksheets", ErrCorrupt)
	}
	return nil
}

// Sheets lists the worksheets in the workbook's order.
func (w *Workbook) Sheets() []Sheet { return append([]Sheet(nil), w.sheets...) }

// SheetIndex finds a sheet by name (case-insensitively, as Excel compares
// them) or, failing that, by its 1-based position. With name "" it is the
// first visible sheet.
func (w *Workbook) SheetIndex(name string) (int, error) {
	if name == "" {
		for i, sh := range w.sheets {
			if !sh.Hidden {
				return i, nil
			}
		}
		return 0, nil
	}
	for i, sh := range w.sheets {
		if strings.EqualFold(sh.Name, name) {
			return i, nil
		}
	}
	if n, err := strconv.Atoi(name); err == nil && n >= 1 && n <= len(w.sheets) {
		return n - 1, nil
	}
	names := make([]string, len(w.sheets))
	for i, sh := range w.sheets {
		names[i] = strconv.Quote(sh.Name)
	}
	return 0, fmt.Errorf("%w %q: the workbook has the sheets %s", ErrNoSheet, name, strings.Join(names, ", "))
}

// open opens a part; hint is its size as the zip declares it.
func (w *Workbook) open(part string) (rc io.ReadCloser, hint int64, err error) {
	f := w.files[strings.ToLower(part)]
	if f == nil {
		return nil, 0, fmt.Errorf("%w: %s is missing", ErrCorrupt, part)
	}
	rc, err = f.Open()
	if err != nil {
		return nil, 0, fmt.Errorf("%w: %s: %v", ErrCorrupt, part, err)
	}
	return rc, int64(min(f.UncompressedSize64, 1<<40)), nil
}

func (w *Workbook) readSmall(f *zip.File, n int64) ([]byte, error) {
	rc, err := f.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(io.LimitReader(rc, n))
}

// partError names the part in a reading error.
func partError(part string, err error) error {
	switch {
	case errors.Is(err, errTokenTooLong), errors.Is(err, errPartLimit):
		return fmt.Errorf("%w: %s: %v", ErrTooLarge, part, err)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return fmt.Errorf("%w: %s ends early (truncated?)", ErrCorrupt, part)
	case errors.Is(err, ErrTooLarge), errors.Is(err, ErrCorrupt):
		return err
	}
	return fmt.Errorf("%w: %s: %v", ErrCorrupt, part, err)
}
