package phone

import (
	"regexp"
	"regexp/syntax"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/nyaruka/phonenumbers"
	"github.com/phonecheck/phonecheck/phone/internal/automata"
)

// The libphonenumber algorithms below (number type, region, formatting) are
// those of nyaruka/phonenumbers over the same metadata and the same regular
// expressions. A region's metadata is prepared on its first use, and each
// of its regular expressions on the first match that the automata leave to
// it (almost none): a file of Swiss numbers prepares Switzerland and
// nothing else. nyaruka instead builds each pattern's text and looks it up
// in a mutex-guarded cache on every call, which costs more than the match
// and serializes the cores.

// lazyRegexp is a regular expression compiled on its first use.
type lazyRegexp struct {
	expr string
	once sync.Once
	re   *regexp.Regexp
}

func lazyCompile(expr string) *lazyRegexp { return &lazyRegexp{expr: expr} }

func (l *lazyRegexp) get() *regexp.Regexp {
	l.once.Do(func() { l.re = regexp.MustCompile(l.expr) })
	return l.re
}

func (l *lazyRegexp) String() string                 { return l.expr }
func (l *lazyRegexp) MatchString(s string) bool      { return l.get().MatchString(s) }
func (l *lazyRegexp) FindStringIndex(s string) []int { return l.get().FindStringIndex(s) }
func (l *lazyRegexp) FindStringSubmatchIndex(s string) []int {
	return l.get().FindStringSubmatchIndex(s)
}
func (l *lazyRegexp) ReplaceAllString(src, repl string) string {
	return l.get().ReplaceAllString(src, repl)
}

// desc is a PhoneNumberDesc ready to match.
type desc struct {
	lengths []int32
	re      *lazyRegexp // whole match; an empty pattern matches nothing
}

