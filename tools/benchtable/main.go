// Command benchtable turns `go test -bench` output into the Markdown table
// the README keeps: one row per benchmark, its baselines (sub-benchmarks
// and Baseline benchmarks of the same run) beside it.
//
//	make bench        # runs every benchmark and prints the table
//	go run ./tools/benchtable < bench.out
package main

import (
	"bufio"
	"fmt"
	"os"
	"strings"
)

func main() {
	type row struct{ pkg, name, figures string }
	var rows []row
	pkg := ""
	sc := bufio.NewScanner(os.Stdin)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if p, ok := strings.CutPrefix(line, "pkg: "); ok {
			pkg = strings.TrimPrefix(p, "github.com/phonecheck/phonecheck/")
			continue
		}
		f := strings.Fields(line)
		if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") {
			continue
		}
		name := strings.TrimPrefix(f[0], "Benchmark")
		if i := strings.LastIndexByte(name, '-'); i > 0 && strings.Trim(name[i+1:], "0123456789") == "" { // the -GOMAXPROCS suffix
			name = name[:i]
		}
		var figs []string
		for i := 2; i+1 < len(f); i += 2 {
			figs = append(figs, f[i]+" "+f[i+1])
		}
		rows = append(rows, row{pkg, name, strings.Join(figs, ", ")})
	}
	if err := sc.Err(); err != nil {
		fmt.Fprintln(os.Stderr, "benchtable:", err)
		os.Exit(1)
	}
	fmt.Println("| package | benchmark | figures |")
	fmt.Println("|---|---|---|")
	for _, r := range rows {
		fmt.Printf("| %s | %s | %s |\n", r.pkg, r.name, r.figures)
	}
}
