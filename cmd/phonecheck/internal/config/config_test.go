package config

import (
	"bytes"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeFile(t *testing.T, name, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// bind parses args for keys with env as the whole environment.
func bind(t *testing.T, env map[string]string, args []string, keys ...string) (*Resolved, error) {
	t.Helper()
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	b := Bind(fs, keys...)
	b.Getenv = func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	return b.Resolve()
}

func TestPrecedence(t *testing.T) {
	file := writeFile(t, "phonecheck.yaml", `
region: CH
formats: [csv, jsonl]
temporal:
  address: temporal.internal:7233
  namespace: files
metrics.listen: ":9090"
`)
	keys := []string{"region", "formats", "temporal.address", "temporal.namespace", "metrics.listen", "out"}
	for _, tc := range []struct {
		name     string
		env      map[string]string
		args     []string
		key      string
		want     string
		source   Source
		wantFrom string
	}{
		{"default", nil, nil, "out", "phonecheck/results", FromDefault, ""},
		{"file", map[string]string{FileEnv: file}, nil, "region", "CH", FromFile, file + ":2"},
		{"file list", map[string]string{FileEnv: file}, nil, "formats", "csv,jsonl", FromFile, file + ":3"},
		{"file section", map[string]string{FileEnv: file}, nil, "temporal.namespace", "files", FromFile, file + ":6"},
		{"env over file", map[string]string{FileEnv: file, "PHONECHECK_REGION": "US"}, nil, "region", "US", FromEnv, "PHONECHECK_REGION"},
		{"standard env over file", map[string]string{FileEnv: file, "TEMPORAL_ADDRESS": "t:7233"}, nil, "temporal.address", "t:7233", FromEnv, "TEMPORAL_ADDRESS"},
		{"empty env is unset", map[string]string{FileEnv: file, "PHONECHECK_REGION": ""}, nil, "region", "CH", FromFile, file + ":2"},
		{"flag over env", map[string]string{FileEnv: file, "PHONECHECK_REGION": "US"}, []string{"--region", "GB"}, "region", "GB", FromFlag, "--region"},
		{"--config over env", map[string]string{FileEnv: "/nonexistent"}, []string{"--config", file}, "region", "CH", FromFile, file + ":2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := bind(t, tc.env, tc.args, keys...)
			if err != nil {
				t.Fatal(err)
			}
			v := r.Get(tc.key)
			if v.Raw != tc.want || v.Source != tc.source || v.Origin != tc.wantFrom {
				t.Errorf("%s = %q from %s (%s); want %q from %s (%s)", tc.key, v.Raw, v.Source, v.Origin, tc.want, tc.source, tc.wantFrom)
			}
		})
	}
}

func TestFileErrors(t *testing.T) {
	for _, tc := range []struct{ text, want string }{
		{"regoin: CH\n", `line 1: unknown key "regoin" (did you mean "region"?)`},
		{"temporal:\n  adress: x:1\n", `line 2: unknown key "temporal.adress" (did you mean "temporal.address"?)`},
		{"temporal_address: x:1\n", `(did you mean "temporal.address"?)`},
		{"metrics-listen: :9090\n", `(did you mean "metrics.listen"?)`},
		{"zzzzzzzzzzzz: 1\n", `unknown key "zzzzzzzzzzzz" (run 'phonecheck config' for the list of keys)`},
		{"region: XX\n", `line 1: region: unknown region "XX"`},
		{"metrics:\n  listen: 127.0.0.1:99999\n", `line 2: metrics.listen: "127.0.0.1:99999": port "99999" is not a number from 0 to 65535`},
		{"temporal:\n  address: nohost\n", `temporal.address: "nohost" is not an address`},
		{"serve:\n  retention: forever\n", `serve.retention: "forever" is not a duration`},
		{"formats: [csv, pdf]\n", `formats: unknown result format "pdf"`},
		{"log:\n  format: xml\n", `log.format: "xml" is not a log format: use text or json`},
		{"api:\n  url: ftp://x\n", `api.url: "ftp://x" is not an http or https URL`},
		{"serve:\n  fault_500_rate: 2\n", `serve.fault_500_rate: "2" is not a share between 0 and 1`},
		{"region: [CH, US]\n", `line 1: region: takes one value, not a list`},
		{"temporal: x\n", `unknown key "temporal"`},
		{"- a\n- b\n", `must be a mapping`},
		{"region: CH\nregion: US\n", `region is given twice`},
		{"region: CH\n  bad indent: [\n", `line`},
	} {
		p := writeFile(t, "c.yaml", tc.text)
		_, err := LoadFile(p)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: error %v; want it to contain %q", tc.text, err, tc.want)
		}
	}
}

