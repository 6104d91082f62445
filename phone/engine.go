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

// CutLine is the row of a line over a reader's bound, of which only the
// start was kept (prefix, raw) and length is the whole line's length in
// bytes: TOO_LONG, as any line over MaxInputLength, with the Input cut and
// marked "…[cut: N bytes]". Such a line is never blank: its rest was not read.
func CutLine(prefix string, line int, length int64) Result {
	text := CleanLine(prefix)
	return Result{Number: trimSpace(text), PhoneCheck: Invalid, Input: text + "…[cut: " + strconv.FormatInt(length, 10) + " bytes]",
		Line: line, Reason: ReasonTooLong}
}

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
	check(&r, defaultRegion, true, nil)
	return r
}

// CheckCore is Check for the core columns: Number, phoneCheck, Reason, Type,
// CountryCode and Region (with Input and Line). International, National,
// Carrier, Location and TimeZones are left empty. It is for callers that need
// the verdict and the E.164 number only, such as a pipeline's prepare step.
func CheckCore(input string, line int, defaultRegion string) Result {
	r := Result{Input: input, Line: line}
	check(&r, defaultRegion, false, nil)
	return r
}

// check fills r from r.Input. Plain text (digits with separators, as bulk
// files hold) is parsed by parsePlain and everything after parsing is
// answered by the automata; other text goes through prepareText and
// nyaruka's parser first, and its rows are remembered in memo (if not nil),
// since such lines cost ten times more and are mostly the same few junk
// values repeated.
func check(r *Result, defaultRegion string, full bool, memo *slowMemo) {
	meta().check(r, defaultRegion, full, memo)
}

// check is check with the metadata m.
func (m *metadata) check(r *Result, defaultRegion string, full bool, memo *slowMemo) {
	text := trimSpace(r.Input)
	var buf [MaxInputLength]byte
	cc, national, handled, err := parsePlain(m, text, defaultRegion, &buf)
	ext := ""
	if !handled && memo != nil {
		if row, ok := memo.rows[text]; ok {
			row.Input, row.Line = r.Input, r.Line
			*r = row
			return
		}
		defer memo.remember(text, r)
	}
	if !handled {
		var prepared string
		if prepared, err = prepareText(text); err == nil {
			if prepared != text {
				cc, national, handled, err = parsePlain(m, prepared, defaultRegion, &buf)
			}
			if !handled {
				num := new(phonenumbers.PhoneNumber)
				if err = phonenumbers.ParseToNumber(prepared, defaultRegion, num); err == nil {
					cc, national, ext = int(num.GetCountryCode()), []byte(nationalSignificantNumber(num)), num.GetExtension()
				}
			}
		}
	}
	if err != nil {
		r.Number = text
		r.PhoneCheck = Invalid
		r.Reason = parseReason(err)
		return
	}
	r.CountryCode = m.ccString(cc)
	// Number, International and National share one allocation: the
	// builder's String is a view of what it holds, and later writes do
	// not change what was written.
	var sb strings.Builder
	size := 1 + len(r.CountryCode) + len(national)
	if full {
		size += len(r.CountryCode) + 2*len(national) + 2*len(ext) + 48
	}
	sb.Grow(size)
	sb.WriteByte('+')
	sb.WriteString(r.CountryCode)
	sb.Write(national)
	r.Number = sb.String()
	nsn := r.Number[1+len(r.CountryCode):]
	region, rm := m.regionOf(cc, nsn)
	r.Region = region
	typ := phonenumbers.UNKNOWN
	if rm != nil {
		typ = rm.numberType(nsn)
	}
	fm := m.formatMeta(cc)
	r.Type = typeName(typ)
	if typ == phonenumbers.UNKNOWN {
		r.PhoneCheck = Invalid
		r.Reason = possibleReason(fm.possibleWithReason(nsn))
	} else {
		r.PhoneCheck = Valid
		r.Reason = ReasonValid
	}
	if !full {
		return
	}
	if fm != nil {
		r.International, r.National = fm.formatBoth(&sb, r.CountryCode, nsn, ext)
	} else {
		r.International, r.National = nsn, nsn
	}
	if typ == phonenumbers.UNKNOWN {
		return
	}
	digits := r.Number[1:]
	if typ == phonenumbers.MOBILE || typ == phonenumbers.FIXED_LINE_OR_MOBILE || typ == phonenumbers.PAGER {
		r.Carrier = lookupCarrier(digits)
	}
	if isGeographical(typ, cc) {
		if r.Location = lookupPlace(digits); r.Location == "" {
			r.Location = rm.names.geocoderFallback
		}
		r.TimeZones = lookupTimeZones(digits)
	} else {
		r.Location = rm.names.plain
		r.TimeZones = lookupTimeZones(r.CountryCode)
	}
}

