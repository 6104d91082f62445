//go:build chaos

package chaos

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/phonecheck/phonecheck/workflows"
)

// distinctNumbers is n distinct Swiss mobile numbers, 13 bytes a line: the
// upload is the file itself, so its size sets how long a slow link takes.
func distinctNumbers(n, seed int) []byte {
	var b bytes.Buffer
	b.Grow(13 * n)
	for i := range n {
		fmt.Fprintf(&b, "+417%d%07d\n", 5+seed%5, seed*1_000_000%10_000_000+i)
	}
	return b.Bytes()
}

// TestBilling runs files through `serve` behaving as real remotes do (a
// slow link, Idempotency-Key ignored, answers that cost a call but give
// nothing usable), with worker kills in the upload, and counts the charges
// in the server's ledger: never two uploads for one file, and every
// unusable answer ends in a failure within the retry budget.
func TestBilling(t *testing.T) {
	t.Parallel()
	r := rng(t)
	// Kills land while the body streams (800 kB at 25 kB/s: 32 s), early
	// or late: a late one may find the whole request already sent. The
	// stage a query answers lags behind the workflow on a loaded machine,
	// so the upload lasts long past the latest kill.
	killAfter := time.Second + time.Duration(r.Int64N(int64(6*time.Second)))
	slow := []struct {
		name string
		// what the report and the errors call the case
		serve               []string
		notIdempotent, kill bool
		lines               int
	}{
		// 14,000 numbers (182 kB) at 5 kB/s take 36 s, near twice the
		// upload's 20 s heartbeat timeout: only heartbeats with progress
		// keep the attempt from being replaced by a second one that posts
		// again.
		{"slow upload (182 kB at 5 kB/s), key ignored, worker not told it is honoured",
			[]string{"--fault-upload-bps", "5000", "--fault-ignore-idempotency"}, true, false, 14_000},
		{fmt.Sprintf("worker SIGKILL %s into a slow upload (800 kB at 25 kB/s), key honoured", killAfter.Round(time.Millisecond)),
			[]string{"--fault-upload-bps", "25000"}, false, true, 61_000},
		{fmt.Sprintf("worker SIGKILL %s into a slow upload (800 kB at 25 kB/s), key ignored, worker not told it is honoured", killAfter.Round(time.Millisecond)),
			[]string{"--fault-upload-bps", "25000", "--fault-ignore-idempotency"}, true, true, 61_000},
	}
	for i, c := range slow {
		t.Run(fmt.Sprintf("slow%d", i), func(t *testing.T) {
			t.Parallel()
			s := newStack(t, stackOptions{Split: true, ServeArgs: c.serve, NotIdempotent: c.notIdempotent})
			content := distinctNumbers(c.lines, 10+i)
			want := cleanRun(t, content, "CH")
			start := time.Now()
			name := fmt.Sprintf("billing-slow-%d.txt", i)
			id := s.drop(name, content)
			stage := ""
			if c.kill {
				stage = s.killAt(id, killRun{trigger: trigger{stage: workflows.StageUploading}, delay: killAfter}, start, s.worker.kill)
				if stage != workflows.StageUploading {
					t.Fatalf("the kill landed in stage %q, not in the upload", stage)
				}
				s.startWorker()
			}
			o := s.wait(id, 6*time.Minute)
			cs := s.charges()
			uploads := countCharges(cs, "tasks", "")
			polls := countCharges(cs, "gettasks", "")
			var line string
			switch {
			case o.Err == nil:
				lost := checkOutputs(t, o.Result, want)
				sum := readSummary(t, o.Result.Summary)
				if uploads != 1 {
					t.Errorf("%d upload charges, want exactly 1", uploads)
				}
				if polls < sum.Polls || !c.kill && polls != sum.Polls {
					t.Errorf("%d gettasks charges, the workflow counted %d polls", polls, sum.Polls)
				}
				if _, ok := s.archived("done", content); !ok {
					t.Errorf("the input is not in done/")
				}
				report.add(func(f *figures) { f.lostRows += lost })
				line = fmt.Sprintf("finished, %d upload charge(s), %d polls charged for %d counted, %d rows identical to a clean run, %s",
					uploads, polls, sum.Polls, want.rows, time.Since(start).Round(time.Second))
			case c.kill && c.notIdempotent:
				// The kill may have come after the whole request left: the
				// service may hold a charged task whose answer was lost, and
				// without idempotency the only safe outcome is to stop.
				reason := s.waitReason(name, time.Minute)
				for _, want := range []string{"sent whole", "may have been created and charged", "submit --force"} {
					if !strings.Contains(reason, want) {
						t.Errorf("the .reason does not say %q:\n%s", want, reason)
					}
				}
				if uploads > 1 {
					t.Errorf("%d upload charges, want at most 1", uploads)
				}
				if !s.waitArchived("failed", content, 30*time.Second) {
					t.Errorf("the input is not in failed/")
				}
				line = fmt.Sprintf("failed as ambiguous (the whole request had left), %d upload charge(s), reason %q, %s",
					uploads, firstLine(reason), time.Since(start).Round(time.Second))
			default:
				t.Fatalf("the file failed: %v\n%s", o.Err, s.diagnostics())
			}
			if uploads > 1 {
				report.add(func(f *figures) { f.dupCharges += uploads - 1 })
			}
			checkNoPartials(t, s.out)
			t.Logf("%s: %s", c.name, line)
			report.add(func(f *figures) {
				f.cases++
				if c.kill {
					f.crashes++
				}
			})
			report.line("billing, %s: %s", c.name, line)
		})
	}

	// The answers that cost a call but give nothing usable, one serve
	// after another on one stack: each file fails, with the count in its
	// reason, after at most the budget's calls.
	t.Run("bounded", func(t *testing.T) {
		t.Parallel()
		const budget = 3
		s := newStack(t, stackOptions{Split: true, WorkerArgs: []string{"--api-retry-budget", fmt.Sprint(budget)}})
		cases := []struct {
			name  string
			serve []string
			// phrases of the reason; uploads and the most gettasks charged
			reason   []string
			maxPolls int
		}{
			{"unreadable 200 after the upload", []string{"--fault-unreadable-create-rate", "1"},
				[]string{"HTTP 200 but no task it could read", "may have been created and charged", "submit --force"}, 0},
			{"exported without a result link", []string{"--fault-no-link-rate", "1"},
				[]string{"exported but gave no result_url", fmt.Sprintf("%d calls in a row", budget)}, 2 * budget},
			{"result link refused", []string{"--fault-refuse-link-rate", "1"},
				[]string{"result link was refused", fmt.Sprintf("%d calls in a row", budget)}, 3 * budget},
			{"gettasks 404", []string{"--fault-unknown-task-rate", "1"},
				[]string{"does not know task", fmt.Sprintf("%d calls in a row", budget), "submit --force"}, budget},
		}
		for i, c := range cases {
			s.serve.kill()
			s.opts.ServeArgs = c.serve
			s.startServe()
			before := s.chargesNow()
			start := time.Now()
			name := fmt.Sprintf("billing-bounded-%d.txt", i)
			content := distinctNumbers(2000, 20+i)
			id := s.drop(name, content)
			o := s.wait(id, 4*time.Minute)
			if o.Err == nil {
				t.Errorf("%s: the file finished; want a failure", c.name)
				continue
			}
			reason := s.waitReason(name, time.Minute)
			for _, want := range c.reason {
				if !strings.Contains(reason, want) {
					t.Errorf("%s: the .reason does not say %q:\n%s", c.name, want, reason)
				}
			}
			if !s.waitArchived("failed", content, 30*time.Second) {
				t.Errorf("%s: the input is not in failed/", c.name)
			}
			cs := s.charges()
			uploads := countCharges(cs, "tasks", "") - before[0].n
			polls := countCharges(cs, "gettasks", "") - before[1].n
			if uploads != 1 {
				t.Errorf("%s: %d upload charges, want 1", c.name, uploads)
				report.add(func(f *figures) { f.dupCharges += max(0, uploads-1) })
			}
			if polls > c.maxPolls {
				t.Errorf("%s: %d gettasks charges, more than %d for a budget of %d", c.name, polls, c.maxPolls, budget)
			}
			if p, err := s.progress(id); err == nil && p.Polls != polls {
				t.Errorf("%s: %d gettasks charges, the workflow counted %d polls", c.name, polls, p.Polls)
			}
			line := fmt.Sprintf("failed/ after %d upload charge(s) and %d gettasks charges (budget %d), reason %q, %s",
				uploads, polls, budget, firstLine(reason), time.Since(start).Round(time.Second))
			t.Logf("%s: %s", c.name, line)
			report.add(func(f *figures) { f.cases++ })
			report.line("billing, %s: %s", c.name, line)
		}
		checkNoPartials(t, s.out)
		total := 0
		for _, n := range s.faultsInjected() {
			total += n
		}
		report.add(func(f *figures) { f.faults += total })
	})
}
