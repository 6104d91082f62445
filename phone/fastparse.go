package phone

import (
	"strconv"

	"github.com/nyaruka/phonenumbers"
	"github.com/phonecheck/phonecheck/phone/internal/automata"
	"google.golang.org/protobuf/proto"
)

// fastParse is libphonenumber's parse for the inputs bulk files are made of:
// an optional leading '+', ASCII digits and the separators " -.()/", ending
// in a digit. Such text has no extension, no alpha characters, no RFC 3966
// parts and is always viable, so parse reduces to the country code and
// national prefix steps, done here with the same metadata and regular
// expressions as nyaruka's parseHelper but without its scans for the rest.
// It reports handled=false for anything else (the caller then uses
// phonenumbers.Parse), and the differential tests hold it to Parse's answers.
func fastParse(text, defaultRegion string, num *phonenumbers.PhoneNumber) (handled bool, err error) {
	var buf [MaxInputLength]byte
	cc, national, handled, err := parsePlain(meta(), text, defaultRegion, &buf)
	if !handled || err != nil {
		return handled, err
	}
	num.CountryCode = proto.Int32(int32(cc))
	if len(national) > 1 && national[0] == '0' {
		num.ItalianLeadingZero = proto.Bool(true)
		zeros := 1
		for zeros < len(national)-1 && national[zeros] == '0' {
			zeros++
		}
		if zeros != 1 {
			num.NumberOfLeadingZeros = proto.Int32(int32(zeros))
		}
	}
	nn, _ := strconv.ParseUint(string(national), 10, 64)
	num.NationalNumber = proto.Uint64(nn)
	return true, nil
}

// parsePlain is fastParse without the PhoneNumber: the calling code and the
// national significant number (its digits are the number's, leading zeros
// included, as GetNationalSignificantNumber writes them). buf holds the
// digits.
func parsePlain(m *metadata, text, defaultRegion string, buf *[MaxInputLength]byte) (cc int, national []byte, handled bool, err error) {
	if len(text) == 0 || len(text) > MaxInputLength {
		return 0, nil, false, nil
	}
	digits := buf[:0]
	plus := text[0] == '+'
	start := 0
	if plus {
		start = 1
	}
	for i := start; i < len(text); i++ {
		switch c := text[i]; {
		case c >= '0' && c <= '9':
			digits = append(digits, c)
		case c == ' ' || c == '-' || c == '.' || c == '(' || c == ')' || c == '/':
		default:
			return 0, nil, false, nil
		}
	}
	if c := text[len(text)-1]; c < '0' || c > '9' || len(digits) < 3 || (!plus && (text[0] < '0' || text[0] > '9')) {
		return 0, nil, false, nil
	}
	def := m.region(defaultRegion) // nil for "" or an unknown region
	if def == nil && !plus {
		return 0, nil, true, phonenumbers.ErrInvalidCountryCode
	}

	national = digits
	if !plus {
		if end, ok := def.iddEnd(digits); ok {
			plus, digits = true, digits[end:] // from here on, as after a '+'
		}
	}
	if plus {
		if len(digits) <= phonenumbers.MIN_LENGTH_FOR_NSN {
			return 0, nil, true, phonenumbers.ErrTooShortAfterIDD
		}
		if cc, national = m.extractCountryCode(digits); cc == 0 {
			if text[0] == '+' {
				// parseHelper retries without the plus (a "+00…" can carry
				// an IDD): rare enough to leave to the general parser.
				return 0, nil, false, nil
			}
			return 0, nil, true, phonenumbers.ErrInvalidCountryCode
		}
	} else if len(digits) >= len(def.ccString) && string(digits[:len(def.ccString)]) == def.ccString {
		// A number that starts with the default region's calling code
		// may have been written without the plus.
		potential := def.stripNationalPrefix(digits[len(def.ccString):])
		fullValid := def.matchNatRule(digits)
		nationalValid := def.matchNatRule(potential)
		if (!fullValid && nationalValid) || def.testLength(len(digits)) == phonenumbers.TOO_LONG {
			cc, national = int(def.meta.GetCountryCode()), potential
		}
	}
	rm := def // the default region's metadata, unless a calling code was given
	if cc == 0 {
		cc = int(def.meta.GetCountryCode())
		national = digits
	} else {
		rm = m.formatMeta(cc) // GetRegionCodeForCountryCode's metadata
	}
	if len(national) < phonenumbers.MIN_LENGTH_FOR_NSN {
		return 0, nil, true, phonenumbers.ErrTooShortNSN
	}
	if rm != nil {
		potential := rm.stripNationalPrefix(national)
		switch rm.testLength(len(potential)) {
		case phonenumbers.TOO_SHORT, phonenumbers.IS_POSSIBLE_LOCAL_ONLY, phonenumbers.INVALID_LENGTH:
		default:
			national = potential
		}
	}
	if len(national) < phonenumbers.MIN_LENGTH_FOR_NSN {
		return 0, nil, true, phonenumbers.ErrTooShortNSN
	}
	if len(national) > phonenumbers.MAX_LENGTH_FOR_NSN {
		return 0, nil, true, phonenumbers.ErrNumTooLong
	}
	return cc, national, true, nil
}

