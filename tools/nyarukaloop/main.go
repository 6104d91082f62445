// Command nyarukaloop is the whole-process baseline of phonecheck validate:
// the plain single-threaded loop of nyaruka/phonenumbers calls, from a file
// to CSV on standard output.
//
//	go run ./tools/nyarukaloop -region CH numbers.txt > out.csv
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/phonecheck/phonecheck/internal/nyarukaloop"
)

func main() {
	region := flag.String("region", "CH", "default region")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: nyarukaloop [-region XX] FILE")
		os.Exit(2)
	}
	f, err := os.Open(flag.Arg(0))
	if err == nil {
		err = nyarukaloop.Validate(f, os.Stdout, *region)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "nyarukaloop:", err)
		os.Exit(1)
	}
}
