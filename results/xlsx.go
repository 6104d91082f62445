package results

import (
	"archive/zip"
	"bufio"
	"bytes"
	"fmt"
	"hash/crc32"
	"io"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/klauspost/compress/flate"
	"github.com/phonecheck/phonecheck/phone"
)

// xlsxMaxDataRows is how many data rows one sheet takes before the writer
// continues on the next: Excel's 1,048,576 rows less the header row.
// Tests lower it.
var xlsxMaxDataRows = 1<<20 - 1

// xlsxMaxCellChars is the most a cell holds, in UTF-16 code units; longer
// values are cut (at a character boundary), as Excel and excelize do.
const xlsxMaxCellChars = 32767

// xlsxSheetName names the n-th sheet (1-based): results, results-2, ...
func xlsxSheetName(n int) string {
	if n == 1 {
		return "results"
	}
	return "results-" + strconv.Itoa(n)
}

// xlsxColWidths are column widths in characters, in phone.Header order, wide
// enough for typical values (E.164 numbers, reason names, time zones).
var xlsxColWidths = [...]float64{18, 11, 22, 9, 24, 21, 13, 8, 21, 19, 20, 26, 30}

// xlsxColNames are the result schema's columns' letters (A to M).
var xlsxColNames = func() (names []string) {
	for i := range phone.Header {
		names = append(names, xlsxColName(i))
	}
	return names
}()

// xlsxWriter writes the workbook's SpreadsheetML itself, straight into a
// streamed zip: each row is appended as XML text to a 1 MiB chunk, and full
// chunks are deflated on all cores at once (parallelDeflate), then written
// in order as one zip entry whose CRC and sizes follow the data (a data
// descriptor). Memory stays at a few chunks whatever the row count, and
// nothing is written to a temp file.
//
// Every value is an inline string cell (t="inlineStr"), so no value
// ("+41...", "0044...", Line) is ever turned into a number; empty values are
// absent cells. Cells carry no reference (r="C2") unless the cell before
// them in the row is absent: r is optional (ECMA-376 Part 1, 18.3.1.4), and
// readers (excelize, openpyxl, Excel) place a cell without one right after
// the previous cell of the row. On realistic rows that takes the sheet XML
// from 721 to 593 bytes a row, and the compressed sheet from 87 to 53.
//
// The zip holds, in this order: _rels/.rels, docProps/core.xml,
// xl/styles.xml, docProps/app.xml (fixed), the sheets as they fill, then
// xl/workbook.xml, its relationships and [Content_Types].xml, which name
// every sheet and so come last. (file(1) tells an Excel file by its third
// entry being under xl/.)
type xlsxWriter struct {
	header  []string  // the columns' names
	widths  []float64 // and widths
	lastCol string    // the last column's letters
	out     *bufio.Writer
	zw      *zip.Writer
	z       *parallelDeflate
	sheet   *zip.FileHeader // the sheet being written; nil before the first row
	cur     *deflateChunk   // the chunk being filled
	rows    []int           // data rows of each sheet started
	err     error           // first error, sticky
	closed  bool
}

// dosDate1980 is 1980-01-01, the earliest a zip entry's time can say. Every
// entry has it, so the same rows always give the same bytes.
const dosDate1980 = 1<<5 | 1

func newXLSXWriter(w io.Writer) (*xlsxWriter, error) {
	return newXLSXSheetWriter(w, phone.Header, xlsxColWidths[:])
}

// newXLSXSheetWriter writes a workbook whose sheets have these columns.
func newXLSXSheetWriter(w io.Writer, header []string, widths []float64) (*xlsxWriter, error) {
	x := &xlsxWriter{header: header, widths: widths, lastCol: xlsxColName(len(header) - 1),
		out: bufio.NewWriterSize(w, bufSize), z: newParallelDeflate()}
	x.zw = zip.NewWriter(x.out)
	for _, part := range [...]struct{ name, body string }{
		{"_rels/.rels", xlsxRootRels},
		{"docProps/core.xml", xlsxCore},
		{"xl/styles.xml", xlsxStyles},
		{"docProps/app.xml", xlsxApp},
	} {
		if err := x.writePart(part.name, []byte(part.body)); err != nil {
			return nil, fmt.Errorf("results: xlsx: %w", err)
		}
	}
	return x, nil
}

