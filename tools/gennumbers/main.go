// Command gennumbers writes a realistic number file for benchmarks:
//
//	go run ./tools/gennumbers -n 1000000 > numbers.txt
//	go run ./tools/gennumbers -n 1000000 -format csv > contacts.csv
//	go run ./tools/gennumbers -n 1000000 -format xlsx > contacts.xlsx
//
// National-format lines are meant for --region CH. The csv and xlsx forms
// are contact exports of six columns with the number in one of them.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"os"

	"github.com/phonecheck/phonecheck/internal/corpus"
)

func main() {
	n := flag.Int("n", 1_000_000, "number of lines (rows for csv and xlsx)")
	seed := flag.Uint64("seed", 1, "random seed (the same seed gives the same file)")
	format := flag.String("format", "lines", "lines (one number per line), csv or xlsx")
	flag.Parse()
	g := corpus.New(*seed)
	w := bufio.NewWriterSize(os.Stdout, 1<<20)
	var err error
	switch *format {
	case "lines":
		err = g.Write(w, *n)
	case "csv":
		err = g.WriteCSV(w, *n)
	case "xlsx":
		err = g.WriteXLSX(w, *n)
	default:
		err = fmt.Errorf("-format %q: want lines, csv or xlsx", *format)
	}
	if err == nil {
		err = w.Flush()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "gennumbers:", err)
		os.Exit(1)
	}
}
