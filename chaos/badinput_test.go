//go:build chaos

package chaos

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// badInput is one file of the bad input corpus and how it must end: in
// done/ with outputs equal to `phonecheck validate`, or in failed/ with a
// .reason that says what is wrong.
type badInput struct {
	name    string
	content []byte
	reason  string // "" for done/, else a phrase the .reason file holds
}

func badCorpus(t *testing.T) []badInput {
	files := []struct{ name, reason string }{
		{"empty.txt", "it is empty (0 bytes)"},
		{"blank-lines.txt", "it holds only white space"},
		{"binary.png", "it is an image, not a table"},
		{"invalid-utf8.txt", ""},
		{"crlf-lf-bom.txt", ""},
		{"duplicates.txt", ""},
	}
	var out []badInput
	for _, f := range files {
		b, err := os.ReadFile(filepath.Join("testdata", "bad", f.name))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, badInput{f.name, b, f.reason})
	}
	// Generated rather than checked in: a 10 MB line without a newline, and
	// 2,000,000 lines.
	long := bytes.Repeat([]byte("0791234567"), 1<<20)
	out = append(out, badInput{"ten-mb-line.txt", long, ""}) // one TOO_LONG row
	// 20 copies of a 100,000-line file: the size and line count of 2M lines
	// without generating them one by one under -race.
	out = append(out, badInput{"two-million-lines.txt", bytes.Repeat(numbersFile(100_000, seed^0xb16), 20), ""})
	return out
}

// TestBadInputs drops the bad input corpus into one `up` (CSV output, so the
// 2M-line file stays quick): each file ends in done/ with the same rows as
// `phonecheck validate`, or in failed/ with a clear reason; no process
// crashes and no partial output is left.
func TestBadInputs(t *testing.T) {
	t.Parallel()
	corpus := badCorpus(t)
	s := newStack(t, stackOptions{WorkerArgs: []string{"--formats", "csv"}})
	ids := make([]string, len(corpus))
	for i, b := range corpus {
		ids[i] = s.drop(b.name, b.content)
	}
	for i, b := range corpus {
		t.Run(b.name, func(t *testing.T) {
			if b.reason == "" {
				o := s.wait(ids[i], 6*time.Minute)
				if o.Err != nil {
					t.Fatalf("%s failed: %v", b.name, o.Err)
				}
				want := validateCSV(t, b.content, "CH")
				got, err := os.ReadFile(o.Result.Outputs["csv"])
				if err != nil {
					t.Fatal(err)
				}
				lost := 0
				if !bytes.Equal(got, want) {
					lost = max(1, bytes.Count(want, []byte("\n"))-bytes.Count(got, []byte("\n")))
					t.Errorf("%s: CSV differs from phonecheck validate (%d bytes, want %d)", b.name, len(got), len(want))
				}
				if _, ok := s.archived("done", b.content); !ok {
					t.Errorf("%s is not in done/", b.name)
				}
				report.add(func(f *figures) { f.lostRows += lost })
				report.line("bad input %s (%d bytes): done, %d rows equal to validate", b.name, len(b.content), o.Result.Rows)
			} else {
				reason := s.waitReason(b.name, 3*time.Minute)
				if !strings.Contains(reason, b.reason) {
					t.Errorf("%s: the .reason does not say %q:\n%s", b.name, b.reason, reason)
				}
				// The reason is written before the input is renamed beside
				// it (a crash between leaves the reason, not a bare input).
				if !s.waitArchived("failed", b.content, 30*time.Second) {
					t.Errorf("%s is not in failed/", b.name)
				}
				if m, _ := filepath.Glob(filepath.Join(s.out, strings.TrimSuffix(b.name, filepath.Ext(b.name))+"-*")); len(m) != 0 {
					t.Errorf("%s: outputs left for a failed file: %v", b.name, m)
				}
				report.line("bad input %s (%d bytes): failed/, reason %q", b.name, len(b.content), firstLine(reason))
			}
			report.add(func(f *figures) { f.cases++; f.badInputs++ })
		})
	}
	checkNoPartials(t, s.out)
	if !s.up.running() {
		t.Errorf("up exited: %v", s.up.err)
	}
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return s
}