// writePart writes a small part as a whole zip entry.
func (x *xlsxWriter) writePart(name string, body []byte) error {
	var comp bytes.Buffer
	fw := flateWriters.Get().(*flate.Writer)
	fw.Reset(&comp)
	_, err := fw.Write(body)
	if err == nil {
		err = fw.Close()
	}
	fw.Reset(io.Discard)
	flateWriters.Put(fw)
	if err != nil {
		return err
	}
	fh := xlsxZipHeader(name)
	fh.CRC32 = crc32.ChecksumIEEE(body)
	fh.CompressedSize64, fh.UncompressedSize64 = uint64(comp.Len()), uint64(len(body))
	w, err := x.zw.CreateRaw(fh)
	if err == nil {
		_, err = w.Write(comp.Bytes())
	}
	return err
}

func xlsxZipHeader(name string) *zip.FileHeader {
	return &zip.FileHeader{Name: name, Method: zip.Deflate, CreatorVersion: 20, ReaderVersion: 20, ModifiedDate: dosDate1980}
}

// startSheet opens the next sheet's zip entry and begins its XML: view with
// the frozen header row, column widths, and the header row in bold.
func (x *xlsxWriter) startSheet() error {
	x.rows = append(x.rows, 0)
	n := len(x.rows)
	fh := xlsxZipHeader("xl/worksheets/sheet" + strconv.Itoa(n) + ".xml")
	fh.Flags |= 0x8 // CRC and sizes in a data descriptor after the data
	w, err := x.zw.CreateRaw(fh)
	if err != nil {
		return err
	}
	x.sheet = fh
	x.z.start(w)
	x.cur = x.z.chunk()
	x.cur.in = appendSheetStart(x.cur.in, n == 1, x.header, x.widths)
	return nil
}

// endSheet ends the sheet's XML with the autofilter over header and data and
// the range where Excel is not to flag digits stored as text, waits for the
// whole entry to be written and completes its header.
func (x *xlsxWriter) endSheet() error {
	last := strconv.Itoa(x.rows[len(x.rows)-1] + 1)
	b := append(x.cur.in, `</sheetData><autoFilter ref="A1:`...)
	b = append(b, x.lastCol...)
	b = append(b, last...)
	b = append(b, `"/><ignoredErrors><ignoredError sqref="A1:`...)
	b = append(b, x.lastCol...)
	b = append(b, last...)
	b = append(b, `" numberStoredAsText="1"/></ignoredErrors></worksheet>`...)
	x.cur.in = b
	c := x.cur
	x.cur = nil
	if err := x.z.submit(c, true); err != nil {
		return err
	}
	// The data descriptor is written from these fields when the next entry
	// is created or the zip closed; the central directory too. This is what
	// zip.Writer does for an entry it compresses itself.
	fh := x.sheet
	crc, in, out := x.z.sums()
	fh.CRC32, fh.UncompressedSize64, fh.CompressedSize64 = crc, uint64(in), uint64(out)
	if in >= 1<<32-1 || out >= 1<<32-1 {
		fh.UncompressedSize, fh.CompressedSize = 1<<32-1, 1<<32-1
		fh.ReaderVersion = 45 // zip64
	} else {
		fh.UncompressedSize, fh.CompressedSize = uint32(in), uint32(out)
	}
	x.sheet = nil
	return nil
}

func (x *xlsxWriter) Write(r *phone.Result) error {
	return x.writeRow(func(b []byte, row int) []byte {
		prev := -1 // the column of the last cell written
		b = appendCell(b, 0, row, &prev, r.Number)
		b = appendCell(b, 1, row, &prev, r.PhoneCheck)
		b = appendCell(b, 2, row, &prev, r.Input)
		b = appendCellStart(b, 3, row, &prev, false)
		b = strconv.AppendInt(b, int64(r.Line), 10)
		b = append(b, xlsxCellEnd...)
		for i, s := range [...]string{r.Reason, r.Type, r.CountryCode, r.Region,
			r.International, r.National, r.Carrier, r.Location, r.TimeZones} {
			b = appendCell(b, 4+i, row, &prev, s)
		}
		return b
	})
}

