// Command phonecheck validates phone number files and runs the durable
// validation pipeline. See README.md.
package main

import (
	"fmt"
	"os"
	"runtime/pprof"

	"github.com/phonecheck/phonecheck/cmd/phonecheck/internal/cli"
)

func main() {
	os.Exit(run())
}

// run is the command; PHONECHECK_CPUPROFILE=FILE writes a CPU profile of
// it there (for go tool pprof), up's included when it stops.
func run() int {
	if path := os.Getenv("PHONECHECK_CPUPROFILE"); path != "" {
		f, err := os.Create(path)
		if err == nil {
			err = pprof.StartCPUProfile(f)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "phonecheck: PHONECHECK_CPUPROFILE:", err)
			return 1
		}
		defer f.Close()
		defer pprof.StopCPUProfile()
	}
	return cli.Main(os.Args[1:], cli.Stdio())
}
