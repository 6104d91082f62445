package phone

import (
	"bytes"
	"maps"
	"math/rand/v2"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/nyaruka/phonenumbers"
	"github.com/phonecheck/phonecheck/phone/internal/automata"
	"github.com/phonecheck/phonecheck/phone/internal/prefixtable"
)

// TestGeneratedFresh regenerates the automata and the prefix tables in
// memory from nyaruka's module and requires the checked-in files to be the
// same bytes: it fails when nyaruka's metadata or data or the generators
// changed without go generate ./phone.
func TestGeneratedFresh(t *testing.T) {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/nyaruka/phonenumbers").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	dir := strings.TrimSpace(string(out))
	for _, src := range prefixtable.Sources {
		want, err := src.Build(dir)
		if err != nil {
			t.Fatal(err)
		}
		data, ok := prefixTables[src.Name]
		if !ok {
			t.Fatalf("%s is not embedded", src.Name)
		}
		if *data != string(want) {
			t.Errorf("prefixdata/%s is stale: run go generate ./phone", src.Name)
		}
		tbl, err := prefixtable.Open(*data)
		if err != nil {
			t.Fatal(err)
		}
		if err := tbl.Verify(); err != nil {
			t.Errorf("prefixdata/%s: %v", src.Name, err)
		}
	}
	if len(prefixTables) != len(prefixtable.Sources) {
		t.Errorf("%d prefix tables embedded, %d generated", len(prefixTables), len(prefixtable.Sources))
	}
	testAutomataFresh(t)
}

// TestStaleAutomataAreRefused: a region whose automata were built from
// other patterns gets none (its regexps answer), the other regions keep
// theirs; a truncated file is refused.
func TestStaleAutomataAreRefused(t *testing.T) {
	coll, err := phonenumbers.MetadataCollection()
	if err != nil {
		t.Fatal(err)
	}
	tables, err := automata.Decode(automataBin)
	if err != nil {
		t.Fatal(err)
	}
	for i := range tables.Entries {
		if tables.Entries[i].ID == "CH" {
			tables.Entries[i].Digest[0] ^= 1
		}
	}
	m := newMetadata(coll, tables.Encode())
	if ch := m.region("CH"); ch.auto != nil {
		t.Error("CH: stale automata loaded")
	}
	if de := m.region("DE"); de.auto == nil {
		t.Error("DE: automata not loaded")
	}
	if r := checkWith(m, "044 668 18 00", "CH"); r.Number != "+41446681800" || r.PhoneCheck != Valid || r.National != "044 668 18 00" {
		t.Errorf("CH by its regexps: %+v", r)
	}
	if _, _, err := loadAutomata(automataBin[:len(automataBin)/2]); err == nil {
		t.Fatal("truncated tables loaded")
	}
	if m := newMetadata(coll, automataBin[:len(automataBin)/2]); m.region("CH").auto != nil {
		t.Fatal("truncated tables used")
	}
}

func testAutomataFresh(t *testing.T) {
	coll, err := phonenumbers.MetadataCollection()
	if err != nil {
		t.Fatal(err)
	}
	tables, err := automata.Build(coll)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(tables.Encode(), automataBin) {
		t.Fatal("automata.bin is stale: run go generate ./phone")
	}
	if _, _, err := loadAutomata(automataBin); err != nil {
		t.Fatal(err)
	}
	for _, rm := range meta().all() {
		if rm.auto == nil || rm.typesA == automata.NoAutomaton || rm.formatsA == automata.NoAutomaton || rm.iddA == automata.NoAutomaton {
			t.Errorf("%s: automata not loaded", rm.meta.GetId())
		}
	}
}

// reach[s] holds the tags whose pattern accepts in s or after it.
var reach = sync.OnceValue(func() []uint64 {
	a := meta().all()[0].auto
	r := slices.Clone(a.label)
	for changed := true; changed; {
		changed = false
		for s := range r {
			for d := range 10 {
				if to := a.trans[10*s+d]; r[s]|r[to] != r[s] {
					r[s] |= r[to]
					changed = true
				}
			}
		}
	}
	return r
})

