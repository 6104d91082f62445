// Command gennumbers writes a realistic number file for benchmarks:
//
//	go run ./tools/gennumbers -n 1000000 > numbers.txt
//
// National-format lines are meant for --region CH.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/phonecheck/phonecheck/internal/corpus"
)

func main() {
	n := flag.Int("n", 1_000_000, "number of lines")
	seed := flag.Uint64("seed", 1, "random seed (the same seed gives the same file)")
	flag.Parse()
	if err := corpus.New(*seed).Write(os.Stdout, *n); err != nil {
		fmt.Fprintln(os.Stderr, "gennumbers:", err)
		os.Exit(1)
	}
}
