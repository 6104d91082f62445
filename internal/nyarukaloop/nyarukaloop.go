// Package nyarukaloop is the baseline phonecheck's speed is measured
// against: the plain single-threaded loop of nyaruka/phonenumbers calls
// that fills the full schema and writes CSV with encoding/csv, as a
// straight implementation would.
package nyarukaloop

import (
	"bufio"
	"encoding/csv"
	"io"
	"strconv"
	"strings"

	"github.com/nyaruka/phonenumbers"

	"github.com/phonecheck/phonecheck/phone"
)

// Validate reads lines from in and writes one CSV row per non-blank line
// to out, reading national numbers against region.
func Validate(in io.Reader, out io.Writer, region string) error {
	bw := bufio.NewWriter(out)
	w := csv.NewWriter(bw)
	if err := w.Write(phone.Header); err != nil {
		return err
	}
	sc := bufio.NewScanner(in)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		rec := []string{line, "invalid", line, strconv.Itoa(n), "", "", "", "", "", "", "", "", ""}
		if num, err := phonenumbers.Parse(line, region); err == nil {
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
		if err := w.Write(rec); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		return err
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return err
	}
	return bw.Flush()
}
