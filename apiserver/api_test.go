package apiserver_test

import (
	"archive/zip"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/phonecheck/phonecheck/apiserver"
	"github.com/phonecheck/phonecheck/phone"
)

// edgeLines are what a real file holds besides plain numbers.
const edgeLines = "\uFEFF+41 44 668 18 00\r\n" + // BOM, CRLF
	"\n  \t \r\n" + // blank lines are skipped but counted
	"+41791234567\n" +
	"044 668 18 00\n" + // national: no region, so INVALID_COUNTRY_CODE
	"tel:+41-58-123-45-67\n" +
	"\xff\xfe+41 79\n" + // invalid UTF-8
	"\"+41 44\",x\n" + // CSV quoting
	"+1 650 253 0000 ext. 12\n" +
	"n/a\n"

func TestHappyPath(t *testing.T) {
	e := start(t, apiserver.Config{})
	input := edgeLines + numbers(3000) + strings.Repeat("9", 300) + "\n+999 123 4567" // no final newline
	wantTotal := int64(0)
	for _, raw := range strings.Split(input, "\n") {
		if !phone.IsBlank(raw) {
			wantTotal++
		}
	}

	before := time.Now().UTC().Truncate(time.Second)
	c := e.upload(keyA, input)
	if c.Status != 200 {
		t.Fatalf("upload: %d %s", c.Status, c.Raw)
	}
	id := c.str("task_id")
	if c.str("status") != "pending" || c.num("total") != wantTotal || c.str("message") != "Task created successfully" || id == "" {
		t.Errorf("create answer %s, want pending, total %d", c.Raw, wantTotal)
	}
	if len(c.Body) != 5 {
		t.Errorf("create answer has fields %v, want task_id, status, total, message, created_at", c.Body)
	}
	checkTime(t, c.str("created_at"), before)

	// Both encodings of gettasks, while the task runs and once it is done.
	for _, urlencoded := range []bool{true, false} {
		g := e.get(keyA, id, urlencoded)
		if g.Status != 200 || g.str("task_id") != id || g.num("total") != wantTotal {
			t.Fatalf("gettasks (urlencoded %v): %d %s", urlencoded, g.Status, g.Raw)
		}
	}
	g := e.waitStatus(keyA, id, "exported")
	for _, k := range []string{"created_at", "updated_at", "task_id", "user_id", "status", "total", "success", "failure", "result_url"} {
		if _, ok := g.Body[k]; !ok {
			t.Errorf("gettasks lacks %s: %s", k, g.Raw)
		}
	}
	checkTime(t, g.str("updated_at"), before)
	if g.str("user_id") != apiserver.NewKey(keyA).UserID {
		t.Errorf("user_id %q, want keyA's %q", g.str("user_id"), apiserver.NewKey(keyA).UserID)
	}
	if g.num("success")+g.num("failure") != wantTotal || g.num("success") == 0 || g.num("failure") == 0 {
		t.Errorf("success %d + failure %d, want %d with both non-zero", g.num("success"), g.num("failure"), wantTotal)
	}
	u, err := url.Parse(g.str("result_url"))
	if err != nil || !u.IsAbs() || u.Host != strings.TrimPrefix(e.ts.URL, "http://") {
		t.Fatalf("result_url %q is not an absolute link to this server", g.str("result_url"))
	}

	got := download(t, g.str("result_url"), id)
	if want := expectedCSV(t, input); !bytes.Equal(got, want) {
		t.Errorf("zip CSV differs from phonecheck validate's (%d vs %d bytes)", len(got), len(want))
	}
	// And row by row against the engine, with no region.
	rows, err := csv.NewReader(bytes.NewReader(got)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(rows[0], ",") != strings.Join(phone.Header, ",") {
		t.Fatalf("header %v", rows[0])
	}
	i := 1
	for n, raw := range strings.Split(input, "\n") {
		if phone.IsBlank(raw) {
			continue
		}
		r := phone.Check(phone.CleanLine(raw), n+1, "")
		want := r.Record(nil)
		if strings.Join(rows[i], "\x00") != strings.Join(want, "\x00") {
			t.Fatalf("line %d: row %q, want %q", n+1, rows[i], want)
		}
		i++
	}
	if i != len(rows) || int64(i-1) != wantTotal {
		t.Errorf("%d rows, want %d", len(rows)-1, wantTotal)
	}
	if rows[3][4] != phone.ReasonInvalidCountryCode {
		t.Errorf("a national number without region: %v, want INVALID_COUNTRY_CODE", rows[3])
	}

	// The ledger and the balance: one upload and every 200 of gettasks.
	polls := len(e.charges(apiserver.ChargeFilter{Endpoint: "gettasks", TaskID: id}))
	if n := len(e.charges(apiserver.ChargeFilter{Endpoint: "tasks", TaskID: id})); n != 1 || polls < 3 {
		t.Errorf("ledger: %d tasks and %d gettasks charges, want 1 and at least 3", n, polls)
	}
	req, _ := http.NewRequest(http.MethodGet, e.ts.URL+"/v1/balance", nil)
	req.Header.Set("X-API-Key", keyA)
	b := e.do(req)
	by, _ := b.Body["by_endpoint"].(map[string]any)
	if b.Status != 200 || b.num("charged") != int64(1+polls) || by["tasks"] != 1.0 || by["gettasks"] != float64(polls) ||
		b.str("day") != time.Now().UTC().Format(time.DateOnly) || b.str("user_id") != g.str("user_id") {
		t.Errorf("balance %s, want 1 task and %d gettasks charges today", b.Raw, polls)
	}
	req.Header.Set("X-API-Key", keyB)
	if b := e.do(req); b.num("charged") != 0 {
		t.Errorf("bob's balance %s, want nothing charged", b.Raw)
	}
}

// checkTime checks an RFC 3339 UTC timestamp close to now.
func checkTime(t *testing.T, s string, notBefore time.Time) {
	t.Helper()
	ts, err := time.Parse(time.RFC3339, s)
	if err != nil || !strings.HasSuffix(s, "Z") || ts.Before(notBefore) || ts.After(time.Now().Add(time.Second)) {
		t.Errorf("timestamp %q is not RFC 3339 UTC of now (err %v)", s, err)
	}
}

// The lifecycle: a task waits while the only worker is busy, then its
// counters move while it is processed, then it is exported.
func TestLifecycle(t *testing.T) {
	e := start(t, apiserver.Config{Processors: 1, ProcessingDelay: 100 * time.Millisecond, ProgressEvery: 10 * time.Millisecond})
	first := e.mustUpload(keyA, numbers(4000)) // about 0.4 s
	e.waitStatus(keyA, first, "processing")
	input := numbers(6000)
	id := e.mustUpload(keyA, input)
	if g := e.get(keyA, id, false); g.str("status") != "pending" || g.num("success")+g.num("failure") != 0 {
		t.Fatalf("second task while the worker is busy: %s, want pending with zero counters", g.Raw)
	}
	e.waitStatus(keyA, id, "processing")
	seen := map[int64]bool{}
	var last int64
	for {
		g := e.get(keyA, id, false)
		done := g.num("success") + g.num("failure")
		if done < last {
			t.Fatalf("counters went back from %d to %d", last, done)
		}
		last = done
		if g.str("status") == "exported" {
			if done != g.num("total") || done != countNonBlank(input) {
				t.Errorf("exported with %d counted of %d", done, g.num("total"))
			}
			if g.str("result_url") == "" {
				t.Error("exported without result_url")
			}
			break
		}
		if g.str("status") != "processing" {
			t.Fatalf("status %q after processing", g.str("status"))
		}
		if g.str("result_url") != "" {
			t.Fatal("result_url before the task is exported")
		}
		if done > 0 && done < g.num("total") {
			seen[done] = true
		}
		time.Sleep(20 * time.Millisecond)
	}
	if len(seen) < 2 {
		t.Errorf("saw %d intermediate counter values, want the counters to move while processing", len(seen))
	}
}

func countNonBlank(s string) int64 {
	var n int64
	for _, raw := range strings.Split(strings.TrimSuffix(s, "\n"), "\n") {
		if !phone.IsBlank(raw) {
			n++
		}
	}
	return n
}

// The contract's seed commands, verbatim from ARCHITECTURE.md, with the real
// curl; and the result_url fetched by curl without a key.
func TestCurlSeedCommands(t *testing.T) {
	if _, err := exec.LookPath("curl"); err != nil {
		t.Skip("curl is not installed")
	}
	e := start(t, apiserver.Config{})
	dir := t.TempDir()
	input := "+41 44 668 18 00\n+41791234567\n\nnot a number\n"
	if err := os.WriteFile(filepath.Join(dir, "numbers.txt"), []byte(input), 0o644); err != nil {
		t.Fatal(err)
	}
	host := strings.TrimPrefix(e.ts.URL, "http://")
	curl := func(cmd string) map[string]any {
		t.Helper()
		sh := exec.Command("sh", "-c", strings.NewReplacer("HOST", host, "KEY", keyA).Replace(cmd))
		sh.Dir = dir
		out, err := sh.Output()
		if err != nil {
			t.Fatalf("%s: %v", cmd, err)
		}
		return decode(t, out)
	}
	created := curl(`curl --location 'http://HOST/v1/tasks' --header 'X-API-Key: KEY' --form 'file=@"./numbers.txt"' --form 'task_type="phoneCheck"'`)
	id, _ := created["task_id"].(string)
	if created["status"] != "pending" || created["total"] != 3.0 || id == "" {
		t.Fatalf("curl upload: %v", created)
	}
	var got map[string]any
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		got = curl(strings.ReplaceAll(`curl --location 'http://HOST/v1/gettasks' --header 'X-API-Key: KEY' --form 'task_id="TASK_ID"'`, "TASK_ID", id))
		if got["status"] == "exported" || time.Now().After(deadline) {
			break
		}
	}
	if got["status"] != "exported" || got["task_id"] != id || got["success"] != 2.0 || got["failure"] != 1.0 {
		t.Fatalf("curl gettasks: %v", got)
	}
	zipPath := filepath.Join(dir, "result.zip")
	dl := exec.Command("curl", "--fail", "--silent", "--show-error", "--output", zipPath, got["result_url"].(string))
	if out, err := dl.CombinedOutput(); err != nil {
		t.Fatalf("curl result_url: %v %s", err, out)
	}
	b, err := os.ReadFile(zipPath)
	if err != nil {
		t.Fatal(err)
	}
	if csv := unzipCSV(t, b, id); !bytes.Equal(csv, expectedCSV(t, input)) {
		t.Errorf("zip CSV:\n%s", csv)
	}
	if n := len(e.charges(apiserver.ChargeFilter{Endpoint: "tasks"})); n != 1 {
		t.Errorf("%d upload charges, want 1", n)
	}
}

