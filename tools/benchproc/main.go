// Command benchproc times commands as whole processes, as a user runs them:
// start-up, package initialization and exit included. Each command runs
// several times after a warm-up run, in turn with its baseline when there
// is one (A B A B ..., so that a drift of the machine's speed hits both),
// and the medians of wall time, CPU time (user and system, all threads) and
// peak resident memory, as the kernel accounts each finished run, print as
// `go test -bench` lines, for tools/benchtable.
//
//	go run ./tools/benchproc -name validate-1-line -vs 'phonecheck version' -- phonecheck validate one.txt
//
// The command's standard output is discarded; its standard error is shown
// when it fails. Maxrss is the largest single process of the run: a
// command's children count only if one of them is larger.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"syscall"
	"time"
)

type run struct {
	wall, cpu time.Duration
	peakKiB   int64
}

func main() {
	name := flag.String("name", "", "the figure's name (required)")
	vs := flag.String("vs", "", "the baseline command, split at spaces (no shell)")
	vsName := flag.String("vs-name", "baseline", "the baseline's name")
	n := flag.Int("n", 5, "counted runs of each command")
	warmup := flag.Int("warmup", 1, "runs not counted, first")
	flag.Parse()
	if *name == "" || flag.NArg() == 0 || *n < 1 {
		fmt.Fprintln(os.Stderr, "usage: benchproc -name NAME [-n RUNS] [-warmup N] [-vs 'BASELINE COMMAND' [-vs-name NAME]] -- COMMAND [ARG...]")
		os.Exit(2)
	}
	a := flag.Args()
	var b []string
	if *vs != "" {
		b = strings.Fields(*vs)
	}
	var as, bs []run
	for i := range *warmup + *n {
		ra, err := timeRun(a)
		if err != nil {
			fail(a, err)
		}
		if i >= *warmup {
			as = append(as, ra)
		}
		if b != nil {
			rb, err := timeRun(b)
			if err != nil {
				fail(b, err)
			}
			if i >= *warmup {
				bs = append(bs, rb)
			}
		}
	}
	fmt.Println("pkg: github.com/phonecheck/phonecheck/process")
	line := fmt.Sprintf("BenchmarkProcess/%s %d %s", *name, *n, figures(as))
	if b != nil {
		ratio := make([]float64, len(as))
		for i := range as {
			ratio[i] = as[i].wall.Seconds() / bs[i].wall.Seconds()
		}
		line += fmt.Sprintf(" %.3f wall-vs-%s", median(ratio), *vsName)
	}
	fmt.Println(line)
	if b != nil {
		fmt.Printf("BenchmarkProcess/%s/%s %d %s\n", *name, *vsName, *n, figures(bs))
	}
}

// figures are the medians: wall time as ns/op (and in seconds), CPU time, peak RSS.
func figures(runs []run) string {
	var wall, cpu, peak []float64
	for _, r := range runs {
		wall = append(wall, float64(r.wall.Nanoseconds()))
		cpu = append(cpu, r.cpu.Seconds())
		peak = append(peak, float64(r.peakKiB)/1024)
	}
	return fmt.Sprintf("%.0f ns/op %.3f wall-s %.3f cpu-s %.1f peak-MiB", median(wall), median(wall)/1e9, median(cpu), median(peak))
}

func median(v []float64) float64 {
	s := slices.Sorted(slices.Values(v))
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// timeRun runs the command once and returns what the kernel accounted.
func timeRun(argv []string) (run, error) {
	cmd := exec.Command(argv[0], argv[1:]...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	start := time.Now()
	err := cmd.Run()
	wall := time.Since(start)
	if err != nil {
		return run{}, fmt.Errorf("%v\n%s", err, stderr.Bytes())
	}
	ru, _ := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	r := run{wall: wall, cpu: cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()}
	if ru != nil {
		r.peakKiB = ru.Maxrss // KiB on Linux
	}
	return r, nil
}

func fail(argv []string, err error) {
	fmt.Fprintf(os.Stderr, "benchproc: %s: %v\n", strings.Join(argv, " "), err)
	os.Exit(1)
}
