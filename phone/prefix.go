package phone

import (
	_ "embed"
	"sync"

	"github.com/phonecheck/phonecheck/phone/internal/prefixtable"
)

// The carrier, geocoding and time zone data are nyaruka/phonenumbers' own
// files, compiled by internal/gen into prefix tables (internal/prefixtable)
// that are searched where they are embedded: nothing is decoded at start,
// and a lookup reads only the part of a table its number's prefix selects.
// (nyaruka keeps the files unexported and answers each lookup by formatting
// the number to E.164 again, taking a mutex and parsing up to nine prefixes
// with strconv.) TestGeneratedFresh fails when the tables are stale.
var (
	//go:embed prefixdata/carrier.bin
	carrierData string
	//go:embed prefixdata/geocoding.bin
	geocodingData string
	//go:embed prefixdata/timezone.bin
	timezoneData string
)

// prefixTables maps the embedded tables to their file names (internal/gen).
var prefixTables = map[string]*string{
	"carrier.bin":   &carrierData,
	"geocoding.bin": &geocodingData,
	"timezone.bin":  &timezoneData,
}

func openTable(data string) func() *prefixtable.Table {
	return sync.OnceValue(func() *prefixtable.Table {
		t, err := prefixtable.Open(data)
		if err != nil {
			panic("phone: embedded prefix table: " + err.Error())
		}
		return t
	})
}

var (
	carrierTable   = openTable(carrierData)
	geocodingTable = openTable(geocodingData)
	timezoneTable  = openTable(timezoneData)
)

// lookupCarrier is GetCarrierForNumber(number, "en") for the digits of the
// number's E.164 form.
func lookupCarrier(digits string) string {
	v, _ := carrierTable().Lookup(digits, 9)
	return v
}

// lookupPlace is the geocoding data's part of GetGeocodingForNumber.
func lookupPlace(digits string) string {
	v, _ := geocodingTable().Lookup(digits, 9)
	return v
}

// lookupTimeZones is GetTimezonesForPrefix joined by ';', "" for unknown.
func lookupTimeZones(digits string) string {
	t := timezoneTable()
	v, _ := t.Lookup(digits, t.MaxLen())
	return v
}
