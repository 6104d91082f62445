//go:build cluster

package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/compose-spec/compose-go/v2/loader"
	"github.com/compose-spec/compose-go/v2/types"
)

// The compose project is run here as Docker would run it, one container
// becoming one or more processes:
//
//   - a container's paths (volumes, bind mounts, the image's own files) map
//     to directories: named volumes under <dir>/volumes, bind mounts to
//     their source, the images' files to what tools/cluster/install.sh built;
//   - a service's address (phonecheck-api:8080, a listener on 0.0.0.0:9090,
//     a port given alone next to a host such as DB_PORT) maps to a free
//     loopback port, one per service replica and container port;
//   - depends_on conditions, healthchecks and restart policies are honoured:
//     a killed process with restart: unless-stopped comes back as it would.
//
// What cannot run this way is said where it is skipped (temporal-ui, an
// image of its own).

// images say how a service's image runs here: its entrypoint and the
// directories it brings, by image name without the tag.
type image struct {
	entrypoint []string
	files      map[string]string // path in the image -> local path
	env        []string          // what the image's environment adds
	workdir    string            // in the image; "" for the layout's directory
}

// phonecheckImage is the final stage of the Dockerfile: its ENTRYPOINT,
// ENV and WORKDIR, the binary under test at the path it is copied to.
var phonecheckImage = sync.OnceValues(func() (image, error) {
	b, err := os.ReadFile(filepath.Join(repoRoot, "Dockerfile"))
	if err != nil {
		return image{}, err
	}
	var img image
	text := strings.ReplaceAll(string(b), "\\\n", " ")
	for _, line := range strings.Split(text, "\n") {
		cmd, args, _ := strings.Cut(strings.TrimSpace(line), " ")
		args = strings.TrimSpace(args)
		switch strings.ToUpper(cmd) {
		case "FROM":
			img = image{}
		case "ENV":
			img.env = append(img.env, strings.Fields(args)...)
		case "WORKDIR":
			img.workdir = args
		case "ENTRYPOINT":
			if err := json.Unmarshal([]byte(args), &img.entrypoint); err != nil {
				return image{}, fmt.Errorf("Dockerfile: ENTRYPOINT %s: want the exec form", args)
			}
		}
	}
	if len(img.entrypoint) == 0 {
		return image{}, errors.New("Dockerfile: the final stage has no ENTRYPOINT")
	}
	img.files = map[string]string{img.entrypoint[0]: bin}
	img.entrypoint = append([]string{bin}, img.entrypoint[1:]...)
	return img, nil
})

func images() map[string]image {
	pc, err := phonecheckImage()
	if err != nil {
		panic(err)
	}
	return map[string]image{
		"phonecheck": pc,
		// admin-tools: temporal-sql-tool and temporal on PATH, the schema files.
		"temporalio/admin-tools": {files: map[string]string{"/etc/temporal/schema": filepath.Join(serverDir, "etc", "schema")},
			env: []string{"TEMPORAL_SCHEMA_DIR=" + filepath.Join(serverDir, "etc", "schema")}},
	}
}

// layout is the compose project as it runs here.
type layout struct {
	t   *testing.T
	p   *types.Project
	dir string // volumes/, logs/, etc-temporal/

	mu    sync.Mutex
	addrs map[string]string         // "service[#replica]:port" -> 127.0.0.1:N
	insts map[string][]*instance    // by service
	extra map[string]map[string]int // service -> replicas started beyond deploy.replicas
}

