// Package report renders report.html, the page a person opens to see how a
// file went: totals, valid and invalid, what the invalid rows are and why,
// breakdowns by reason, type, region and carrier, what was billed, and where
// the time went. The page is one self-contained file: inline styles, no
// script, no fonts or images to fetch, and a content security policy that
// forbids any request, so it opens the same from a disk, a bucket or an
// e-mail attachment.
package report

import (
	"cmp"
	"embed"
	"fmt"
	"html/template"
	"io"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/phonecheck/phonecheck/phone"
)

// Info is what the report shows besides the rows: the file, what was billed
// and the timings (summary.json holds the same).
type Info struct {
	File            string
	SHA256          string
	TaskID          string
	Region          string
	Lines           int // input lines, blank ones included
	Uploaded        int // distinct numbers checked (and billed) remotely
	Folded          int // repeats of an uploaded number
	SetAside        int // lines that do not parse, answered locally
	Polls           int
	MissingVerdicts int
	StartedAt       time.Time
	FinishedAt      time.Time
	// StageSeconds is the time spent in each stage.
	StageSeconds map[string]float64
	// Outputs are the other files of the result, by label ("csv",
	// "invalid.csv", "summary"): names beside the report, linked as such.
	Outputs map[string]string
}

// MaxRows is how many rows the report lists: the invalid ones first, then
// valid ones; every row is in the result files.
const MaxRows = 1000

// MaxBars is how many bars a breakdown shows; the rest are summed as "other".
const MaxBars = 12

// Builder collects what the report shows from the rows, one at a time, in
// bounded memory: counts, and the first MaxRows invalid and valid rows.
type Builder struct {
	info                                     Info
	rows, valid, invalid                     int
	byVerdict, byReason, byType, byRegion    map[string]int
	byCarrier                                map[string]int
	invalidRows, validRows                   []phone.Result
	reasonOfInvalid                          map[string]int
	invalidWithoutRegion, invalidWithoutType int
}

// New starts a report for a file.
func New(info Info) *Builder {
	return &Builder{info: info, byVerdict: map[string]int{}, byReason: map[string]int{}, byType: map[string]int{},
		byRegion: map[string]int{}, byCarrier: map[string]int{}, reasonOfInvalid: map[string]int{}}
}

// Add counts one row (r is copied when kept).
func (b *Builder) Add(r *phone.Result) {
	b.Count(r.PhoneCheck, r.Reason, r.Type, r.Region, r.Carrier, 1)
	b.Keep(r)
}

// Count adds n rows with these values to the counts, as Add does, and
// keeps none of them: for a reader that parses in full only the rows the
// report lists (see Wants and Keep).
func (b *Builder) Count(verdict, reason, typ, region, carrier string, n int) {
	b.rows += n
	b.byVerdict[verdict] += n
	b.byReason[reason] += n
	b.byType[orNone(typ)] += n
	b.byRegion[orNone(region)] += n
	b.byCarrier[orNone(carrier)] += n
	if verdict == phone.Valid {
		b.valid += n
		return
	}
	b.invalid += n
	b.reasonOfInvalid[reason] += n
}

// Wants reports whether the report lists one more valid row (or invalid).
func (b *Builder) Wants(valid bool) bool {
	if valid {
		return len(b.validRows) < MaxRows
	}
	return len(b.invalidRows) < MaxRows
}

// Keep lists r (a copy) among the valid or invalid rows while Wants says
// so; Count has its counts.
func (b *Builder) Keep(r *phone.Result) {
	if !b.Wants(r.IsValid()) {
		return
	}
	if r.IsValid() {
		b.validRows = append(b.validRows, *r)
	} else {
		b.invalidRows = append(b.invalidRows, *r)
	}
}

func orNone(s string) string {
	if s == "" {
		return none
	}
	return s
}

// none labels rows without a value (no type, region or carrier known).
const none = "(none)"

//go:embed report.html.tmpl
var files embed.FS

var page = template.Must(template.New("report.html.tmpl").Funcs(template.FuncMap{
	"group": Group, "pct": pct, "seconds": seconds, "reasonText": ReasonText,
	"section": func(title, id string, bars []bar) any {
		return struct {
			Title, ID string
			Bars      []bar
		}{title, id, bars}
	},
}).ParseFS(files, "report.html.tmpl"))

// view is what the template renders.
type view struct {
	Info
	Rows, Valid, Invalid int
	ValidPct, InvalidPct float64
	Reasons, InvalidBy   []bar
	Types, Regions       []bar
	Carriers             []bar
	Stages               []bar
	TotalSeconds         float64
	Listed               []phone.Result
	ListedInvalid        int
	Unlisted             int
	Outputs              []link
	Generated            string
}

type bar struct {
	Label string
	Count int
	Value float64 // seconds, for timings
	Pct   float64 // of the largest bar, for the bar's width
	Share float64 // of the whole, for the label
}

type link struct{ Label, Href string }

