package xlsx

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
)

// TestSheetOverAMillionRows: Excel stops at 1,048,576 rows, other writers
// do not; a longer sheet is read to its end, no row lost or cut, and the
// numbers written as numeric cells come back as their digits.
func TestSheetOverAMillionRows(t *testing.T) {
	if testing.Short() {
		t.Skip("reads a 1.1M-row sheet")
	}
	const n = 1_100_000
	var sheet strings.Builder
	sheet.Grow(n * 40)
	sheet.WriteString(sheetHead)
	for r := 1; r <= n; r++ {
		fmt.Fprintf(&sheet, `<row r="%d"><c r="A%d"><v>41791%06d</v></c></row>`, r, r, r)
	}
	sheet.WriteString(sheetTail)
	data := book(t, map[string]string{"xl/worksheets/sheet1.xml": sheet.String()})
	w, err := Open(bytes.NewReader(data), int64(len(data)), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	rows, err := w.Rows(0)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	count, last, lastValue := 0, 0, ""
	for rows.Next() {
		count++
		last = rows.Row()
		if v := rows.Values(); len(v) > 0 {
			lastValue = v[0]
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprintf("41791%06d", n); count != n || last != n || lastValue != want {
		t.Errorf("read %d rows, the last numbered %d holding %q; want %d rows, the last %q", count, last, lastValue, n, want)
	}
}
