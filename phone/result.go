// Package phone turns one line of an input file into one validation Result,
// with libphonenumber's semantics (through nyaruka/phonenumbers). It does no I/O.
package phone

import "strconv"

// Verdicts of the phoneCheck column. The engine gives Valid or Invalid;
// the pipeline's join, which takes phoneCheck from the remote service, gives
// Unanswered to a number the service's result leaves out and Conflicting to
// one it answers twice with different verdicts. Only Valid is valid.
const (
	Valid       = "valid"
	Invalid     = "invalid"
	Unanswered  = "unanswered"
	Conflicting = "conflicting"
)

// Reasons. VALID for valid numbers; the ValidationResult names of
// libphonenumber for parsed-but-invalid numbers; the parse error names for
// lines that do not parse.
const (
	ReasonValid              = "VALID"
	ReasonInvalidButPossible = "INVALID_BUT_POSSIBLE"
	ReasonInvalidCountryCode = "INVALID_COUNTRY_CODE"
	ReasonTooShort           = "TOO_SHORT"
	ReasonTooLong            = "TOO_LONG"
	ReasonInvalidLength      = "INVALID_LENGTH"
	ReasonPossibleLocalOnly  = "IS_POSSIBLE_LOCAL_ONLY"
	ReasonNotANumber         = "NOT_A_NUMBER"
	ReasonTooShortNSN        = "TOO_SHORT_NSN"
	ReasonTooShortAfterIDD   = "TOO_SHORT_AFTER_IDD"
)

// Header is the result schema's column list, in file order.
var Header = []string{
	"Number", "phoneCheck", "Input", "Line", "Reason", "Type", "CountryCode",
	"Region", "International", "National", "Carrier", "Location", "TimeZones",
}

// Result is one row of the result schema (see ARCHITECTURE.md).
type Result struct {
	Number        string `json:"Number"`
	PhoneCheck    string `json:"phoneCheck"`
	Input         string `json:"Input"`
	Line          int    `json:"Line"`
	Reason        string `json:"Reason"`
	Type          string `json:"Type"`
	CountryCode   string `json:"CountryCode"`
	Region        string `json:"Region"`
	International string `json:"International"`
	National      string `json:"National"`
	Carrier       string `json:"Carrier"`
	Location      string `json:"Location"`
	TimeZones     string `json:"TimeZones"`
}

// IsValid reports whether the row's verdict is valid.
func (r *Result) IsValid() bool { return r.PhoneCheck == Valid }

// Record appends the row's values in Header order to dst and returns it.
func (r *Result) Record(dst []string) []string {
	return append(dst, r.Number, r.PhoneCheck, r.Input, strconv.Itoa(r.Line), r.Reason, r.Type,
		r.CountryCode, r.Region, r.International, r.National, r.Carrier, r.Location, r.TimeZones)
}
