package report

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/phonecheck/phonecheck/internal/headless"
	"github.com/phonecheck/phonecheck/phone"
)

// numbersCH is the report of the repository's sample file, every line
// checked by the engine as the pipeline does.
func numbersCH(t testing.TB, extra ...string) *Builder {
	t.Helper()
	f, err := os.Open("../../testdata/numbers-ch.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	start := time.Date(2026, 11, 27, 14, 6, 22, 0, time.UTC)
	b := New(Info{File: "numbers-ch.txt", SHA256: "936c01c93d74" + strings.Repeat("0", 52), TaskID: "9b1ae494-0000", Region: "CH",
		Lines: 20, Uploaded: 11, Folded: 6, SetAside: 2, Polls: 1, StartedAt: start, FinishedAt: start.Add(1500 * time.Millisecond),
		StageSeconds: map[string]float64{"preparing": 0.05, "uploading": 0.02, "polling": 0.9, "downloading": 0.01, "joining": 0.03, "exporting": 0.2},
		Outputs:      map[string]string{"csv": "results.csv", "xlsx": "results.xlsx", "summary": "summary.json"}})
	sc := bufio.NewScanner(f)
	line := 0
	add := func(s string) {
		line++
		if phone.IsBlank(s) {
			return
		}
		r := phone.Check(s, line, "CH")
		b.Add(&r)
	}
	for sc.Scan() {
		add(sc.Text())
	}
	for _, s := range extra {
		add(s)
	}
	return b
}

func render(t testing.TB, b *Builder) string {
	t.Helper()
	var buf bytes.Buffer
	if err := b.WriteHTML(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

// The sample file's figures (README: 19 rows, 15 valid, 4 invalid) are on
// the page, the invalid rows come first, and every breakdown is there.
func TestReportOfTheSampleFile(t *testing.T) {
	page := render(t, numbersCH(t))
	for _, want := range []string{
		`<div class="n" id="rows">19</div>`, `<div class="n" id="valid">15</div>`, `<div class="n" id="invalid">4</div>`,
		`id="invalid-reasons"`, `id="by-reason"`, `id="by-type"`, `id="by-region"`, `id="by-carrier"`, `id="timings"`, `id="billing"`,
		`<code>INVALID_COUNTRY_CODE</code>`, `<code>NOT_A_NUMBER</code>`, "not a phone number",
		`<dd>11 distinct numbers`, `<dd>6 repeats`, `<dd>2 lines`, `<code>9b1ae494-0000</code>`,
		`<a href="results.csv">`, `<a href="summary.json">`, "finished 2026-11-27 14:06:23 UTC", "1.5 s",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("report lacks %s", want)
		}
	}
	rows := regexp.MustCompile(`<tr class="(valid|invalid)">`).FindAllStringSubmatch(page, -1)
	if len(rows) != 19 {
		t.Fatalf("%d rows listed, want 19", len(rows))
	}
	for i, r := range rows {
		if want := map[bool]string{true: "invalid", false: "valid"}[i < 4]; r[1] != want {
			t.Errorf("row %d is %s, want the 4 invalid rows first", i+1, r[1])
		}
	}
}

// A row's input is the user's text: markup in it is shown, never run, and
// the page fetches nothing (no URL, no script, a policy that forbids it).
func TestReportIsInertAndSelfContained(t *testing.T) {
	page := render(t, numbersCH(t, `<script>alert(1)</script>`, `<img src=x onerror=alert(2)>`, `"><a href="http://evil.example/">x</a>`))
	for _, bad := range []string{"<script", "<img", `<a href="http`} {
		if strings.Contains(page, bad) {
			t.Errorf("report holds %q", bad)
		}
	}
	if !strings.Contains(page, "&lt;script&gt;alert(1)&lt;/script&gt;") {
		t.Error("the input with markup is not shown escaped")
	}
	if !strings.Contains(page, `content="default-src 'none'; style-src 'unsafe-inline'`) {
		t.Error("no content security policy that forbids requests")
	}
	for _, m := range regexp.MustCompile(`(?i)(src|href)\s*=\s*"([^"]*)"|url\(|@import`).FindAllStringSubmatch(page, -1) {
		if m[0] == "url(" || strings.EqualFold(m[0], "@import") || strings.Contains(m[2], ":") {
			t.Errorf("the page refers to something outside itself: %s", m[0])
		}
	}
}

// A big file lists MaxRows rows, invalid first, and says how many more
// there are; breakdowns keep MaxBars bars with the rest as "others".
func TestReportOfALargeFileIsBounded(t *testing.T) {
	b := New(Info{File: "big.txt", Lines: 5000})
	for i := 0; i < 5000; i++ {
		r := phone.Result{Line: i + 1, Input: fmt.Sprint(i), PhoneCheck: phone.Valid, Reason: phone.ReasonValid, Region: fmt.Sprintf("R%02d", i%30), Type: "mobile"}
		if i%10 == 9 {
			r.PhoneCheck, r.Reason = phone.Invalid, phone.ReasonTooShort
		}
		b.Add(&r)
	}
	page := render(t, b)
	rows := regexp.MustCompile(`<tr class="(valid|invalid)">`).FindAllStringSubmatch(page, -1)
	if len(rows) != MaxRows {
		t.Fatalf("%d rows listed, want %d", len(rows), MaxRows)
	}
	for i, r := range rows {
		if want := map[bool]string{true: "invalid", false: "valid"}[i < 500]; r[1] != want {
			t.Fatalf("row %d is %s, want the 500 invalid rows first", i+1, r[1])
		}
	}
	if !strings.Contains(page, "4,000 more rows are not listed") {
		t.Error("the page does not say how many rows are not listed")
	}
	region := page[strings.Index(page, `id="by-region"`):]
	region = region[:strings.Index(region, "</table>")]
	if n := strings.Count(region, "<tr>"); n != MaxBars {
		t.Errorf("%d region bars, want %d", n, MaxBars)
	}
	if !strings.Contains(region, "19 others") {
		t.Error("the rest of the regions are not summed as others")
	}
}

func TestEmptyFile(t *testing.T) {
	page := render(t, New(Info{File: "blank.txt", Lines: 3}))
	if !strings.Contains(page, "The file has no rows") || !strings.Contains(page, `id="rows">0<`) {
		t.Error("an empty file's report does not say it has no rows")
	}
}

// The page as a person sees it in Chromium: the totals and a table row are
// there as text, it makes no request, and a screenshot is kept (outside the
// source tree) to look at.
func TestReportInChromium(t *testing.T) {
	br := headless.ForTest(t)
	path := filepath.Join(t.TempDir(), "report.html")
	if err := os.WriteFile(path, []byte(render(t, numbersCH(t, `<b>bold?</b>`))), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := br.Navigate("file://" + path); err != nil {
		t.Fatal(err)
	}
	text, err := br.WaitText(20*time.Second, "numbers-ch.txt", "Why rows are invalid", "By carrier", "Billing", "Timings: 1.5 s")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"rows\n20\n", "valid\n15\n", "invalid\n5\n", "<b>bold?</b>", "INVALID_COUNTRY_CODE", "+41 44 668 18 00"} {
		if !strings.Contains(text, want) {
			t.Errorf("the page does not show %q", want)
		}
	}
	var resources int
	if err := br.Eval(`performance.getEntriesByType('resource').length`, &resources); err != nil || resources != 0 {
		t.Errorf("the page loaded %d resources (%v), want none", resources, err)
	}
	var width float64
	br.Eval(`document.querySelector('#invalid-reasons .fill').getBoundingClientRect().width`, &width)
	if width < 10 {
		t.Errorf("the largest invalid reason's bar is %v px wide: the styles did not apply", width)
	}
	br.ScreenshotFor(t, "report")
}
