//go:build chaos

package chaos

import (
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/phonecheck/phonecheck/internal/testkit"
	"github.com/phonecheck/phonecheck/workflows"
)

// trigger is a kill point: when the workflow reaches stage (or a random
// time after the drop, for stage ""), wait a random delay up to max, kill.
type trigger struct {
	stage string
	max   time.Duration
}

var stageOrder = []string{workflows.StagePreparing, workflows.StageUploading, workflows.StagePolling,
	workflows.StageDownloading, workflows.StageJoining, workflows.StageExporting, workflows.StageArchiving,
	workflows.StageDone, workflows.StageFailed}

func stageIndex(s string) int { return slices.Index(stageOrder, s) }

// killRun is one file through a stack, with one SIGKILL on the way.
type killRun struct {
	n       int
	trigger trigger
	delay   time.Duration
	seed    uint64
}

// plan spreads n kills over the triggers (in this order, so that a bounded
// run covers the billed and the writing stages first), with random delays.
func plan(r *rand.Rand, n int, triggers []trigger) []killRun {
	runs := make([]killRun, n)
	for i := range runs {
		tr := triggers[i%len(triggers)]
		runs[i] = killRun{n: i + 1, trigger: tr, delay: time.Duration(r.Int64N(int64(tr.max) + 1)), seed: r.Uint64()}
	}
	return runs
}

// lanes runs the runs on up to width stacks in parallel (each stack takes
// its runs one after another) and returns when all are done.
func lanes(t *testing.T, runs []killRun, width int, lane func(t *testing.T, runs []killRun)) {
	width = max(1, min(width, len(runs)))
	for l := range width {
		var mine []killRun
		for i := l; i < len(runs); i += width {
			mine = append(mine, runs[i])
		}
		t.Run(fmt.Sprintf("lane%d", l), func(t *testing.T) {
			t.Parallel()
			lane(t, mine)
		})
	}
}

