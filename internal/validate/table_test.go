package validate

import (
	"context"
	"strings"
	"testing"

	"github.com/phonecheck/phonecheck/internal/input"
	"github.com/phonecheck/phonecheck/phone"
	"github.com/phonecheck/phonecheck/results"
)

type collectTable struct{ rows []results.TableRow }

func (c *collectTable) WriteRow(r *results.TableRow) error {
	c.rows = append(c.rows, results.TableRow{Values: append([]string(nil), r.Values...),
		Results: append([]phone.Result(nil), r.Results...), Details: append([]string(nil), r.Details...)})
	return nil
}

// TestRunTable checks every cell of a table of two phone columns and a
// region column in small batches on several workers: each result is what
// the engine gives the cell with the row's region, in input order.
func TestRunTable(t *testing.T) {
	var in strings.Builder
	in.WriteString("id,country,mobile,office\n")
	regions := []string{"CH", "DE", "Germany", "", "usa"}
	want := []string{"CH", "DE", "DE", "FR", "US"}
	numbers := []string{"079 123 45 67", "030 1234567", "+41 44 668 18 00", "01 42 68 53 00", "(650) 253-0000", "n/a", ""}
	n := 3000
	for i := 0; i < n; i++ {
		in.WriteString(strings.Join([]string{string(rune('a' + i%26)), regions[i%len(regions)], numbers[i%len(numbers)], numbers[(i+3)%len(numbers)]}, ","))
		in.WriteString("\n")
	}
	tab, lines, err := input.OpenText(strings.NewReader(in.String()), input.Options{Columns: []string{"mobile", "office"}, RegionColumn: "country", Region: "FR"})
	if err != nil || lines != nil {
		t.Fatal(err, lines)
	}
	var c collectTable
	sum, err := RunTable(context.Background(), tab, &c, TableOptions{Options: Options{Region: "FR", Workers: 4, BatchLines: 7}})
	if err != nil {
		t.Fatal(err)
	}
	if len(c.rows) != n || sum.Rows != int64(n) || sum.Valid+sum.Invalid != int64(2*n) || sum.Lines != n+1 {
		t.Fatalf("%d rows, summary %+v", len(c.rows), sum)
	}
	for i, r := range c.rows {
		for g, cell := range []string{numbers[i%len(numbers)], numbers[(i+3)%len(numbers)]} {
			w := phone.Check(cell, i+2, want[i%len(want)])
			if r.Results[g] != w {
				t.Fatalf("row %d column %d: %+v, want %+v", i, g, r.Results[g], w)
			}
			if (cell == "") != (r.Details[g] == "empty") {
				t.Fatalf("row %d column %d: detail %q", i, g, r.Details[g])
			}
		}
	}
}