// trimSpace is TrimSpace, without decoding runes when the line's ends are ASCII.
func trimSpace(s string) string {
	start, end := 0, len(s)
	for start < end && asciiSpace(s[start]) {
		start++
	}
	for end > start && asciiSpace(s[end-1]) {
		end--
	}
	if start < end && (s[start] >= utf8.RuneSelf || s[end-1] >= utf8.RuneSelf) {
		return TrimSpace(s[start:end])
	}
	return s[start:end]
}

func asciiSpace(c byte) bool { return c == ' ' || c >= '\t' && c <= '\r' }

// possibleWithReason is IsPossibleNumberWithReason for a number whose
// calling code has the metadata fm (nil: none).
func (fm *regionMeta) possibleWithReason(nsn string) phonenumbers.ValidationResult {
	switch {
	case fm == nil:
		return phonenumbers.INVALID_COUNTRY_CODE
	case fm.meta.GetGeneralDesc().GetNationalNumberPattern() == "":
		switch n := len(nsn); {
		case n < phonenumbers.MIN_LENGTH_FOR_NSN:
			return phonenumbers.TOO_SHORT
		case n > phonenumbers.MAX_LENGTH_FOR_NSN:
			return phonenumbers.TOO_LONG
		}
		return phonenumbers.IS_POSSIBLE
	}
	return fm.testLength(len(nsn))
}