// loadLayout reads the compose files (docker-compose.yml and overrides, in
// the repository) with the variables a user puts in .env, and lays the
// project out under dir.
func loadLayout(t *testing.T, dir string, vars map[string]string, files ...string) *layout {
	t.Helper()
	env := types.Mapping{}
	for k, v := range vars {
		env[k] = v
	}
	var configs []types.ConfigFile
	for _, f := range files {
		configs = append(configs, types.ConfigFile{Filename: filepath.Join(repoRoot, f)})
	}
	p, err := loader.LoadWithContext(context.Background(), types.ConfigDetails{
		WorkingDir: repoRoot, ConfigFiles: configs, Environment: env,
	}, func(o *loader.Options) { o.SetProjectName("phonecheck", true) })
	if err != nil {
		t.Fatalf("%v: %v", files, err)
	}
	for _, d := range []string{"volumes", "logs"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return &layout{t: t, p: p, dir: dir, addrs: map[string]string{}, insts: map[string][]*instance{}}
}

// service is the named service; the test fails when the file lacks it.
func (l *layout) service(name string) types.ServiceConfig {
	l.t.Helper()
	s, ok := l.p.Services[name]
	if !ok {
		l.t.Fatalf("docker-compose.yml has no service %s", name)
	}
	return s
}

// addr is the loopback address standing for a container's port: key is
// "service:port" for what others reach, "service#replica:port" for a
// replica's own listener.
func (l *layout) addr(key string) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	if a, ok := l.addrs[key]; ok {
		return a
	}
	a := nextPort(l.t)
	l.addrs[key] = a
	return a
}

// Ports come from below 32768, not the kernel's ephemeral range: Temporal
// keeps its services' ports in a smallint column (cluster_membership). The
// range starts at a random place and each port is checked free.
var ports struct {
	sync.Mutex
	next int
}

const portLow, portHigh = 20000, 32700

func nextPort(t testing.TB) string {
	t.Helper()
	ports.Lock()
	defer ports.Unlock()
	if ports.next == 0 {
		ports.next = portLow + rand.IntN(portHigh-portLow)
	}
	for range portHigh - portLow {
		p := ports.next
		ports.next++
		if ports.next >= portHigh {
			ports.next = portLow
		}
		addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(p))
		if l, err := net.Listen("tcp", addr); err == nil {
			l.Close()
			return addr
		}
	}
	t.Fatalf("no free port in %d-%d", portLow, portHigh)
	return ""
}

// listenKey is the address key of a replica's own listener on a port: the
// first replica's is the service's (what others reach, as Docker's DNS
// would answer), further replicas have their own.
func listenKey(svc string, replica int, port string) string {
	if replica <= 1 {
		return svc + ":" + port
	}
	return fmt.Sprintf("%s#%d:%s", svc, replica, port)
}

func (l *layout) has(svc string) bool {
	_, ok := l.p.Services[svc]
	return ok
}

func port(addr string) string {
	_, p, _ := net.SplitHostPort(addr)
	return p
}

// imageOf is the service's image name without registry tag.
func imageOf(s types.ServiceConfig) string {
	name := s.Image
	if i := strings.LastIndex(name, ":"); i > strings.LastIndex(name, "/") {
		name = name[:i]
	}
	if s.Build != nil {
		return "phonecheck"
	}
	return name
}

// volumeDir is where a service's volume lives here.
func (l *layout) volumeDir(v types.ServiceVolumeConfig) string {
	if v.Type == types.VolumeTypeBind {
		return v.Source
	}
	return filepath.Join(l.dir, "volumes", v.Source)
}

var addrRE = regexp.MustCompile(`([A-Za-z0-9][A-Za-z0-9_.-]*):([0-9]+)`)

// rewrite maps one string of a service's command or environment: its paths
// into local directories, its addresses to loopback ports.
func (l *layout) rewrite(svc string, replica int, s string) string {
	conf := l.p.Services[svc]
	mounts := map[string]string{}
	for _, v := range conf.Volumes {
		mounts[v.Target] = l.volumeDir(v)
	}
	for k, v := range images()[imageOf(conf)].files {
		mounts[k] = v
	}
	// Longest mount first, as a path resolves in the container.
	targets := slices.Collect(maps.Keys(mounts))
	slices.SortFunc(targets, func(a, b string) int { return len(b) - len(a) })
	for _, target := range targets {
		if s == target || strings.HasPrefix(s, target+"/") {
			s = mounts[target] + s[len(target):]
			break
		}
	}
	return addrRE.ReplaceAllStringFunc(s, func(m string) string {
		host, p, _ := strings.Cut(m, ":")
		switch {
		case host == "0.0.0.0" || host == "localhost":
			return l.addr(listenKey(svc, replica, p))
		case l.has(host):
			return l.addr(host + ":" + p)
		}
		return m
	})
}

