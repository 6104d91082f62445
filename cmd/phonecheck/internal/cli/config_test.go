package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestConfigPrecedence runs `phonecheck config` with a file, variables and
// flags: flag > environment > file > default, each value's source shown,
// secrets masked.
func TestConfigPrecedence(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "phonecheck.yaml")
	os.WriteFile(file, []byte("region: CH\nout: /srv/results\ntemporal:\n  address: file-host:7233\n  namespace: files\napi:\n  key: file-key-123456\n"), 0o600)
	t.Setenv("PHONECHECK_CONFIG", file)
	t.Setenv("TEMPORAL_ADDRESS", "env-host:7233")
	t.Setenv("TEMPORAL_API_KEY", "cloud-key-abcdef")
	t.Setenv("PHONECHECK_REGION", "US")
	code, out, errs := run(t, "", "config", "--json", "--region", "GB")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var got map[string]struct{ Value, Source, From string }
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	for key, want := range map[string][3]string{
		"region":             {"GB", "flag", "--region"},
		"temporal.address":   {"env-host:7233", "env", "TEMPORAL_ADDRESS"},
		"temporal.namespace": {"files", "file", file + ":5"},
		"out":                {"/srv/results", "file", file + ":2"},
		"data_dir":           {"phonecheck/state", "default", ""},
		"api.key":            {"******", "file", file + ":7"},
		"temporal.api_key":   {"******", "env", "TEMPORAL_API_KEY"},
	} {
		if g := got[key]; g.Value != want[0] || g.Source != want[1] || g.From != want[2] {
			t.Errorf("%s = %+v, want %v", key, g, want)
		}
	}
	for _, secret := range []string{"file-key-123456", "cloud-key-abcdef"} {
		if strings.Contains(out+errs, secret) {
			t.Errorf("config shows %s", secret)
		}
	}
}

// TestConfigErrors: a bad file, variable or flag stops every command with
// one line that names it.
func TestConfigErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("temporal:\n  adress: x:1\n"), 0o600)
	for _, c := range []struct {
		env  map[string]string
		args []string
		msg  string
	}{
		{nil, []string{"worker", "--config", bad}, `line 2: unknown key "temporal.adress" (did you mean "temporal.address"?)`},
		{map[string]string{"PHONECHECK_CONFIG": bad}, []string{"status", "x"}, `did you mean "temporal.address"?`},
		{map[string]string{"PHONECHECK_METRICS_LISTEN": "localhost:http"}, []string{"worker"}, `PHONECHECK_METRICS_LISTEN: "localhost:http": port "http" is not a number`},
		{nil, []string{"watch", "in", "--settle", "later"}, `--settle: "later" is not a duration`},
		{nil, []string{"up", "--formats", "pdf"}, `--formats: unknown result format "pdf"`},
		{nil, []string{"serve", "--log-format", "xml"}, `"xml" is not a log format`},
		{map[string]string{"TEMPORAL_ADDRESS": "no-port"}, []string{"list"}, `TEMPORAL_ADDRESS: "no-port" is not an address`},
	} {
		for k, v := range c.env {
			t.Setenv(k, v)
		}
		code, _, errs := run(t, "", c.args...)
		if code != ExitUsage || !strings.Contains(errs, c.msg) || strings.Count(strings.TrimSpace(errs), "\n") > 0 {
			t.Errorf("%v %v: exit %d, %q; want %d with %q", c.env, c.args, code, errs, ExitUsage, c.msg)
		}
		for k := range c.env {
			os.Unsetenv(k)
		}
	}
}

// TestDoctorAndHealthcheckExitCodes: doctor exits 1 when a check fails;
// healthcheck without a listener is a usage error, and 1 when nothing answers.
func TestDoctorAndHealthcheckExitCodes(t *testing.T) {
	dir := t.TempDir()
	code, out, errs := run(t, "", "doctor", "--temporal-address", "127.0.0.1:1", "--inbox", dir, "--out", dir, "--data-dir", dir)
	if code != ExitError || !strings.Contains(out, "✗ temporal") || !strings.Contains(out, "✓ inbox") || !strings.Contains(out, "✓ store") || !strings.Contains(errs, "1 of 6 checks failed") {
		t.Errorf("doctor: exit %d\n%s%s", code, out, errs)
	}
	if code, _, errs := run(t, "", "healthcheck"); code != ExitUsage || !strings.Contains(errs, "--metrics-listen") {
		t.Errorf("healthcheck without address: %d %s", code, errs)
	}
	if code, _, _ := run(t, "", "healthcheck", "--metrics-listen", "127.0.0.1:1"); code != ExitError {
		t.Errorf("healthcheck of nothing: %d", code)
	}
}