// writeRow adds one row, its cells appended by cells (given the row's
// number), starting a new sheet when one is full.
func (x *xlsxWriter) writeRow(cells func(b []byte, row int) []byte) error {
	if x.closed {
		return errClosed
	}
	if x.err != nil {
		return x.err
	}
	if x.sheet == nil || x.rows[len(x.rows)-1] == xlsxMaxDataRows {
		if x.sheet != nil {
			if err := x.endSheet(); err != nil {
				return x.fail(err)
			}
		}
		if err := x.startSheet(); err != nil {
			return x.fail(err)
		}
	}
	x.rows[len(x.rows)-1]++
	row := x.rows[len(x.rows)-1] + 1
	b := append(x.cur.in, `<row r="`...)
	b = strconv.AppendInt(b, int64(row), 10)
	b = append(b, `">`...)
	b = cells(b, row)
	x.cur.in = append(b, `</row>`...)
	if len(x.cur.in) >= deflateChunkSize {
		c := x.cur
		x.cur = nil
		if err := x.z.submit(c, false); err != nil {
			return x.fail(err)
		}
		x.cur = x.z.chunk()
	}
	return nil
}

const xlsxCellEnd = `</t></is></c>`

// appendCellStart appends a cell's start tag and the inline string's up to
// the text, with the cell's reference when the previous cell written in the
// row is not the one just before (*prev is the column of that cell; it
// becomes col).
func appendCellStart(b []byte, col, row int, prev *int, preserve bool) []byte {
	b = append(b, `<c`...)
	if col != *prev+1 {
		b = append(b, ` r="`...)
		b = appendColName(b, col)
		b = strconv.AppendInt(b, int64(row), 10)
		b = append(b, '"')
	}
	*prev = col
	if preserve {
		return append(b, ` t="inlineStr"><is><t xml:space="preserve">`...)
	}
	return append(b, ` t="inlineStr"><is><t>`...)
}

// appendCell appends a string cell, or nothing for an empty value.
func appendCell(b []byte, col, row int, prev *int, s string) []byte {
	if s == "" {
		return b
	}
	if len(s) > xlsxMaxCellChars { // a UTF-16 code unit takes at least a byte
		s = truncateUTF16(s, xlsxMaxCellChars)
	}
	// Without xml:space="preserve" readers may drop white space around the text.
	preserve := isXMLSpace(s[0]) || isXMLSpace(s[len(s)-1])
	b = appendCellStart(b, col, row, prev, preserve)
	b = appendXMLText(b, s)
	return append(b, xlsxCellEnd...)
}

func isXMLSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// truncateUTF16 cuts s to at most n UTF-16 code units, at a character
// boundary (a byte of invalid UTF-8 counts as one, as it becomes U+FFFD).
func truncateUTF16(s string, n int) string {
	units := 0
	for i, r := range s {
		if units += utf16.RuneLen(r); units > n {
			return s[:i]
		}
	}
	return s
}

// xmlTextSpecial marks the bytes appendXMLText cannot copy as they are:
// markup, CR (which XML readers turn into LF), control characters (which
// XML 1.0 cannot hold at all), '_' (which may start an _xHHHH_ escape) and
// every non-ASCII byte (checked as UTF-8).
var xmlTextSpecial = func() (t [256]bool) {
	for c := range 0x20 {
		t[c] = c != '\t' && c != '\n'
	}
	t['<'], t['>'], t['&'], t['_'] = true, true, true, true
	for c := 0x80; c < 0x100; c++ {
		t[c] = true
	}
	return t
}()

// appendXMLText appends s as the text of a <t> element. Characters XML 1.0
// cannot hold (control characters but tab, LF and CR; U+FFFE, U+FFFF) and
// bytes of invalid UTF-8 become U+FFFD, as encoding/xml's EscapeText and so
// excelize make them. An "_xHHHH_" in the value gets its underscore escaped
// as _x005F_, since readers of SpreadsheetML decode _xHHHH_ as the character
// U+HHHH (ECMA-376 Part 1, 22.9.2.19 ST_Xstring).
func appendXMLText(b []byte, s string) []byte {
	start := 0 // s[start:i] is still to copy
	for i := 0; i < len(s); {
		c := s[i]
		if !xmlTextSpecial[c] {
			i++
			continue
		}
		var esc string
		width := 1
		switch {
		case c == '_':
			if !isXMLEscape(s[i:]) {
				i++
				continue
			}
			esc = "_x005F_"
		case c == '<':
			esc = "&lt;"
		case c == '>':
			esc = "&gt;"
		case c == '&':
			esc = "&amp;"
		case c == '\r':
			esc = "&#xD;"
		case c < 0x80:
			esc = "\uFFFD"
		default:
			r, n := utf8.DecodeRuneInString(s[i:])
			if r != utf8.RuneError && r != 0xFFFE && r != 0xFFFF || n > 1 && r == utf8.RuneError {
				i += n // U+FFFD itself is fine
				continue
			}
			esc, width = "\uFFFD", n
		}
		b = append(b, s[start:i]...)
		b = append(b, esc...)
		i += width
		start = i
	}
	return append(b, s[start:]...)
}