// Every bad request is a 400 (or 401/404/405) with a JSON message, is not
// charged, and leaves no file behind.
func TestBadRequestsAreFree(t *testing.T) {
	e := start(t, apiserver.Config{MaxUpload: 1000})
	id := e.mustUpload(keyA, "+41791234567\n")
	e.waitStatus(keyA, id, "exported")
	baseline := len(e.charges(apiserver.ChargeFilter{}))

	mp := func(fields ...string) func() reply {
		return func() reply { b, ct := form(fields...); return e.post("/v1/tasks", keyA, b, ct) }
	}
	get := func(fields ...string) func() reply {
		return func() reply { b, ct := form(fields...); return e.post("/v1/gettasks", keyA, b, ct) }
	}
	method := func(m, path string) func() reply {
		return func() reply {
			req, _ := http.NewRequest(m, e.ts.URL+path, nil)
			req.Header.Set("X-API-Key", keyA)
			return e.do(req)
		}
	}
	cases := []struct {
		name   string
		do     func() reply
		status int
		msg    string // part of the message
	}{
		{"missing file", mp("task_type", "phoneCheck"), 400, "file field is missing"},
		{"missing task_type", mp("@file", "+41791234567\n"), 400, "task_type field is missing"},
		{"wrong task_type", mp("@file", "+41791234567\n", "task_type", "emailCheck"), 400, "not supported"},
		{"task_type case", mp("task_type", "phonecheck", "@file", "+41791234567\n"), 400, "not supported"},
		{"empty file", mp("@file", "", "task_type", "phoneCheck"), 400, "no numbers"},
		{"blank lines only", mp("@file", "\n \r\n\t\n", "task_type", "phoneCheck"), 400, "no numbers"},
		{"binary", mp("@file", "+41791234567\n\x00\x01\x02PK", "task_type", "phoneCheck"), 400, "binary"},
		{"utf-16", mp("@file", "\xff\xfe+\x004\x001\x00", "task_type", "phoneCheck"), 400, "binary"},
		{"over the size limit", mp("@file", strings.Repeat("+41791234567\n", 80), "task_type", "phoneCheck"), 400, "larger than the limit of 1000 bytes"},
		{"two files", mp("@file", "+41791234567\n", "@file", "+41791234567\n", "task_type", "phoneCheck"), 400, "one file"},
		{"not multipart", func() reply {
			return e.post("/v1/tasks", keyA, []byte("task_type=phoneCheck&file=%2B41791234567"), "application/x-www-form-urlencoded")
		}, 400, "multipart/form-data"},
		{"missing task_id", get("other", "x"), 400, "task_id field is missing"},
		{"unknown task_id", get("task_id", "00000000-0000-4000-8000-000000000000"), 400, "unknown task_id"},
		{"malformed task_id", get("task_id", "../../etc/passwd"), 400, "unknown task_id"},
		{"GET /v1/tasks", method(http.MethodGet, "/v1/tasks"), 405, "not allowed"},
		{"PUT /v1/gettasks", method(http.MethodPut, "/v1/gettasks"), 405, "not allowed"},
		{"POST /v1/balance", method(http.MethodPost, "/v1/balance"), 405, "not allowed"},
		{"unknown path", method(http.MethodGet, "/v2/tasks"), 404, "no such endpoint"},
		{"bad balance day", method(http.MethodGet, "/v1/balance?day=yesterday"), 400, "not a date"},
	}
	for _, c := range cases {
		r := c.do()
		if r.Status != c.status || !strings.Contains(r.str("message"), c.msg) {
			t.Errorf("%s: %d %s, want %d with %q", c.name, r.Status, r.Raw, c.status, c.msg)
		}
		if r.Status == 405 && r.Header.Get("Allow") == "" {
			t.Errorf("%s: 405 without Allow", c.name)
		}
	}
	if n := len(e.charges(apiserver.ChargeFilter{})); n != baseline {
		t.Errorf("ledger grew from %d to %d on bad requests", baseline, n)
	}
	files, _ := os.ReadDir(filepath.Join(e.cfg.Dir, "tasks"))
	if len(files) != 2 { // the one task's input and zip
		var names []string
		for _, f := range files {
			names = append(names, f.Name())
		}
		t.Errorf("task directory holds %v, want only the good task's two files", names)
	}

	// A line over the reader's bound (64 KiB; it needs a larger upload
	// limit) is one TOO_LONG row, cut, as validate gives it.
	e2 := start(t, apiserver.Config{})
	long := "+41791234567\n" + strings.Repeat("1", 70<<10) + "\n"
	if id := e2.mustUpload(keyA, long); id != "" {
		r := e2.waitStatus(keyA, id, "exported")
		if r.num("total") != 2 {
			t.Errorf("a file with a line over the bound: total %d, want 2", r.num("total"))
		}
		got := download(t, r.str("result_url"), id)
		if want := expectedCSV(t, long); !bytes.Equal(got, want) || !bytes.Contains(got, []byte("…[cut: 71680 bytes]")) {
			t.Errorf("a line over the bound:\n%.400s\nwant\n%.400s", got, want)
		}
	}

	// A file of exactly the limit is accepted; one byte more is not.
	exact := strings.Repeat("+41791234567\n", 76) + strings.Repeat("1", 1000-13*76)
	if r := e.upload(keyA, exact); r.Status != 200 {
		t.Errorf("file of exactly MaxUpload bytes: %d %s", r.Status, r.Raw)
	}
	if r := e.upload(keyA, exact+"1"); r.Status != 400 {
		t.Errorf("file of MaxUpload+1 bytes: %d %s", r.Status, r.Raw)
	}
}

