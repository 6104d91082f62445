//go:build chaos

package chaos

import (
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"
)

// TestAPIFaults runs files through `serve` with its fault injection on:
// every file completes with outputs equal to a clean run, exactly one
// upload charge, and exactly as many gettasks charges as the workflow
// counted polls (faults act before anything is charged, and a request the
// client gave up on is not served).
func TestAPIFaults(t *testing.T) {
	t.Parallel()
	modes := []struct {
		name   string
		serve  []string
		worker []string
	}{
		{"500s at 30%", []string{"--fault-500-rate", "0.3"}, nil},
		{"latency spikes of 3s past a 1s client timeout at 30%", []string{"--fault-spike-rate", "0.3", "--fault-spike", "3s"}, []string{"--api-timeout", "1s"}},
		{"dropped connections at 30%", []string{"--fault-drop-rate", "0.3"}, nil},
		{"429 with Retry-After 1s at 30%", []string{"--fault-429-rate", "0.3", "--fault-retry-after", "1s"}, nil},
		// A third of all requests failing, as 10% of each did, makes the
		// retries' exponential backoff (up to 5 min) outlast any wait now
		// and then: one download failed 9 times in a row and took 9 min.
		{"all of them at 5% each, with latency jitter", []string{"--fault-500-rate", "0.05", "--fault-drop-rate", "0.05", "--fault-429-rate", "0.05",
			"--fault-spike-rate", "0.05", "--fault-spike", "3s", "--fault-latency-jitter", "200ms"}, []string{"--api-timeout", "1s"}},
	}
	// At least minFiles files per case, and more (up to maxFiles) until a
	// fault has been injected: at these rates a case's dozen requests all
	// pass now and then (about one run in twenty at 5% of four kinds),
	// which would prove nothing about surviving them.
	const minFiles, maxFiles, lines = 3, 8, 20_000 // uploads of about 250 kB
	for i, m := range modes {
		t.Run(strings.Fields(m.name)[0], func(t *testing.T) {
			t.Parallel()
			s := newStack(t, stackOptions{Split: true, ServeArgs: append([]string{"--processing-delay", "200ms"}, m.serve...), WorkerArgs: m.worker})
			type file struct {
				id      string
				content []byte
				want    expected
			}
			drop := func(f int) file {
				content, want := cleanRunOf(t, lines, seed+uint64(1000+10*i+f))
				return file{s.drop(fmt.Sprintf("faults-%d.txt", f), content), content, want}
			}
			var fs []file
			for f := range minFiles {
				fs = append(fs, drop(f))
			}
			lost, dups := 0, 0
			var notes []string
			injectedSoFar := func() int {
				n := 0
				for _, k := range s.faultsInjected() {
					n += k
				}
				return n
			}
			for j := 0; j < len(fs); j++ {
				f := fs[j]
				o := s.wait(f.id, 12*time.Minute)
				if o.Err != nil {
					t.Fatalf("%s: %s: %v", m.name, f.id, o.Err)
				}
				lost += checkOutputs(t, o.Result, f.want)
				sum := readSummary(t, o.Result.Summary)
				cs := s.charges()
				if n := countCharges(cs, "tasks", sum.TaskID); n != 1 {
					t.Errorf("task %s charged %d times for its upload, want 1", sum.TaskID, n)
				}
				if n := countCharges(cs, "gettasks", sum.TaskID); n != sum.Polls {
					t.Errorf("task %s: %d gettasks charges, the workflow counted %d polls", sum.TaskID, n, sum.Polls)
				}
				if _, ok := s.archived("done", f.content); !ok {
					t.Errorf("%s is not in done/", f.id)
				}
				notes = append(notes, fmt.Sprintf("%d polls", sum.Polls))
				if j == len(fs)-1 && len(fs) < maxFiles && injectedSoFar() == 0 {
					fs = append(fs, drop(len(fs)))
				}
			}
			files := len(fs)
			cs := s.charges()
			if n := countCharges(cs, "tasks", ""); n != files {
				t.Errorf("%d upload charges for %d files", n, files)
				dups += max(0, n-files)
			}
			checkNoPartials(t, s.out)
			injected := s.faultsInjected()
			total := 0
			var kinds []string
			for k, n := range injected {
				total += n
				kinds = append(kinds, fmt.Sprintf("%d %s", n, k))
			}
			sort.Strings(kinds)
			if total == 0 {
				t.Errorf("no fault was injected in %d files (serve log holds no fault=)", files)
			}
			t.Logf("%s: %d faults injected (%s); %s", m.name, total, strings.Join(kinds, ", "), strings.Join(notes, ", "))
			report.add(func(f *figures) {
				f.cases++
				f.faults += total
				f.lostRows += lost
				f.dupCharges += dups
			})
			report.line("API faults, %s: %d files of %d lines complete, %d faults injected (%s), one upload charge each, gettasks charges = polls counted (%s)",
				m.name, files, lines, total, strings.Join(kinds, ", "), strings.Join(notes, ", "))
		})
	}
}
