//go:build cluster

package cluster

import (
	"bufio"
	"bytes"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/compose-spec/compose-go/v2/types"
)

var (
	repoRoot  string // the repository, where docker-compose.yml is
	bin       string // the phonecheck binary under test
	serverDir string // temporal-server, temporal-sql-tool (bin/), the schema (etc/schema)
	cliDir    string // the temporal CLI (bin/)
	minioDir  string // minio (bin/)
	pgBin     string // PostgreSQL's initdb and postgres
)

func TestMain(m *testing.M) {
	os.Exit(testMain(m))
}

func testMain(m *testing.M) int {
	root, err := filepath.Abs("..")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	repoRoot = root
	start := time.Now()
	install := exec.Command("bash", filepath.Join(root, "tools", "cluster", "install.sh"))
	install.Stderr = os.Stderr
	out, err := install.Output()
	if err != nil {
		fmt.Fprintln(os.Stderr, "cluster: tools/cluster/install.sh:", err)
		return 1
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		k, v, _ := strings.Cut(line, "=")
		switch k {
		case "TEMPORAL_SERVER_DIR":
			serverDir = v
		case "TEMPORAL_CLI_DIR":
			cliDir = v
		case "MINIO_DIR":
			minioDir = v
		case "PG_BIN":
			pgBin = v
		}
	}
	dir, err := os.MkdirTemp("", "phonecheck-cluster-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	bin = filepath.Join(dir, "phonecheck")
	build := exec.Command("go", "build", "-o", bin, "../cmd/phonecheck")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "cluster: building phonecheck:", err)
		return 1
	}
	fmt.Printf("cluster: tools installed and phonecheck built in %s\n", time.Since(start).Round(time.Second))
	return m.Run()
}

// proc is a child process in its own process group, its stdout and stderr
// appended to one log file.
type proc struct {
	name, log string
	cmd       *exec.Cmd
	done      chan struct{}
	err       error
}

// startProc starts argv in dir with exactly env, as cred's user when cred
// is set.
func startProc(t testing.TB, name, dir, logFile string, env []string, cred *syscall.Credential, argv ...string) *proc {
	t.Helper()
	f, err := os.OpenFile(logFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(f, "--- %s: %s\n", time.Now().Format(time.RFC3339Nano), strings.Join(argv, " "))
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir, cmd.Env = dir, env
	cmd.Stdout, cmd.Stderr = f, f
	// Pdeathsig: a test killed by its timeout leaves no server behind.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Credential: cred, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		f.Close()
		t.Fatalf("%s: %v", name, err)
	}
	p := &proc{name: name, log: logFile, cmd: cmd, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		f.Close()
		close(p.done)
	}()
	return p
}

func (p *proc) running() bool {
	select {
	case <-p.done:
		return false
	default:
		return true
	}
}

// kill sends SIGKILL to the process group and waits for the exit.
func (p *proc) kill() {
	if p.running() {
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
	}
	<-p.done
}

func (p *proc) output() string {
	b, _ := os.ReadFile(p.log)
	return string(b)
}

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}

// up starts the project's services in the order of their depends_on,
// waiting for each condition as `docker compose up` does.
func (l *layout) up() {
	l.t.Helper()
	started := map[string]bool{}
	var visit func(name string)
	visit = func(name string) {
		if started[name] {
			return
		}
		started[name] = true
		s := l.service(name)
		for _, dep := range slices.Sorted(maps.Keys(s.DependsOn)) {
			visit(dep)
			switch cond := s.DependsOn[dep].Condition; cond {
			case "service_healthy":
				for _, in := range l.insts[dep] {
					l.healthy(in, 3*time.Minute)
				}
			case "service_completed_successfully", "service_started":
				// jobs run to completion when started; others are started
			default:
				l.t.Fatalf("%s depends on %s with condition %q", name, dep, cond)
			}
		}
		begin := time.Now()
		l.startService(name)
		l.t.Logf("compose: %s started in %s", name, time.Since(begin).Round(time.Millisecond))
	}
	for _, name := range slices.Sorted(maps.Keys(l.p.Services)) {
		visit(name)
	}
	// As `docker compose up --wait`: every service with a healthcheck healthy.
	for _, name := range slices.Sorted(maps.Keys(l.insts)) {
		if l.p.Services[name].HealthCheck != nil {
			for _, in := range l.insts[name] {
				l.healthy(in, 3*time.Minute)
			}
		}
	}
}