func newDesc(d *phonenumbers.PhoneNumberDesc) desc {
	if d == nil {
		return desc{re: lazyCompile(`^(?:)$`)}
	}
	return desc{lengths: d.GetPossibleLength(), re: lazyCompile(`^(?:` + d.GetNationalNumberPattern() + `)$`)}
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

// numberFormat is a NumberFormat with its patterns ready to match and its
// national rule (first group replaced by the national prefix formatting
// rule) prepared.
type numberFormat struct {
	whole    *lazyRegexp // ^(?:pattern)$
	leading  *lazyRegexp // last leading-digits pattern, anchored; nil if none
	replace  *lazyRegexp // pattern as nyaruka replaces with it
	intlRule string
	natRule  string
	// seq is the pattern as a sequence of digit classes (nil if it is not
	// one); intlT and natT are the rules as templates (format.go).
	seq         *seqPattern
	intlT, natT template
	// intlP and natP are the templates as plans, for a fixed-length
	// sequence (planned) of planLen digits.
	intlP, natP plan
	planned     bool
	planLen     int
}

func newNumberFormats(nfs []*phonenumbers.NumberFormat) []numberFormat {
	out := make([]numberFormat, 0, len(nfs))
	for _, nf := range nfs {
		f := numberFormat{
			whole:    lazyCompile(`^(?:` + nf.GetPattern() + `)$`),
			replace:  lazyCompile(nf.GetPattern()),
			intlRule: nf.GetFormat(),
			natRule:  nf.GetFormat(),
		}
		if ld := nf.GetLeadingDigitsPattern(); len(ld) > 0 {
			f.leading = lazyCompile(`^(?:` + ld[len(ld)-1] + `)`)
		}
		if npr := nf.GetNationalPrefixFormattingRule(); npr != "" {
			if g := firstGroup(f.natRule); g >= 0 {
				f.natRule = f.natRule[:g] + npr + f.natRule[g+2:]
			}
		}
		var expand *regexp.Regexp
		if parsed, err := syntax.Parse(nf.GetPattern(), syntax.Perl); err == nil {
			f.seq = newSeqPattern(parsed)
			expand = expander(parsed, f.replace)
		}
		f.intlT, f.natT = newTemplate(expand, f.intlRule), newTemplate(expand, f.natRule)
		if f.seq != nil && f.seq.fixed && f.intlT != nil && f.natT != nil {
			f.intlP, f.natP, f.planned = newPlan(f.seq, f.intlT), newPlan(f.seq, f.natT), true
			for _, a := range f.seq.atoms {
				f.planLen += a.min
			}
		}
		out = append(out, f)
	}
	return out
}

// firstGroup is the index of the first "$1".."$9" in a format rule (what
// nyaruka's FIRST_GROUP_PATTERN, `(\$\d)`, finds), or -1.
func firstGroup(rule string) int {
	for i := 0; i+1 < len(rule); i++ {
		if rule[i] == '$' && rule[i+1] >= '0' && rule[i+1] <= '9' {
			return i
		}
	}
	return -1
}

type regionMeta struct {
	// meta, ccString and m are set for every region; the rest when it is
	// first used (ready).
	meta     *phonenumbers.PhoneMetadata
	ccString string
	once     sync.Once
	m        *metadata

	// auto, when not nil, holds the automata of the region's patterns
	// (automata.go); an automaton's start is automata.NoAutomaton where it
	// was not compiled, and then the regexps below answer.
	auto                               *dfa
	typesA, formatsA, intlA, iddA, npA uint32
	// lenMask[n] has the bit of each description (automata.TagGeneral...)
	// whose possible lengths allow n digits.
	lenMask [maxNSN + 1]uint16

	names     regionNames // Location values without a place
	idd       *lazyRegexp // international prefix, unanchored as nyaruka uses it
	natPrefix *lazyRegexp // national prefix for parsing, anchored at the start; nil if none
	natRule   *lazyRegexp // general description, whole match
	transform string
	possible  []int32
	localOnly []int32

	general, premium, tollFree, sharedCost, voip, personal, pager, uan, voicemail, fixedLine, mobile desc
	sameMobileAndFixed                                                                               bool
	leadingDigits                                                                                    *lazyRegexp // for regions sharing a calling code; nil if none
	formats                                                                                          []numberFormat
	intlFormats                                                                                      []numberFormat // empty: formats serve INTERNATIONAL too
	extnPrefix                                                                                       string
}

// ready returns rm prepared.
func (rm *regionMeta) ready() *regionMeta {
	rm.once.Do(rm.prepare)
	return rm
}

func (rm *regionMeta) prepare() {
	pm := rm.meta
	rm.idd = lazyCompile(orNonMatch(pm.GetInternationalPrefix()))
	rm.natRule = lazyCompile(`^(?:` + pm.GetGeneralDesc().GetNationalNumberPattern() + `)$`)
	rm.transform = pm.GetNationalPrefixTransformRule()
	rm.possible = pm.GetGeneralDesc().GetPossibleLength()
	rm.localOnly = pm.GetGeneralDesc().GetPossibleLengthLocalOnly()
	rm.general, rm.premium = newDesc(pm.GetGeneralDesc()), newDesc(pm.GetPremiumRate())
	rm.tollFree, rm.sharedCost = newDesc(pm.GetTollFree()), newDesc(pm.GetSharedCost())
	rm.voip, rm.personal = newDesc(pm.GetVoip()), newDesc(pm.GetPersonalNumber())
	rm.pager, rm.uan, rm.voicemail = newDesc(pm.GetPager()), newDesc(pm.GetUan()), newDesc(pm.GetVoicemail())
	rm.fixedLine, rm.mobile = newDesc(pm.GetFixedLine()), newDesc(pm.GetMobile())
	rm.sameMobileAndFixed = pm.GetSameMobileAndFixedLinePattern()
	rm.formats = newNumberFormats(pm.GetNumberFormat())
	rm.intlFormats = newNumberFormats(pm.GetIntlNumberFormat())
	rm.extnPrefix = pm.GetPreferredExtnPrefix()
	if p := pm.GetNationalPrefixForParsing(); p != "" {
		rm.natPrefix = lazyCompile(`^(?:` + p + `)`)
	}
	if ld := pm.GetLeadingDigits(); ld != "" {
		rm.leadingDigits = lazyCompile(`^(?:` + ld + `)`)
	}
	if pm.GetId() == "001" {
		rm.names = newRegionNames("001")
	} else {
		rm.names = newRegionNames(pm.GetId())
	}
	if auto, e := rm.m.automataOf(pm); auto != nil {
		rm.auto = auto
		rm.typesA, rm.formatsA, rm.intlA = e.Start[automata.Types], e.Start[automata.Formats], e.Start[automata.IntlFormats]
		rm.iddA, rm.npA = e.Start[automata.IDD], e.Start[automata.NationalPrefix]
		for tag, d := range automata.Descs(pm) {
			for n := range rm.lenMask {
				if l := d.GetPossibleLength(); len(l) == 0 || slices.Contains(l, int32(n)) {
					rm.lenMask[n] |= 1 << tag
				}
			}
		}
	}
}

// metadata indexes the regions; a region is prepared on its first use.
// Only region, formatMeta, regionOf and all hand regions out.
type metadata struct {
	ccStrings [1000]string
	byCode    [26 * 26]*regionMeta // regions by their two letters
	regions   map[string]*regionMeta
	nonGeo    [1000]*regionMeta
	ccRegion  [1000][]*regionMeta // regions of a calling code, main region first
	isCC      [1000]bool

	// The automata, decoded when the first region is prepared.
	automata func() (*dfa, map[string]*automata.Entry)
}

var meta = sync.OnceValue(func() *metadata {
	coll, err := phonenumbers.MetadataCollection()
	if err != nil {
		panic("phone: nyaruka metadata: " + err.Error())
	}
	return newMetadata(coll, automataBin)
})

// newMetadata indexes the collection, with the automata in tables.
func newMetadata(coll *phonenumbers.PhoneMetadataCollection, tables []byte) *metadata {
	m := &metadata{regions: map[string]*regionMeta{}}
	m.automata = sync.OnceValues(func() (*dfa, map[string]*automata.Entry) {
		auto, entries, err := loadAutomata(tables)
		if err != nil {
			return nil, nil
		}
		return auto, entries
	})
	for _, pm := range coll.GetMetadata() {
		cc := int(pm.GetCountryCode())
		rm := &regionMeta{meta: pm, ccString: strconv.Itoa(cc), m: m}
		if pm.GetId() == "001" {
			m.nonGeo[cc] = rm
		} else {
			m.regions[pm.GetId()] = rm
			if i, ok := codeIndex(pm.GetId()); ok {
				m.byCode[i] = rm
			}
		}
		if cc < len(m.isCC) {
			m.isCC[cc] = true
		}
	}
	for cc := range m.isCC {
		if m.isCC[cc] {
			m.ccStrings[cc] = strconv.Itoa(cc)
		}
		for _, region := range phonenumbers.GetRegionCodesForCountryCode(cc) {
			if rm := m.regions[region]; rm != nil {
				m.ccRegion[cc] = append(m.ccRegion[cc], rm)
			}
		}
	}
	return m
}

// automataOf returns the automata of an entry, or nil when the tables hold
// none for it or were built from other patterns (then its regexps answer).
func (m *metadata) automataOf(pm *phonenumbers.PhoneMetadata) (*dfa, *automata.Entry) {
	auto, entries := m.automata()
	e := entries[entryKey(pm.GetId(), int(pm.GetCountryCode()))]
	if auto == nil || e == nil || e.Digest != automata.EntryDigest(pm) {
		return nil, nil
	}
	return auto, e
}

// region is m.regions[code], prepared; nil if there is none.
func (m *metadata) region(code string) *regionMeta {
	var rm *regionMeta
	if i, ok := codeIndex(code); ok {
		rm = m.byCode[i]
	} else {
		rm = m.regions[code]
	}
	if rm == nil {
		return nil
	}
	return rm.ready()
}

func codeIndex(code string) (int, bool) {
	if len(code) != 2 || code[0] < 'A' || code[0] > 'Z' || code[1] < 'A' || code[1] > 'Z' {
		return 0, false
	}
	return int(code[0]-'A')*26 + int(code[1]-'A'), true
}

// ccString is strconv.Itoa(cc), without allocating for calling codes.
func (m *metadata) ccString(cc int) string {
	if cc >= 0 && cc < len(m.ccStrings) && m.ccStrings[cc] != "" {
		return m.ccStrings[cc]
	}
	return strconv.Itoa(cc)
}

// all returns every region's and non-geographical entity's metadata, prepared.
func (m *metadata) all() []*regionMeta {
	var out []*regionMeta
	for _, rm := range m.regions {
		out = append(out, rm.ready())
	}
	for _, rm := range m.nonGeo {
		if rm != nil {
			out = append(out, rm.ready())
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
		return "001", nonGeo.ready()
	}
	regions := m.ccRegion[cc]
	switch len(regions) {
	case 0:
		return "", nil
	case 1:
		return regions[0].meta.GetId(), regions[0].ready()
	}
	for _, rm := range regions {
		if rm.ready().leadingDigits != nil {
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
// region has international formats of its own. The two strings are written
// to sb, after what it holds.
func (fm *regionMeta) formatBoth(sb *strings.Builder, cc string, nsn, ext string) (intl, national string) {
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
	var m seqMatch
	b := append(append(append(buf[:0], '+'), cc...), ' ')
	bodyStart := len(b)
	b = appendFormat(b, intlFormat, nsn, false, &m)
	body := len(b)
	b = append(append(b, extPrefix...), ext...)
	intlEnd := len(b)
	if natFormat != nil && natFormat == intlFormat && natFormat.natRule == natFormat.intlRule {
		b = append(b, b[bodyStart:body]...)
	} else {
		b = appendFormat(b, natFormat, nsn, true, &m)
	}
	b = append(append(b, extPrefix...), ext...)
	start := sb.Len()
	sb.Write(b)
	s := sb.String()[start:]
	return s[:intlEnd], s[intlEnd:]
}

// appendFormat appends nsn formatted by f with its national or
// international rule; nsn itself when f is nil. m keeps the sequence match
// for the other rule.
func appendFormat(b []byte, f *numberFormat, nsn string, national bool, m *seqMatch) []byte {
	if f == nil {
		return append(b, nsn...)
	}
	rule, t := f.intlRule, f.intlT
	if national {
		rule, t = f.natRule, f.natT
	}
	if f.planned && len(nsn) == f.planLen {
		// f was chosen because its pattern matches all of nsn, and for a
		// fixed-length sequence that puts the groups where the plan has them.
		p := f.intlP
		if national {
			p = f.natP
		}
		return p.appendTo(b, nsn)
	}
	if f.seq != nil && t != nil {
		if pos, ok := m.of(f, nsn); ok {
			return f.expand(b, nsn, pos, t)
		}
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
		return regions[0].ready()
	}
	if rm := m.nonGeo[cc]; rm != nil {
		return rm.ready()
	}
	return nil
}