// iddEnd mirrors parsePrefixAsIdd: an international prefix at the very start
// (the leftmost match must begin at 0) that is not followed by a 0, since
// country codes never start with 0. It returns where the rest begins.
func (rm *regionMeta) iddEnd(digits []byte) (int, bool) {
	if rm.auto != nil && rm.iddA != automata.NoAutomaton {
		switch count, end := rm.auto.prefixEnds(rm.iddA, digits); count {
		case 0:
			return 0, false
		case 1:
			if end < len(digits) && digits[end] == '0' {
				return 0, false
			}
			return end, true
		}
	}
	return rm.iddEndRegexp(digits)
}

// iddEndRegexp is iddEnd with the regexp.
func (rm *regionMeta) iddEndRegexp(digits []byte) (int, bool) {
	// The regexps get strings: a []byte given to a regexp escapes, and
	// with it the caller's digit buffer on every call.
	loc := rm.idd.FindStringIndex(string(digits))
	if loc == nil || loc[0] != 0 {
		return 0, false
	}
	if loc[1] < len(digits) && digits[loc[1]] == '0' {
		return 0, false
	}
	return loc[1], true
}

// extractCountryCode takes the longest known calling code of 1 to 3 digits
// from the front, trying the shortest first as libphonenumber does.
func (m *metadata) extractCountryCode(d []byte) (int, []byte) {
	if len(d) == 0 || d[0] == '0' {
		return 0, nil
	}
	cc := 0
	for i := 0; i < 3 && i < len(d); i++ {
		cc = cc*10 + int(d[i]-'0')
		if m.isCC[cc] {
			return cc, d[i+1:]
		}
	}
	return 0, nil
}

// stripNationalPrefix is maybeStripNationalPrefixAndCarrierCode without the
// carrier code; it returns the number unchanged when nothing applies.
func (rm *regionMeta) stripNationalPrefix(n []byte) []byte {
	if len(n) == 0 || rm.natPrefix == nil {
		return n
	}
	if rm.auto != nil && rm.npA != automata.NoAutomaton {
		count, end := rm.auto.prefixEnds(rm.npA, n)
		if count == 0 {
			return n
		}
		if count == 1 && rm.transform == "" {
			// Without a transform rule only the match's end matters.
			if rm.matchNatRule(n) && !rm.matchNatRule(n[end:]) {
				return n
			}
			return n[end:]
		}
	}
	return rm.stripNationalPrefixRegexp(n)
}

// stripNationalPrefixRegexp is stripNationalPrefix with the regexps.
func (rm *regionMeta) stripNationalPrefixRegexp(n []byte) []byte {
	if len(n) == 0 || rm.natPrefix == nil {
		return n
	}
	groups := rm.natPrefix.FindStringSubmatchIndex(string(n))
	if groups == nil {
		return n
	}
	viableOriginal := rm.natRule.MatchString(string(n))
	numGroups := len(groups)/2 - 1
	if rm.transform == "" || groups[numGroups*2] < 0 {
		if viableOriginal && !rm.natRule.MatchString(string(n[groups[1]:])) {
			return n
		}
		return n[groups[1]:]
	}
	transformed := rm.natPrefix.ReplaceAllString(string(n), rm.transform)
	if viableOriginal && !rm.natRule.MatchString(transformed) {
		return n
	}
	return []byte(transformed)
}

// testLength is testNumberLength for the general description (type UNKNOWN).
func (rm *regionMeta) testLength(n int) phonenumbers.ValidationResult {
	possible := rm.possible
	if len(possible) == 0 || possible[0] == -1 {
		return phonenumbers.INVALID_LENGTH
	}
	l := int32(n)
	for _, x := range rm.localOnly {
		if x == l {
			return phonenumbers.IS_POSSIBLE_LOCAL_ONLY
		}
	}
	switch {
	case possible[0] == l:
		return phonenumbers.IS_POSSIBLE
	case possible[0] > l:
		return phonenumbers.TOO_SHORT
	case possible[len(possible)-1] < l:
		return phonenumbers.TOO_LONG
	}
	for _, x := range possible[1:] {
		if x == l {
			return phonenumbers.IS_POSSIBLE
		}
	}
	return phonenumbers.INVALID_LENGTH
}
