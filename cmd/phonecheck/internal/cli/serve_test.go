package cli

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/phonecheck/phonecheck/cmd/phonecheck/internal/config"
)

// TestMain lets a test run the command line in a child process (the test
// binary itself), for what needs a real process: signals and exit codes.
func TestMain(m *testing.M) {
	if os.Getenv("PHONECHECK_TEST_RUN_MAIN") == "1" {
		os.Exit(Main(os.Args[1:], Stdio()))
	}
	os.Exit(m.Run())
}

// serveProcess starts `phonecheck serve` and returns its URL and the lines
// it printed up to the URL's line and the key note.
type serveProcess struct {
	cmd    *exec.Cmd
	stderr *bytes.Buffer // the logs; read after stop
	url    string
	out    []string
	lines  chan string
}

func startServe(t *testing.T, args ...string) *serveProcess {
	t.Helper()
	cmd := exec.Command(os.Args[0], append([]string{"serve", "--listen", "127.0.0.1:0"}, args...)...)
	cmd.Env = []string{"PHONECHECK_TEST_RUN_MAIN=1", "PATH=" + os.Getenv("PATH")}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr := &bytes.Buffer{}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &serveProcess{cmd: cmd, stderr: stderr, lines: make(chan string, 100)}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			p.lines <- sc.Text()
		}
		close(p.lines)
	}()
	// The last line is the key note, or the curl example after a new key.
	for done := false; !done; {
		select {
		case l, ok := <-p.lines:
			if !ok {
				t.Fatalf("serve exited early; it printed:\n%s", strings.Join(p.out, "\n"))
			}
			p.out = append(p.out, l)
			if u, ok := strings.CutPrefix(l, "phonecheck serve: listening on "); ok {
				p.url = u
			}
			done = strings.HasPrefix(l, "      curl") || strings.Contains(l, "API key: the one stored") || strings.Contains(l, "API keys:")
		case <-time.After(20 * time.Second):
			t.Fatalf("serve printed no URL:\n%s", strings.Join(p.out, "\n"))
		}
	}
	return p
}

// stop sends SIGTERM and returns the exit code and the rest of the output.
func (p *serveProcess) stop(t *testing.T) (int, string) {
	t.Helper()
	p.cmd.Process.Signal(syscall.SIGTERM)
	var rest []string
	for l := range p.lines {
		rest = append(rest, l)
	}
	p.cmd.Wait()
	return p.cmd.ProcessState.ExitCode(), strings.Join(rest, "\n")
}

