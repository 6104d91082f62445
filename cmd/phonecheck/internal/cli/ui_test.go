package cli

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/phonecheck/phonecheck/internal/headless"
	"github.com/phonecheck/phonecheck/internal/testkit"
	"github.com/phonecheck/phonecheck/temporalx"
	"github.com/phonecheck/phonecheck/workflows"
)

// upProcess runs `phonecheck up` in dir with free ports (the Temporal UI's
// too) and returns once its banner is out; it stops with the test.
type upProcess struct {
	cmd              *exec.Cmd
	stdout, stderr   *testkit.SyncBuffer
	temporal, uiAddr string
}

func startUp(t *testing.T, dir string, args ...string) *upProcess {
	t.Helper()
	if testing.Short() {
		t.Skip("runs phonecheck up with an embedded Temporal server")
	}
	u := &upProcess{stdout: &testkit.SyncBuffer{}, stderr: &testkit.SyncBuffer{}, temporal: testkit.FreeAddr(t), uiAddr: testkit.FreeAddr(t)}
	args = append([]string{"up", "--temporal-listen", u.temporal, "--api-listen", testkit.FreeAddr(t), "--ui-listen", u.uiAddr}, args...)
	u.cmd = exec.Command(os.Args[0], args...)
	u.cmd.Dir = dir
	u.cmd.Env = []string{"PHONECHECK_TEST_RUN_MAIN=1", "PATH=" + os.Getenv("PATH"), "HOME=" + dir}
	u.cmd.Stdout, u.cmd.Stderr = u.stdout, u.stderr
	if err := u.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { u.cmd.Wait(); close(exited) }()
	t.Cleanup(func() { u.cmd.Process.Signal(syscall.SIGINT); <-exited })
	deadline := time.Now().Add(2 * time.Minute)
	for !strings.Contains(u.stdout.String(), "Stop with Ctrl-C") {
		select {
		case <-exited:
			t.Fatalf("up exited: %s\n%s", u.stdout, u.stderr)
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("no banner from up within 2m:\n%s\n%s", u.stdout, u.stderr)
		}
	}
	return u
}

// TestUpShowsFilesInTheUIAndTheReport is what a person does after the
// README's first command: drop a file, open the Temporal UI the banner
// names and find the file's workflow with its stage, memo and summary; then
// open the file's report.html (results --open) and read its totals. Both
// in a real Chromium; screenshots go to the artifacts folder, not the tree.
func TestUpShowsFilesInTheUIAndTheReport(t *testing.T) {
	dir := t.TempDir()
	u := startUp(t, dir, "--region", "CH")
	banner := u.stdout.String()
	if !strings.Contains(banner, "Temporal UI      http://"+u.uiAddr+"\n") {
		t.Fatalf("the banner does not name the UI at %s:\n%s", u.uiAddr, banner)
	}
	br := headless.ForTest(t)

	src, err := os.ReadFile("../../../../testdata/numbers-ch.txt")
	if err != nil {
		t.Fatal(err)
	}
	inbox := bannerPath(t, banner, "drop files into")
	if err := os.WriteFile(filepath.Join(inbox, "numbers-ch.txt"), src, 0o644); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "numbers-ch.txt")
	os.WriteFile(file, src, 0o644)
	var res workflows.Result
	testkit.WaitFor(t, 90*time.Second, "the file's results", func() bool {
		var out, errOut bytes.Buffer
		if Main([]string{"results", "--json", "--region", "CH", "--temporal-address", u.temporal, file}, IO{Out: &out, Err: &errOut}) != ExitOK {
			return false
		}
		return json.Unmarshal(out.Bytes(), &res) == nil
	})
	sum := sha256.Sum256(src)
	id := workflows.WorkflowID(hex.EncodeToString(sum[:]), workflows.Options{Region: "CH"})
	c, err := temporalx.Dial(temporalx.ClientOptions{Address: u.temporal})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	desc, err := c.DescribeWorkflowExecution(context.Background(), id, "")
	if err != nil {
		t.Fatal(err)
	}

	// The Temporal UI: the list, the workflow's page, its search
	// attributes and memo.
	look := func(path string, want ...string) {
		t.Helper()
		if err := br.Navigate("http://" + u.uiAddr + path); err != nil {
			t.Fatal(err)
		}
		_, err := br.WaitText(60*time.Second, want...)
		br.ScreenshotFor(t, "ui-"+path[strings.LastIndex(path, "/")+1:])
		if err != nil {
			t.Fatal(err)
		}
	}
	look("/namespaces/default/workflows", id, "ProcessFile", "Completed")
	base := "/namespaces/default/workflows/" + id + "/" + desc.WorkflowExecutionInfo.Execution.RunId
	look(base+"/history", id, "numbers-ch.txt · region CH · csv, xlsx", `"valid": 15`)
	look(base+"/search-attributes", `"PhonecheckStage": "done"`)
	look(base+"/memo", `"file": "numbers-ch.txt"`, `"rows": 19`, `"invalid": 4`)

	// The report, opened the way `results --open` does (a stand-in
	// xdg-open records what it was given), then looked at.
	bin := t.TempDir()
	opened := filepath.Join(bin, "opened")
	os.WriteFile(filepath.Join(bin, "xdg-open"), []byte("#!/bin/sh\nprintf '%s' \"$1\" > "+opened+"\n"), 0o755)
	t.Setenv("PATH", bin+":"+os.Getenv("PATH"))
	var out, errOut bytes.Buffer
	if code := Main([]string{"results", "--open", "--region", "CH", "--temporal-address", u.temporal, file}, IO{Out: &out, Err: &errOut}); code != ExitOK {
		t.Fatalf("results --open: %d %s", code, errOut.String())
	}
	if !strings.Contains(out.String(), "  report  "+res.Report+"\n") {
		t.Errorf("results does not name the report:\n%s", out.String())
	}
	if got, _ := os.ReadFile(opened); string(got) != res.Report || filepath.Base(res.Report) != "report.html" {
		t.Fatalf("results --open opened %q, want the report %s", got, res.Report)
	}
	if err := br.Navigate("file://" + res.Report); err != nil {
		t.Fatal(err)
	}
	text, err := br.WaitText(20*time.Second, "numbers-ch.txt", "rows\n19\n", "valid\n15\n", "invalid\n4\n", "Why rows are invalid", "NOT_A_NUMBER", "Billing", "Timings")
	br.ScreenshotFor(t, "report")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text, "11 distinct numbers") {
		t.Errorf("the report does not show the billed upload of 11 numbers")
	}
}

// bannerPath is the path after a label in up's banner.
func bannerPath(t *testing.T, banner, label string) string {
	t.Helper()
	for _, l := range strings.Split(banner, "\n") {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(l), label); ok {
			return strings.Fields(rest)[0]
		}
	}
	t.Fatalf("no %q in the banner:\n%s", label, banner)
	return ""
}