// envOf is a replica's environment: the compose file's variables, mapped,
// after a clean base (no PHONECHECK_*, TEMPORAL_* or AWS_* of the caller).
// A host variable (*_SEEDS, *_HOST) naming a service is 127.0.0.1, and a
// *_PORT beside it is that service's port.
func (l *layout) envOf(svc string, replica int) []string {
	l.t.Helper()
	conf := l.p.Services[svc]
	var refs []string
	for k, v := range conf.Environment {
		if v != nil && hostKey(k) && l.has(*v) {
			refs = append(refs, *v)
		}
	}
	env := baseEnv()
	for _, kv := range images()[imageOf(conf)].env {
		k, v, _ := strings.Cut(kv, "=")
		env = append(env, k+"="+l.rewrite(svc, replica, v))
	}
	for _, k := range slices.Sorted(maps.Keys(conf.Environment)) {
		v := ""
		if p := conf.Environment[k]; p != nil {
			v = *p
		}
		switch {
		case hostKey(k) && l.has(v), v == "0.0.0.0":
			// A container's own interfaces are the loopback here.
			v = "127.0.0.1"
		case strings.HasSuffix(k, "_PORT") && isDigits(v):
			if len(refs) != 1 {
				l.t.Fatalf("%s: %s=%s beside %d service names (%v): which service's port is it?", svc, k, v, len(refs), refs)
			}
			v = port(l.addr(refs[0] + ":" + v))
		default:
			v = l.rewrite(svc, replica, v)
		}
		env = append(env, k+"="+v)
	}
	return env
}

func hostKey(k string) bool { return strings.HasSuffix(k, "_SEEDS") || strings.HasSuffix(k, "_HOST") }

func isDigits(s string) bool {
	_, err := strconv.ParseUint(s, 10, 16)
	return err == nil
}

// baseEnv is the caller's environment without the variables the services
// read, with the built tools first on PATH.
func baseEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		k, v, _ := strings.Cut(kv, "=")
		switch {
		case strings.HasPrefix(k, "PHONECHECK_"), strings.HasPrefix(k, "TEMPORAL_"), strings.HasPrefix(k, "AWS_"),
			strings.HasPrefix(k, "PG"), k == "GOMEMLIMIT":
		case k == "PATH":
			env = append(env, "PATH="+strings.Join([]string{filepath.Join(serverDir, "bin"), filepath.Join(cliDir, "bin"), pgBin, v}, ":"))
		default:
			env = append(env, kv)
		}
	}
	return env
}

// argvOf is a replica's command line: the image's entrypoint (or the
// service's) and the service's command, mapped.
func (l *layout) argvOf(svc string, replica int) []string {
	conf := l.p.Services[svc]
	argv := append([]string(nil), conf.Entrypoint...)
	if len(argv) == 0 {
		argv = append(argv, images()[imageOf(conf)].entrypoint...)
	}
	argv = append(argv, conf.Command...)
	for i, a := range argv {
		argv[i] = l.rewrite(svc, replica, a)
	}
	return argv
}

// instance is one process standing for a container (or, for the Temporal
// server, for one of its four services).
type instance struct {
	l        *layout
	name     string // e.g. phonecheck-worker-2, temporal-history
	svc      string
	replica  int
	argv     []string
	env      []string
	dir      string
	cred     *syscall.Credential
	restart  string // the compose restart policy
	mu       sync.Mutex
	p        *proc
	stopped  bool
	restarts int
}

// spawn starts the instance and, under its restart policy, starts it
// again when it dies, as Docker would (after a short delay).
func (l *layout) spawn(in *instance) *instance {
	l.t.Helper()
	in.l = l
	if in.restart == "" {
		in.restart = l.p.Services[in.svc].Restart
	}
	in.mu.Lock()
	in.p = in.start()
	in.mu.Unlock()
	l.mu.Lock()
	l.insts[in.svc] = append(l.insts[in.svc], in)
	l.mu.Unlock()
	l.t.Cleanup(in.stop)
	go in.supervise()
	return in
}

func (in *instance) start() *proc {
	return startProc(in.l.t, in.name, in.dir, filepath.Join(in.l.dir, "logs", in.name+".log"), in.env, in.cred, in.argv...)
}