// waitReason waits for failed/inbox/*<name>.reason and returns it.
func (s *stack) waitReason(name string, timeout time.Duration) string {
	s.t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		m, _ := filepath.Glob(filepath.Join(s.dir, "failed", "inbox", "*"+name+".reason"))
		if len(m) > 0 {
			if b, err := os.ReadFile(m[0]); err == nil {
				return string(b)
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	s.t.Fatalf("no failed/inbox/*%s.reason within %s\n%s", name, timeout, s.diagnostics())
	return ""
}

// waitArchived waits up to timeout for content to be archived in sub.
func (s *stack) waitArchived(sub string, content []byte, timeout time.Duration) bool {
	for deadline := time.Now().Add(timeout); ; time.Sleep(50 * time.Millisecond) {
		if _, ok := s.archived(sub, content); ok {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
	}
}

// validateCSV is `phonecheck validate` to CSV.
func validateCSV(t testing.TB, content []byte, region string) []byte {
	t.Helper()
	cmd := exec.Command(bin, "validate", "-q", "--region", region, "-")
	cmd.Stdin = bytes.NewReader(content)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("phonecheck validate: %v: %s", err, errb.String())
	}
	return out.Bytes()
}

// fakeAPI is a v1 task API that answers every task with a given zip,
// chosen by the first number of the upload; its result links point at a
// second host, which must never see the API key.
type fakeAPI struct {
	t         *testing.T
	api, blob *httptest.Server
	mu        sync.Mutex
	zips      map[string][]byte // first uploaded number -> zip
	tasks     map[string][]byte // task id -> zip
	keyLeaks  atomic.Int32
	n         atomic.Int32
	// createDelay holds each upload's answer back, so a run stays in its
	// upload for a while.
	createDelay time.Duration
}

func newFakeAPI(t *testing.T) *fakeAPI {
	f := &fakeAPI{t: t, zips: map[string][]byte{}, tasks: map[string][]byte{}}
	f.blob = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-API-Key") != "" {
			f.keyLeaks.Add(1)
		}
		f.mu.Lock()
		z, ok := f.tasks[strings.TrimPrefix(r.URL.Path, "/")]
		f.mu.Unlock()
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/zip")
		w.Write(z)
	}))
	f.api = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-API-Key") != Key {
			w.WriteHeader(http.StatusUnauthorized)
			io.WriteString(w, `{"message":"bad key"}`)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/v1/tasks":
			mr, err := r.MultipartReader()
			if err != nil {
				w.WriteHeader(400)
				return
			}
			var first string
			for {
				p, err := mr.NextPart()
				if err != nil {
					break
				}
				if p.FormName() == "file" {
					b, _ := io.ReadAll(p)
					first, _, _ = strings.Cut(string(b), "\n")
				}
			}
			time.Sleep(f.createDelay)
			f.mu.Lock()
			z, ok := f.zips[first]
			id := fmt.Sprintf("00000000-0000-4000-8000-%012d", f.n.Add(1))
			f.tasks[id] = z
			f.mu.Unlock()
			if !ok {
				t.Errorf("fake API: no zip for an upload starting %q", first)
			}
			json.NewEncoder(w).Encode(map[string]any{"task_id": id, "status": "pending", "total": 1, "message": "Task created successfully", "created_at": time.Now().UTC().Format(time.RFC3339)})
		case "/v1/gettasks":
			id := r.FormValue("task_id")
			json.NewEncoder(w).Encode(map[string]any{"task_id": id, "status": "exported", "total": 1, "success": 1, "failure": 0,
				"created_at": time.Now().UTC().Format(time.RFC3339), "updated_at": time.Now().UTC().Format(time.RFC3339),
				"result_url": f.blob.URL + "/" + id})
		default:
			w.WriteHeader(404)
		}
	}))
	t.Cleanup(f.blob.Close)
	t.Cleanup(f.api.Close)
	return f
}

