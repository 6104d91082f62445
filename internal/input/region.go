package input

import (
	"strings"
	"sync"

	"golang.org/x/text/language"
	"golang.org/x/text/language/display"

	"github.com/phonecheck/phonecheck/phone"
)

// regionAliases are country names people write that are not the English
// display names.
var regionAliases = map[string]string{
	"usa": "US", "united states of america": "US", "america": "US", "uk": "GB", "great britain": "GB",
	"britain": "GB", "england": "GB", "scotland": "GB", "wales": "GB", "northern ireland": "GB",
	"holland": "NL", "the netherlands": "NL", "czech republic": "CZ", "korea": "KR", "republic of korea": "KR",
	"ivory coast": "CI", "turkey": "TR", "turkiye": "TR", "russian federation": "RU", "vatican": "VA",
	"swaziland": "SZ", "burma": "MM", "macedonia": "MK", "uae": "AE", "hong kong": "HK", "macau": "MO",
	"schweiz": "CH", "suisse": "CH", "svizzera": "CH", "deutschland": "DE", "allemagne": "DE",
	"osterreich": "AT", "autriche": "AT", "italia": "IT", "italie": "IT", "espana": "ES", "espagne": "ES",
	"frankreich": "FR", "liechtenstein": "LI",
}

var regionNames = sync.OnceValue(func() map[string]string {
	m := map[string]string{}
	names := display.English.Regions()
	for _, code := range phoneRegions() {
		r, err := language.ParseRegion(code)
		if err != nil {
			continue
		}
		if n := names.Name(r); n != "" {
			m[normalizeName(n)] = code
		}
	}
	for k, v := range regionAliases {
		m[k] = v
	}
	return m
})

// phoneRegions lists the regions the engine knows.
func phoneRegions() []string {
	var out []string
	for a := 'A'; a <= 'Z'; a++ {
		for b := 'A'; b <= 'Z'; b++ {
			code := string([]rune{a, b})
			if r, err := phone.NormalizeRegion(code); err == nil && r != "" {
				out = append(out, r)
			}
		}
	}
	return out
}

// RegionOf reads a region column's value: an ISO 3166-1 alpha-2 or alpha-3
// code (CH, che) or an English country name (Switzerland), in any case.
// ok is false for anything else, and for regions the engine does not know.
func RegionOf(v string) (code string, ok bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return "", false
	}
	if len(v) == 2 {
		if r, err := phone.NormalizeRegion(v); err == nil {
			return r, true
		}
		if strings.EqualFold(v, "UK") {
			return "GB", true
		}
		return "", false
	}
	if len(v) == 3 && isASCIILetters(v) {
		if r, err := language.ParseRegion(v); err == nil {
			if c, err := phone.NormalizeRegion(r.String()); err == nil {
				return c, true
			}
		}
	}
	c, ok := regionNames()[normalizeName(v)]
	return c, ok
}

func isASCIILetters(s string) bool {
	for _, c := range []byte(s) {
		if (c|0x20) < 'a' || (c|0x20) > 'z' {
			return false
		}
	}
	return true
}
