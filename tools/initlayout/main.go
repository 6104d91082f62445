// Command initlayout shows how a binary's package initialization code is
// spread over its text: how many 4 KiB pages the init functions lie on,
// and how many blocks of 16 KiB to 1 MiB. The kernel maps a file-backed
// page on first touch together with its cached neighbours (fault-around,
// 64 KiB by default; more where the page cache holds the file in large
// folios), so the blocks, not the pages, are what package init adds to a
// short command's resident memory.
//
//	go build -o /tmp/phonecheck ./cmd/phonecheck
//	go run ./tools/initlayout /tmp/phonecheck
//
// It then maps the binary, touches one byte every 4 MiB of it, and prints
// how much resident memory each touch added: what this kernel maps on a
// first touch of that file as the page cache holds it now.
package main

import (
	"bufio"
	"debug/elf"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"syscall"
)

// initFunc matches a package's init function, its numbered init.N parts
// and their closures, as the compiler names them.
var initFunc = regexp.MustCompile(`\.init(\.[0-9]+)?(\.func[0-9.]+)?$`)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: initlayout BINARY")
		os.Exit(2)
	}
	f, err := elf.Open(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, "initlayout:", err)
		os.Exit(1)
	}
	defer f.Close()
	syms, err := f.Symbols()
	if err != nil {
		fmt.Fprintln(os.Stderr, "initlayout:", err, "(a binary built without -s)")
		os.Exit(1)
	}
	text := f.Section(".text")
	if text == nil {
		fmt.Fprintln(os.Stderr, "initlayout: no .text section")
		os.Exit(1)
	}
	shifts := []uint{12, 14, 16, 18, 20} // 4 KiB to 1 MiB
	blocks := make([]map[uint64]bool, len(shifts))
	for i := range blocks {
		blocks[i] = map[uint64]bool{}
	}
	funcs, size := 0, uint64(0)
	for _, s := range syms {
		if elf.ST_TYPE(s.Info) != elf.STT_FUNC || !initFunc.MatchString(s.Name) {
			continue
		}
		funcs++
		size += s.Size
		end := s.Value + max(s.Size, 1) - 1
		for i, sh := range shifts {
			for b := s.Value >> sh; b <= end>>sh; b++ {
				blocks[i][b] = true
			}
		}
	}
	fmt.Printf("%d init functions, %.1f MB of code, in %.1f MiB of text\n", funcs, float64(size)/1e6, float64(text.Size)/(1<<20))
	for i, sh := range shifts {
		fmt.Printf("in %4d blocks of %4d KiB: %5.1f MiB\n", len(blocks[i]), 1<<sh>>10, float64(len(blocks[i])<<sh)/(1<<20))
	}
	if kib, err := probe(os.Args[1]); err != nil {
		fmt.Fprintln(os.Stderr, "initlayout: probe:", err)
	} else {
		fmt.Printf("a first touch of the binary maps %.0f KiB (mean of its touches 4 MiB apart)\n", kib)
	}
}

var sink byte // keeps the touches from being optimized away

// probe maps the file and returns the resident KiB one touch adds.
func probe(path string) (float64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return 0, err
	}
	m, err := syscall.Mmap(int(f.Fd()), 0, int(st.Size()), syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		return 0, err
	}
	defer syscall.Munmap(m)
	before, err := rssFileKiB()
	if err != nil {
		return 0, err
	}
	touches := 0
	for off := 0; off < len(m); off += 4 << 20 {
		sink += m[off]
		touches++
	}
	after, err := rssFileKiB()
	if err != nil {
		return 0, err
	}
	return float64(after-before) / float64(touches), nil
}

// rssFileKiB is this process's resident file-backed memory.
func rssFileKiB() (int, error) {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "RssFile:"); ok {
			return strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
		}
	}
	return 0, fmt.Errorf("no RssFile in /proc/self/status")
}
