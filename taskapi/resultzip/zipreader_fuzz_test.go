package resultzip

import (
	"errors"
	"io"
	"testing"

	"github.com/phonecheck/phonecheck/phone"
)

// FuzzOpenZip: any bytes either open as a table whose rows all have a
// Number and a valid/invalid verdict, or fail with one of the package's
// error kinds; never a panic, and small limits keep each run short. The
// seed corpus in testdata/fuzz/FuzzOpenZip holds CSV, TXT, UTF-16 and XLSX
// zips and broken ones.
func FuzzOpenZip(f *testing.F) {
	f.Add(makeZip(f, entry{"r.csv", "Number,phoneCheck\n+41446681800,valid\n"}))
	kinds := []error{ErrNotZip, ErrUnsafeZip, ErrZipLimit, ErrNoTable, ErrEmptyTable, ErrBadRow}
	hasKind := func(err error) bool {
		for _, k := range kinds {
			if errors.Is(err, k) {
				return true
			}
		}
		return false
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		limits := ZipLimits{MaxEntries: 50, MaxTotalSize: 4 << 20, MaxXLSXSize: 1 << 20, MaxLineLength: 4 << 10}
		tab, err := readZipBytes(data, ZipOptions{TaskID: "t-1", Limits: limits})
		if err != nil {
			if !hasKind(err) {
				t.Fatalf("error of no kind: %v", err)
			}
			return
		}
		defer tab.Close()
		for r, err := range tab.All() {
			if err != nil {
				if !hasKind(err) {
					t.Fatalf("row error of no kind: %v", err)
				}
				break
			}
			if r.Number == "" || (r.PhoneCheck != phone.Valid && r.PhoneCheck != phone.Invalid) {
				t.Fatalf("row %d: %+v", r.N, r)
			}
		}
		if _, err := tab.Next(); err != io.EOF && !hasKind(err) {
			t.Fatalf("after the end: %v", err)
		}
	})
}
