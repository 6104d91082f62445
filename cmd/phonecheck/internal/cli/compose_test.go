package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/loader"
	"github.com/compose-spec/compose-go/v2/types"

	"github.com/phonecheck/phonecheck/cmd/phonecheck/internal/config"
)

// There is no Docker engine on the machines that run this: these tests
// check docker-compose.yml and the Dockerfile against the binary instead of
// running them.

// loadCompose loads ../../docker-compose.yml as docker compose would, with
// the required variables set.
func loadCompose(t *testing.T) *types.Project {
	t.Helper()
	root, _ := filepath.Abs("../../../..")
	p, err := loader.LoadWithContext(context.Background(), types.ConfigDetails{
		WorkingDir:  root,
		ConfigFiles: []types.ConfigFile{{Filename: filepath.Join(root, "docker-compose.yml")}},
		Environment: types.Mapping{"PHONECHECK_API_KEY": "compose-test-key"},
	}, func(o *loader.Options) { o.SetProjectName("phonecheck", true) })
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// flagsOf is the set of flags a subcommand defines, read from its -h
// output, which the flag package writes from the command's real flag set.
func flagsOf(t *testing.T, cmd string) map[string]bool {
	t.Helper()
	code, help, _ := run(t, "", cmd, "-h")
	if code != ExitOK {
		t.Fatalf("%s -h: exit %d", cmd, code)
	}
	flags := map[string]bool{}
	re := regexp.MustCompile(`^  --?([a-z0-9][a-z0-9-]*)`)
	sc := bufio.NewScanner(strings.NewReader(help))
	for sc.Scan() {
		if m := re.FindStringSubmatch(sc.Text()); m != nil {
			flags[m[1]] = true
		}
	}
	if len(flags) == 0 {
		t.Fatalf("%s -h lists no flags:\n%s", cmd, help)
	}
	return flags
}

func TestComposeWiring(t *testing.T) {
	p := loadCompose(t)
	env := config.EnvNames()
	// The phonecheck services: those built from this repository.
	var ours []string
	for name, s := range p.Services {
		if s.Build != nil {
			ours = append(ours, name)
		}
	}
	slices.Sort(ours)
	if want := []string{"phonecheck-api", "phonecheck-watch", "phonecheck-worker"}; !slices.Equal(ours, want) {
		t.Fatalf("phonecheck services %v, want %v", ours, want)
	}
	want := map[string]string{"phonecheck-api": "serve", "phonecheck-worker": "worker", "phonecheck-watch": "watch"}
	for _, name := range ours {
		s := p.Services[name]
		// The command: a real subcommand with flags it defines.
		if len(s.Command) == 0 || s.Command[0] != want[name] || !slices.Contains(Commands(), s.Command[0]) {
			t.Errorf("%s: command %q, want subcommand %s", name, s.Command, want[name])
			continue
		}
		flags := flagsOf(t, s.Command[0])
		for _, arg := range s.Command[1:] {
			if f, ok := strings.CutPrefix(arg, "-"); ok {
				f = strings.TrimPrefix(f, "-")
				f, _, _ = strings.Cut(f, "=")
				if !flags[f] {
					t.Errorf("%s: %s has no flag -%s", name, s.Command[0], f)
				}
			}
		}
		// Every variable it sets is one the binary reads.
		for k, v := range s.Environment {
			if !slices.Contains(env, k) {
				t.Errorf("%s: phonecheck reads no variable %s", name, k)
			}
			if v == nil || *v == "" && k != "PHONECHECK_REGION" {
				t.Errorf("%s: %s is empty", name, k)
			}
		}
		// Metrics on every interface, probed by the healthcheck.
		if l := s.Environment["PHONECHECK_METRICS_LISTEN"]; l == nil || !strings.HasPrefix(*l, "0.0.0.0:") {
			t.Errorf("%s: PHONECHECK_METRICS_LISTEN should listen on 0.0.0.0", name)
		}
		if hc := s.HealthCheck; hc == nil || !slices.Equal([]string(hc.Test), []string{"CMD", "/usr/local/bin/phonecheck", "healthcheck"}) {
			t.Errorf("%s: healthcheck %+v, want the binary's own healthcheck", name, hc)
		}
		if len(s.Volumes) == 0 || s.Volumes[0].Type != types.VolumeTypeVolume || s.Volumes[0].Target != "/data" {
			t.Errorf("%s: volumes %+v, want a named volume at /data", name, s.Volumes)
		}
		if _, ok := p.Volumes[s.Volumes[0].Source]; !ok {
			t.Errorf("%s: volume %s is not declared", name, s.Volumes[0].Source)
		}
		if s.Environment["TEMPORAL_ADDRESS"] != nil {
			host, _, _ := strings.Cut(*s.Environment["TEMPORAL_ADDRESS"], ":")
			if _, ok := p.Services[host]; !ok {
				t.Errorf("%s: TEMPORAL_ADDRESS names %s, not a service", name, host)
			}
		}
	}

	api, worker, watch := p.Services["phonecheck-api"], p.Services["phonecheck-worker"], p.Services["phonecheck-watch"]
	if len(api.Ports) == 0 || api.Ports[0].Target != 8080 || !slices.Contains(api.Command, "0.0.0.0:8080") {
		t.Errorf("api: ports %+v, command %q: want 8080 published and listened on at 0.0.0.0", api.Ports, api.Command)
	}
	if worker.Deploy == nil || worker.Deploy.Replicas == nil || *worker.Deploy.Replicas < 2 || len(worker.Ports) != 0 {
		t.Errorf("worker: want deploy.replicas >= 2 and no host ports (replicas would collide)")
	}
	if u := worker.Environment["PHONECHECK_API_URL"]; u == nil || *u != "http://phonecheck-api:8080" {
		t.Errorf("worker: PHONECHECK_API_URL %v", u)
	}
	if *worker.Environment["PHONECHECK_API_KEY"] != "compose-test-key" || *api.Environment["PHONECHECK_API_KEY"] != "compose-test-key" {
		t.Errorf("worker and api must share PHONECHECK_API_KEY")
	}
	// Paths travel through Temporal: the watcher and the workers must see
	// the same /data.
	if worker.Volumes[0].Source != watch.Volumes[0].Source {
		t.Errorf("worker and watch volumes differ: %s, %s", worker.Volumes[0].Source, watch.Volumes[0].Source)
	}
	if len(watch.Command) < 2 || !strings.HasPrefix(watch.Command[len(watch.Command)-1], "/data/") ||
		!strings.HasPrefix(*watch.Environment["PHONECHECK_OUT"], "/data/") {
		t.Errorf("watch: inbox and results must lie in /data: %q, out %s", watch.Command, *watch.Environment["PHONECHECK_OUT"])
	}

	// Start order: the conditions compose waits on.
	for svc, deps := range map[string]map[string]string{
		"temporal-schema":    {"postgresql": types.ServiceConditionHealthy},
		"temporal":           {"temporal-schema": types.ServiceConditionCompletedSuccessfully},
		"temporal-namespace": {"temporal": types.ServiceConditionHealthy},
		"temporal-ui":        {"temporal": types.ServiceConditionHealthy},
		"phonecheck-worker":  {"temporal-namespace": types.ServiceConditionCompletedSuccessfully, "phonecheck-api": types.ServiceConditionHealthy},
		"phonecheck-watch":   {"temporal-namespace": types.ServiceConditionCompletedSuccessfully, "phonecheck-worker": types.ServiceConditionHealthy},
	} {
		for dep, cond := range deps {
			if got := p.Services[svc].DependsOn[dep].Condition; got != cond {
				t.Errorf("%s depends on %s with %q, want %q", svc, dep, got, cond)
			}
		}
		// A service_healthy dependency needs a healthcheck to wait for.
		for dep, d := range p.Services[svc].DependsOn {
			if d.Condition == types.ServiceConditionHealthy && p.Services[dep].HealthCheck == nil {
				t.Errorf("%s waits for %s to be healthy, which has no healthcheck", svc, dep)
			}
		}
	}
	for _, name := range []string{"postgresql", "temporal"} {
		if p.Services[name].HealthCheck == nil {
			t.Errorf("%s has no healthcheck", name)
		}
	}
	if !strings.HasSuffix(p.Services["temporal"].Image, ":1.30.8") || !strings.HasSuffix(p.Services["temporal-schema"].Image, ":1.30.8") {
		t.Errorf("temporal images %s, %s: want the server's version 1.30.8 (go.mod)", p.Services["temporal"].Image, p.Services["temporal-schema"].Image)
	}
	// The scripts the admin-tools jobs run are in the repository.
	for _, f := range []string{"setup-postgres.sh", "create-namespace.sh", "dynamicconfig.yaml"} {
		if _, err := os.Stat(filepath.Join("../../../../deploy/temporal", f)); err != nil {
			t.Error(err)
		}
	}
	if b, _ := os.ReadFile("../../../../deploy/temporal/create-namespace.sh"); !bytes.Contains(b, []byte("PhonecheckStage --type Keyword")) {
		t.Error("create-namespace.sh does not register the PhonecheckStage search attribute")
	}
}

// dockerfile is a Dockerfile's instructions, continuation lines joined.
type instruction struct{ cmd, args string }

func parseDockerfile(t *testing.T, path string) [][]instruction {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var stages [][]instruction
	var line strings.Builder
	for _, raw := range strings.Split(string(data), "\n") {
		trimmed := strings.TrimSpace(raw)
		if line.Len() == 0 && (trimmed == "" || strings.HasPrefix(trimmed, "#")) {
			continue
		}
		if s, ok := strings.CutSuffix(trimmed, "\\"); ok {
			line.WriteString(s + " ")
			continue
		}
		line.WriteString(trimmed)
		cmd, args, _ := strings.Cut(line.String(), " ")
		line.Reset()
		in := instruction{strings.ToUpper(cmd), strings.TrimSpace(args)}
		if in.cmd == "FROM" {
			stages = append(stages, nil)
		}
		if len(stages) == 0 {
			if in.cmd != "ARG" {
				t.Fatalf("%s before the first FROM", in.cmd)
			}
			continue
		}
		stages[len(stages)-1] = append(stages[len(stages)-1], in)
	}
	return stages
}

func TestDockerfile(t *testing.T) {
	stages := parseDockerfile(t, "../../../../Dockerfile")
	known := map[string]bool{"FROM": true, "WORKDIR": true, "COPY": true, "RUN": true, "ARG": true, "ENV": true, "USER": true,
		"EXPOSE": true, "ENTRYPOINT": true, "CMD": true, "LABEL": true, "HEALTHCHECK": true}
	if len(stages) < 2 {
		t.Fatalf("%d stages, want a build stage and a runtime stage", len(stages))
	}
	names := map[string]bool{}
	for i, st := range stages {
		from := strings.Fields(st[0].args)
		if len(from) == 3 && strings.EqualFold(from[1], "AS") {
			names[from[2]] = true
		}
		for _, in := range st {
			if !known[in.cmd] {
				t.Errorf("stage %d: unknown instruction %s", i, in.cmd)
			}
			if in.cmd == "COPY" && strings.Contains(in.args, "--from=") {
				ref := regexp.MustCompile(`--from=(\S+)`).FindStringSubmatch(in.args)[1]
				if !names[ref] {
					t.Errorf("stage %d copies from %s, not an earlier stage", i, ref)
				}
			}
		}
	}
	build := strings.Join(func() []string {
		var s []string
		for _, in := range stages[0] {
			s = append(s, in.cmd+" "+in.args)
		}
		return s
	}(), "\n")
	for _, want := range []string{"CGO_ENABLED=0", "go build", "./cmd/phonecheck", "COPY go.mod go.sum"} {
		if !strings.Contains(build, want) {
			t.Errorf("build stage lacks %q", want)
		}
	}
	final := stages[len(stages)-1]
	if base := strings.Fields(final[0].args)[0]; !strings.HasPrefix(base, "gcr.io/distroless/static") && base != "scratch" {
		t.Errorf("runtime base %s: want distroless/static or scratch", base)
	}
	var user, entrypoint string
	var copied []string
	for _, in := range final {
		switch in.cmd {
		case "USER":
			user = in.args
		case "ENTRYPOINT":
			entrypoint = in.args
		case "COPY":
			f := strings.Fields(in.args)
			copied = append(copied, f[len(f)-1])
		case "ENV":
			for _, kv := range strings.Fields(in.args) {
				k, _, _ := strings.Cut(kv, "=")
				if !slices.Contains(config.EnvNames(), k) {
					t.Errorf("ENV %s: phonecheck reads no such variable", k)
				}
			}
		}
	}
	if uid, _, _ := strings.Cut(user, ":"); user == "" || uid == "0" || uid == "root" {
		t.Errorf("runtime USER %q: want a non-root user", user)
	}
	var ep []string
	if err := json.Unmarshal([]byte(entrypoint), &ep); err != nil || len(ep) == 0 {
		t.Fatalf("ENTRYPOINT %q: want the exec (JSON) form", entrypoint)
	}
	if !slices.Contains(copied, ep[0]) {
		t.Errorf("ENTRYPOINT %s is not copied into the runtime stage (%v)", ep[0], copied)
	}
	// The compose healthcheck calls the same path.
	if p := loadCompose(t); p.Services["phonecheck-worker"].HealthCheck.Test[1] != ep[0] {
		t.Errorf("compose healthcheck runs %s, the image has %s", p.Services["phonecheck-worker"].HealthCheck.Test[1], ep[0])
	}
}
