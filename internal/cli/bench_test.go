package cli

import (
	"bufio"
	"encoding/csv"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/nyaruka/phonenumbers"
	"github.com/phonecheck/phonecheck/internal/corpus"
	"github.com/phonecheck/phonecheck/phone"
)

// The validate benchmarks run over the same generated, realistic 1M-line
// file (go run ./tools/gennumbers writes it too):
//
//	go test ./internal/cli -run '^$' -bench Validate1M -benchtime 1x
func benchFile() (string, error) { return corpus.BenchFile(1_000_000) }

func BenchmarkValidate1M(b *testing.B) {
	in, err := benchFile()
	if err != nil {
		b.Fatal(err)
	}
	for _, format := range []string{"csv", "jsonl", "xlsx"} {
		b.Run(format, func(b *testing.B) {
			out := filepath.Join(b.TempDir(), "out."+format)
			for range b.N {
				if code := Main([]string{"validate", "-q", "--region", corpus.Region, "-o", out, in}, IO{Err: io.Discard}); code != 0 {
					b.Fatalf("exit %d", code)
				}
			}
			b.ReportMetric(1e6*float64(b.N)/b.Elapsed().Seconds(), "lines/s")
		})
	}
}

// BenchmarkValidate1MBaseline is the plain single-threaded loop of nyaruka
// calls that fills the full schema, writing the same CSV: what a straight
// implementation costs.
func BenchmarkValidate1MBaseline(b *testing.B) {
	in, err := benchFile()
	if err != nil {
		b.Fatal(err)
	}
	out := filepath.Join(b.TempDir(), "out.csv")
	b.ResetTimer()
	for range b.N {
		if err := baselineValidate(in, out); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(1e6*float64(b.N)/b.Elapsed().Seconds(), "lines/s")
}

func baselineValidate(in, out string) error {
	f, err := os.Open(in)
	if err != nil {
		return err
	}
	defer f.Close()
	o, err := os.Create(out)
	if err != nil {
		return err
	}
	defer o.Close()
	w := csv.NewWriter(bufio.NewWriter(o))
	w.Write(phone.Header)
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		rec := []string{line, "invalid", line, strconv.Itoa(n), "", "", "", "", "", "", "", "", ""}
		if num, err := phonenumbers.Parse(line, corpus.Region); err == nil {
			rec[0] = phonenumbers.Format(num, phonenumbers.E164)
			if phonenumbers.IsValidNumber(num) {
				rec[1] = "valid"
			}
			rec[5] = strconv.Itoa(int(phonenumbers.GetNumberType(num)))
			rec[6] = strconv.Itoa(int(num.GetCountryCode()))
			rec[7] = phonenumbers.GetRegionCodeForNumber(num)
			rec[8] = phonenumbers.Format(num, phonenumbers.INTERNATIONAL)
			rec[9] = phonenumbers.Format(num, phonenumbers.NATIONAL)
			rec[10], _ = phonenumbers.GetCarrierForNumber(num, "en")
			rec[11], _ = phonenumbers.GetGeocodingForNumber(num, "en")
			tz, _ := phonenumbers.GetTimezonesForNumber(num)
			rec[12] = strings.Join(tz, ";")
		}
		w.Write(rec)
	}
	w.Flush()
	return w.Error()
}