// sample returns up to n distinct digit strings that the pattern of tag
// accepts as a whole, by random walks through the automaton from start.
func sample(rng *rand.Rand, a *dfa, start uint32, tag int, n int) []string {
	bit := uint64(1) << tag
	r := reach()
	if r[start]&bit == 0 {
		return nil
	}
	seen := map[string]bool{}
	for try := 0; try < 4*n && len(seen) < n; try++ {
		s, b := start, []byte{}
		for len(b) < 25 {
			var next []int
			for d := range 10 {
				if r[a.trans[10*s+uint32(d)]]&bit != 0 {
					next = append(next, d)
				}
			}
			if a.label[s]&bit != 0 && (len(next) == 0 || rng.IntN(4) == 0) {
				seen[string(b)] = true
				break
			}
			if len(next) == 0 {
				break
			}
			d := next[rng.IntN(len(next))]
			b = append(b, byte('0'+d))
			s = a.trans[10*s+uint32(d)]
		}
	}
	return slices.Sorted(maps.Keys(seen))
}

// mutants returns s with small changes: a digit more or less, the last digit
// changed, which puts numbers on the edges of the patterns.
func mutants(rng *rand.Rand, s string) []string {
	out := []string{s, s + string(byte('0'+rng.IntN(10)))}
	if len(s) > 1 {
		out = append(out, s[:len(s)-1], s[:len(s)-1]+string(byte('0'+rng.IntN(10))), s[1:])
	}
	return out
}

// samples are numbers of every description of a region, and their mutants.
func samples(rng *rand.Rand, rm *regionMeta, perTag int) []string {
	var out []string
	for tag := range automata.NumDescs {
		for _, s := range sample(rng, rm.auto, rm.typesA, tag, perTag) {
			out = append(out, mutants(rng, s)...)
		}
	}
	return out
}

// TestAutomataTypesMatchRegexps holds each automaton to the regexps it
// replaces, on numbers sampled from every description of every region.
func TestAutomataTypesMatchRegexps(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	checked, perTag := 0, 40
	if testing.Short() {
		perTag = 4
	}
	for _, rm := range meta().all() {
		id := rm.meta.GetId()
		for _, nsn := range samples(rng, rm, perTag) {
			checked++
			if got, want := rm.numberType(nsn), rm.numberTypeRegexp(nsn); got != want {
				t.Fatalf("%s %s: type %v, regexp %v", id, nsn, got, want)
			}
			if got, want := rm.matchNatRule([]byte(nsn)), rm.natRule.MatchString(nsn); got != want {
				t.Fatalf("%s %s: national number rule %v, regexp %v", id, nsn, got, want)
			}
			if rm.leadingDigits != nil {
				if got, want := rm.matchLeadingDigits(nsn), rm.leadingDigits.MatchString(nsn); got != want {
					t.Fatalf("%s %s: leading digits %v, regexp %v", id, nsn, got, want)
				}
			}
			// The prefixes: national prefix and IDD written before the number.
			for _, prefix := range []string{"", "0", "1", "00", "011", "8", "810", "0011", "9", "15", rm.meta.GetNationalPrefix()} {
				n := []byte(prefix + nsn)
				if got, want := rm.stripNationalPrefix(slices.Clone(n)), rm.stripNationalPrefixRegexp(slices.Clone(n)); !bytes.Equal(got, want) {
					t.Fatalf("%s %s: national prefix stripped to %s, regexp %s", id, n, got, want)
				}
				end, ok := rm.iddEnd(n)
				if wantEnd, wantOK := rm.iddEndRegexp(n); end != wantEnd || ok != wantOK {
					t.Fatalf("%s %s: IDD ends at %d %v, regexp %d %v", id, n, end, ok, wantEnd, wantOK)
				}
			}
		}
	}
	t.Logf("%d numbers", checked)
}