// checkGeneral is Check through nyaruka's public API alone: the reference the
// tests hold Check to, and the baseline the benchmarks compare with.
func checkGeneral(input string, line int, defaultRegion string) Result {
	r := Result{Input: input, Line: line}
	text := TrimSpace(input)
	prepared, err := prepareText(text)
	var num *phonenumbers.PhoneNumber
	if err == nil {
		num, err = phonenumbers.Parse(prepared, defaultRegion)
	}
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
	fillVerdictGeneral(&r, num, typ)
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

// fillVerdictGeneral sets the verdict and the columns that follow from it
// with nyaruka's functions. libphonenumber's isValidNumber is
// getNumberType != UNKNOWN for the number's own region, so the type serves
// both.
func fillVerdictGeneral(r *Result, num *phonenumbers.PhoneNumber, typ phonenumbers.PhoneNumberType) {
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

// typeName is the Type column of a number type.
func typeName(t phonenumbers.PhoneNumberType) string {
	if int(t) >= 0 && int(t) < len(typeNameList) && typeNameList[t] != "" {
		return typeNameList[t]
	}
	return typeNames[t]
}

var typeNameList = func() (l [phonenumbers.UNKNOWN + 1]string) {
	for t, name := range typeNames {
		if int(t) >= 0 && int(t) < len(l) {
			l[t] = name
		}
	}
	return l
}()

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
func isGeographical(typ phonenumbers.PhoneNumberType, cc int) bool {
	switch typ {
	case phonenumbers.FIXED_LINE, phonenumbers.FIXED_LINE_OR_MOBILE:
		return true
	case phonenumbers.MOBILE:
		return cc == 52 || cc == 54 || cc == 55 || cc == 62 || cc == 86
	}
	return false
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

// regionNames are the Location values of a region's valid numbers that
// have no place of their own.
type regionNames struct {
	// geocoderFallback is what GetGeocodingForNumber answers without data:
	// the region's English display name (and regionName if that is empty).
	geocoderFallback string
	// plain is regionName, for non-geographical numbers.
	plain string
}

func newRegionNames(region string) regionNames {
	n := regionNames{geocoderFallback: regionName(region), plain: regionName(region)}
	if reg, err := language.ParseRegion(region); err == nil {
		lang, err := language.Parse("en")
		if err != nil {
			lang = language.English
		}
		if name := display.Regions(lang).Name(reg); name != "" {
			n.geocoderFallback = name
		}
	}
	return n
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

// prepareText rewrites text, before nyaruka parses it, so that nyaruka reads
// it as libphonenumber does (the reference corpus in testdata/reference holds
// both to the same answers):
//   - the length limit counts UTF-16 code units, not bytes;
//   - only the digits libphonenumber knows (ASCII, full-width, Arabic-Indic
//     and Eastern Arabic-Indic) are digits: nyaruka's \p{Nd} also matches
//     other scripts' digits but then cannot normalize them;
//   - trailing characters that are neither digits, ASCII letters nor '#' are
//     dropped (extractPossibleNumber): nyaruka's UNWANTED_END_CHAR_PATTERN
//     uses Java's class intersection syntax, which RE2 reads differently, so
//     it strips nothing and e.g. "044 668 18 00." or "0800 123 456," fail;
//   - in alpha numbers ("1-800-FLOWERS") full-width and Arabic-Indic digits
//     are kept as digits, not dropped.
func prepareText(text string) (string, error) {
	if utf16Len(text) > MaxInputLength {
		return "", phonenumbers.ErrNumTooLong
	}
	s := text
	if strings.IndexFunc(s, isForeignDigit) >= 0 {
		s = strings.Map(func(r rune) rune {
			if isForeignDigit(r) {
				return utf8.RuneError // neither digit, letter nor punctuation, as for libphonenumber
			}
			return r
		}, s)
	}
	pc := strings.Index(s, rfc3966PhoneContext)
	if pc > 0 {
		return s, nil // RFC 3966 with a phone context: no extractPossibleNumber
	}
	if pc == 0 && !validPhoneContext(s) {
		return "", phonenumbers.ErrNotANumber
	}
	// extractPossibleNumber: from the first character that can start a number
	// to the last digit, letter or '#'.
	start := strings.IndexFunc(s, func(r rune) bool { return r == '+' || r == '\uFF0B' || isRefDigit(r) })
	if start < 0 {
		return "", phonenumbers.ErrNotANumber
	}
	extracted := strings.TrimRightFunc(s[start:], func(r rune) bool {
		return !isRefDigit(r) && !(r < utf8.RuneSelf && (r|0x20 >= 'a' && r|0x20 <= 'z')) && r != '#'
	})
	if pc == 0 && strings.Contains(extracted, rfc3966PhoneContext) {
		return s, nil
	}
	s = extracted
	if body := alphaBody(s); body != "" {
		s = strings.Map(refDigitToASCII, body) + s[len(body):]
	}
	if len(s) > MaxInputLength {
		// At most MaxInputLength UTF-16 code units, but more bytes than
		// nyaruka accepts: spell digits in ASCII and squeeze runs of a
		// separator, which no pattern counts.
		s = squeezeSeparators(strings.Map(refDigitToASCII, s))
	}
	return s, nil
}

// squeezeSeparators replaces each run of one multi-byte separator by a
// single one.
func squeezeSeparators(s string) string {
	var b strings.Builder
	last := rune(-1)
	for _, r := range s {
		if r == last && isPlainSeparator(r) {
			continue
		}
		last = r
		b.WriteRune(r)
	}
	return b.String()
}

// isPlainSeparator reports whether r is a multi-byte character of
// libphonenumber's VALID_PUNCTUATION with no other role (extension labels,
// RFC 3966, tildes of international prefixes), so that how often it repeats
// does not matter.
func isPlainSeparator(r rune) bool {
	switch {
	case r == '\u00A0', r == '\u00AD', r >= '\u2010' && r <= '\u2015', r == '\u200B', r == '\u2060',
		r == '\u2212', r == '\u3000', r == '\u30FC', r == '\uFF08', r == '\uFF09', r == '\uFF0D',
		r == '\uFF0F', r == '\uFF3B', r == '\uFF3D':
		return true
	}
	return false
}

const rfc3966PhoneContext = ";phone-context="

// validPhoneContext is libphonenumber's extractPhoneContext and
// isPhoneContextValid for a text whose phone-context parameter starts at 0.
func validPhoneContext(s string) bool {
	ctx := s[len(rfc3966PhoneContext):]
	if i := strings.IndexByte(ctx, ';'); i >= 0 {
		ctx = ctx[:i]
	}
	return ctx != "" && (phonenumbers.RFC3966_GLOBAL_NUMBER_DIGITS_PATTERN.MatchString(ctx) ||
		phonenumbers.RFC3966_DOMAINNAME_PATTERN.MatchString(ctx))
}

// alphaBody returns the part of an extracted number that libphonenumber
// normalizes as an alpha number (three or more ASCII letters before any
// extension), or "" when it is not one or holds no non-ASCII digits.
func alphaBody(s string) string {
	if strings.IndexFunc(s, func(r rune) bool { return r >= utf8.RuneSelf && isRefDigit(r) }) < 0 {
		return ""
	}
	body := s
	if loc := phonenumbers.SECOND_NUMBER_START_PATTERN.FindStringIndex(body); loc != nil {
		body = body[:loc[0]]
	}
	if loc := phonenumbers.EXTN_PATTERN.FindStringIndex(body); loc != nil &&
		len(body[:loc[0]]) >= phonenumbers.MIN_LENGTH_FOR_NSN && phonenumbers.VALID_PHONE_NUMBER_PATTERN.MatchString(body[:loc[0]]) {
		body = body[:loc[0]]
	}
	if !phonenumbers.VALID_ALPHA_PHONE_PATTERN.MatchString(body) {
		return ""
	}
	return body
}

// isRefDigit reports whether libphonenumber reads r as a digit.
func isRefDigit(r rune) bool {
	return r >= '0' && r <= '9' || r >= '\uFF10' && r <= '\uFF19' || r >= '\u0660' && r <= '\u0669' || r >= '\u06F0' && r <= '\u06F9'
}

// isForeignDigit reports whether r is a decimal digit libphonenumber does not read as one.
func isForeignDigit(r rune) bool { return r >= utf8.RuneSelf && unicode.IsDigit(r) && !isRefDigit(r) }

func refDigitToASCII(r rune) rune {
	switch {
	case r >= '\uFF10' && r <= '\uFF19':
		return '0' + r - '\uFF10'
	case r >= '\u0660' && r <= '\u0669':
		return '0' + r - '\u0660'
	case r >= '\u06F0' && r <= '\u06F9':
		return '0' + r - '\u06F0'
	}
	return r
}

// utf16Len is the length of s in UTF-16 code units, libphonenumber's unit
// for MAX_INPUT_STRING_LENGTH.
func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		n++
		if r >= 0x10000 {
			n++
		}
	}
	return n
}

// init repairs the national prefix formatting rules of formats whose first
// group is not $1 (Argentina's mobile "$2 15-$3-$4" with "0$1"). In
// libphonenumber the rule replaces the format's first group through
// Matcher.replaceFirst, where the rule's "$1" means the group it replaces
// ("0$2"); nyaruka, and newNumberFormats after it, insert the rule literally
// and so format the first group instead ("09 15-1234-5678" for
// "011 15-1234-5678"). The rules are fixed in nyaruka's metadata itself,
// before meta() compiles it, so that both paths format alike.
func init() {
	coll, err := phonenumbers.MetadataCollection()
	if err != nil {
		return
	}
	for _, m := range coll.GetMetadata() {
		for _, f := range m.GetNumberFormat() {
			rule := f.GetNationalPrefixFormattingRule()
			if i := firstGroup(f.GetFormat()); i >= 0 && f.GetFormat()[i:i+2] != "$1" && strings.Contains(rule, "$1") {
				fixed := strings.ReplaceAll(rule, "$1", f.GetFormat()[i:i+2])
				f.NationalPrefixFormattingRule = &fixed
			}
		}
	}
}