func zipOf(t *testing.T, entries ...[2]string) []byte {
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for _, e := range entries {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: e[0], Method: zip.Deflate})
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(w, e[1])
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestBrokenResultZips: an API that answers with broken zips (truncated, a
// zip-slip path, a zip bomb, missing columns, wrong headers, no entries,
// not a zip) ends each file in failed/ with a reason naming the problem,
// without a crash, a hang or outputs left behind; the result links on
// another host never receive the API key.
func TestBrokenResultZips(t *testing.T) {
	t.Parallel()
	good := "Number,phoneCheck\n+41446681800,valid\n"
	full := zipOf(t, [2]string{"result.csv", good})
	bomb := func() []byte {
		var b bytes.Buffer
		zw := zip.NewWriter(&b)
		w, _ := zw.CreateHeader(&zip.FileHeader{Name: "result.csv", Method: zip.Deflate})
		io.WriteString(w, "Number,phoneCheck\n")
		line := bytes.Repeat([]byte("+41446681800,valid\n"), 1<<14)
		for range 64 { // 20 MB expanding a thousand times
			w.Write(line)
		}
		zw.Close()
		return b.Bytes()
	}()
	cases := []struct {
		name, reason string
		zip          []byte
	}{
		{"truncated", "zip", full[:len(full)/2]},
		{"zip-slip", "..", zipOf(t, [2]string{"../../evil.csv", good})},
		{"zip-bomb", "expand", bomb},
		{"missing-columns", "phoneCheck", zipOf(t, [2]string{"result.csv", "Number,Status\n+41446681800,valid\n"})},
		{"wrong-headers", "Number", zipOf(t, [2]string{"result.csv", "phone;result\n+41446681800;valid\n"})},
		{"no-entries", "zip", zipOf(t)},
		{"not-a-zip", "zip", []byte("<html><body>502 Bad Gateway</body></html>")},
	}
	f := newFakeAPI(t)
	s := newStack(t, stackOptions{APIURL: f.api.URL})
	ids := make([]string, len(cases))
	contents := make([][]byte, len(cases))
	for i, c := range cases {
		number := fmt.Sprintf("+4144668%04d", 1800+i) // the upload's first line picks the zip
		f.mu.Lock()
		f.zips[number] = c.zip
		f.mu.Unlock()
		contents[i] = []byte(number + "\n+41 79 123 45 67\n")
		ids[i] = s.drop("zip-"+c.name+".txt", contents[i])
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o := s.wait(ids[i], 3*time.Minute)
			if o.Err == nil {
				t.Fatalf("a %s result zip was accepted", c.name)
			}
			reason := s.waitReason("zip-"+c.name+".txt", time.Minute)
			if !strings.Contains(strings.ToLower(reason), strings.ToLower(c.reason)) {
				t.Errorf("the .reason does not mention %q:\n%s", c.reason, reason)
			}
			if !s.waitArchived("failed", contents[i], 30*time.Second) {
				t.Errorf("the input is not in failed/")
			}
			report.add(func(f *figures) { f.cases++; f.badInputs++ })
			report.line("result zip %s: failed/, reason %q", c.name, firstLine(reason))
		})
	}
	if m, _ := filepath.Glob(filepath.Join(s.out, "*")); len(m) != 0 {
		t.Errorf("outputs left behind for failed files: %v", m)
	}
	checkNoPartials(t, s.out)
	if n := f.keyLeaks.Load(); n != 0 {
		t.Errorf("the result host received the API key %d times", n)
		report.add(func(f *figures) { f.leakedSecrets += int(n) })
	}
	if !s.up.running() {
		t.Errorf("up exited: %v", s.up.err)
	}
}
