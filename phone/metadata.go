package phone

import (
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/nyaruka/phonenumbers"
	"github.com/phonecheck/phonecheck/phone/internal/automata"
)

// The libphonenumber algorithms below (number type, region, formatting) are
// those of nyaruka/phonenumbers over the same metadata and the same regular
// expressions, compiled once per region here: nyaruka builds each pattern's
// text and looks it up in a mutex-guarded cache on every call, which costs
// more than the match and serializes the cores.

// desc is a PhoneNumberDesc ready to match.
type desc struct {
	lengths []int32
	re      *regexp.Regexp // whole match; an empty pattern matches nothing
}

func newDesc(d *phonenumbers.PhoneNumberDesc) desc {
	if d == nil {
		return desc{re: regexp.MustCompile(`^(?:)$`)}
	}
	return desc{lengths: d.GetPossibleLength(), re: regexp.MustCompile(`^(?:` + d.GetNationalNumberPattern() + `)$`)}
}

// match is isNumberMatchingDesc.
func (d *desc) match(nsn string) bool {
	if len(d.lengths) > 0 {
		found := false
		for _, l := range d.lengths {
			if int32(len(nsn)) == l {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return d.re.MatchString(nsn)
}

// numberFormat is a NumberFormat with its patterns compiled and its national
// rule (first group replaced by the national prefix formatting rule) prepared.
type numberFormat struct {
	whole    *regexp.Regexp // ^(?:pattern)$
	leading  *regexp.Regexp // last leading-digits pattern, anchored; nil if none
	replace  *regexp.Regexp // pattern as nyaruka replaces with it
	intlRule string
	natRule  string
	// seq is the pattern as a sequence of digit classes (nil if it is not
	// one); intlT and natT are the rules as templates (format.go).
	seq         *seqPattern
	intlT, natT template
}

func newNumberFormats(nfs []*phonenumbers.NumberFormat) []numberFormat {
	out := make([]numberFormat, 0, len(nfs))
	for _, nf := range nfs {
		f := numberFormat{
			whole:    regexp.MustCompile(`^(?:` + nf.GetPattern() + `)$`),
			replace:  regexp.MustCompile(nf.GetPattern()),
			intlRule: nf.GetFormat(),
			natRule:  nf.GetFormat(),
		}
		if ld := nf.GetLeadingDigitsPattern(); len(ld) > 0 {
			f.leading = regexp.MustCompile(`^(?:` + ld[len(ld)-1] + `)`)
		}
		if npr := nf.GetNationalPrefixFormattingRule(); npr != "" {
			done := false
			f.natRule = phonenumbers.FIRST_GROUP_PATTERN.ReplaceAllStringFunc(nf.GetFormat(), func(s string) string {
				if done {
					return s
				}
				done = true
				return npr
			})
		}
		f.seq = newSeqPattern(nf.GetPattern())
		f.intlT, f.natT = newTemplate(f.replace, f.intlRule), newTemplate(f.replace, f.natRule)
		out = append(out, f)
	}
	return out
}

type regionMeta struct {
	// auto, when not nil, holds the automata of the region's patterns
	// (automata.go); an automaton's start is automata.NoAutomaton where it
	// was not compiled, and then the regexps below answer.
	auto                               *dfa
	typesA, formatsA, intlA, iddA, npA uint32
	// lenMask[n] has the bit of each description (automata.TagGeneral...)
	// whose possible lengths allow n digits.
	lenMask [maxNSN + 1]uint16

	meta      *phonenumbers.PhoneMetadata
	names     regionNames // Location values without a place
	ccString  string
	idd       *regexp.Regexp // international prefix, unanchored as nyaruka uses it
	natPrefix *regexp.Regexp // national prefix for parsing, anchored at the start; nil if none
	natRule   *regexp.Regexp // general description, whole match
	transform string
	possible  []int32
	localOnly []int32

	general, premium, tollFree, sharedCost, voip, personal, pager, uan, voicemail, fixedLine, mobile desc
	sameMobileAndFixed                                                                               bool
	leadingDigits                                                                                    *regexp.Regexp // for regions sharing a calling code; nil if none
	formats                                                                                          []numberFormat
	intlFormats                                                                                      []numberFormat // empty: formats serve INTERNATIONAL too
	extnPrefix                                                                                       string
}

type metadata struct {
	ccStrings [1000]string
	byCode    [26 * 26]*regionMeta // regions by their two letters
	regions   map[string]*regionMeta
	nonGeo    [1000]*regionMeta
	ccRegion  [1000][]*regionMeta // regions of a calling code, main region first
	isCC      [1000]bool
}

var meta = sync.OnceValue(func() *metadata {
	coll, err := phonenumbers.MetadataCollection()
	if err != nil {
		panic("phone: nyaruka metadata: " + err.Error())
	}
	m := &metadata{regions: map[string]*regionMeta{}}
	for _, pm := range coll.GetMetadata() {
		cc := int(pm.GetCountryCode())
		rm := &regionMeta{
			meta:      pm,
			ccString:  strconv.Itoa(cc),
			idd:       regexp.MustCompile(orNonMatch(pm.GetInternationalPrefix())),
			natRule:   regexp.MustCompile(`^(?:` + pm.GetGeneralDesc().GetNationalNumberPattern() + `)$`),
			transform: pm.GetNationalPrefixTransformRule(),
			possible:  pm.GetGeneralDesc().GetPossibleLength(),
			localOnly: pm.GetGeneralDesc().GetPossibleLengthLocalOnly(),

			general: newDesc(pm.GetGeneralDesc()), premium: newDesc(pm.GetPremiumRate()),
			tollFree: newDesc(pm.GetTollFree()), sharedCost: newDesc(pm.GetSharedCost()),
			voip: newDesc(pm.GetVoip()), personal: newDesc(pm.GetPersonalNumber()),
			pager: newDesc(pm.GetPager()), uan: newDesc(pm.GetUan()), voicemail: newDesc(pm.GetVoicemail()),
			fixedLine: newDesc(pm.GetFixedLine()), mobile: newDesc(pm.GetMobile()),
			sameMobileAndFixed: pm.GetSameMobileAndFixedLinePattern(),
			formats:            newNumberFormats(pm.GetNumberFormat()),
			intlFormats:        newNumberFormats(pm.GetIntlNumberFormat()),
			extnPrefix:         pm.GetPreferredExtnPrefix(),
		}
		if p := pm.GetNationalPrefixForParsing(); p != "" {
			rm.natPrefix = regexp.MustCompile(`^(?:` + p + `)`)
		}
		if ld := pm.GetLeadingDigits(); ld != "" {
			rm.leadingDigits = regexp.MustCompile(`^(?:` + ld + `)`)
		}
		if pm.GetId() == "001" {
			m.nonGeo[cc] = rm
		} else {
			m.regions[pm.GetId()] = rm
		}
		if cc < len(m.isCC) {
			m.isCC[cc] = true
		}
	}
	if auto, entries, err := loadAutomata(automataBin, coll); err == nil {
		for _, rm := range m.all() {
			e := entries[entryKey(rm.meta.GetId(), int(rm.meta.GetCountryCode()))]
			if e == nil {
				continue
			}
			rm.auto = auto
			rm.typesA, rm.formatsA, rm.intlA = e.Start[automata.Types], e.Start[automata.Formats], e.Start[automata.IntlFormats]
			rm.iddA, rm.npA = e.Start[automata.IDD], e.Start[automata.NationalPrefix]
			for tag, d := range automata.Descs(rm.meta) {
				for n := range rm.lenMask {
					if l := d.GetPossibleLength(); len(l) == 0 || slices.Contains(l, int32(n)) {
						rm.lenMask[n] |= 1 << tag
					}
				}
			}
		}
	}
	for region, rm := range m.regions {
		rm.names = newRegionNames(region)
		if i, ok := codeIndex(region); ok {
			m.byCode[i] = rm
		}
	}
	for _, rm := range m.nonGeo {
		if rm != nil {
			rm.names = newRegionNames("001")
		}
	}
	for cc := range m.ccStrings {
		m.ccStrings[cc] = strconv.Itoa(cc)
	}
	for cc := range m.isCC {
		for _, region := range phonenumbers.GetRegionCodesForCountryCode(cc) {
			if rm := m.regions[region]; rm != nil {
				m.ccRegion[cc] = append(m.ccRegion[cc], rm)
			}
		}
	}
	return m
})

// region is m.regions[code].
func (m *metadata) region(code string) *regionMeta {
	if i, ok := codeIndex(code); ok {
		return m.byCode[i]
	}
	return m.regions[code]
}

func codeIndex(code string) (int, bool) {
	if len(code) != 2 || code[0] < 'A' || code[0] > 'Z' || code[1] < 'A' || code[1] > 'Z' {
		return 0, false
	}
	return int(code[0]-'A')*26 + int(code[1]-'A'), true
}

// ccString is strconv.Itoa(cc).
func (m *metadata) ccString(cc int) string {
	if cc >= 0 && cc < len(m.ccStrings) {
		return m.ccStrings[cc]
	}
	return strconv.Itoa(cc)
}

// all returns every region's and non-geographical entity's metadata.
func (m *metadata) all() []*regionMeta {
	var out []*regionMeta
	for _, rm := range m.regions {
		out = append(out, rm)
	}
	for _, rm := range m.nonGeo {
		if rm != nil {
			out = append(out, rm)
		}
	}
	return out
}

// maxNSN is the longest national significant number libphonenumber parses.
const maxNSN = phonenumbers.MAX_LENGTH_FOR_NSN

func orNonMatch(p string) string {
	if p == "" {
		return "NonMatch"
	}
	return p
}

// nationalSignificantNumber is GetNationalSignificantNumber.
func nationalSignificantNumber(num *phonenumbers.PhoneNumber) string {
	s := strconv.FormatUint(num.GetNationalNumber(), 10)
	if num.GetItalianLeadingZero() {
		if z := int(num.GetNumberOfLeadingZeros()); z > 0 {
			s = strings.Repeat("0", min(z, phonenumbers.MAX_LENGTH_FOR_NSN)) + s
		}
	}
	return s
}

// regionOf is GetRegionCodeForNumber ("" for none) with the metadata that
// GetNumberType then uses (nil for none).
func (m *metadata) regionOf(cc int, nsn string) (string, *regionMeta) {
	if cc < 0 || cc >= len(m.ccRegion) {
		return "", nil
	}
	if nonGeo := m.nonGeo[cc]; nonGeo != nil && len(m.ccRegion[cc]) == 0 {
		return "001", nonGeo
	}
	regions := m.ccRegion[cc]
	switch len(regions) {
	case 0:
		return "", nil
	case 1:
		return regions[0].meta.GetId(), regions[0]
	}
	for _, rm := range regions {
		if rm.leadingDigits != nil {
			if rm.matchLeadingDigits(nsn) {
				return rm.meta.GetId(), rm
			}
		} else if rm.numberType(nsn) != phonenumbers.UNKNOWN {
			return rm.meta.GetId(), rm
		}
	}
	return "", nil
}

// matchLeadingDigits reports whether the region's leading digits match the
// start of nsn.
func (rm *regionMeta) matchLeadingDigits(nsn string) bool {
	if rm.auto != nil && rm.typesA != automata.NoAutomaton {
		_, prefix := rm.auto.walk(rm.typesA, nsn)
		return prefix&(1<<automata.TagLeadingDigits) != 0
	}
	return rm.leadingDigits.MatchString(nsn)
}

// matchNatRule reports whether the general description's pattern matches
// all of n (without its possible lengths: nyaruka's nationalNumberRule).
func (rm *regionMeta) matchNatRule(n []byte) bool {
	if rm.auto != nil && rm.typesA != automata.NoAutomaton {
		return rm.auto.matchWhole(rm.typesA, n)&(1<<automata.TagGeneral) != 0
	}
	return rm.natRule.MatchString(string(n)) // a []byte would escape
}

// numberType is getNumberTypeHelper: one walk of the types automaton gives
// every description's pattern, the possible lengths select among them.
func (rm *regionMeta) numberType(nsn string) phonenumbers.PhoneNumberType {
	if rm.auto == nil || rm.typesA == automata.NoAutomaton || len(nsn) > maxNSN {
		return rm.numberTypeRegexp(nsn)
	}
	whole, _ := rm.auto.walk(rm.typesA, nsn)
	match := uint16(whole) & rm.lenMask[len(nsn)]
	is := func(tag int) bool { return match&(1<<tag) != 0 }
	switch {
	case !is(automata.TagGeneral):
		return phonenumbers.UNKNOWN
	case is(automata.TagPremiumRate):
		return phonenumbers.PREMIUM_RATE
	case is(automata.TagTollFree):
		return phonenumbers.TOLL_FREE
	case is(automata.TagSharedCost):
		return phonenumbers.SHARED_COST
	case is(automata.TagVoip):
		return phonenumbers.VOIP
	case is(automata.TagPersonalNumber):
		return phonenumbers.PERSONAL_NUMBER
	case is(automata.TagPager):
		return phonenumbers.PAGER
	case is(automata.TagUAN):
		return phonenumbers.UAN
	case is(automata.TagVoicemail):
		return phonenumbers.VOICEMAIL
	case is(automata.TagFixedLine):
		if rm.sameMobileAndFixed || is(automata.TagMobile) {
			return phonenumbers.FIXED_LINE_OR_MOBILE
		}
		return phonenumbers.FIXED_LINE
	case !rm.sameMobileAndFixed && is(automata.TagMobile):
		return phonenumbers.MOBILE
	}
	return phonenumbers.UNKNOWN
}

// numberTypeRegexp is getNumberTypeHelper with the regexps.
func (rm *regionMeta) numberTypeRegexp(nsn string) phonenumbers.PhoneNumberType {
	switch {
	case !rm.general.match(nsn):
		return phonenumbers.UNKNOWN
	case rm.premium.match(nsn):
		return phonenumbers.PREMIUM_RATE
	case rm.tollFree.match(nsn):
		return phonenumbers.TOLL_FREE
	case rm.sharedCost.match(nsn):
		return phonenumbers.SHARED_COST
	case rm.voip.match(nsn):
		return phonenumbers.VOIP
	case rm.personal.match(nsn):
		return phonenumbers.PERSONAL_NUMBER
	case rm.pager.match(nsn):
		return phonenumbers.PAGER
	case rm.uan.match(nsn):
		return phonenumbers.UAN
	case rm.voicemail.match(nsn):
		return phonenumbers.VOICEMAIL
	case rm.fixedLine.match(nsn):
		if rm.sameMobileAndFixed || rm.mobile.match(nsn) {
			return phonenumbers.FIXED_LINE_OR_MOBILE
		}
		return phonenumbers.FIXED_LINE
	case !rm.sameMobileAndFixed && rm.mobile.match(nsn):
		return phonenumbers.MOBILE
	}
	return phonenumbers.UNKNOWN
}

// choose is chooseFormattingPatternForNumber; nil when no format applies.
func choose(formats []numberFormat, nsn string) *numberFormat {
	for i := range formats {
		f := &formats[i]
		if (f.leading == nil || f.leading.MatchString(nsn)) && f.whole.MatchString(nsn) {
			return f
		}
	}
	return nil
}

// formatBoth is Format for INTERNATIONAL and NATIONAL, with the metadata of
// the calling code's main region (fm). Both use the same pattern unless the
// region has international formats of its own. The two strings share one
// allocation.
func (fm *regionMeta) formatBoth(cc string, nsn, ext string) (intl, national string) {
	natFormat := fm.choose(false, nsn)
	intlFormat := natFormat
	if len(fm.intlFormats) > 0 {
		intlFormat = fm.choose(true, nsn)
	}
	extPrefix := ""
	if ext != "" {
		if extPrefix = fm.extnPrefix; extPrefix == "" {
			extPrefix = phonenumbers.DEFAULT_EXTN_PREFIX
		}
	}
	var buf [160]byte
	b := append(append(append(buf[:0], '+'), cc...), ' ')
	bodyStart := len(b)
	b = appendFormat(b, intlFormat, nsn, false)
	body := len(b)
	b = append(append(b, extPrefix...), ext...)
	intlEnd := len(b)
	if natFormat != nil && natFormat == intlFormat && natFormat.natRule == natFormat.intlRule {
		b = append(b, b[bodyStart:body]...)
	} else {
		b = appendFormat(b, natFormat, nsn, true)
	}
	b = append(append(b, extPrefix...), ext...)
	s := string(b)
	return s[:intlEnd], s[intlEnd:]
}

// appendFormat appends nsn formatted by f with its national or
// international rule; nsn itself when f is nil.
func appendFormat(b []byte, f *numberFormat, nsn string, national bool) []byte {
	if f == nil {
		return append(b, nsn...)
	}
	rule, t := f.intlRule, f.intlT
	if national {
		rule, t = f.natRule, f.natT
	}
	if out, ok := f.appendFormatted(b, nsn, t); ok {
		return out
	}
	return append(b, f.replace.ReplaceAllString(nsn, rule)...)
}

// formatMeta is the metadata Format uses for a calling code: its main
// region's, or the non-geographical entity's.
func (m *metadata) formatMeta(cc int) *regionMeta {
	if cc < 0 || cc >= len(m.ccRegion) {
		return nil
	}
	if regions := m.ccRegion[cc]; len(regions) > 0 {
		return regions[0]
	}
	return m.nonGeo[cc]
}