// Another user's task is as unknown as a task that never existed.
func TestTasksBelongToTheirUser(t *testing.T) {
	e := start(t, apiserver.Config{})
	id := e.mustUpload(keyA, "+41791234567\n")
	other := e.get(keyB, id, false)
	never := e.get(keyB, "00000000-0000-4000-8000-000000000000", false)
	if other.Status != 400 || strings.ReplaceAll(other.str("message"), id, "ID") != strings.ReplaceAll(never.str("message"), "00000000-0000-4000-8000-000000000000", "ID") {
		t.Errorf("bob asking alice's task: %d %s; an unknown one: %s", other.Status, other.Raw, never.Raw)
	}
	if n := len(e.charges(apiserver.ChargeFilter{UserID: apiserver.NewKey(keyB).UserID})); n != 0 {
		t.Errorf("bob was charged %d times for unknown tasks", n)
	}
}

func TestAuthentication(t *testing.T) {
	e := start(t, apiserver.Config{})
	body, ct := form("@file", "+41791234567\n", "task_type", "phoneCheck")
	for _, key := range []string{"", "wrong-key", keyA + "x", strings.ToUpper(keyA)} {
		for _, path := range []string{"/v1/tasks", "/v1/gettasks"} {
			r := e.post(path, key, body, ct)
			if r.Status != 401 {
				t.Errorf("%s with key %q: %d %s, want 401", path, key, r.Status, r.Raw)
			}
		}
		req, _ := http.NewRequest(http.MethodGet, e.ts.URL+"/v1/balance", nil)
		req.Header.Set("X-API-Key", key)
		if r := e.do(req); r.Status != 401 {
			t.Errorf("balance with key %q: %d", key, r.Status)
		}
	}
	if n := len(e.charges(apiserver.ChargeFilter{})); n != 0 {
		t.Errorf("%d charges for unauthenticated requests", n)
	}
	// A keys file maps keys to named users.
	kf := filepath.Join(t.TempDir(), "keys")
	os.WriteFile(kf, []byte("# team keys\nalice:secret-1\n\nsecret-2\n"), 0o600)
	keys, err := apiserver.ReadKeysFile(kf)
	if err != nil {
		t.Fatal(err)
	}
	e2 := start(t, apiserver.Config{Keys: keys})
	id := e2.mustUpload("secret-1", "+41791234567\n")
	if g := e2.get("secret-1", id, true); g.str("user_id") != "alice" {
		t.Errorf("user_id %q, want alice", g.str("user_id"))
	}
	if u, ok := e2.srv.User("secret-2"); !ok || u != apiserver.NewKey("secret-2").UserID {
		t.Errorf("bare key's user %q %v", u, ok)
	}
}

