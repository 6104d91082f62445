//go:build cluster

package cluster

import (
	"cmp"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/phonecheck/phonecheck/internal/testkit"
	"github.com/phonecheck/phonecheck/temporalx"
)

// TestThroughput drops THROUGHPUT_FILES files of THROUGHPUT_LINES lines
// (1,000 of 100) at once into the compose layout (two workers) and into
// `phonecheck up`, one after the other in the same run, and prints the wall
// time from the drop to the last workflow's close, the history events per
// file and, on the cluster, PostgreSQL's transactions and WAL syncs per
// file. Every output is compared with `phonecheck validate`.
// `make bench-cluster` runs it; THROUGHPUT_BASELINE=0 leaves out the
// pass on the default dynamic config.
func TestThroughput(t *testing.T) {
	n, lines := envInt("THROUGHPUT_FILES", 1000), envInt("THROUGHPUT_LINES", 100)
	files := numbers(t, "tp", n, lines, 50_000)
	var rows []string
	row := func(format string, a ...any) {
		rows = append(rows, fmt.Sprintf(format, a...))
		t.Logf(format, a...)
	}

	// The baseline: the same layout on Temporal's default dynamic config
	// (only what phonecheck's queries need), beside the repository's.
	defaults := filepath.Join(t.TempDir(), "dynamicconfig-defaults.yaml")
	if err := os.WriteFile(defaults, []byte("system.forceSearchAttributesCacheRefreshOnRead:\n  - value: true\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, pass := range []struct {
		name, dynamicConfig string
	}{{"cluster-defaults", defaults}, {"cluster", ""}} {
		if pass.dynamicConfig != "" && os.Getenv("THROUGHPUT_BASELINE") == "0" {
			continue
		}
		t.Run(pass.name, func(t *testing.T) {
			c := newClusterWith(t, func(l *layout) {
				if pass.dynamicConfig != "" {
					l.useDynamicConfig(pass.dynamicConfig)
				}
			}, nil)
			before, cpu0 := c.pgStats(t), c.cpu()
			start := time.Now()
			c.drop(files...)
			c.finish(t, files, 15*time.Minute)
			wall, events := c.closed(t, files, start)
			after, cpu1 := c.pgStats(t), c.cpu()
			per := func(k string) float64 { return float64(after[k]-before[k]) / float64(n) }
			what := "deploy/temporal/dynamicconfig.yaml"
			if pass.dynamicConfig != "" {
				what = "Temporal's default dynamic config"
			}
			row("cluster (4 Temporal services on PostgreSQL, 2 workers; %s): %d files of %d lines in %.1f s; %.1f history events, %.1f database transactions (%.1f of them visibility), %.1f WAL syncs per file",
				what, n, lines, wall.Seconds(), events, per("xact"), per("xact_visibility"), per("wal_sync"))
			row("  CPU seconds by process during the run: %s", cpuDelta(cpu0, cpu1))
		})
	}

	t.Run("up", func(t *testing.T) {
		u := startUp(t)
		cpu0 := u.cpu()
		start := time.Now()
		u.drop(files...)
		u.finish(t, files, 15*time.Minute)
		wall, events := u.closed(t, files, start)
		row("up (embedded Temporal on SQLite): %d files of %d lines in %.1f s; %.1f history events per file", n, lines, wall.Seconds(), events)
		row("  CPU seconds by process during the run: %s", cpuDelta(cpu0, u.cpu()))
	})

	fmt.Printf("\nThroughput, %s, %d cores (%s), load %s:\n", time.Now().UTC().Format("2006-01-02"), runtime.NumCPU(), cpuModel(), loadAvg())
	for _, r := range rows {
		fmt.Println("  " + r)
	}
}

// closed is the wall time from start to the last file's workflow close,
// and the mean history length.
func (c *cluster) closed(t *testing.T, files []*file, start time.Time) (time.Duration, float64) {
	t.Helper()
	var last time.Time
	events := 0
	for _, f := range files {
		d, err := c.c.DescribeWorkflowExecution(context.Background(), f.id, "")
		if err != nil {
			t.Fatal(err)
		}
		if ct := d.WorkflowExecutionInfo.CloseTime.AsTime(); ct.After(last) {
			last = ct
		}
		events += int(d.WorkflowExecutionInfo.HistoryLength)
	}
	return last.Sub(start), float64(events) / float64(len(files))
}

// pgStats reads PostgreSQL's counters: committed transactions of Temporal's
// two databases and the WAL's syncs.
func (c *cluster) pgStats(t *testing.T) map[string]int64 {
	t.Helper()
	pg := c.service("postgresql")
	q := `SELECT (SELECT sum(xact_commit) FROM pg_stat_database WHERE datname IN ('temporal', 'temporal_visibility')),
	             (SELECT xact_commit FROM pg_stat_database WHERE datname = 'temporal_visibility'),
	             (SELECT wal_sync FROM pg_stat_wal)`
	cmd := exec.Command(filepath.Join(pgBin, "psql"), "-h", "127.0.0.1", "-p", port(c.addr("postgresql:5432")),
		"-U", *pg.Environment["POSTGRES_USER"], "-d", "postgres", "-At", "-F", " ", "-c", q)
	cmd.Env = append(baseEnv(), "PGPASSWORD="+*pg.Environment["POSTGRES_PASSWORD"])
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("psql: %v\n%s", err, out)
	}
	f := strings.Fields(string(out))
	if len(f) != 3 {
		t.Fatalf("psql: %q", out)
	}
	m := map[string]int64{}
	for i, k := range []string{"xact", "xact_visibility", "wal_sync"} {
		m[k], _ = strconv.ParseInt(f[i], 10, 64)
	}
	return m
}