// TestAutomataFormatsMatchRegexps holds the formats automata, the sequence
// matcher and the templates to the regexps, on numbers sampled from every
// format pattern of every region.
func TestAutomataFormatsMatchRegexps(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	checked, formatted, bySeq, perFormat := 0, 0, 0, 30
	if testing.Short() {
		perFormat = 4
	}
	for _, rm := range meta().all() {
		id := rm.meta.GetId()
		for _, intl := range []bool{false, true} {
			formats, start := rm.formats, rm.formatsA
			if intl {
				formats, start = rm.intlFormats, rm.intlA
			}
			var nsns []string
			for i := range formats {
				for _, s := range sample(rng, rm.auto, start, i, perFormat) {
					nsns = append(nsns, mutants(rng, s)...)
				}
			}
			nsns = append(nsns, samples(rng, rm, perFormat/6+1)...)
			for _, nsn := range nsns {
				checked++
				got, want := rm.choose(intl, nsn), choose(formats, nsn)
				if got != want {
					t.Fatalf("%s %s (intl %v): format %v, regexp %v", id, nsn, intl, got, want)
				}
				if got == nil {
					continue
				}
				for _, national := range []bool{false, true} {
					rule, tmpl := got.intlRule, got.intlT
					if national {
						rule, tmpl = got.natRule, got.natT
					}
					want := got.replace.ReplaceAllString(nsn, rule)
					formatted++
					if out, ok := got.appendFormatted(nil, nsn, tmpl); ok {
						bySeq++
						if string(out) != want {
							t.Fatalf("%s %s rule %q: %q, regexp %q", id, nsn, rule, out, want)
						}
					}
				}
			}
		}
	}
	t.Logf("%d numbers, %d formatted, %d without the regexp", checked, formatted, bySeq)
	if bySeq < formatted*99/100 {
		t.Errorf("only %d of %d formatted without the regexp", bySeq, formatted)
	}
	for _, rm := range meta().all() {
		for _, f := range append(slices.Clone(rm.formats), rm.intlFormats...) {
			if f.seq == nil || f.intlT == nil || f.natT == nil {
				t.Logf("%s: %s %q %q is formatted by the regexp", rm.meta.GetId(), f.replace, f.intlRule, f.natRule)
			}
		}
	}
}

// checkWith is Check with the metadata m.
func checkWith(m *metadata, input, region string) Result {
	r := Result{Input: input, Line: 1}
	m.check(&r, region, true, nil)
	return r
}

// TestRegionsArePreparedOnFirstUse: Swiss lines prepare Switzerland and no
// other region, and compile no regexp (the automata answer them all).
func TestRegionsArePreparedOnFirstUse(t *testing.T) {
	coll, err := phonenumbers.MetadataCollection()
	if err != nil {
		t.Fatal(err)
	}
	m := newMetadata(coll, automataBin)
	for _, line := range []string{"044 668 18 00", "079 123 45 67", "+41 44 668 18 00", "0041 44 668 18 00", "0800 123 456", "044 668 18"} {
		if r := checkWith(m, line, "CH"); r.CountryCode != "41" {
			t.Fatalf("%s: %+v", line, r)
		}
	}
	var prepared []string
	for _, rm := range append(slices.Collect(maps.Values(m.regions)), m.nonGeo[800], m.nonGeo[808]) {
		if rm.formats != nil {
			prepared = append(prepared, rm.meta.GetId())
		}
	}
	if !slices.Equal(prepared, []string{"CH"}) {
		t.Fatalf("prepared %v, want only CH", prepared)
	}
	ch := m.region("CH")
	regexps := []*lazyRegexp{ch.idd, ch.natPrefix, ch.natRule, ch.general.re, ch.fixedLine.re, ch.mobile.re, ch.tollFree.re}
	for _, f := range ch.formats {
		regexps = append(regexps, f.whole, f.leading, f.replace)
	}
	for _, l := range regexps {
		if l != nil && l.re != nil {
			t.Errorf("CH compiled %s", l)
		}
	}
}

// TestPlansMatchTemplates: the plan of every fixed-length format writes
// what its template writes, on numbers sampled from the format's pattern.
func TestPlansMatchTemplates(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	planned, checked := 0, 0
	for _, rm := range meta().all() {
		for _, intl := range []bool{false, true} {
			formats, start := rm.formats, rm.formatsA
			if intl {
				formats, start = rm.intlFormats, rm.intlA
			}
			for i := range formats {
				f := &formats[i]
				if !f.planned {
					continue
				}
				planned++
				for _, nsn := range sample(rng, rm.auto, start, i, 10) {
					// appendFormat writes a plan without matching the
					// sequence: the automaton's whole match must imply it.
					var m seqMatch
					pos, ok := m.of(f, nsn)
					if !ok || len(nsn) != f.planLen {
						t.Fatalf("%s %s: the automaton matches format %d, its sequence (%d digits) does not", rm.meta.GetId(), nsn, i, f.planLen)
					}
					checked++
					for _, p := range []struct {
						plan plan
						t    template
					}{{f.intlP, f.intlT}, {f.natP, f.natT}} {
						if got, want := string(p.plan.appendTo([]byte("x"), nsn)), "x"+string(f.expand(nil, nsn, pos, p.t)); got != want {
							t.Fatalf("%s %s: plan writes %q, template %q", rm.meta.GetId(), nsn, got, want)
						}
					}
				}
			}
		}
	}
	t.Logf("%d planned formats, %d numbers", planned, checked)
	if planned == 0 || checked == 0 {
		t.Fatal("no plan checked")
	}
}