func TestDailyLimit(t *testing.T) {
	clk := newClock(time.Date(2026, 3, 1, 23, 59, 30, 0, time.UTC))
	e := start(t, apiserver.Config{DailyLimit: 2, Now: clk.now})
	id := e.mustUpload(keyA, "+41791234567\n")
	if r := e.get(keyA, id, false); r.Status != 200 {
		t.Fatalf("second charged request: %d", r.Status)
	}
	for _, r := range []reply{e.get(keyA, id, false), e.upload(keyA, "+41791234567\n")} {
		if r.Status != 429 || r.Header.Get("Retry-After") != "30" {
			t.Errorf("over the limit: %d Retry-After %q %s, want 429 and 30 s to midnight", r.Status, r.Header.Get("Retry-After"), r.Raw)
		}
	}
	req, _ := http.NewRequest(http.MethodGet, e.ts.URL+"/v1/balance", nil)
	req.Header.Set("X-API-Key", keyA)
	if b := e.do(req); b.num("charged") != 2 || b.num("daily_limit") != 2 || b.Body["remaining"] != 0.0 {
		t.Errorf("balance at the limit: %s", b.Raw)
	}
	if n := len(e.charges(apiserver.ChargeFilter{})); n != 2 {
		t.Errorf("%d charges, want 2 (429 is free)", n)
	}
	if r := e.upload(keyB, "+41791234567\n"); r.Status != 200 {
		t.Errorf("another key under its own limit: %d", r.Status)
	}
	clk.add(time.Minute) // a new UTC day
	if r := e.get(keyA, id, false); r.Status != 200 {
		t.Errorf("after midnight: %d %s", r.Status, r.Raw)
	}
	req.URL.RawQuery = "day=2026-03-01"
	if b := e.do(req); b.num("charged") != 2 || b.str("day") != "2026-03-01" {
		t.Errorf("yesterday's balance: %s", b.Raw)
	}
}

