package phone

import (
	"fmt"
	"testing"

	"github.com/nyaruka/phonenumbers"
	"github.com/phonecheck/phonecheck/internal/corpus"
	"google.golang.org/protobuf/proto"
)

// sameAsParse fails t when fastParse, where it takes the input, answers
// differently from nyaruka's Parse. It reports whether fastParse took it.
func sameAsParse(t testing.TB, text, region string) bool {
	var fast, slow phonenumbers.PhoneNumber
	handled, fastErr := fastParse(text, region, &fast)
	if !handled {
		return false
	}
	slowErr := phonenumbers.ParseToNumber(text, region, &slow)
	if fastErr != slowErr {
		t.Fatalf("fastParse(%q, %q) error %v, Parse error %v", text, region, fastErr, slowErr)
	}
	if fastErr == nil && !proto.Equal(&fast, &slow) {
		t.Fatalf("fastParse(%q, %q) = %v, Parse = %v", text, region, &fast, &slow)
	}
	return true
}

// variants writes a national significant number the ways people do.
func variants(cc int32, nsn string) []string {
	c := fmt.Sprint(cc)
	out := []string{"+" + c + nsn, "+" + c + " " + nsn, "00" + c + nsn, "011" + c + nsn, "0" + nsn, nsn, c + nsn,
		"+" + c + "0" + nsn, "(0" + nsn[:min(2, len(nsn))] + ") " + nsn[min(2, len(nsn)):], "+" + c + "-" + nsn + "9", "+0" + c + nsn}
	if len(nsn) > 3 {
		out = append(out, "+"+c+nsn[:len(nsn)-2], "0"+nsn[1:], c+"."+nsn[:3]+"/"+nsn[3:])
	}
	return out
}

// TestFastParseExampleNumbers holds fastParse to Parse for every example
// number of every region and type, written many ways, read from many regions.
func TestFastParseExampleNumbers(t *testing.T) {
	types := []phonenumbers.PhoneNumberType{phonenumbers.FIXED_LINE, phonenumbers.MOBILE, phonenumbers.TOLL_FREE,
		phonenumbers.PREMIUM_RATE, phonenumbers.SHARED_COST, phonenumbers.VOIP, phonenumbers.PERSONAL_NUMBER,
		phonenumbers.PAGER, phonenumbers.UAN, phonenumbers.VOICEMAIL}
	readFrom := []string{"", "CH", "US", "GB", "DE", "IT", "FR", "BR", "AR", "MX", "JP", "AU", "RU", "KR", "IN", "CN"}
	var taken, total int
	for region := range phonenumbers.GetSupportedRegions() {
		readFrom := append(readFrom, region)
		for _, typ := range types {
			n := phonenumbers.GetExampleNumberForType(region, typ)
			if n == nil {
				continue
			}
			for _, v := range variants(n.GetCountryCode(), phonenumbers.GetNationalSignificantNumber(n)) {
				for _, from := range readFrom {
					total++
					if sameAsParse(t, v, from) {
						taken++
					}
				}
			}
		}
	}
	for cc := range phonenumbers.GetSupportedGlobalNetworkCallingCodes() {
		n := phonenumbers.GetExampleNumberForNonGeoEntity(cc)
		if n == nil {
			continue
		}
		for _, v := range variants(n.GetCountryCode(), phonenumbers.GetNationalSignificantNumber(n)) {
			for _, from := range readFrom {
				total++
				if sameAsParse(t, v, from) {
					taken++
				}
			}
		}
	}
	t.Logf("fastParse took %d of %d inputs", taken, total)
	if taken < total/2 {
		t.Errorf("fastParse took only %d of %d inputs: the fast path is not being used", taken, total)
	}
}

func TestFastParseCorpus(t *testing.T) {
	n := 200_000
	if testing.Short() {
		n = 20_000
	}
	g := corpus.New(7)
	for range n {
		text := TrimSpace(CleanLine(g.Line()))
		sameAsParse(t, text, corpus.Region)
		sameAsParse(t, text, "")
	}
}

func TestCallingCodesTable(t *testing.T) {
	m := meta()
	want := phonenumbers.GetSupportedCallingCodes()
	for cc := range len(m.isCC) {
		if m.isCC[cc] != want[cc] {
			t.Errorf("calling code %d: table %v, libphonenumber %v", cc, m.isCC[cc], want[cc])
		}
	}
}