func (in *instance) supervise() {
	for {
		in.mu.Lock()
		p := in.p
		in.mu.Unlock()
		<-p.done
		in.mu.Lock()
		again := !in.stopped && (in.restart == "always" || in.restart == "unless-stopped" ||
			strings.HasPrefix(in.restart, "on-failure") && p.err != nil)
		in.mu.Unlock()
		if !again {
			return
		}
		time.Sleep(restartDelay)
		in.mu.Lock()
		if in.stopped {
			in.mu.Unlock()
			return
		}
		in.restarts++
		in.p = in.start()
		in.mu.Unlock()
	}
}

// restartDelay is Docker's first restart delay, rounded up: long enough
// that the rest of the cluster sees the process gone.
const restartDelay = 500 * time.Millisecond

// kill sends SIGKILL, as `docker kill` does; the restart policy brings the
// process back. It returns the pid killed.
func (in *instance) kill() int {
	in.mu.Lock()
	p := in.p
	in.mu.Unlock()
	pid := p.cmd.Process.Pid
	p.kill()
	return pid
}

// waitRestarted waits until the instance runs again after a kill.
func (in *instance) waitRestarted(t *testing.T, restarts int) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		in.mu.Lock()
		n, p := in.restarts, in.p
		in.mu.Unlock()
		if n >= restarts && p.running() {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s was not restarted (restart: %q)", in.name, in.restart)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (in *instance) proc() *proc {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.p
}

func (in *instance) stop() {
	in.mu.Lock()
	in.stopped = true
	p := in.p
	in.mu.Unlock()
	p.kill()
}

// healthy runs the service's healthcheck until it passes.
func (l *layout) healthy(in *instance, timeout time.Duration) {
	l.t.Helper()
	hc := l.p.Services[in.svc].HealthCheck
	if hc == nil || len(hc.Test) == 0 {
		l.t.Fatalf("%s has no healthcheck to wait for", in.svc)
	}
	deadline := time.Now().Add(timeout)
	var last string
	for time.Now().Before(deadline) {
		if !in.proc().running() && in.restart == "" {
			l.t.Fatalf("%s exited: %v\n%s", in.name, in.proc().err, tail(in.proc().output(), 3000))
		}
		ok, out := l.probe(in, hc.Test)
		if ok {
			return
		}
		last = out
		time.Sleep(200 * time.Millisecond)
	}
	l.t.Fatalf("%s not healthy within %s: %s\n%s", in.name, timeout, last, tail(in.proc().output(), 3000))
}

// probe runs one healthcheck test as the container would: CMD with the
// service's environment, CMD-SHELL through sh; `nc -z localhost PORT` is a
// TCP connect (nc is not a dependency of the test).
func (l *layout) probe(in *instance, test []string) (bool, string) {
	argv := test[1:]
	switch test[0] {
	case "CMD-SHELL":
		argv = []string{"/bin/sh", "-c", test[1]}
	case "CMD":
	default:
		return false, fmt.Sprintf("healthcheck form %q", test[0])
	}
	if argv[0] == "nc" && len(argv) == 4 && argv[1] == "-z" {
		c, err := net.DialTimeout("tcp", l.addr(listenKey(in.svc, in.replica, argv[3])), time.Second)
		if err != nil {
			return false, err.Error()
		}
		c.Close()
		return true, ""
	}
	for i, a := range argv {
		argv[i] = l.rewrite(in.svc, in.replica, a)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Env = append(in.env, in.probeEnv()...)
	out, err := cmd.CombinedOutput()
	return err == nil, strings.TrimSpace(string(out))
}

// probeEnv is what a healthcheck finds in its container besides the
// variables: PostgreSQL's clients reach the server on its local socket.
func (in *instance) probeEnv() []string {
	if imageOf(in.l.p.Services[in.svc]) == "postgres" {
		a := in.l.addr(in.svc + ":5432")
		return []string{"PGHOST=127.0.0.1", "PGPORT=" + port(a)}
	}
	return nil
}

// postgresUser is the user PostgreSQL runs as when the test runs as root
// (the server refuses root), nil otherwise.
func postgresUser(t *testing.T) *syscall.Credential {
	if os.Geteuid() != 0 {
		return nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		t.Fatalf("running as root and there is no postgres user to run PostgreSQL as: %v", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
}
