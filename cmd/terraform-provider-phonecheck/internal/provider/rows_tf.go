package provider

import (
	"context"
	"math/big"
	"strings"

	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/phonecheck/phonecheck/phone"
)

// The task data source can return 100,000s of rows: it builds them as
// tftypes values directly, which is several times faster than the
// framework's attr values and reflection.
var (
	rowTFType      = taskRowObjectType.TerraformType(context.Background())
	columnsTFType  = tftypes.Map{ElementType: tftypes.String}
	nullColumnsTF  = tftypes.NewValue(columnsTFType, nil)
	rowsTFType     = tftypes.List{ElementType: rowTFType}
	stringsTFType  = tftypes.List{ElementType: tftypes.String}
	emptyStringsTF = tftypes.NewValue(stringsTFType, []tftypes.Value{})
)

type tfCollector struct {
	rows  []tftypes.Value
	valid []tftypes.Value
	seen  map[string]struct{}
	tz    map[string]tftypes.Value
}

func newTFCollector(n int) *tfCollector {
	return &tfCollector{rows: make([]tftypes.Value, 0, n), valid: []tftypes.Value{}, seen: map[string]struct{}{}, tz: map[string]tftypes.Value{}}
}

func tfString(s string) tftypes.Value { return tftypes.NewValue(tftypes.String, s) }

// add appends a row; cols is nil for an input of one number a line.
func (c *tfCollector) add(r *phone.Result, cols map[string]string) {
	colsv := nullColumnsTF
	if cols != nil {
		m := make(map[string]tftypes.Value, len(cols))
		for k, v := range cols {
			m[k] = tfString(v)
		}
		colsv = tftypes.NewValue(columnsTFType, m)
	}
	tz, ok := c.tz[r.TimeZones]
	if !ok {
		tz = emptyStringsTF
		if r.TimeZones != "" {
			parts := strings.Split(r.TimeZones, ";")
			vals := make([]tftypes.Value, len(parts))
			for i, p := range parts {
				vals[i] = tfString(p)
			}
			tz = tftypes.NewValue(stringsTFType, vals)
		}
		c.tz[r.TimeZones] = tz
	}
	c.rows = append(c.rows, tftypes.NewValue(rowTFType, map[string]tftypes.Value{
		"number":        tfString(r.Number),
		"phone_check":   tfString(r.PhoneCheck),
		"valid":         tftypes.NewValue(tftypes.Bool, r.IsValid()),
		"input":         tfString(r.Input),
		"line":          tftypes.NewValue(tftypes.Number, new(big.Float).SetInt64(int64(r.Line))),
		"reason":        tfString(r.Reason),
		"type":          tfString(r.Type),
		"country_code":  tfString(r.CountryCode),
		"region":        tfString(r.Region),
		"international": tfString(r.International),
		"national":      tfString(r.National),
		"carrier":       tfString(r.Carrier),
		"location":      tfString(r.Location),
		"time_zones":    tz,
		"columns":       colsv,
	}))
	if r.IsValid() {
		if _, dup := c.seen[r.Number]; !dup {
			c.seen[r.Number] = struct{}{}
			c.valid = append(c.valid, tfString(r.Number))
		}
	}
}

// patch replaces the rows and valid-number lists of an object value (the
// state, set with empty lists before).
func (c *tfCollector) patch(raw tftypes.Value, rowsAttr, validAttr string) (tftypes.Value, error) {
	var obj map[string]tftypes.Value
	if err := raw.As(&obj); err != nil {
		return raw, err
	}
	obj[rowsAttr] = tftypes.NewValue(rowsTFType, c.rows)
	obj[validAttr] = tftypes.NewValue(stringsTFType, c.valid)
	return tftypes.NewValue(raw.Type(), obj), nil
}
