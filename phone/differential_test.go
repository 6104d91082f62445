package phone

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"sync"
	"testing"

	"github.com/nyaruka/phonenumbers"
	"github.com/phonecheck/phonecheck/internal/corpus"
)

// The compiled engine (Check: parsePlain and the automata, with prepareText
// and nyaruka's parser for the rest) is held to checkGeneral, which answers
// through nyaruka's public API alone, on every column of the schema.

// diffGeneral describes how Check and CheckCore differ from checkGeneral,
// or returns "".
func diffGeneral(input, region string) string {
	fast, slow := Check(input, 1, region), checkGeneral(input, 1, region)
	if fast != slow {
		return fmt.Sprintf("Check(%q, %q)\n got %+v\nwant %+v", input, region, fast, slow)
	}
	core := CheckCore(input, 1, region)
	slow.International, slow.National, slow.Carrier, slow.Location, slow.TimeZones = "", "", "", "", ""
	if core != slow {
		return fmt.Sprintf("CheckCore(%q, %q)\n got %+v\nwant %+v", input, region, core, slow)
	}
	return ""
}

// sameAsGeneral fails t when Check or CheckCore differ from checkGeneral.
func sameAsGeneral(t testing.TB, input, region string) {
	t.Helper()
	if d := diffGeneral(input, region); d != "" {
		t.Fatal(d)
	}
}

var exampleTypes = []phonenumbers.PhoneNumberType{phonenumbers.FIXED_LINE, phonenumbers.MOBILE, phonenumbers.TOLL_FREE,
	phonenumbers.PREMIUM_RATE, phonenumbers.SHARED_COST, phonenumbers.VOIP, phonenumbers.PERSONAL_NUMBER,
	phonenumbers.PAGER, phonenumbers.UAN, phonenumbers.VOICEMAIL}

// otherRegion is a region other than region whose IDD is 00, to write a
// number as dialled from abroad.
func otherRegion(region string) string {
	if region == "CH" {
		return "DE"
	}
	return "CH"
}

// TestCheckMatchesGeneralOnExampleNumbers: every example number of every
// region and type, written as E.164, national (read with its region),
// dialled with an IDD from another region, and the other ways of variants,
// read from no region, its own and two others, with and without an
// extension.
func TestCheckMatchesGeneralOnExampleNumbers(t *testing.T) {
	for region := range phonenumbers.GetSupportedRegions() {
		for _, typ := range exampleTypes {
			n := phonenumbers.GetExampleNumberForType(region, typ)
			if n == nil {
				continue
			}
			cc, nsn := n.GetCountryCode(), phonenumbers.GetNationalSignificantNumber(n)
			sameAsGeneral(t, phonenumbers.Format(n, phonenumbers.E164), "")
			sameAsGeneral(t, phonenumbers.Format(n, phonenumbers.NATIONAL), region)
			sameAsGeneral(t, phonenumbers.Format(n, phonenumbers.INTERNATIONAL), otherRegion(region))
			sameAsGeneral(t, fmt.Sprintf("00%d%s", cc, nsn), otherRegion(region))
			from := []string{"", region, "CH", "US"}
			if testing.Short() {
				from = from[:2]
			}
			for _, v := range variants(cc, nsn) {
				for _, from := range from {
					sameAsGeneral(t, v, from)
					sameAsGeneral(t, v+" ext. 77", from)
				}
			}
		}
	}
	for cc := range phonenumbers.GetSupportedGlobalNetworkCallingCodes() {
		if n := phonenumbers.GetExampleNumberForNonGeoEntity(cc); n != nil {
			for _, v := range variants(n.GetCountryCode(), phonenumbers.GetNationalSignificantNumber(n)) {
				sameAsGeneral(t, v, "")
				sameAsGeneral(t, v, "CH")
			}
		}
	}
}

// TestCheckMatchesGeneralOnSampledNumbers goes beyond the example numbers:
// numbers of every description of every region, drawn at random from the
// automata themselves (and edited by a digit), written as E.164, national
// and with an IDD.
func TestCheckMatchesGeneralOnSampledNumbers(t *testing.T) {
	perTag := 8
	if testing.Short() {
		perTag = 1
	}
	rng := rand.New(rand.NewPCG(5, 6))
	var inputs [][2]string
	for _, rm := range meta().all() {
		region, cc := rm.meta.GetId(), rm.ccString
		for _, nsn := range samples(rng, rm, perTag) {
			inputs = append(inputs, [2]string{"+" + cc + nsn, ""})
			if region != "001" {
				inputs = append(inputs, [2]string{rm.meta.GetNationalPrefix() + nsn, region},
					[2]string{"00" + cc + " " + nsn, otherRegion(region)})
			}
		}
	}
	if testing.Short() { // every region still, a tenth of the spellings
		for i := range len(inputs) / 10 {
			inputs[i] = inputs[10*i]
		}
		inputs = inputs[:len(inputs)/10]
	}
	parallelSameAsGeneral(t, inputs)
}

// TestCheckMatchesGeneralOnCorpus: a generated realistic corpus of a
// million lines (20,000 with -short), every distinct line checked.
func TestCheckMatchesGeneralOnCorpus(t *testing.T) {
	n := 1_000_000
	if testing.Short() {
		n = 20_000
	}
	g := corpus.New(11)
	seen := map[string]bool{}
	var inputs [][2]string
	for range n {
		line := g.Line()
		if IsBlank(line) || seen[line] {
			continue
		}
		seen[line] = true
		inputs = append(inputs, [2]string{CleanLine(line), corpus.Region})
	}
	parallelSameAsGeneral(t, inputs)
}

// parallelSameAsGeneral checks the (input, region) pairs on every core.
func parallelSameAsGeneral(t *testing.T, inputs [][2]string) {
	t.Helper()
	workers := runtime.GOMAXPROCS(0)
	var wg sync.WaitGroup
	diffs := make(chan string, workers)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < len(inputs); i += workers {
				if d := diffGeneral(inputs[i][0], inputs[i][1]); d != "" {
					diffs <- d
					return
				}
			}
		}()
	}
	wg.Wait()
	close(diffs)
	for d := range diffs {
		t.Error(d)
	}
	t.Logf("%d inputs", len(inputs))
}
