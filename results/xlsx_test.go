package results

import (
	"archive/zip"
	"bytes"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/phonecheck/phonecheck/phone"
	"github.com/xuri/excelize/v2"
)

var (
	cellRe   = regexp.MustCompile(`<c [^>]*>`)
	filterRe = regexp.MustCompile(`<autoFilter ref="([^"]*)"`)
)

// checkSheet checks one sheet of a workbook written by xlsxWriter: header,
// rows (Line as the first-column label), string cells, frozen header,
// autofilter and widths.
func checkSheet(t *testing.T, f *excelize.File, raw map[string][]byte, sheet string, want []phone.Result) {
	t.Helper()
	got, err := f.GetRows(sheet, excelize.Options{RawCellValue: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want)+1 {
		t.Fatalf("%s: %d rows, want %d", sheet, len(got), len(want)+1)
	}
	if !slices.Equal(got[0], phone.Header) {
		t.Errorf("%s: header %q", sheet, got[0])
	}
	for i := range want {
		w := want[i].Record(nil)
		for j := range w {
			w[j] = xlsxText(w[j])
		}
		w = slices.Clip(w)
		for len(got[i+1]) < len(w) {
			got[i+1] = append(got[i+1], "") // GetRows drops trailing empty cells
		}
		if !slices.Equal(got[i+1], w) {
			t.Errorf("%s row %d:\n got %q\nwant %q", sheet, i+2, got[i+1], w)
		}
	}

	// Every cell written is an inline string; none is a number or shared formula.
	idx, _ := f.GetSheetIndex(sheet)
	xml := raw[fmt.Sprintf("xl/worksheets/sheet%d.xml", idx+1)]
	cells := cellRe.FindAll(xml, -1)
	if len(cells) == 0 {
		t.Fatalf("%s: no cells in the sheet XML", sheet)
	}
	for _, c := range cells {
		if !bytes.Contains(c, []byte(`t="inlineStr"`)) {
			t.Fatalf("%s: cell %s is not an inline string", sheet, c)
		}
	}
	for r := 1; r <= len(want)+1; r++ {
		for c := 1; c <= len(phone.Header); c++ {
			ref, _ := excelize.CoordinatesToCellName(c, r)
			typ, _ := f.GetCellType(sheet, ref)
			if v, _ := f.GetCellValue(sheet, ref); v != "" && typ != excelize.CellTypeInlineString {
				t.Fatalf("%s!%s: type %v", sheet, ref, typ)
			}
		}
	}

	panes, err := f.GetPanes(sheet)
	if err != nil || !panes.Freeze || panes.YSplit != 1 || panes.XSplit != 0 || panes.TopLeftCell != "A2" {
		t.Errorf("%s: panes %+v, %v; want the header row frozen", sheet, panes, err)
	}
	wantRef := fmt.Sprintf("A1:M%d", len(want)+1)
	// excelize writes the range with absolute references ($A$1:$M$n).
	if m := filterRe.FindSubmatch(xml); m == nil || strings.ReplaceAll(string(m[1]), "$", "") != wantRef {
		t.Errorf("%s: autofilter %q, want %s", sheet, m, wantRef)
	}
	styleID, _ := f.GetCellStyle(sheet, "D1")
	if style, err := f.GetStyle(styleID); err != nil || style.Font == nil || !style.Font.Bold {
		t.Errorf("%s: header not bold", sheet)
	}
	if w, _ := f.GetColWidth(sheet, "A"); w < 15 {
		t.Errorf("%s: column A width %v", sheet, w)
	}
}

// openXLSX opens a workbook and also returns its raw parts.
func openXLSX(t *testing.T, data []byte) (*excelize.File, map[string][]byte) {
	t.Helper()
	f, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = f.Close() })
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	raw := map[string][]byte{}
	for _, zf := range zr.File {
		rc, _ := zf.Open()
		raw[zf.Name], _ = io.ReadAll(rc)
		_ = rc.Close()
	}
	return f, raw
}

func TestXLSXRoundTrip(t *testing.T) {
	rows := sampleRows()
	f, raw := openXLSX(t, writeAll(t, XLSX, rows))
	if got := f.GetSheetList(); !slices.Equal(got, []string{"results"}) {
		t.Fatalf("sheets %q", got)
	}
	checkSheet(t, f, raw, "results", rows)
	names := f.GetDefinedName()
	if len(names) != 1 || names[0].Name != "_xlnm._FilterDatabase" || names[0].RefersTo != "'results'!$A$1:$M$"+fmt.Sprint(len(rows)+1) {
		t.Errorf("defined names %+v", names)
	}
	// The cells that look like numbers are still text.
	for _, v := range []string{"+41446681800", "0044 20 7946 0958", "00123", "1e5", "TRUE"} {
		if !bytes.Contains(raw["xl/worksheets/sheet1.xml"], []byte("<t>"+v+"</t>")) {
			t.Errorf("%q not stored as an inline string", v)
		}
	}
}

func TestXLSXHeaderOnly(t *testing.T) {
	f, raw := openXLSX(t, writeAll(t, XLSX, nil))
	checkSheet(t, f, raw, "results", nil)
}

func TestXLSXSheetSplit(t *testing.T) {
	defer func(n int) { xlsxMaxDataRows = n }(xlsxMaxDataRows)
	xlsxMaxDataRows = 3
	rows := benchRows()
	for _, tc := range []struct {
		n      int
		sheets []string
	}{
		{3, []string{"results"}}, // exactly full: no empty extra sheet
		{4, []string{"results", "results-2"}},
		{8, []string{"results", "results-2", "results-3"}},
	} {
		t.Run(fmt.Sprint(tc.n), func(t *testing.T) {
			f, raw := openXLSX(t, writeAll(t, XLSX, rows[:tc.n]))
			if got := f.GetSheetList(); !slices.Equal(got, tc.sheets) {
				t.Fatalf("sheets %q, want %q", got, tc.sheets)
			}
			for i, sheet := range tc.sheets {
				checkSheet(t, f, raw, sheet, rows[3*i:min(3*i+3, tc.n)])
			}
			if len(f.GetDefinedName()) != len(tc.sheets) {
				t.Errorf("defined names %+v", f.GetDefinedName())
			}
		})
	}
}
