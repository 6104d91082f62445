package results

import (
	"archive/zip"
	"bufio"
	"compress/flate"
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/phonecheck/phonecheck/phone"
	"github.com/xuri/excelize/v2"
)

// excelizeDeflateLevel is the zip compression level the excelize writer used.
// Measured on 1M typical rows (about 700 MB of sheet XML), zipping took 1.6 s
// for 77 MB at level 1, 1.8 s for 71 MB at 2, 3.0 s for 64 MB at 3, 4.6 s for
// 57 MB at 5 and 7.6 s for 57 MB at the default 6, next to about 6 s for
// writing the rows.
const excelizeDeflateLevel = 2

// excelizeXLSXWriter is the XLSX writer as it was before xlsxWriter wrote
// SpreadsheetML itself, kept as the baseline of the benchmarks and as a second
// opinion in the tests. It streams rows into sheets with excelize's StreamWriter, which
// keeps each sheet's XML in memory up to 16 MiB and then spills it to a temp
// file (removed when the writer is closed). Every value is written as a Go
// string, which excelize stores as an inline string cell (t="inlineStr"), so
// no value ("+41...", "0044...", Line) is ever turned into a number; empty
// values are left as absent cells rather than empty strings.
type excelizeXLSXWriter struct {
	out    *bufio.Writer
	f      *excelize.File
	sw     *excelize.StreamWriter
	sheets int   // sheets started
	rows   int   // data rows in the current sheet
	bold   int   // style of the header row
	vals   []any // the row being written, reused
	err    error // first error, sticky
	closed bool
}

func newExcelizeXLSXWriter(w io.Writer) (*excelizeXLSXWriter, error) {
	x := &excelizeXLSXWriter{out: bufio.NewWriterSize(w, bufSize), f: excelize.NewFile()}
	err := x.f.SetSheetName(x.f.GetSheetName(0), xlsxSheetName(1))
	if err == nil {
		err = x.f.SetDocProps(&excelize.DocProperties{Creator: "phonecheck", Title: "phoneCheck results"})
	}
	if err == nil {
		x.bold, err = x.f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	}
	if err == nil {
		err = x.startSheet()
	}
	if err != nil {
		_ = x.f.Close()
		return nil, fmt.Errorf("results: xlsx: %w", err)
	}
	return x, nil
}

// startSheet opens the next sheet: column widths, a frozen header row, and
// the header (StreamWriter needs widths and panes before the first row).
func (x *excelizeXLSXWriter) startSheet() error {
	x.sheets++
	name := xlsxSheetName(x.sheets)
	if x.sheets > 1 {
		if _, err := x.f.NewSheet(name); err != nil {
			return err
		}
	}
	sw, err := x.f.NewStreamWriter(name)
	if err != nil {
		return err
	}
	for i, width := range xlsxColWidths {
		if err := sw.SetColWidth(i+1, i+1, width); err != nil {
			return err
		}
	}
	err = sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft",
		Selection: []excelize.Selection{{SQRef: "A2", ActiveCell: "A2", Pane: "bottomLeft"}}})
	if err != nil {
		return err
	}
	x.vals = x.vals[:0]
	for _, name := range phone.Header {
		x.vals = append(x.vals, name)
	}
	if err := sw.SetRow("A1", x.vals, excelize.RowOpts{StyleID: x.bold}); err != nil {
		return err
	}
	x.sw, x.rows = sw, 0
	return nil
}

// endSheet adds the autofilter over header and data, marks the range so Excel
// does not flag digits stored as text, and flushes the sheet's XML.
func (x *excelizeXLSXWriter) endSheet() error {
	name := xlsxSheetName(x.sheets)
	last, err := excelize.CoordinatesToCellName(len(phone.Header), x.rows+1)
	if err != nil {
		return err
	}
	if err := x.f.AutoFilter(name, "A1:"+last, nil); err != nil {
		return err
	}
	if err := x.f.AddIgnoredErrors(name, "A1:"+last, excelize.IgnoredErrorsNumberStoredAsText); err != nil {
		return err
	}
	return x.sw.Flush()
}

func (x *excelizeXLSXWriter) Write(r *phone.Result) error {
	if x.closed {
		return errClosed
	}
	if x.err != nil {
		return x.err
	}
	if x.rows == xlsxMaxDataRows {
		if err := x.endSheet(); err != nil {
			return x.fail(err)
		}
		if err := x.startSheet(); err != nil {
			return x.fail(err)
		}
	}
	x.vals = x.vals[:0]
	for _, s := range [...]string{r.Number, r.PhoneCheck, r.Input, strconv.Itoa(r.Line), r.Reason, r.Type,
		r.CountryCode, r.Region, r.International, r.National, r.Carrier, r.Location, r.TimeZones} {
		if s == "" {
			x.vals = append(x.vals, nil) // no cell at all, rather than an empty string
		} else {
			x.vals = append(x.vals, s)
		}
	}
	x.rows++
	if err := x.sw.SetRow("A"+strconv.Itoa(x.rows+1), x.vals); err != nil {
		return x.fail(err)
	}
	return nil
}

func (x *excelizeXLSXWriter) fail(err error) error {
	x.err = fmt.Errorf("results: xlsx: %w", err)
	return x.err
}

// Close writes the workbook. excelize's File.Write builds the whole zip in a
// bytes.Buffer; handing it a zip writer over our output instead streams the
// zip (and keeps memory flat however many rows there are).
func (x *excelizeXLSXWriter) Close() error {
	if x.closed {
		return errClosed
	}
	x.closed = true
	defer x.f.Close() // removes the spilled sheet data
	if x.err != nil {
		return x.err
	}
	if err := x.endSheet(); err != nil {
		return x.fail(err)
	}
	x.f.SetZipWriter(func(io.Writer) excelize.ZipWriter {
		zw := zip.NewWriter(x.out)
		zw.RegisterCompressor(zip.Deflate, func(w io.Writer) (io.WriteCloser, error) {
			return flate.NewWriter(w, excelizeDeflateLevel)
		})
		return zw
	})
	var stray excelizeCountWriter
	if err := x.f.Write(&stray); err != nil {
		return x.fail(err)
	}
	if stray > 0 { // would mean excelize wrote the zip elsewhere than our zip writer
		return x.fail(errors.New("workbook not written through the zip writer"))
	}
	if err := x.out.Flush(); err != nil {
		return x.fail(err)
	}
	return nil
}

// abort discards the workbook and its temp files without writing anything.
func (x *excelizeXLSXWriter) abort() {
	if !x.closed {
		x.closed = true
		_ = x.f.Close()
	}
}

type excelizeCountWriter int64

func (c *excelizeCountWriter) Write(p []byte) (int, error) {
	*c += excelizeCountWriter(len(p))
	return len(p), nil
}
