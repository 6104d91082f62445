package phone

import (
	"fmt"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/nyaruka/phonenumbers"
	"github.com/phonecheck/phonecheck/internal/corpus"
)

var benchLines = sync.OnceValue(func() []string {
	g := corpus.New(1)
	lines := make([]string, 0, 100_000)
	for len(lines) < cap(lines) {
		if l := g.Line(); !IsBlank(l) {
			lines = append(lines, CleanLine(l))
		}
	}
	for _, l := range lines[:1000] { // load the metadata and prefix data
		Check(l, 1, corpus.Region)
	}
	return lines
})

// BenchmarkBaselineNyaruka is the plain single-threaded loop of nyaruka calls
// that fills the full schema: the figure phonecheck is measured against.
func BenchmarkBaselineNyaruka(b *testing.B) {
	lines := benchLines()
	b.ResetTimer()
	cpu := cpuTime()
	for i := 0; i < b.N; i++ {
		line := lines[i%len(lines)]
		num, err := phonenumbers.Parse(strings.TrimSpace(line), corpus.Region)
		if err != nil {
			continue
		}
		_ = phonenumbers.IsValidNumber(num)
		_ = phonenumbers.GetNumberType(num)
		_ = phonenumbers.GetRegionCodeForNumber(num)
		_ = phonenumbers.Format(num, phonenumbers.E164)
		_ = phonenumbers.Format(num, phonenumbers.INTERNATIONAL)
		_ = phonenumbers.Format(num, phonenumbers.NATIONAL)
		_, _ = phonenumbers.GetCarrierForNumber(num, "en")
		_, _ = phonenumbers.GetGeocodingForNumber(num, "en")
		_, _ = phonenumbers.GetTimezonesForNumber(num)
	}
	reportLines(b, cpu)
}

func BenchmarkCheck(b *testing.B) {
	lines := benchLines()
	b.ResetTimer()
	cpu := cpuTime()
	for i := 0; i < b.N; i++ {
		_ = Check(lines[i%len(lines)], i, corpus.Region)
	}
	reportLines(b, cpu)
}

// BenchmarkCheckGeneral is Check through nyaruka's public API alone.
func BenchmarkCheckGeneral(b *testing.B) {
	lines := benchLines()
	b.ResetTimer()
	cpu := cpuTime()
	for i := 0; i < b.N; i++ {
		_ = checkGeneral(lines[i%len(lines)], i, corpus.Region)
	}
	reportLines(b, cpu)
}

// BenchmarkBaselineNyarukaCore is the plain loop of nyaruka calls for the
// core columns (Number, phoneCheck, Reason, Type, Region): the libphonenumber
// family's speed, which the issue puts at about 73,000 lines/s.
func BenchmarkBaselineNyarukaCore(b *testing.B) {
	lines := benchLines()
	b.ResetTimer()
	cpu := cpuTime()
	for i := 0; i < b.N; i++ {
		line := lines[i%len(lines)]
		num, err := phonenumbers.Parse(strings.TrimSpace(line), corpus.Region)
		if err != nil {
			continue
		}
		_ = phonenumbers.Format(num, phonenumbers.E164)
		_ = phonenumbers.GetRegionCodeForNumber(num)
		if phonenumbers.GetNumberType(num) == phonenumbers.UNKNOWN {
			_ = phonenumbers.IsPossibleNumberWithReason(num)
		}
	}
	reportLines(b, cpu)
}

// BenchmarkCheckCore is CheckCore: the core columns through the automata.
func BenchmarkCheckCore(b *testing.B) {
	lines := benchLines()
	b.ResetTimer()
	cpu := cpuTime()
	for i := 0; i < b.N; i++ {
		_ = CheckCore(lines[i%len(lines)], i, corpus.Region)
	}
	reportLines(b, cpu)
}

// BenchmarkChecker is a Checker as validate uses it, with and without its
// memo of the lines that needed the general parser.
func BenchmarkChecker(b *testing.B) {
	for _, size := range []int{DefaultCacheSize, 0} {
		b.Run(fmt.Sprintf("cache=%d", size), func(b *testing.B) {
			lines := benchLines()
			c := NewChecker(corpus.Region, size)
			b.ResetTimer()
			cpu := cpuTime()
			for i := 0; i < b.N; i++ {
				_ = c.Check(lines[i%len(lines)], i)
			}
			reportLines(b, cpu)
		})
	}
}

// cpuTime is the process's CPU time so far (user and system, all threads:
// the garbage collector's work counts). The machine is shared, so wall time
// per line varies with its load; CPU time per line hardly does.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportLines reports lines per second of wall time and of CPU time since
// cpu, and the CPU time per line.
func reportLines(b *testing.B, cpu time.Duration) {
	used := cpuTime() - cpu
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "lines/s")
	if used > 0 {
		b.ReportMetric(float64(b.N)/used.Seconds(), "lines/cpu-s")
		b.ReportMetric(float64(used.Nanoseconds())/float64(b.N), "cpu-ns/op")
	}
}

// BenchmarkFirstCheck is the engine's start-up as a process pays it: the
// metadata indexed, the automata decoded, Switzerland prepared and one line
// checked (the prefix tables need no start-up).
func BenchmarkFirstCheck(b *testing.B) {
	coll, err := phonenumbers.MetadataCollection()
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		m := newMetadata(coll, automataBin)
		if r := checkWith(m, "044 668 18 00", corpus.Region); !r.IsValid() {
			b.Fatal(r)
		}
	}
}
