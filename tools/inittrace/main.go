// Command inittrace shows where a command's package initialization goes:
// it runs the command with GODEBUG=inittrace=1 (the Go runtime's own
// report, one line per package) and sums the clock time and allocations by
// module, and separately for the packages that only the embedded Temporal
// server (temporalx/devserver) brings into the phonecheck binary.
//
//	go build -o /tmp/phonecheck ./cmd/phonecheck
//	go run ./tools/inittrace -- /tmp/phonecheck validate -q --region CH one.txt
package main

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"sort"
	"strconv"
	"strings"
)

type cost struct {
	inits     int
	ms, bytes float64
}

func (c *cost) add(ms, bytes float64) { c.inits++; c.ms += ms; c.bytes += bytes }

func main() {
	top := flag.Int("top", 12, "modules to list")
	flag.Parse()
	if flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: inittrace [-top N] -- COMMAND [ARG...]")
		os.Exit(2)
	}
	serverOnly, err := serverOnlyPackages()
	if err != nil {
		fmt.Fprintln(os.Stderr, "inittrace:", err)
		os.Exit(1)
	}
	cmd := exec.Command(flag.Arg(0), flag.Args()[1:]...)
	cmd.Env = append(os.Environ(), "GODEBUG=inittrace=1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		fmt.Fprintf(os.Stderr, "inittrace: %v\n%s", err, stderr.Bytes())
		os.Exit(1)
	}
	var all, server cost
	end := 0.0
	byModule := map[string]*cost{}
	sc := bufio.NewScanner(&stderr)
	for sc.Scan() {
		// init PKG @AT ms, CLOCK ms clock, BYTES bytes, ALLOCS allocs
		f := strings.Fields(sc.Text())
		if len(f) < 10 || f[0] != "init" {
			continue
		}
		at, _ := strconv.ParseFloat(strings.TrimPrefix(f[2], "@"), 64)
		ms, _ := strconv.ParseFloat(f[4], 64)
		b, _ := strconv.ParseFloat(f[7], 64)
		end = max(end, at+ms)
		all.add(ms, b)
		if serverOnly[f[1]] {
			server.add(ms, b)
		}
		m := module(f[1])
		if byModule[m] == nil {
			byModule[m] = &cost{}
		}
		byModule[m].add(ms, b)
	}
	fmt.Printf("%d package inits: %.1f ms clock, %.1f MB allocated; the last ends %.0f ms after start\n", all.inits, all.ms, all.bytes/1e6, end)
	fmt.Printf("of them, brought in only by the embedded Temporal server: %d inits, %.1f ms, %.1f MB\n\n", server.inits, server.ms, server.bytes/1e6)
	mods := make([]string, 0, len(byModule))
	for m := range byModule {
		mods = append(mods, m)
	}
	sort.Slice(mods, func(i, j int) bool { return byModule[mods[i]].ms > byModule[mods[j]].ms })
	fmt.Println("| module | inits | clock ms | MB allocated |")
	fmt.Println("|---|---|---|---|")
	for _, m := range mods[:min(*top, len(mods))] {
		c := byModule[m]
		fmt.Printf("| %s | %d | %.1f | %.2f |\n", m, c.inits, c.ms, c.bytes/1e6)
	}
}

// module shortens a package path to its module's usual root.
func module(pkg string) string {
	parts := strings.Split(pkg, "/")
	n := 1
	if strings.Contains(parts[0], ".") {
		n = 3
		if parts[0] == "go.temporal.io" || parts[0] == "golang.org" || parts[0] == "google.golang.org" || parts[0] == "cloud.google.com" {
			n = 2
		}
	}
	return strings.Join(parts[:min(n, len(parts))], "/")
}

// serverOnlyPackages are the dependencies of temporalx/devserver that
// nothing else in cmd/phonecheck imports.
func serverOnlyPackages() (map[string]bool, error) {
	imports, err := goList("-f", `{{join .Imports "\n"}}`, "./cmd/phonecheck/internal/cli")
	if err != nil {
		return nil, err
	}
	var others []string
	for _, p := range imports {
		if !strings.HasSuffix(p, "/temporalx/devserver") {
			others = append(others, p)
		}
	}
	rest, err := goList(append([]string{"-deps"}, others...)...)
	if err != nil {
		return nil, err
	}
	kept := map[string]bool{}
	for _, p := range rest {
		kept[p] = true
	}
	server, err := goList("-deps", "./temporalx/devserver")
	if err != nil {
		return nil, err
	}
	only := map[string]bool{}
	for _, p := range server {
		if !kept[p] {
			only[p] = true
		}
	}
	return only, nil
}

func goList(args ...string) ([]string, error) {
	out, err := exec.Command("go", append([]string{"list"}, args...)...).Output()
	if err != nil {
		return nil, fmt.Errorf("go list %s: %w", strings.Join(args, " "), err)
	}
	return strings.Fields(string(out)), nil
}