// startService starts a service as its image would run.
func (l *layout) startService(name string) {
	l.t.Helper()
	s := l.service(name)
	switch img := imageOf(s); img {
	case "postgres":
		l.startPostgres(name)
	case "temporalio/admin-tools":
		l.runJob(name)
	case "temporalio/server":
		l.startTemporal(name)
	case "temporalio/ui":
		l.t.Logf("compose: %s skipped (the web UI is an image of its own, not built here)", name)
	case "phonecheck":
		replicas := 1
		if s.Deploy != nil && s.Deploy.Replicas != nil {
			replicas = *s.Deploy.Replicas
		}
		for r := 1; r <= replicas; r++ {
			l.startReplica(name, r)
		}
	default:
		l.t.Fatalf("compose: %s runs image %s, which the cluster test cannot run", name, s.Image)
	}
}

// startReplica starts replica r (from 1) of a phonecheck service.
func (l *layout) startReplica(name string, r int) *instance {
	dir := l.dir
	if wd := images()[imageOf(l.p.Services[name])].workdir; wd != "" {
		dir = l.rewrite(name, r, wd)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		l.t.Fatal(err)
	}
	return l.spawn(&instance{name: fmt.Sprintf("%s-%d", name, r), svc: name, replica: r,
		argv: l.argvOf(name, r), env: l.envOf(name, r), dir: dir})
}

// runJob runs a one-shot service to completion under its restart policy
// (on-failure:N tries it N more times).
func (l *layout) runJob(name string) {
	l.t.Helper()
	s := l.service(name)
	tries := 1
	if n, ok := strings.CutPrefix(s.Restart, "on-failure:"); ok {
		fmt.Sscan(n, &tries)
		tries++
	}
	argv, env := l.argvOf(name, 1), l.envOf(name, 1)
	logFile := filepath.Join(l.dir, "logs", name+".log")
	for i := 1; ; i++ {
		p := startProc(l.t, name, l.dir, logFile, env, nil, argv...)
		select {
		case <-p.done:
		case <-time.After(2 * time.Minute):
			p.kill()
		}
		if p.err == nil {
			return
		}
		if i >= tries {
			l.t.Fatalf("compose: %s failed %d times (%v):\n%s", name, i, p.err, tail(p.output(), 4000))
		}
		time.Sleep(time.Second)
	}
}

// startPostgres does what the postgres image's entrypoint does on an empty
// volume (initdb with POSTGRES_USER and POSTGRES_PASSWORD, the database
// POSTGRES_DB or POSTGRES_USER, password logins over TCP) and runs the
// server from the distribution's packages on a loopback port.
func (l *layout) startPostgres(name string) {
	l.t.Helper()
	s := l.service(name)
	get := func(k, def string) string {
		if v := s.Environment[k]; v != nil && *v != "" {
			return *v
		}
		return def
	}
	pgUser, pgPass := get("POSTGRES_USER", "postgres"), get("POSTGRES_PASSWORD", "")
	db := get("POSTGRES_DB", pgUser)
	cred := postgresUser(l.t)
	// Outside the test's temp dir, which only root may enter.
	root, err := os.MkdirTemp("", "phonecheck-cluster-pg-")
	if err != nil {
		l.t.Fatal(err)
	}
	l.t.Cleanup(func() { os.RemoveAll(root) })
	pw := filepath.Join(root, "pwfile")
	if err := os.WriteFile(pw, []byte(pgPass+"\n"), 0o600); err != nil {
		l.t.Fatal(err)
	}
	if cred != nil {
		for _, p := range []string{root, pw} {
			if err := os.Chown(p, int(cred.Uid), int(cred.Gid)); err != nil {
				l.t.Fatal(err)
			}
		}
	}
	data := filepath.Join(root, "data")
	env := append(baseEnv(), "LC_ALL=C")
	logFile := filepath.Join(l.dir, "logs", name+".log")
	initdb := startProc(l.t, "initdb", root, logFile, env, cred, filepath.Join(pgBin, "initdb"), "-D", data,
		"--username", pgUser, "--pwfile", pw, "--auth-host", "scram-sha-256", "--auth-local", "trust", "--encoding", "UTF8", "--locale", "C")
	<-initdb.done
	if initdb.err != nil {
		l.t.Fatalf("initdb: %v\n%s", initdb.err, tail(initdb.output(), 3000))
	}
	addr := l.addr(name + ":5432")
	in := l.spawn(&instance{name: name, svc: name, dir: root, cred: cred, env: env,
		argv: []string{filepath.Join(pgBin, "postgres"), "-D", data, "-p", port(addr), "-c", "listen_addresses=127.0.0.1", "-k", root}})
	l.healthy(in, time.Minute)
	if db != "postgres" {
		psql := exec.Command(filepath.Join(pgBin, "psql"), "-v", "ON_ERROR_STOP=1", "-h", root, "-p", port(addr), "-U", pgUser, "-d", "postgres",
			"-c", fmt.Sprintf(`CREATE DATABASE %q`, db))
		psql.Env = env
		psql.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
		if out, err := psql.CombinedOutput(); err != nil {
			l.t.Fatalf("creating database %s: %v\n%s", db, err, out)
		}
	}
}

