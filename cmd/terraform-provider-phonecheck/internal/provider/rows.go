package provider

import (
	"strconv"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/phonecheck/phonecheck/phone"
)

// rowAttrTypes is the object type of one result row: the result schema in
// Terraform's snake_case, with valid as a bool and time_zones as a list.
var rowAttrTypes = map[string]attr.Type{
	"number":        types.StringType,
	"phone_check":   types.StringType,
	"valid":         types.BoolType,
	"input":         types.StringType,
	"line":          types.Int64Type,
	"reason":        types.StringType,
	"type":          types.StringType,
	"country_code":  types.StringType,
	"region":        types.StringType,
	"international": types.StringType,
	"national":      types.StringType,
	"carrier":       types.StringType,
	"location":      types.StringType,
	"time_zones":    types.ListType{ElemType: types.StringType},
}

// parseAttrTypes is the parse function's object: the row without input and line.
var parseAttrTypes = func() map[string]attr.Type {
	m := make(map[string]attr.Type, len(rowAttrTypes))
	for k, v := range rowAttrTypes {
		if k != "input" && k != "line" {
			m[k] = v
		}
	}
	return m
}()

var rowObjectType = types.ObjectType{AttrTypes: rowAttrTypes}

// taskRowAttrTypes is a row of a task's output: the result row and, for a
// table input, its other columns.
var taskRowAttrTypes = func() map[string]attr.Type {
	m := map[string]attr.Type{"columns": types.MapType{ElemType: types.StringType}}
	for k, v := range rowAttrTypes {
		m[k] = v
	}
	return m
}()

var taskRowObjectType = types.ObjectType{AttrTypes: taskRowAttrTypes}

const columnsDescription = "For a CSV, TSV or XLSX input: the row's other columns by their header names, the input's own columns " +
	"and ReasonDetail (with several phone columns, also the prefixed result columns of all but the first, whose results are " +
	"the row's other attributes). A blank or repeated header name becomes its column's letters, such as `Column C`. A map has " +
	"no order: line is the row's place in the input. Null for an input of one number a line."

var rowDescriptions = map[string]string{
	"number":        "E.164 form (such as +41446681800) when the input parses, else the input trimmed of surrounding white space.",
	"phone_check":   "The verdict: `valid` or `invalid`.",
	"valid":         "Whether phone_check is `valid`.",
	"input":         "The input as given (UTF-8 byte order mark and trailing CR removed).",
	"line":          "1-based position of the input: its line in the task's file, or its index + 1 in the numbers list.",
	"reason":        "VALID; for parsed but invalid numbers INVALID_BUT_POSSIBLE, INVALID_COUNTRY_CODE, TOO_SHORT, TOO_LONG, INVALID_LENGTH or IS_POSSIBLE_LOCAL_ONLY; for unparseable input NOT_A_NUMBER, INVALID_COUNTRY_CODE, TOO_SHORT_NSN, TOO_SHORT_AFTER_IDD or TOO_LONG.",
	"type":          "mobile, fixed_line, fixed_line_or_mobile, toll_free, premium_rate, shared_cost, voip, personal_number, pager, uan, voicemail or unknown; empty when unparseable.",
	"country_code":  "Country calling code digits, such as 41; empty when unparseable.",
	"region":        "ISO 3166-1 alpha-2 region of the number, 001 for non-geographic numbers, empty when none.",
	"international": "libphonenumber's INTERNATIONAL format, such as +41 44 668 18 00.",
	"national":      "libphonenumber's NATIONAL format, such as 044 668 18 00.",
	"carrier":       "Original carrier (English), empty when unknown.",
	"location":      "Geocoded place (English), empty when unknown.",
	"time_zones":    "IANA time zone names of the number.",
}

func timeZonesValue(s string) types.List {
	if s == "" {
		return types.ListValueMust(types.StringType, []attr.Value{})
	}
	parts := strings.Split(s, ";")
	vals := make([]attr.Value, len(parts))
	for i, p := range parts {
		vals[i] = types.StringValue(p)
	}
	return types.ListValueMust(types.StringType, vals)
}

// rowValues is one result as attribute values; tz caches time zone lists,
// which repeat heavily across rows.
func rowValues(r *phone.Result, tz map[string]types.List) map[string]attr.Value {
	tzv, ok := tz[r.TimeZones]
	if !ok {
		tzv = timeZonesValue(r.TimeZones)
		if tz != nil {
			tz[r.TimeZones] = tzv
		}
	}
	return map[string]attr.Value{
		"number":        types.StringValue(r.Number),
		"phone_check":   types.StringValue(r.PhoneCheck),
		"valid":         types.BoolValue(r.IsValid()),
		"input":         types.StringValue(r.Input),
		"line":          types.Int64Value(int64(r.Line)),
		"reason":        types.StringValue(r.Reason),
		"type":          types.StringValue(r.Type),
		"country_code":  types.StringValue(r.CountryCode),
		"region":        types.StringValue(r.Region),
		"international": types.StringValue(r.International),
		"national":      types.StringValue(r.National),
		"carrier":       types.StringValue(r.Carrier),
		"location":      types.StringValue(r.Location),
		"time_zones":    tzv,
	}
}

// rowObject builds the row object without re-validating the attribute map
// (the map is built to rowAttrTypes above).
func rowObject(r *phone.Result, tz map[string]types.List) attr.Value {
	v, diags := types.ObjectValue(rowAttrTypes, rowValues(r, tz))
	if diags.HasError() {
		panic("phonecheck row object: " + strconv.Quote(diags[0].Detail()))
	}
	return v
}

// collector accumulates rows and the distinct valid E.164 numbers.
type collector struct {
	rows  []attr.Value
	valid []attr.Value
	seen  map[string]struct{}
	tz    map[string]types.List
}

func newCollector(n int) *collector {
	return &collector{rows: make([]attr.Value, 0, n), seen: map[string]struct{}{}, tz: map[string]types.List{}}
}

func (c *collector) add(r *phone.Result) {
	c.rows = append(c.rows, rowObject(r, c.tz))
	if r.IsValid() {
		if _, dup := c.seen[r.Number]; !dup {
			c.seen[r.Number] = struct{}{}
			c.valid = append(c.valid, types.StringValue(r.Number))
		}
	}
}

func (c *collector) lists() (rows, valid types.List) {
	if c.valid == nil {
		c.valid = []attr.Value{}
	}
	return types.ListValueMust(rowObjectType, c.rows), types.ListValueMust(types.StringType, c.valid)
}
