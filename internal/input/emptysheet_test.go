package input

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

// An empty sheet and a sheet of a header alone are errors that say so, not
// an output without rows.
func TestEmptySheets(t *testing.T) {
	for _, c := range []struct {
		name  string
		cells map[string]string
		want  string
	}{
		{"empty", nil, ""},
		{"header only", map[string]string{"A1": "name", "B1": "phone"}, "a header (line 1) and no rows"},
	} {
		f := excelize.NewFile()
		for cell, v := range c.cells {
			f.SetCellStr("Sheet1", cell, v)
		}
		var b bytes.Buffer
		if err := f.Write(&b); err != nil {
			t.Fatal(err)
		}
		f.Close()
		in, err := Open(bytes.NewReader(b.Bytes()), Options{}, t.TempDir())
		if err == nil {
			in.Close()
			t.Errorf("%s: opened", c.name)
			continue
		}
		if !errors.Is(err, ErrEmpty) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want ErrEmpty saying %q", c.name, err, c.want)
		}
	}
}
