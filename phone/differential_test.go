package phone

import (
	"testing"

	"github.com/nyaruka/phonenumbers"
	"github.com/phonecheck/phonecheck/internal/corpus"
)

// sameAsGeneral fails t when Check and checkGeneral (nyaruka's public API
// alone) give different rows.
func sameAsGeneral(t testing.TB, input, region string) {
	t.Helper()
	fast, slow := Check(input, 1, region), checkGeneral(input, 1, region)
	if fast != slow {
		t.Fatalf("Check(%q, %q)\n got %+v\nwant %+v", input, region, fast, slow)
	}
}

func TestCheckMatchesGeneralOnExampleNumbers(t *testing.T) {
	types := []phonenumbers.PhoneNumberType{phonenumbers.FIXED_LINE, phonenumbers.MOBILE, phonenumbers.TOLL_FREE,
		phonenumbers.PREMIUM_RATE, phonenumbers.SHARED_COST, phonenumbers.VOIP, phonenumbers.PERSONAL_NUMBER,
		phonenumbers.PAGER, phonenumbers.UAN, phonenumbers.VOICEMAIL}
	for region := range phonenumbers.GetSupportedRegions() {
		for _, typ := range types {
			n := phonenumbers.GetExampleNumberForType(region, typ)
			if n == nil {
				continue
			}
			for _, v := range variants(n.GetCountryCode(), phonenumbers.GetNationalSignificantNumber(n)) {
				for _, from := range []string{"", region, "CH", "US"} {
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

func TestCheckMatchesGeneralOnCorpus(t *testing.T) {
	n := 200_000
	if testing.Short() {
		n = 20_000
	}
	g := corpus.New(11)
	for range n {
		line := CleanLine(g.Line())
		sameAsGeneral(t, line, corpus.Region)
	}
}
