package phone

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

var (
	reasons = []string{ReasonValid, ReasonInvalidButPossible, ReasonInvalidCountryCode, ReasonTooShort, ReasonTooLong,
		ReasonInvalidLength, ReasonPossibleLocalOnly, ReasonNotANumber, ReasonTooShortNSN, ReasonTooShortAfterIDD}
	types = []string{"mobile", "fixed_line", "fixed_line_or_mobile", "toll_free", "premium_rate", "shared_cost",
		"voip", "personal_number", "pager", "uan", "voicemail", "unknown"}
)

// conformant reports what is wrong with a row, or "".
func conformant(r Result, line int) string {
	switch {
	case r.Line != line:
		return "line number changed"
	case r.PhoneCheck != Valid && r.PhoneCheck != Invalid:
		return "phoneCheck is " + r.PhoneCheck
	case !slices.Contains(reasons, r.Reason):
		return "unknown reason " + r.Reason
	case (r.Reason == ReasonValid) != (r.PhoneCheck == Valid):
		return "reason and verdict disagree"
	case r.Type != "" && !slices.Contains(types, r.Type):
		return "unknown type " + r.Type
	case r.Type == "" && r.CountryCode != "":
		return "parsed number without type"
	case r.Number == "":
		return "empty Number"
	case r.CountryCode != "" && !strings.HasPrefix(r.Number, "+"+r.CountryCode):
		return "Number is not E.164 of its country code"
	case len(r.Record(nil)) != len(Header):
		return "record length"
	}
	for _, v := range r.Record(nil) {
		if !utf8.ValidString(v) {
			return "invalid UTF-8 in " + v
		}
		for _, c := range v {
			if c < 0x20 && c != '\t' || c == 0x7F {
				return "control character in " + v
			}
		}
	}
	return ""
}

var fuzzRegions = []string{"", "CH", "US", "GB", "DE", "IT", "BR", "AR", "MX", "CN", "IN", "RU", "JP", "AU", "FR", "NL"}

// FuzzCheck feeds arbitrary bytes through the line handling: it must never
// panic, must give one schema-conformant row for every non-blank line, and
// Check and CheckCore must agree with the general engine.
func FuzzCheck(f *testing.F) {
	for _, s := range []string{
		"+41 44 668 18 00", "044 668 18 00", "\uFEFF+41446681800\r", "tel:+1-650-253-0000;ext=12",
		"+1 650 253 0000 x123", "0041 79 123 45 67", "1-800-FLOWERS", "+999 123", "\x00\x01\x02", "\xff\xfe+41",
		"+٤١٤٤٦٦٨١٨٠٠", "+4144668180012345678901", strings.Repeat("1", 300), "  \t ", "+", "00", "(044) 668-18-00",
		"+0041446681800", "tel:044-668-18-00;phone-context=+41", "+800 1234 5678", "+39 06 1234 5678",
	} {
		f.Add(s, uint8(1))
	}
	f.Add("650 253 0000", uint8(2))
	f.Add("+44 20 7946 0958", uint8(0))
	f.Fuzz(func(t *testing.T, raw string, regionIndex uint8) {
		region := fuzzRegions[int(regionIndex)%len(fuzzRegions)]
		if IsBlank(raw) {
			return
		}
		input := CleanLine(raw)
		watchdog := time.AfterFunc(5*time.Second, func() { panic(fmt.Sprintf("Check(%q, %q) takes over 5s", input, region)) })
		defer watchdog.Stop()
		r := Check(input, 7, region)
		if problem := conformant(r, 7); problem != "" {
			t.Fatalf("Check(%q, %q): %s: %+v", input, region, problem, r)
		}
		if r.Input != input {
			t.Fatalf("Input %q, want %q", r.Input, input)
		}
		if d := diffGeneral(input, region); d != "" {
			t.Fatal(d)
		}
	})
}

// FuzzCompiled is the differential fuzz target of the compiled engine:
// arbitrary bytes mostly take the general path, so this one makes numbers
// (each byte a digit) and writes them the ways plain input comes, so that
// parsePlain, the automata, the sequence matcher and the prefix lookups
// answer, and requires every column to equal the general engine's.
func FuzzCompiled(f *testing.F) {
	f.Add([]byte("41446681800"), uint8(0), uint8(1))
	f.Add([]byte("0041791234567"), uint8(2), uint8(1))
	f.Add([]byte("16502530000"), uint8(1), uint8(2))
	f.Add([]byte("5491112345678"), uint8(3), uint8(8))
	f.Add([]byte("80012345678"), uint8(0), uint8(0))
	f.Fuzz(func(t *testing.T, digits []byte, form, regionIndex uint8) {
		if len(digits) > 40 {
			return
		}
		d := make([]byte, len(digits))
		for i, c := range digits {
			d[i] = '0' + c%10
		}
		region := fuzzRegions[int(regionIndex)%len(fuzzRegions)]
		var input string
		switch form % 6 {
		case 0:
			input = "+" + string(d)
		case 1:
			input = string(d)
		case 2:
			input = "00" + string(d)
		case 3:
			input = "0" + string(d)
		case 4:
			input = "+" + group(string(d))
		default:
			input = "(" + group(string(d)) + ")"
		}
		if d := diffGeneral(input, region); d != "" {
			t.Fatal(d)
		}
	})
}

// group writes digits in groups of two or three, as people do.
func group(d string) string {
	var b strings.Builder
	for i := 0; i < len(d); i++ {
		if i > 0 && (i == 2 || i%3 == 2) {
			b.WriteByte([]byte(" -./")[i%4])
		}
		b.WriteByte(d[i])
	}
	return b.String()
}