// WriteHTML renders the page.
func (b *Builder) WriteHTML(w io.Writer) error {
	v := view{Info: b.info, Rows: b.rows, Valid: b.valid, Invalid: b.invalid,
		Reasons: bars(b.byReason, b.rows), InvalidBy: bars(b.reasonOfInvalid, b.invalid),
		Types: bars(b.byType, b.rows), Regions: bars(b.byRegion, b.rows), Carriers: bars(b.byCarrier, b.rows)}
	if b.rows > 0 {
		v.ValidPct = 100 * float64(b.valid) / float64(b.rows)
		v.InvalidPct = 100 * float64(b.invalid) / float64(b.rows)
	}
	v.Stages, v.TotalSeconds = stageBars(b.info.StageSeconds)
	if !b.info.StartedAt.IsZero() && b.info.FinishedAt.After(b.info.StartedAt) {
		v.TotalSeconds = b.info.FinishedAt.Sub(b.info.StartedAt).Seconds()
	}
	v.Listed = append(v.Listed, b.invalidRows...)
	v.ListedInvalid = len(b.invalidRows)
	if room := MaxRows - len(v.Listed); room > 0 {
		v.Listed = append(v.Listed, b.validRows[:min(room, len(b.validRows))]...)
	}
	v.Unlisted = b.rows - len(v.Listed)
	for _, k := range slices.Sorted(maps.Keys(b.info.Outputs)) {
		v.Outputs = append(v.Outputs, link{k, b.info.Outputs[k]})
	}
	if !b.info.FinishedAt.IsZero() {
		v.Generated = b.info.FinishedAt.UTC().Format("2006-01-02 15:04:05 UTC")
	}
	return page.Execute(w, v)
}

// bars sorts counts, largest first (ties by label), keeps MaxBars of them
// and sums the rest into "other".
func bars(counts map[string]int, total int) []bar {
	var out []bar
	for k, n := range counts {
		out = append(out, bar{Label: k, Count: n})
	}
	slices.SortFunc(out, func(a, b bar) int {
		if c := cmp.Compare(b.Count, a.Count); c != 0 {
			return c
		}
		return strings.Compare(a.Label, b.Label)
	})
	if len(out) > MaxBars {
		other := bar{Label: fmt.Sprintf("%d others", len(out)-MaxBars+1)}
		for _, x := range out[MaxBars-1:] {
			other.Count += x.Count
		}
		out = append(out[:MaxBars-1], other)
	}
	largest := 0
	for _, x := range out {
		largest = max(largest, x.Count)
	}
	for i := range out {
		if largest > 0 {
			out[i].Pct = 100 * float64(out[i].Count) / float64(largest)
		}
		if total > 0 {
			out[i].Share = 100 * float64(out[i].Count) / float64(total)
		}
	}
	return out
}

// stageOrder is the order of the pipeline's stages.
var stageOrder = []string{"preparing", "uploading", "polling", "downloading", "joining", "exporting", "archiving"}

func stageBars(secs map[string]float64) ([]bar, float64) {
	var out []bar
	var total, largest float64
	names := slices.Collect(maps.Keys(secs))
	slices.SortFunc(names, func(a, b string) int {
		ia, ib := slices.Index(stageOrder, a), slices.Index(stageOrder, b)
		if ia < 0 {
			ia = len(stageOrder)
		}
		if ib < 0 {
			ib = len(stageOrder)
		}
		return cmp.Or(cmp.Compare(ia, ib), strings.Compare(a, b))
	})
	for _, n := range names {
		out = append(out, bar{Label: n, Value: secs[n]})
		total += secs[n]
		largest = max(largest, secs[n])
	}
	for i := range out {
		if largest > 0 {
			out[i].Pct = 100 * out[i].Value / largest
		}
		if total > 0 {
			out[i].Share = 100 * out[i].Value / total
		}
	}
	return out, total
}

// Group writes n with thousands separators: 1,234,567.
func Group(n int) string {
	s := fmt.Sprint(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

func pct(p float64) string {
	switch {
	case p == 0:
		return "0%"
	case p < 0.1:
		return "<0.1%"
	case p >= 99.95 && p < 100:
		return ">99.9%"
	}
	return fmt.Sprintf("%.1f%%", p)
}

func seconds(s float64) string {
	d := time.Duration(s * float64(time.Second))
	switch {
	case d < time.Second:
		return fmt.Sprintf("%d ms", d.Milliseconds())
	case d < time.Minute:
		return fmt.Sprintf("%.1f s", s)
	}
	return d.Round(time.Second).String()
}

// ReasonText says in words what a Reason means.
func ReasonText(reason string) string {
	switch reason {
	case phone.ReasonValid:
		return "a valid number"
	case phone.ReasonInvalidButPossible:
		return "the right length, but not a number in use in its region"
	case phone.ReasonInvalidCountryCode:
		return "no known country code (a number without + needs a default region)"
	case phone.ReasonTooShort:
		return "too short for its region"
	case phone.ReasonTooLong:
		return "too long for its region"
	case phone.ReasonInvalidLength:
		return "a length no number of its region has"
	case phone.ReasonPossibleLocalOnly:
		return "only dialable locally, without an area code"
	case phone.ReasonNotANumber:
		return "not a phone number"
	case phone.ReasonTooShortNSN:
		return "too short to be a number after the country code"
	case phone.ReasonTooShortAfterIDD:
		return "too short after the international prefix"
	}
	return ""
}