func TestEnvAndFlagErrors(t *testing.T) {
	if _, err := bind(t, map[string]string{"PHONECHECK_METRICS_LISTEN": "nope"}, nil, "metrics.listen"); err == nil ||
		!strings.Contains(err.Error(), `PHONECHECK_METRICS_LISTEN: "nope" is not an address`) {
		t.Errorf("bad env: %v", err)
	}
	if _, err := bind(t, nil, []string{"--settle", "soon"}, "watch.settle"); err == nil || !strings.Contains(err.Error(), `"soon" is not a duration`) {
		t.Errorf("bad flag: %v", err)
	}
	if _, err := bind(t, map[string]string{FileEnv: "/no/such/file.yaml"}, nil, "region"); err == nil || !strings.Contains(err.Error(), "/no/such/file.yaml") {
		t.Errorf("missing file: %v", err)
	}
}

func TestRelativePathsAreReadAgainstTheFile(t *testing.T) {
	p := writeFile(t, "c.yaml", "inbox: in\nout: /abs/out\n")
	r, err := bind(t, map[string]string{FileEnv: p}, nil, "inbox", "out")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := r.String("inbox"), filepath.Join(filepath.Dir(p), "in"); got != want {
		t.Errorf("inbox = %q, want %q", got, want)
	}
	if got := r.String("out"); got != "/abs/out" {
		t.Errorf("out = %q", got)
	}
}

func TestSecretsAreMasked(t *testing.T) {
	p := writeFile(t, "c.yaml", "api:\n  key: file-secret-123\nserve:\n  api_keys: [k1-secret, k2-secret]\n")
	r, err := bind(t, map[string]string{FileEnv: p, "TEMPORAL_API_KEY": "tcloud-secret"}, nil, AllKeys()...)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := Print(&out, r); err != nil {
		t.Fatal(err)
	}
	if err := PrintJSON(&out, r); err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{"file-secret-123", "k1-secret", "k2-secret", "tcloud-secret"} {
		if strings.Contains(out.String(), secret) {
			t.Errorf("output shows %q:\n%s", secret, out.String())
		}
	}
	if !strings.Contains(out.String(), "****** (2 keys)") || !strings.Contains(out.String(), "TEMPORAL_API_KEY") {
		t.Errorf("output:\n%s", out.String())
	}
	if got := len(r.Secrets()); got != 4 {
		t.Errorf("Secrets() has %d values, want 4", got)
	}
}

func TestRepeatableFlag(t *testing.T) {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	b := Bind(fs, "api.key")
	b.Repeatable("api.key")
	b.Getenv = func(string) (string, bool) { return "", false }
	if err := fs.Parse([]string{"--api-key", "a", "--api-key", "b,c"}); err != nil {
		t.Fatal(err)
	}
	r, err := b.Resolve()
	if err != nil {
		t.Fatal(err)
	}
	if got := r.List("api.key"); len(got) != 2 || got[0] != "a" || got[1] != "b,c" {
		t.Errorf("List = %q", got)
	}
}

func TestLegacyWatchConfig(t *testing.T) {
	p := writeFile(t, "watch.json", `{"folders": [{"dir": "inbox"}]}`)
	fs := flag.NewFlagSet("watch", flag.ContinueOnError)
	b := Bind(fs, "watch.config", "region")
	b.LegacyWatchConfig = true
	b.Getenv = func(string) (string, bool) { return "", false }
	if err := fs.Parse([]string{"--config", p}); err != nil {
		t.Fatal(err)
	}
	r, err := b.Resolve()
	if err != nil {
		t.Fatal(err)
	}
	if v := r.Get("watch.config"); v.Raw != p || v.Source != FromFlag || r.File != nil {
		t.Errorf("watch.config = %+v, file %v", v, r.File)
	}
}

func TestExampleFileLoads(t *testing.T) {
	f, err := LoadFile("../../../../phonecheck.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(f.values) < 10 {
		t.Errorf("the example sets only %d keys", len(f.values))
	}
}

func TestEveryEnvIsListed(t *testing.T) {
	names := EnvNames()
	for _, want := range []string{"PHONECHECK_API_KEY", "TEMPORAL_ADDRESS", "TEMPORAL_TLS_CLIENT_KEY_PATH", FileEnv, "PHONECHECK_METRICS_LISTEN"} {
		found := false
		for _, n := range names {
			found = found || n == want
		}
		if !found {
			t.Errorf("EnvNames lacks %s", want)
		}
	}
}
