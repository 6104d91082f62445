package cli

import (
	"bytes"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/phonecheck/phonecheck/internal/testkit"
)

// TestUpMetricsHealthAndLogs runs `phonecheck up` as a process with
// --metrics-listen and JSON logs, drops a file into its inbox, and once the
// file is done scrapes /metrics: phonecheck's series and the Temporal SDK's
// are there with the values this one file gives. /healthz and /readyz
// answer, every log line is JSON, and no line holds the API key.
func TestUpMetricsHealthAndLogs(t *testing.T) {
	if testing.Short() {
		t.Skip("runs phonecheck up with an embedded Temporal server")
	}
	dir := t.TempDir()
	metricsAddr := testkit.FreeAddr(t)
	cmd := exec.Command(os.Args[0], "up", "--region", "CH", "--metrics-listen", metricsAddr, "--log-format", "json", "--log-level", "debug",
		"--temporal-listen", testkit.FreeAddr(t), "--api-listen", testkit.FreeAddr(t), "--no-ui")
	cmd.Dir = dir
	cmd.Env = []string{"PHONECHECK_TEST_RUN_MAIN=1", "PATH=" + os.Getenv("PATH"), "HOME=" + dir}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	stopped := false
	stop := func() {
		if !stopped {
			stopped = true
			cmd.Process.Signal(syscall.SIGINT)
			cmd.Wait()
		}
	}
	defer stop()
	base := "http://" + metricsAddr
	testkit.WaitFor(t, 60*time.Second, "up's /readyz", func() bool { code, _ := get(base + "/readyz"); return code == 200 })
	if code, body := get(base + "/healthz"); code != 200 || strings.TrimSpace(body) != "ok" {
		t.Errorf("/healthz: %d %q", code, body)
	}
	_, ready := get(base + "/readyz")
	for _, c := range []string{"ok   temporal", "ok   worker", "ok   api server"} {
		if !strings.Contains(ready, c) {
			t.Errorf("/readyz lacks %q:\n%s", c, ready)
		}
	}

	src, _ := os.ReadFile("../../../../testdata/numbers-ch.txt")
	os.WriteFile(filepath.Join(dir, "phonecheck", "inbox", "numbers-ch.txt"), src, 0o644)
	var scrape string
	// The stage counts are cached for 10 s, so this waits up to that long
	// after the workflow completes.
	testkit.WaitFor(t, 60*time.Second, "the finished file in /metrics", func() bool {
		_, scrape = get(base + "/metrics")
		return metric(scrape, `phonecheck_files{stage="done"}`) == 1 &&
			regexp.MustCompile(`(?m)^temporal_workflow_completed\{`).MatchString(scrape)
	})
	for series, want := range map[string]float64{
		// testdata/numbers-ch.txt: 19 rows, 15 valid, 4 invalid (README)
		`phonecheck_rows_validated_total{verdict="valid"}`:                            15,
		`phonecheck_rows_validated_total{verdict="invalid"}`:                          4,
		`phonecheck_watcher_files_total{event="seen"}`:                                1,
		`phonecheck_watcher_files_total{event="claimed"}`:                             1,
		`phonecheck_watcher_files_total{event="failed"}`:                              0,
		`phonecheck_workflows_started_total{result="started"}`:                        1,
		`phonecheck_api_billed_calls_total{endpoint="tasks"}`:                         1,
		`phonecheck_api_requests_total{endpoint="tasks",outcome="ok"}`:                1,
		`phonecheck_http_requests_total{code="200",endpoint="/v1/tasks"}`:             1,
		`phonecheck_activity_duration_seconds_count{activity="Upload",outcome="ok"}`:  1,
		`phonecheck_activity_duration_seconds_count{activity="Prepare",outcome="ok"}`: 1,
	} {
		if got := metric(scrape, series); got != want {
			t.Errorf("%s = %v, want %v", series, got, want)
		}
	}
	polls := metric(scrape, `phonecheck_polls_total`)
	if billed := metric(scrape, `phonecheck_api_billed_calls_total{endpoint="gettasks"}`); polls < 1 || billed != polls {
		t.Errorf("polls %v, billed gettasks %v: want the same, at least 1", polls, billed)
	}
	for _, re := range []string{
		`(?m)^temporal_activity_execution_latency_count\{activity_type="Upload",.*\} 1$`,
		`(?m)^temporal_workflow_completed\{.*workflow_type="ProcessFile"\} [1-9]`,
		`(?m)^temporal_request\{.*operation="StartWorkflowExecution".*\} [1-9]`,
		`(?m)^phonecheck_files\{stage="done"\} 1$`,
		`(?m)^go_goroutines [1-9]`,
	} {
		if !regexp.MustCompile(re).MatchString(scrape) {
			t.Errorf("/metrics has no line matching %s", re)
		}
	}
	stop()

	key, err := os.ReadFile(filepath.Join(dir, "phonecheck", "state", "apiserver", "api-key"))
	if err != nil || len(bytes.TrimSpace(key)) < 16 {
		t.Fatalf("api key: %q, %v", key, err)
	}
	logs := stderr.String() + stdout.String()
	if bytes.Contains([]byte(logs), bytes.TrimSpace(key)) {
		t.Errorf("the API key appears in up's output")
	}
	var jsonLines, withRunID int
	for _, line := range strings.Split(stderr.String(), "\n") {
		if !strings.HasPrefix(line, "{") {
			continue
		}
		jsonLines++
		if strings.Contains(line, `"workflow_id":"phonecheck-`) && strings.Contains(line, `"run_id":`) && strings.Contains(line, `"activity":"Poll"`) &&
			strings.Contains(line, `"task_id":`) {
			withRunID++
		}
	}
	if jsonLines == 0 || withRunID == 0 {
		t.Errorf("%d JSON log lines, %d of them a Poll with workflow, run and task id:\n%s", jsonLines, withRunID, stderr.String())
	}
}

func get(url string) (int, string) {
	resp, err := http.Get(url)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// metric is a series' value in a scrape, or -1 when absent.
func metric(scrape, series string) float64 {
	for _, line := range strings.Split(scrape, "\n") {
		if v, ok := strings.CutPrefix(line, series+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err == nil {
				return f
			}
		}
	}
	return -1
}
