package phone

import (
	"fmt"
	"strings"
	"sync"
	"testing"

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
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "lines/s")
}

func BenchmarkCheck(b *testing.B) {
	lines := benchLines()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		_ = Check(lines[i%len(lines)], i, corpus.Region)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "lines/s")
}

// BenchmarkCheckGeneral is Check through nyaruka's public API alone.
func BenchmarkCheckGeneral(b *testing.B) {
	lines := benchLines()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		_ = checkGeneral(lines[i%len(lines)], i, corpus.Region)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "lines/s")
}

// BenchmarkBaselineNyarukaCore is the plain loop of nyaruka calls for the
// core columns (Number, phoneCheck, Reason, Type, Region): the libphonenumber
// family's speed, which the issue puts at about 73,000 lines/s.
func BenchmarkBaselineNyarukaCore(b *testing.B) {
	lines := benchLines()
	b.ResetTimer()
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
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "lines/s")
}

// BenchmarkCheckCore is CheckCore: the core columns through the automata.
func BenchmarkCheckCore(b *testing.B) {
	lines := benchLines()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		_ = CheckCore(lines[i%len(lines)], i, corpus.Region)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "lines/s")
}

// BenchmarkChecker is a Checker as validate uses it, with its cache of
// recent lines (the corpus repeats about one line in ten).
func BenchmarkChecker(b *testing.B) {
	for _, size := range []int{DefaultCacheSize, 0} {
		b.Run(fmt.Sprintf("cache=%d", size), func(b *testing.B) {
			lines := benchLines()
			c := NewChecker(corpus.Region, size)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				_ = c.Check(lines[i%len(lines)], i)
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "lines/s")
		})
	}
}