// temporalRoles are the server's services, each a process here; the image
// runs all four in one.
var temporalRoles = []string{"frontend", "history", "matching", "worker"}

// startTemporal runs the server image's command (temporal-server start,
// its embedded config template filled from the variables) once per
// service, each on its own ports, in a copy of the image's working
// directory /etc/temporal with the service's bind mounts in it.
func (l *layout) startTemporal(name string) {
	l.t.Helper()
	s := l.service(name)
	work := filepath.Join(l.dir, "etc-temporal")
	for _, v := range s.Volumes {
		rel, ok := strings.CutPrefix(v.Target, "/etc/temporal/")
		if v.Type != types.VolumeTypeBind || !ok {
			l.t.Fatalf("%s: volume %s:%s is not a bind mount into /etc/temporal", name, v.Source, v.Target)
		}
		dst := filepath.Join(work, rel)
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			l.t.Fatal(err)
		}
		if err := os.Symlink(v.Source, dst); err != nil {
			l.t.Fatal(err)
		}
	}
	frontend := l.addr(name + ":7233")
	env := append(l.envOf(name, 0),
		"FRONTEND_GRPC_PORT="+port(frontend),
		"FRONTEND_HTTP_PORT="+port(l.addr(name+":7243")),
		"FRONTEND_MEMBERSHIP_PORT="+port(l.addr(name+":6933")),
		"HISTORY_GRPC_PORT="+port(l.addr(name+":7234")),
		"HISTORY_MEMBERSHIP_PORT="+port(l.addr(name+":6934")),
		"MATCHING_GRPC_PORT="+port(l.addr(name+":7235")),
		"MATCHING_MEMBERSHIP_PORT="+port(l.addr(name+":6935")),
		"WORKER_GRPC_PORT="+port(l.addr(name+":7239")),
		"WORKER_MEMBERSHIP_PORT="+port(l.addr(name+":6939")),
	)
	server := filepath.Join(serverDir, "bin", "temporal-server")
	for _, role := range temporalRoles {
		l.spawn(&instance{name: name + "-" + role, svc: name, argv: []string{server, "start", "--service", role}, env: env, dir: work})
	}
}

// useDynamicConfig mounts path as the temporal service's dynamic config in
// place of the compose file's.
func (l *layout) useDynamicConfig(path string) {
	l.t.Helper()
	s := l.service("temporal")
	for i, v := range s.Volumes {
		if strings.Contains(v.Target, "/dynamicconfig/") {
			s.Volumes[i].Source = path
			l.p.Services["temporal"] = s
			return
		}
	}
	l.t.Fatal("the temporal service mounts no dynamic config")
}

// temporal is the instance of one of the server's services.
func (l *layout) temporal(role string) *instance {
	l.t.Helper()
	for _, in := range l.insts["temporal"] {
		if in.name == "temporal-"+role {
			return in
		}
	}
	l.t.Fatalf("no temporal %s", role)
	return nil
}

// replica is a running replica of a phonecheck service, from 1.
func (l *layout) replica(svc string, r int) *instance {
	l.t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, in := range l.insts[svc] {
		if in.replica == r {
			return in
		}
	}
	l.t.Fatalf("no replica %d of %s", r, svc)
	return nil
}

// logs is every instance's log tail, for a failure's message.
func (l *layout) logs(n int) string {
	var b strings.Builder
	for _, name := range slices.Sorted(maps.Keys(l.insts)) {
		for _, in := range l.insts[name] {
			fmt.Fprintf(&b, "--- %s (running %v, restarts %d):\n%s\n", in.name, in.proc().running(), in.restarts, tail(in.proc().output(), n))
		}
	}
	return b.String()
}

// grepLog counts the lines of an instance's log holding s.
func grepLog(in *instance, s string) int {
	n := 0
	sc := bufio.NewScanner(bytes.NewReader([]byte(in.proc().output())))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		if strings.Contains(sc.Text(), s) {
			n++
		}
	}
	return n
}
