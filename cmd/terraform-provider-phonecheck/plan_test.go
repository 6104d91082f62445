package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/phonecheck/phonecheck/cmd/terraform-provider-phonecheck/internal/provider"
)

// The provider as users run it: built, started by the real Terraform CLI
// (found through dev_overrides, so nothing is downloaded), once per phase of
// a plan.

func terraformCLI(tb testing.TB) string {
	tb.Helper()
	path := os.Getenv("TF_ACC_TERRAFORM_PATH")
	if path == "" {
		path = "/usr/local/bin/terraform"
	}
	if _, err := os.Stat(path); err != nil {
		tb.Skipf("the Terraform CLI is needed at %s (or TF_ACC_TERRAFORM_PATH): %v", path, err)
	}
	return path
}

// planDir builds the provider and writes a configuration of n numbers in
// a local map, each written by a call of provider::phonecheck::e164 (or,
// with calls false, as the literal it returns: Terraform's own share). It
// returns the directory and the environment to run terraform in.
func planDir(tb testing.TB, n int, calls bool) (string, []string) {
	tb.Helper()
	dir := tb.TempDir()
	plugins := filepath.Join(dir, "plugins")
	build := exec.Command("go", "build", "-o", filepath.Join(plugins, "terraform-provider-phonecheck"), ".")
	if out, err := build.CombinedOutput(); err != nil {
		tb.Fatalf("go build: %v\n%s", err, out)
	}
	rc := fmt.Sprintf("provider_installation {\n  dev_overrides {\n    %q = %q\n  }\n  direct {}\n}\n", provider.Address, plugins)
	if err := os.WriteFile(filepath.Join(dir, "terraformrc"), []byte(rc), 0o644); err != nil {
		tb.Fatal(err)
	}
	var cfg strings.Builder
	cfg.WriteString("terraform {\n  required_providers {\n    phonecheck = { source = \"phonecheck/phonecheck\" }\n  }\n}\n")
	cfg.WriteString("provider \"phonecheck\" {}\n\nlocals {\n  numbers = {\n")
	for i := range n {
		if calls {
			fmt.Fprintf(&cfg, "    n%d = provider::phonecheck::e164(\"044 668 %02d %02d\", \"CH\")\n", i, i/100%100, i%100)
		} else {
			fmt.Fprintf(&cfg, "    n%d = %q\n", i, wantE164(i))
		}
	}
	cfg.WriteString("  }\n}\n\noutput \"numbers\" { value = local.numbers }\n")
	if err := os.WriteFile(filepath.Join(dir, "main.tf"), []byte(cfg.String()), 0o644); err != nil {
		tb.Fatal(err)
	}
	env := []string{"TF_CLI_CONFIG_FILE=" + filepath.Join(dir, "terraformrc"), "CHECKPOINT_DISABLE=1", "TF_IN_AUTOMATION=1"}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "TF_") {
			env = append(env, kv)
		}
	}
	return dir, env
}

func wantE164(i int) string { return fmt.Sprintf("+4144668%02d%02d", i/100%100, i%100) }

func terraform(tb testing.TB, tf, dir string, env []string, args ...string) []byte {
	tb.Helper()
	cmd := exec.Command(tf, args...)
	cmd.Dir, cmd.Env = dir, env
	out, err := cmd.CombinedOutput()
	if err != nil {
		tb.Fatalf("terraform %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

// checkPlanned requires the saved plan's output to hold every number.
func checkPlanned(tb testing.TB, tf, dir string, env []string, n int) {
	tb.Helper()
	var plan struct {
		PlannedValues struct {
			Outputs map[string]struct {
				Value map[string]string `json:"value"`
			} `json:"outputs"`
		} `json:"planned_values"`
	}
	if err := json.Unmarshal(terraform(tb, tf, dir, env, "show", "-json", "plan.out"), &plan); err != nil {
		tb.Fatal(err)
	}
	got := plan.PlannedValues.Outputs["numbers"].Value
	if len(got) != n {
		tb.Fatalf("%d numbers planned, want %d", len(got), n)
	}
	for i := range n {
		if got[fmt.Sprint("n", i)] != wantE164(i) {
			tb.Fatalf("n%d = %q, want %q", i, got[fmt.Sprint("n", i)], wantE164(i))
		}
	}
}

// BenchmarkPlan1000Functions times `terraform plan` of 1,000 function calls
// (calls) beside the same plan of 1,000 literals (literals, the baseline:
// Terraform and the provider's start without a call), as a whole process.
func BenchmarkPlan1000Functions(b *testing.B) {
	tf := terraformCLI(b)
	for _, calls := range []bool{true, false} {
		name := "literals"
		if calls {
			name = "calls"
		}
		b.Run(name, func(b *testing.B) {
			dir, env := planDir(b, 1000, calls)
			terraform(b, tf, dir, env, "plan", "-input=false", "-no-color", "-out=plan.out") // warm the page cache
			b.ResetTimer()
			for b.Loop() {
				terraform(b, tf, dir, env, "plan", "-input=false", "-no-color", "-out=plan.out")
			}
			b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/plan")
			b.StopTimer()
			checkPlanned(b, tf, dir, env, 1000)
		})
	}
}

// TestPlanFunctionCalls plans 1,000 function calls with the built provider
// and the real Terraform CLI and checks every planned value; the time is
// logged (BenchmarkPlan1000Functions measures it).
func TestPlanFunctionCalls(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the provider and runs terraform")
	}
	tf := terraformCLI(t)
	dir, env := planDir(t, 1000, true)
	start := time.Now()
	terraform(t, tf, dir, env, "plan", "-input=false", "-no-color", "-out=plan.out")
	t.Logf("terraform plan of 1,000 function calls: %v", time.Since(start).Round(time.Millisecond))
	checkPlanned(t, tf, dir, env, 1000)
}

// TestQuietUnreadLogs: the SDK's logs are off unless a TF_LOG variable asks
// for logs.
func TestQuietUnreadLogs(t *testing.T) {
	for _, tc := range []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{}, "off"},
		{map[string]string{"TF_LOG": "trace"}, ""},
		{map[string]string{"TF_LOG_PROVIDER": "debug"}, ""},
		{map[string]string{"TF_LOG_SDK_PROTO": "trace"}, ""},
	} {
		for _, kv := range os.Environ() {
			if k, _, _ := strings.Cut(kv, "="); strings.HasPrefix(k, "TF_LOG") {
				t.Setenv(k, "")
				os.Unsetenv(k)
			}
		}
		for k, v := range tc.env {
			t.Setenv(k, v)
		}
		quietUnreadLogs()
		if got := os.Getenv("TF_LOG_SDK"); got != tc.want {
			t.Errorf("with %v: TF_LOG_SDK=%q, want %q", tc.env, got, tc.want)
		}
		os.Unsetenv("TF_LOG_SDK")
	}
}