// startUp runs `phonecheck up` (the README's main command) in a temp
// directory on free ports, as a cluster the checks can use.
func startUp(t *testing.T) *cluster {
	t.Helper()
	l := loadLayout(t, t.TempDir(), map[string]string{"PHONECHECK_API_KEY": Key}, "docker-compose.yml")
	c := &cluster{layout: l, inbox: filepath.Join(l.dir, "inbox"), out: filepath.Join(l.dir, "results"),
		apiData: filepath.Join(l.dir, "up"), namespace: "default"}
	temporal := l.addr("up:7233")
	in := l.spawn(&instance{name: "up", svc: "up", dir: l.dir, env: baseEnv(), argv: []string{bin, "up", "--region", Region,
		"--data-dir", c.apiData, "--inbox", c.inbox, "--out", c.out, "--temporal-listen", temporal, "--api-listen", l.addr("up:8080")}})
	testkit.WaitFor(t, 2*time.Minute, "up started", func() bool { return strings.Contains(in.proc().output(), "phonecheck is up") })
	tc, err := temporalx.Dial(temporalx.ClientOptions{Address: temporal, Namespace: c.namespace})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(tc.Close)
	c.c = tc
	return c
}

// cpu is the CPU time (user and system) of each instance so far: its
// process group, and the children of its process (PostgreSQL's backends
// each start a session of their own).
func (c *cluster) cpu() map[string]float64 {
	owner := map[int]string{}
	c.mu.Lock()
	for _, ins := range c.insts {
		for _, in := range ins {
			owner[in.proc().cmd.Process.Pid] = in.name
		}
	}
	c.mu.Unlock()
	out := map[string]float64{}
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	for _, path := range stats {
		b, err := os.ReadFile(path)
		if err != nil {
			continue
		}
		// After the command name in parentheses: state ppid pgrp ... utime(14) stime(15).
		f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
		if len(f) < 13 {
			continue
		}
		ppid, _ := strconv.Atoi(f[1])
		pgrp, _ := strconv.Atoi(f[2])
		name, ok := owner[pgrp]
		if !ok {
			name, ok = owner[ppid]
		}
		if ok {
			ut, _ := strconv.ParseFloat(f[11], 64)
			st, _ := strconv.ParseFloat(f[12], 64)
			out[name] += (ut + st) / clockTicks
		}
	}
	return out
}

// clockTicks is USER_HZ, 100 on Linux.
const clockTicks = 100

// cpuDelta prints the CPU seconds each process spent between two readings,
// the largest first.
func cpuDelta(a, b map[string]float64) string {
	type kv struct {
		k string
		v float64
	}
	var all []kv
	total := 0.0
	for k, v := range b {
		all = append(all, kv{k, v - a[k]})
		total += v - a[k]
	}
	slices.SortFunc(all, func(x, y kv) int { return cmp.Compare(y.v, x.v) })
	var parts []string
	for _, e := range all {
		parts = append(parts, fmt.Sprintf("%s %.1f", e.k, e.v))
	}
	return fmt.Sprintf("%s (total %.1f)", strings.Join(parts, ", "), total)
}

func cpuModel() string {
	b, _ := os.ReadFile("/proc/cpuinfo")
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown CPU"
}

func loadAvg() string {
	b, _ := os.ReadFile("/proc/loadavg")
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}
