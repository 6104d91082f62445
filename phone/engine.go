package phone

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/nyaruka/phonenumbers"
	"golang.org/x/text/language"
	"golang.org/x/text/language/display"
)

// MaxInputLength is libphonenumber's cap on the text it parses
// (MAX_INPUT_STRING_LENGTH); longer lines are TOO_LONG without parsing.
const MaxInputLength = phonenumbers.MAX_INPUT_STRING_LENGTH

// ErrUnknownRegion is returned for a default region libphonenumber does not know.
var ErrUnknownRegion = errors.New("unknown region")

// NormalizeRegion upper-cases and checks a default region code. The empty
// string is allowed: then only numbers written with a leading + parse.
func NormalizeRegion(region string) (string, error) {
	region = strings.ToUpper(strings.TrimSpace(region))
	if region == "" {
		return "", nil
	}
	if !phonenumbers.GetSupportedRegions()[region] {
		return "", fmt.Errorf("%w %q: use an ISO 3166-1 alpha-2 code that libphonenumber supports, such as CH, US or GB", ErrUnknownRegion, region)
	}
	return region, nil
}

// CleanLine applies the input hygiene to one raw line: a UTF-8 byte order mark
// and a trailing CR are removed, invalid UTF-8 and control characters (except
// tab) become U+FFFD so that every output format can hold the text.
// The result is the Input column.
func CleanLine(raw string) string {
	raw = strings.TrimPrefix(raw, "\uFEFF")
	raw = strings.TrimSuffix(raw, "\r")
	for i := 0; i < len(raw); i++ {
		if c := raw[i]; c < 0x20 && c != '\t' || c >= 0x7F {
			return cleanSlow(raw)
		}
	}
	return raw
}

