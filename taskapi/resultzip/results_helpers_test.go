package resultzip

import (
	"strings"
	"testing"

	"github.com/phonecheck/phonecheck/phone"
	"github.com/phonecheck/phonecheck/results"
)

// The result zips in these tests are written with our own writers.
const (
	CSV  = results.CSV
	XLSX = results.XLSX
)

func writeAll(t testing.TB, f results.Format, rows []phone.Result) []byte {
	t.Helper()
	var buf strings.Builder
	w, err := results.NewWriter(f, &buf)
	if err != nil {
		t.Fatal(err)
	}
	for i := range rows {
		if err := w.Write(&rows[i]); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return []byte(buf.String())
}