// isXMLEscape reports whether s starts with _xHHHH_ (H a hex digit).
func isXMLEscape(s string) bool {
	if len(s) < 7 || s[1] != 'x' || s[6] != '_' {
		return false
	}
	for _, c := range []byte(s[2:6]) {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

// appendColName appends a column's letters, from the table for the result
// schema's columns.
func appendColName(b []byte, col int) []byte {
	if col < len(xlsxColNames) {
		return append(b, xlsxColNames[col]...)
	}
	return append(b, xlsxColName(col)...)
}

// xlsxColName is the letter name of a 0-based column: A, ..., Z, AA, ...
func xlsxColName(col int) string {
	name := ""
	for col++; col > 0; col = (col - 1) / 26 {
		name = string(rune('A'+(col-1)%26)) + name
	}
	return name
}

func (x *xlsxWriter) fail(err error) error {
	x.err = fmt.Errorf("results: xlsx: %w", err)
	return x.err
}

// Close ends the last sheet, writes the parts that name the sheets and the
// zip's central directory, and flushes.
func (x *xlsxWriter) Close() error {
	if x.closed {
		return errClosed
	}
	x.closed = true
	if x.err != nil {
		x.z.wait()
		return x.err
	}
	if x.sheet == nil { // no rows: a sheet with the header only
		if err := x.startSheet(); err != nil {
			return x.fail(err)
		}
	}
	if err := x.endSheet(); err != nil {
		x.z.wait()
		return x.fail(err)
	}
	err := x.writePart("xl/workbook.xml", xlsxWorkbook(x.rows, x.lastCol))
	if err == nil {
		err = x.writePart("xl/_rels/workbook.xml.rels", xlsxWorkbookRels(len(x.rows)))
	}
	if err == nil {
		err = x.writePart("[Content_Types].xml", xlsxContentTypes(len(x.rows)))
	}
	if err == nil {
		err = x.zw.Close()
	}
	if err == nil {
		err = x.out.Flush()
	}
	if err != nil {
		return x.fail(err)
	}
	return nil
}

// abort discards the workbook: it waits for the chunks being compressed and
// writes nothing more.
func (x *xlsxWriter) abort() {
	if !x.closed {
		x.closed = true
		x.z.wait()
	}
}

// --- the parts ---

const xmlHeader = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n"

const (
	nsMain   = `http://schemas.openxmlformats.org/spreadsheetml/2006/main`
	nsRel    = `http://schemas.openxmlformats.org/officeDocument/2006/relationships`
	nsPkgRel = `http://schemas.openxmlformats.org/package/2006/relationships`
)

const xlsxRootRels = xmlHeader + `<Relationships xmlns="` + nsPkgRel + `">` +
	`<Relationship Id="rId1" Type="` + nsRel + `/officeDocument" Target="xl/workbook.xml"/>` +
	`<Relationship Id="rId2" Type="` + nsPkgRel + `/metadata/core-properties" Target="docProps/core.xml"/>` +
	`<Relationship Id="rId3" Type="` + nsRel + `/extended-properties" Target="docProps/app.xml"/>` +
	`</Relationships>`

const xlsxCore = xmlHeader + `<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties"` +
	` xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/"` +
	` xmlns:dcmitype="http://purl.org/dc/dcmitype/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">` +
	`<dc:title>phoneCheck results</dc:title><dc:creator>phonecheck</dc:creator></cp:coreProperties>`

const xlsxApp = xmlHeader + `<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties"` +
	` xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"><Application>phonecheck</Application></Properties>`

// xlsxStyles has the minimal style sheet Excel accepts (two fills are
// required), with cell format 1 for the bold header.
const xlsxStyles = xmlHeader + `<styleSheet xmlns="` + nsMain + `">` +
	`<fonts count="2"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font>` +
	`<font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>` +
	`<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills>` +
	`<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>` +
	`<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>` +
	`<cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>` +
	`<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/></cellXfs>` +
	`<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>` +
	`</styleSheet>`

// appendSheetStart appends a sheet's XML up to and including the header row.
func appendSheetStart(b []byte, first bool, header []string, widths []float64) []byte {
	b = append(b, xmlHeader+`<worksheet xmlns="`+nsMain+`" xmlns:r="`+nsRel+`"><sheetViews><sheetView`...)
	if first {
		b = append(b, ` tabSelected="1"`...)
	}
	b = append(b, ` workbookViewId="0"><pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>`+
		`<selection pane="bottomLeft" activeCell="A2" sqref="A2"/></sheetView></sheetViews>`+
		`<sheetFormatPr defaultRowHeight="15"/><cols>`...)
	for i, w := range widths {
		b = append(b, `<col min="`...)
		b = strconv.AppendInt(b, int64(i+1), 10)
		b = append(b, `" max="`...)
		b = strconv.AppendInt(b, int64(i+1), 10)
		b = append(b, `" width="`...)
		b = strconv.AppendFloat(b, w, 'f', -1, 64)
		b = append(b, `" customWidth="1"/>`...)
	}
	b = append(b, `</cols><sheetData><row r="1" s="1" customFormat="1">`...)
	for _, name := range header {
		if len(name) > xlsxMaxCellChars {
			name = truncateUTF16(name, xlsxMaxCellChars)
		}
		b = append(b, `<c s="1" t="inlineStr"><is><t`...)
		if name != "" && (isXMLSpace(name[0]) || isXMLSpace(name[len(name)-1])) {
			b = append(b, ` xml:space="preserve"`...)
		}
		b = append(b, '>')
		b = appendXMLText(b, name)
		b = append(b, xlsxCellEnd...)
	}
	return append(b, `</row>`...)
}

// xlsxWorkbook lists the sheets, with the autofilter range of each as the
// hidden name Excel keeps it under.
func xlsxWorkbook(rows []int, lastCol string) []byte {
	b := []byte(xmlHeader + `<workbook xmlns="` + nsMain + `" xmlns:r="` + nsRel + `">` +
		`<bookViews><workbookView xWindow="0" yWindow="0" windowWidth="14805" windowHeight="8010"/></bookViews><sheets>`)
	for i := range rows {
		n := strconv.Itoa(i + 1)
		b = append(b, `<sheet name="`+xlsxSheetName(i+1)+`" sheetId="`+n+`" r:id="rId`+n+`"/>`...)
	}
	b = append(b, `</sheets><definedNames>`...)
	for i, n := range rows {
		b = append(b, `<definedName name="_xlnm._FilterDatabase" localSheetId="`+strconv.Itoa(i)+`" hidden="1">'`+
			xlsxSheetName(i+1)+`'!$A$1:$`+lastCol+`$`+strconv.Itoa(n+1)+`</definedName>`...)
	}
	return append(b, `</definedNames></workbook>`...)
}

func xlsxWorkbookRels(sheets int) []byte {
	b := []byte(xmlHeader + `<Relationships xmlns="` + nsPkgRel + `">`)
	for i := 1; i <= sheets; i++ {
		n := strconv.Itoa(i)
		b = append(b, `<Relationship Id="rId`+n+`" Type="`+nsRel+`/worksheet" Target="worksheets/sheet`+n+`.xml"/>`...)
	}
	b = append(b, `<Relationship Id="rId`+strconv.Itoa(sheets+1)+`" Type="`+nsRel+`/styles" Target="styles.xml"/>`...)
	return append(b, `</Relationships>`...)
}

func xlsxContentTypes(sheets int) []byte {
	const ct = `application/vnd.openxmlformats-`
	b := []byte(xmlHeader + `<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">` +
		`<Default Extension="rels" ContentType="` + ct + `package.relationships+xml"/>` +
		`<Default Extension="xml" ContentType="application/xml"/>` +
		`<Override PartName="/xl/workbook.xml" ContentType="` + ct + `officedocument.spreadsheetml.sheet.main+xml"/>` +
		`<Override PartName="/xl/styles.xml" ContentType="` + ct + `officedocument.spreadsheetml.styles+xml"/>` +
		`<Override PartName="/docProps/core.xml" ContentType="` + ct + `package.core-properties+xml"/>` +
		`<Override PartName="/docProps/app.xml" ContentType="` + ct + `officedocument.extended-properties+xml"/>`)
	for i := 1; i <= sheets; i++ {
		b = append(b, `<Override PartName="/xl/worksheets/sheet`+strconv.Itoa(i)+`.xml" ContentType="`+ct+
			`officedocument.spreadsheetml.worksheet+xml"/>`...)
	}
	return append(b, `</Types>`...)
}