func cleanSlow(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch {
		case r == utf8.RuneError, r < 0x20 && r != '\t', r == 0x7F, r == 0xFFFE, r == 0xFFFF:
			b.WriteRune(utf8.RuneError)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// TrimSpace removes surrounding white space (Unicode White_Space) from a cleaned line.
func TrimSpace(s string) string { return strings.TrimFunc(s, unicode.IsSpace) }

// IsBlank reports whether a raw line holds nothing but white space (and a BOM).
func IsBlank(raw string) bool {
	for _, r := range raw {
		if !unicode.IsSpace(r) && r != '\uFEFF' {
			return false
		}
	}
	return true
}

// Check validates one cleaned line (see CleanLine) read against defaultRegion,
// which must be "" or a region accepted by NormalizeRegion. It never fails:
// every input gives one schema-conformant row.
func Check(input string, line int, defaultRegion string) Result {
	r := Result{Input: input, Line: line}
	text := TrimSpace(input)
	num := new(phonenumbers.PhoneNumber)
	handled, err := fastParse(text, defaultRegion, num)
	if !handled {
		err = phonenumbers.ParseToNumber(text, defaultRegion, num)
	}
	if err != nil {
		r.Number = text
		r.PhoneCheck = Invalid
		r.Reason = parseReason(err)
		return r
	}
	m := meta()
	cc := int(num.GetCountryCode())
	nsn := nationalSignificantNumber(num)
	r.CountryCode = strconv.Itoa(cc)
	r.Number = "+" + r.CountryCode + nsn
	if fm := m.formatMeta(cc); fm != nil {
		r.International, r.National = fm.formatBoth(r.CountryCode, nsn, num.GetExtension())
	} else {
		r.International, r.National = nsn, nsn
	}
	region, rm := m.regionOf(cc, nsn)
	r.Region = region
	typ := phonenumbers.UNKNOWN
	if rm != nil {
		typ = rm.numberType(nsn)
	}
	fillVerdict(&r, num, typ)
	return r
}

// checkGeneral is Check through nyaruka's public API alone: the reference the
// tests hold Check to, and the baseline the benchmarks compare with.
func checkGeneral(input string, line int, defaultRegion string) Result {
	r := Result{Input: input, Line: line}
	text := TrimSpace(input)
	num, err := phonenumbers.Parse(text, defaultRegion)
	if err != nil {
		r.Number = text
		r.PhoneCheck = Invalid
		r.Reason = parseReason(err)
		return r
	}
	r.Number = phonenumbers.Format(num, phonenumbers.E164)
	r.CountryCode = strconv.Itoa(int(num.GetCountryCode()))
	r.International = phonenumbers.Format(num, phonenumbers.INTERNATIONAL)
	r.National = phonenumbers.Format(num, phonenumbers.NATIONAL)
	if region := phonenumbers.GetRegionCodeForNumber(num); region != phonenumbers.UNKNOWN_REGION {
		r.Region = region
	}
	typ := phonenumbers.GetNumberType(num)
	if phonenumbers.IsValidNumber(num) != (typ != phonenumbers.UNKNOWN) {
		panic("phone: isValidNumber and getNumberType disagree for " + r.Number)
	}
	fillVerdict(&r, num, typ)
	return r
}

func parseReason(err error) string {
	switch err {
	case phonenumbers.ErrInvalidCountryCode:
		return ReasonInvalidCountryCode
	case phonenumbers.ErrTooShortNSN:
		return ReasonTooShortNSN
	case phonenumbers.ErrTooShortAfterIDD:
		return ReasonTooShortAfterIDD
	case phonenumbers.ErrNumTooLong:
		return ReasonTooLong
	default:
		return ReasonNotANumber
	}
}

// fillVerdict sets the verdict and the columns that follow from it.
// libphonenumber's isValidNumber is getNumberType != UNKNOWN for the
// number's own region, so the type serves both.
func fillVerdict(r *Result, num *phonenumbers.PhoneNumber, typ phonenumbers.PhoneNumberType) {
	r.Type = typeNames[typ]
	if typ == phonenumbers.UNKNOWN {
		r.PhoneCheck = Invalid
		r.Reason = possibleReason(phonenumbers.IsPossibleNumberWithReason(num))
		return
	}
	r.PhoneCheck = Valid
	r.Reason = ReasonValid
	r.Carrier = carrier(num, typ)
	geo := isGeographical(typ, int(num.GetCountryCode()))
	r.Location = location(num, geo, r.Region)
	r.TimeZones = timeZones(num, geo, r.Number)
}

func possibleReason(v phonenumbers.ValidationResult) string {
	switch v {
	case phonenumbers.IS_POSSIBLE:
		return ReasonInvalidButPossible
	case phonenumbers.INVALID_COUNTRY_CODE:
		return ReasonInvalidCountryCode
	case phonenumbers.TOO_SHORT:
		return ReasonTooShort
	case phonenumbers.TOO_LONG:
		return ReasonTooLong
	case phonenumbers.IS_POSSIBLE_LOCAL_ONLY:
		return ReasonPossibleLocalOnly
	default:
		return ReasonInvalidLength
	}
}

var typeNames = map[phonenumbers.PhoneNumberType]string{
	phonenumbers.FIXED_LINE:           "fixed_line",
	phonenumbers.MOBILE:               "mobile",
	phonenumbers.FIXED_LINE_OR_MOBILE: "fixed_line_or_mobile",
	phonenumbers.TOLL_FREE:            "toll_free",
	phonenumbers.PREMIUM_RATE:         "premium_rate",
	phonenumbers.SHARED_COST:          "shared_cost",
	phonenumbers.VOIP:                 "voip",
	phonenumbers.PERSONAL_NUMBER:      "personal_number",
	phonenumbers.PAGER:                "pager",
	phonenumbers.UAN:                  "uan",
	phonenumbers.VOICEMAIL:            "voicemail",
	phonenumbers.UNKNOWN:              "unknown",
}

// geoMobileCountries are the calling codes whose mobile numbers are
// geographical in libphonenumber (PhoneNumberUtil.GEO_MOBILE_COUNTRIES).
var geoMobileCountries = map[int]bool{52: true, 54: true, 55: true, 62: true, 86: true}

func isGeographical(typ phonenumbers.PhoneNumberType, cc int) bool {
	return typ == phonenumbers.FIXED_LINE || typ == phonenumbers.FIXED_LINE_OR_MOBILE ||
		(geoMobileCountries[cc] && typ == phonenumbers.MOBILE)
}

// carrier follows PhoneNumberToCarrierMapper.getNameForNumber: only
// mobile-like numbers name their original carrier.
func carrier(num *phonenumbers.PhoneNumber, typ phonenumbers.PhoneNumberType) string {
	if typ != phonenumbers.MOBILE && typ != phonenumbers.FIXED_LINE_OR_MOBILE && typ != phonenumbers.PAGER {
		return ""
	}
	name, err := phonenumbers.GetCarrierForNumber(num, "en")
	if err != nil {
		return ""
	}
	return name
}

// location follows PhoneNumberOfflineGeocoder.getDescriptionForNumber:
// geographical numbers get their area (else the country), others the country.
func location(num *phonenumbers.PhoneNumber, geographical bool, region string) string {
	if geographical {
		if place, err := phonenumbers.GetGeocodingForNumber(num, "en"); err == nil && place != "" {
			return place
		}
	}
	return regionName(region)
}

func regionName(region string) string {
	if region == "" || region == "001" {
		return ""
	}
	reg, err := language.ParseRegion(region)
	if err != nil {
		return ""
	}
	return display.English.Regions().Name(reg)
}

// timeZones follows PhoneNumberToTimeZonesMapper.getTimeZonesForNumber, with
// "unknown" left empty instead of Etc/Unknown.
func timeZones(num *phonenumbers.PhoneNumber, geographical bool, e164 string) string {
	prefix := "+" + strconv.Itoa(int(num.GetCountryCode()))
	if geographical {
		prefix = e164
	}
	zones, err := phonenumbers.GetTimezonesForPrefix(prefix)
	if err != nil || len(zones) == 0 || (len(zones) == 1 && zones[0] == phonenumbers.UNKNOWN_TIMEZONE) {
		return ""
	}
	return strings.Join(zones, ";")
}
