package workflows

import (
	"time"

	"github.com/phonecheck/phonecheck/activities"
)

// backoff chooses the delay before the next poll. While nothing moves it
// waits longer each time (doubling up to max); once the counters move it
// estimates when the task will finish from the rate and aims just past it:
// by a quarter of the time left, between 100 and 500 ms, so that a task of
// a second is not polled half a second late, nor a long one too early
// (every poll is billed).
type backoff struct {
	initial, max time.Duration
	wait         time.Duration
	lastAt       time.Time
	lastDone     int
}

func newBackoff(initial, max time.Duration) *backoff {
	initial = orDefault(initial, 2*time.Second)
	max = orDefault(max, time.Minute)
	if initial > max {
		initial = max
	}
	return &backoff{initial: initial, max: max, wait: initial}
}

// next returns the delay and the estimated end (zero when unknown).
func (b *backoff) next(now time.Time, ts activities.TaskStatus) (time.Duration, time.Time) {
	done := ts.Success + ts.Failure
	defer func() { b.lastAt, b.lastDone = now, done }()
	if !b.lastAt.IsZero() && done > b.lastDone && ts.Total > done {
		rate := float64(done-b.lastDone) / now.Sub(b.lastAt).Seconds() // rows per second
		left := time.Duration(float64(ts.Total-done) / rate * float64(time.Second))
		left += clamp(left/4, 100*time.Millisecond, 500*time.Millisecond)
		eta := now.Add(left)
		b.wait = b.initial // progress: start over from the short wait
		return clamp(left, b.initial/2, b.max), eta
	}
	d := b.wait
	b.wait = min(b.wait*2, b.max)
	return d, time.Time{}
}

func clamp(d, lo, hi time.Duration) time.Duration {
	return max(lo, min(d, hi))
}

// again is the delay after an answer of no use (unreadable, no result
// link): the next of the doubling waits, without taking it for progress.
func (b *backoff) again() time.Duration {
	d := b.wait
	b.wait = min(b.wait*2, b.max)
	return d
}
