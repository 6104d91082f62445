// Command gometa writes the metadata that github.com/nyaruka/phonenumbers
// (the version in go.mod) embeds, in google-libphonenumber's own JSON array
// form, so that tools/refcorpus/generate.js can also compute every expected
// row with Google's code and the Go side's metadata, and mark the rows whose
// answer depends on the metadata version (see tools/refcorpus/README.md).
//
//	go run ./tools/refcorpus/gometa > tools/refcorpus/nyaruka-metadata.json
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strconv"

	"github.com/nyaruka/phonenumbers"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// Fields google-libphonenumber's metadata does not carry.
var skip = map[protoreflect.Name]bool{"mobile_number_portable_region": true}

// toArray encodes a message as closure's array form: index = field number.
func toArray(m protoreflect.Message) []any {
	var arr []any
	set := func(n protoreflect.FieldNumber, v any) {
		for len(arr) <= int(n) {
			arr = append(arr, nil)
		}
		arr[n] = v
	}
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		if skip[fd.Name()] {
			return true
		}
		if fd.IsList() {
			l := v.List()
			out := make([]any, l.Len())
			for i := range out {
				out[i] = scalar(fd, l.Get(i))
			}
			set(fd.Number(), out)
			return true
		}
		set(fd.Number(), scalar(fd, v))
		return true
	})
	if desc, ok := m.Interface().(*phonenumbers.PhoneNumberDesc); ok && desc.GetNationalNumberPattern() == "NA" && len(desc.PossibleLength) == 0 {
		// nyaruka marks an absent number type with the pattern "NA",
		// libphonenumber's metadata with the possible length -1.
		arr = []any{nil, nil, nil, nil, nil, nil, nil, nil, nil, []any{-1}}
	}
	return arr
}

func scalar(fd protoreflect.FieldDescriptor, v protoreflect.Value) any {
	switch fd.Kind() {
	case protoreflect.MessageKind:
		return toArray(v.Message())
	case protoreflect.BoolKind:
		if v.Bool() {
			return 1
		}
		return 0
	case protoreflect.StringKind:
		return v.String()
	case protoreflect.Int32Kind:
		return v.Int()
	}
	panic(fmt.Sprintf("unexpected field %s of kind %v", fd.FullName(), fd.Kind()))
}

func main() {
	coll, err := phonenumbers.MetadataCollection()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	countryToMetadata := map[string]any{}
	for _, m := range coll.GetMetadata() {
		key := m.GetId()
		if key == "001" {
			key = strconv.Itoa(int(m.GetCountryCode()))
		}
		countryToMetadata[key] = toArray(m.ProtoReflect())
	}
	ccToRegions := map[string][]string{}
	var ccs []int
	for cc := range phonenumbers.GetSupportedCallingCodes() {
		ccs = append(ccs, cc)
	}
	sort.Ints(ccs)
	for _, cc := range ccs {
		ccToRegions[strconv.Itoa(cc)] = phonenumbers.GetRegionCodesForCountryCode(cc)
	}
	out := map[string]any{
		"source":                     "github.com/nyaruka/phonenumbers (see go.mod)",
		"countryCodeToRegionCodeMap": ccToRegions,
		"countryToMetadata":          countryToMetadata,
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(out); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