func uploadTo(t *testing.T, url, key string) (int, map[string]any) {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, _ := mw.CreateFormFile("file", "numbers.txt")
	io.WriteString(fw, "+41791234567\n")
	mw.WriteField("task_type", "phoneCheck")
	mw.Close()
	req, _ := http.NewRequest(http.MethodPost, url+"/v1/tasks", &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("X-API-Key", key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	json.NewDecoder(resp.Body).Decode(&m)
	return resp.StatusCode, m
}

// serve with no key generates one, shows it once, and keeps it; SIGTERM
// stops it cleanly; the next start reuses the key and the state.
func TestServeGeneratesKeyOnce(t *testing.T) {
	data := t.TempDir()
	p := startServe(t, "--data-dir", data)
	printed := strings.Join(p.out, "\n")
	keyBytes, err := os.ReadFile(filepath.Join(data, "apiserver", "api-key"))
	if err != nil {
		t.Fatal(err)
	}
	key := strings.TrimSpace(string(keyBytes))
	if !strings.Contains(printed, "shown only this once") || !strings.Contains(printed, "\n      "+key+"\n") ||
		!strings.Contains(printed, "curl --location '"+p.url+"/v1/tasks' --header 'X-API-Key: "+key+"'") {
		t.Errorf("first start printed:\n%s", printed)
	}
	code, created := uploadTo(t, p.url, key)
	if code != 200 {
		t.Fatalf("upload with the printed key: %d %v", code, created)
	}
	if code, rest := p.stop(t); code != ExitOK || !strings.Contains(rest, "stopped") {
		t.Errorf("SIGTERM: exit %d, printed %q", code, rest)
	}
	if logs := p.stderr.String(); strings.Contains(logs, key) || !strings.Contains(logs, "path=/v1/tasks status=200") {
		t.Errorf("the logs hold the key, or lack the upload:\n%s", logs)
	}

	p = startServe(t, "--data-dir", data)
	printed = strings.Join(p.out, "\n")
	if strings.Contains(printed, key) || !strings.Contains(printed, "the one stored in "+filepath.Join(data, "apiserver", "api-key")) {
		t.Errorf("second start printed:\n%s", printed)
	}
	if code, _ := uploadTo(t, p.url, key); code != 200 {
		t.Errorf("the stored key after a restart: %d", code)
	}
	if code, _ := uploadTo(t, p.url, "not-"+key); code != 401 {
		t.Errorf("a wrong key: %d", code)
	}
	p.stop(t)

	// Configured keys replace the generated one.
	p = startServe(t, "--data-dir", data, "--api-key", "k1", "--api-key", "k2")
	if code, _ := uploadTo(t, p.url, "k2"); code != 200 {
		t.Errorf("--api-key k2: %d", code)
	}
	if code, _ := uploadTo(t, p.url, key); code != 401 {
		t.Errorf("the stored key with --api-key given: %d, want 401", code)
	}
}

func TestServeUsageErrors(t *testing.T) {
	data := t.TempDir()
	for _, c := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"extra"}, ExitUsage, "unexpected argument"},
		{[]string{"--max-upload", "lots"}, ExitUsage, "--max-upload"},
		{[]string{"--fault-500-rate", "1.5"}, ExitUsage, "between 0 and 1"},
		{[]string{"--retention", "-1h"}, ExitUsage, "not a duration"},
		{[]string{"--log-format", "xml"}, ExitUsage, "text or json"},
		{[]string{"--processors", "-1"}, ExitUsage, "not a count"},
		{[]string{"--daily-limit", "many"}, ExitUsage, "not a count"},
		{[]string{"--api-keys-file", filepath.Join(data, "missing")}, ExitUsage, "--api-keys-file"},
		{[]string{"--api-key", "k", "--listen", "127.0.0.1:99999"}, ExitUsage, "--listen"},
		{[]string{"--nope"}, ExitUsage, "flag provided but not defined"},
	} {
		code, _, errs := run(t, "", append([]string{"serve", "--data-dir", data}, c.args...)...)
		oneLine := !strings.Contains(strings.TrimSpace(errs), "\n")
		if code != c.code || !strings.Contains(errs, c.msg) || !oneLine && c.args[0] != "--nope" {
			t.Errorf("serve %v: exit %d, %q; want %d with %q", c.args, code, errs, c.code, c.msg)
		}
	}
}

func TestParseSizeAndDuration(t *testing.T) {
	for in, want := range map[string]int64{"1000": 1000, "64MiB": 64 << 20, "64m": 64 << 20, "2 GiB": 2 << 30, "5KB": 5000, "7b": 7} {
		if got, err := config.ParseSize(in); got != want || err != nil {
			t.Errorf("config.ParseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "0", "-1", "1.5MiB", "MiB", "9999999999GiB"} {
		if _, err := config.ParseSize(bad); err == nil {
			t.Errorf("config.ParseSize(%q) accepted", bad)
		}
	}
	for in, want := range map[string]time.Duration{"7d": 7 * 24 * time.Hour, "0.5d": 12 * time.Hour, "250ms": 250 * time.Millisecond, "0": 0} {
		if got, err := config.ParseDuration(in); got != want || err != nil {
			t.Errorf("config.ParseDuration(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"d", "-2d", "7 days", "-1s"} {
		if _, err := config.ParseDuration(bad); err == nil {
			t.Errorf("config.ParseDuration(%q) accepted", bad)
		}
	}
}