func TestSignedResultURL(t *testing.T) {
	clk := newClock(time.Now())
	e := start(t, apiserver.Config{Now: clk.now, ResultURLTTL: time.Hour})
	a := e.mustUpload(keyA, "+41791234567\n")
	b := e.mustUpload(keyA, "+41446681800\n")
	good := e.waitStatus(keyA, a, "exported").str("result_url")
	e.waitStatus(keyA, b, "exported")
	u, _ := url.Parse(good)
	q := u.Query()
	sig, exp := q.Get("sig"), q.Get("expires")
	if n, _ := strconv.ParseInt(exp, 10, 64); n != clk.now().Add(time.Hour).Unix() {
		t.Errorf("expires %s, want now + 1h", exp)
	}
	flip := map[byte]byte{'0': '1'}
	last := sig[len(sig)-1]
	if flip[last] == 0 {
		flip[last] = '0'
	}
	link := func(id string, q url.Values) string {
		return e.ts.URL + "/v1/results/" + id + ".zip?" + q.Encode()
	}
	with := func(k, v string) url.Values {
		c := url.Values{"sig": {sig}, "expires": {exp}}
		if v == "" {
			c.Del(k)
		} else {
			c.Set(k, v)
		}
		return c
	}
	n, _ := strconv.ParseInt(exp, 10, 64)
	forbidden := map[string]string{
		"tampered sig":  link(a, with("sig", sig[:len(sig)-1]+string(flip[last]))),
		"no sig":        link(a, with("sig", "")),
		"not hex":       link(a, with("sig", "zz"+sig[2:])),
		"later expiry":  link(a, with("expires", strconv.FormatInt(n+3600, 10))),
		"no expiry":     link(a, with("expires", "")),
		"other task":    link(b, with("", "")),
		"truncated sig": link(a, with("sig", sig[:32])),
	}
	for name, l := range forbidden {
		req, _ := http.NewRequest(http.MethodGet, l, nil)
		req.Header.Set("X-API-Key", keyA) // a key does not stand in for the signature
		if r := e.do(req); r.Status != 403 {
			t.Errorf("%s: %d %s, want 403", name, r.Status, r.Raw)
		}
	}
	download(t, good, a)
	clk.add(time.Hour)
	req, _ := http.NewRequest(http.MethodGet, good, nil)
	if r := e.do(req); r.Status != 403 || !strings.Contains(r.str("message"), "expired") {
		t.Errorf("expired link: %d %s", r.Status, r.Raw)
	}
	req, _ = http.NewRequest(http.MethodGet, e.ts.URL+"/v1/results/not-a-task.zip", nil)
	if r := e.do(req); r.Status != 404 {
		t.Errorf("bogus result name: %d", r.Status)
	}
	// A fresh link from gettasks works again, and survives a restart (the
	// secret is stored).
	fresh := e.get(keyA, a, false).str("result_url")
	e.stop()
	e2 := start(t, apiserver.Config{Dir: e.cfg.Dir, Now: clk.now})
	download(t, strings.Replace(fresh, e.ts.URL, e2.ts.URL, 1), a)
}