// killAt waits for the run's trigger on workflow id and then calls kill. It
// returns the stage the workflow was in (as last seen) at the kill, or
// "closed" when it finished first.
func (s *stack) killAt(id string, run killRun, dropped time.Time, kill func()) string {
	s.t.Helper()
	last := ""
	target := stageIndex(run.trigger.stage)
	deadline := time.Now().Add(3 * time.Minute)
	for {
		if p, err := s.progress(id); err == nil {
			last = p.Stage
		}
		if run.trigger.stage == "" {
			if time.Since(dropped) >= run.delay {
				break
			}
		} else if run.trigger.stage == workflows.StageExporting && s.exportInProgress() {
			// A query waits for the workflow task in progress, so the stage
			// it answers can lag; a temp file in the outputs cannot.
			last = workflows.StageExporting
			time.Sleep(run.delay)
			break
		} else if run.trigger.stage == workflows.StageArchiving && s.summaryWritten() {
			last = workflows.StageArchiving // the summary is the archiving stage's first write
			break
		} else if last != "" && stageIndex(last) >= target {
			if stageIndex(last) == target {
				time.Sleep(run.delay)
				if p, err := s.progress(id); err == nil {
					last = p.Stage
				}
			}
			break
		}
		if last == workflows.StageDone || last == workflows.StageFailed || time.Now().After(deadline) {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	killed := time.Now()
	kill()
	// A kill after the workflow closed proved nothing: say so (from the
	// close time, as the kill itself may race the last step).
	if at, ok := s.closedAt(id); ok && at.Before(killed) {
		return "closed"
	}
	return last
}

// exportInProgress reports whether an export's temp file is in the outputs.
func (s *stack) exportInProgress() bool {
	m, _ := filepath.Glob(filepath.Join(s.out, "*", "results.*.tmp"))
	return len(m) > 0
}

// summaryWritten reports whether a summary.json appeared in the outputs of
// a run whose workflow is still open.
func (s *stack) summaryWritten() bool {
	m, _ := filepath.Glob(filepath.Join(s.out, "*", "summary.json"))
	for _, p := range m {
		if !s.seenSummaries[p] {
			return true
		}
	}
	return false
}

// finish waits for a killed run's file and checks everything a crash must
// not break: one upload charge, outputs equal to a clean run, the input in
// done/, nothing partial left. It returns a line for the report.
func (s *stack) finish(id string, content []byte, want expected, chargesBefore []chargeCount) string {
	t := s.t
	t.Helper()
	o := s.wait(id, 6*time.Minute)
	if o.Err != nil {
		t.Fatalf("workflow %s failed after the crash: %v", id, o.Err)
	}
	res := o.Result
	lost := checkOutputs(t, res, want)
	sum := readSummary(t, res.Summary)
	cs := s.charges()
	uploads := countCharges(cs, "tasks", "") - chargesBefore[0].n
	polls := countCharges(cs, "gettasks", "") - chargesBefore[1].n
	if uploads != 1 {
		t.Errorf("%d upload charges for one file, want exactly 1", uploads)
	}
	if polls < sum.Polls {
		t.Errorf("%d gettasks charges, fewer than the %d polls in summary.json", polls, sum.Polls)
	}
	if _, ok := s.archived("done", content); !ok {
		t.Errorf("the input is not in done/")
	}
	if matches, _ := filepath.Glob(filepath.Join(s.dir, "failed", "*", "*")); len(matches) != 0 {
		t.Errorf("failed/ holds %v", matches)
	}
	checkNoPartials(t, s.out)
	if s.seenSummaries == nil {
		s.seenSummaries = map[string]bool{}
	}
	s.seenSummaries[res.Summary] = true
	report.add(func(f *figures) {
		f.lostRows += lost
		f.dupCharges += max(0, uploads-1)
		f.extraPolls += max(0, polls-sum.Polls)
	})
	return fmt.Sprintf("%d upload charge(s), %d polls charged for %d counted, %d rows identical to a clean run", uploads, polls, sum.Polls, want.rows)
}

type chargeCount struct{ n int }

func (s *stack) chargesNow() []chargeCount {
	cs := s.charges()
	return []chargeCount{{countCharges(cs, "tasks", "")}, {countCharges(cs, "gettasks", "")}}
}

// expectedCache shares clean runs of the same file between tests.
var expectedCache sync.Map

func cleanRunOf(t *testing.T, lines int, s uint64) ([]byte, expected) {
	content := numbersFile(lines, s)
	key := fmt.Sprint(lines, "/", s)
	if e, ok := expectedCache.Load(key); ok {
		return content, e.(expected)
	}
	e := cleanRun(t, content, "CH")
	expectedCache.Store(key, e)
	return content, e
}

// TestWorkerKilled: a `phonecheck worker` process is killed with SIGKILL at
// CHAOS_KILLS points across 100,000-line tasks (one kill per file), then
// started again, while `up --no-worker` keeps Temporal and `serve` the API.
// The API's 300 ms latency keeps the billed calls in flight long enough to
// be hit.
func TestWorkerKilled(t *testing.T) {
	t.Parallel()
	triggers := []trigger{
		// The delays stay within what a stage lasts (the 300 ms latency
		// holds the billed calls open), so that the kill lands in it.
		{workflows.StageUploading, 250 * time.Millisecond},
		{workflows.StageExporting, 300 * time.Millisecond},
		{workflows.StagePolling, 2 * time.Second},
		{workflows.StageDownloading, 100 * time.Millisecond},
		{workflows.StageArchiving, 0},
		{workflows.StagePreparing, 200 * time.Millisecond},
		{workflows.StageJoining, 50 * time.Millisecond},
		{"", 8 * time.Second},
	}
	runs := plan(rng(t), kills, triggers)
	lanes(t, runs, 4, func(t *testing.T, runs []killRun) {
		s := newStack(t, stackOptions{Split: true, ServeArgs: []string{"--fault-latency", "300ms", "--processing-delay", "20ms"}})
		for _, run := range runs {
			content, want := cleanRunOf(t, taskLines, run.seed)
			before := s.chargesNow()
			dropped := time.Now()
			id := s.drop(fmt.Sprintf("kill-%02d.txt", run.n), content)
			stage := s.killAt(id, run, dropped, s.worker.kill)
			if stage != "closed" {
				s.startWorker()
			}
			line := s.finish(id, content, want, before)
			t.Logf("kill %d at %q+%s, stage %s: %s", run.n, run.trigger.stage, run.delay.Round(time.Millisecond), stage, line)
			report.add(func(f *figures) {
				f.cases++
				if stage != "closed" {
					f.crashes++
				}
			})
			report.line("worker SIGKILL %d (trigger %q +%s, stage %s): %s", run.n, orRandom(run.trigger.stage), run.delay.Round(time.Millisecond), stage, line)
		}
	})
}

func orRandom(s string) string {
	if s == "" {
		return "random time"
	}
	return s
}

// TestUpKilled: `phonecheck up` (Temporal, worker, watcher and the offline
// server in one process) is killed with SIGKILL and started again on the
// same data directory, ports and inbox; it resumes from its SQLite files.
func TestUpKilled(t *testing.T) {
	t.Parallel()
	triggers := []trigger{
		{workflows.StagePolling, 1500 * time.Millisecond},
		{workflows.StageExporting, 300 * time.Millisecond},
		{workflows.StageUploading, 0},
		{workflows.StagePreparing, 200 * time.Millisecond},
		{workflows.StageJoining, 50 * time.Millisecond},
		{"", 6 * time.Second},
	}
	runs := plan(rng(t), max(2, kills/4), triggers)
	lanes(t, runs, 2, func(t *testing.T, runs []killRun) {
		apiListen := testkit.FreeAddr(t) // the same address after a restart, as the default 8080 is
		s := newStack(t, stackOptions{WorkerArgs: []string{"--api-listen", apiListen}})
		for _, run := range runs {
			content, want := cleanRunOf(t, taskLines, run.seed)
			before := s.chargesNow()
			dropped := time.Now()
			id := s.drop(fmt.Sprintf("up-kill-%02d.txt", run.n), content)
			stage := s.killAt(id, run, dropped, s.up.kill)
			if stage != "closed" {
				s.startUp()
			}
			line := s.finish(id, content, want, before)
			t.Logf("up kill %d at %q+%s, stage %s: %s", run.n, run.trigger.stage, run.delay.Round(time.Millisecond), stage, line)
			report.add(func(f *figures) {
				f.cases++
				if stage != "closed" {
					f.crashes++
				}
			})
			report.line("up SIGKILL %d (trigger %q +%s, stage %s): %s", run.n, orRandom(run.trigger.stage), run.delay.Round(time.Millisecond), stage, line)
		}
	})
}

// TestServeRestarted: the offline server is killed with SIGKILL while it
// processes the task (slowed down to a few seconds) and started again
// after a random pause; it processes the task again from its SQLite queue.
func TestServeRestarted(t *testing.T) {
	t.Parallel()
	r := rng(t)
	runs := plan(r, max(2, kills/4), []trigger{{workflows.StagePolling, 2500 * time.Millisecond}})
	lanes(t, runs, 1, func(t *testing.T, runs []killRun) {
		s := newStack(t, stackOptions{Split: true, ServeArgs: []string{"--processing-delay", "40ms"}})
		for _, run := range runs {
			content, want := cleanRunOf(t, taskLines, run.seed)
			before := s.chargesNow()
			id := s.drop(fmt.Sprintf("serve-kill-%02d.txt", run.n), content)
			stage := s.killAt(id, run, time.Now(), s.serve.kill)
			pause := time.Duration(r.Int64N(int64(3 * time.Second)))
			if stage != "closed" {
				time.Sleep(pause) // the server is down for this long: polls fail meanwhile
				s.startServe()
			}
			line := s.finish(id, content, want, before)
			t.Logf("serve kill %d at polling+%s, down %s: %s", run.n, run.delay.Round(time.Millisecond), pause.Round(time.Millisecond), line)
			report.add(func(f *figures) {
				f.cases++
				if stage != "closed" {
					f.crashes++
				}
			})
			report.line("serve SIGKILL %d (polling +%s, down %s, stage %s): %s", run.n, run.delay.Round(time.Millisecond), pause.Round(time.Millisecond), stage, line)
		}
	})
}