func decode(t *testing.T, b []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("not JSON: %q", b)
	}
	return m
}

// A task whose input cannot be processed ends as failed, with the reason,
// instead of being polled for ever.
func TestFailedTask(t *testing.T) {
	e := start(t, apiserver.Config{Processors: 1, ProcessingDelay: 300 * time.Millisecond})
	busy := e.mustUpload(keyA, numbers(2000))
	e.waitStatus(keyA, busy, "processing")
	id := e.mustUpload(keyA, "+41791234567\n")
	if err := os.Remove(filepath.Join(e.cfg.Dir, "tasks", id+".txt")); err != nil {
		t.Fatal(err)
	}
	g := e.waitStatus(keyA, id, "failed")
	if !strings.Contains(g.str("message"), "processing failed") || g.str("result_url") != "" {
		t.Errorf("failed task: %s", g.Raw)
	}
}

// Behind a proxy, result links start with the configured public URL.
func TestPublicURL(t *testing.T) {
	e := start(t, apiserver.Config{PublicURL: "https://phonecheck.example.com/"})
	id := e.mustUpload(keyA, "+41791234567\n")
	link := e.waitStatus(keyA, id, "exported").str("result_url")
	if !strings.HasPrefix(link, "https://phonecheck.example.com/v1/results/"+id+".zip?") {
		t.Fatalf("result_url %q", link)
	}
	download(t, strings.Replace(link, "https://phonecheck.example.com", e.ts.URL, 1), id)
}

// A server for a client on the same machine stores the result CSV instead
// of deflating it: the same rows, in a zip any reader opens.
func TestStoredResults(t *testing.T) {
	input := edgeLines + numbers(500)
	for _, stored := range []bool{false, true} {
		e := start(t, apiserver.Config{StoreResults: stored})
		id := e.mustUpload(keyA, input)
		resp, err := http.Get(e.waitStatus(keyA, id, "exported").str("result_url"))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
		if err != nil {
			t.Fatal(err)
		}
		want := map[bool]uint16{false: zip.Deflate, true: zip.Store}[stored]
		if m := zr.File[0].Method; m != want {
			t.Errorf("StoreResults %v: entry method %d, want %d", stored, m, want)
		}
		if got := unzipCSV(t, b, id); !bytes.Equal(got, expectedCSV(t, input)) {
			t.Errorf("StoreResults %v: zip CSV differs from phonecheck validate's", stored)
		}
	}
}
