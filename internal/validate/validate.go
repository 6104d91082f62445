// Package validate runs the validation engine over a whole stream: lines are
// read in batches, checked on every core, and written back in input order
// with bounded memory.
package validate

import (
	"context"
	"io"
	"runtime"
	"sync"
	"time"

	"github.com/phonecheck/phonecheck/internal/lines"
	"github.com/phonecheck/phonecheck/phone"
)

// RowWriter receives the rows in input order. Write must not keep r after
// it returns: the rows of a batch are reused (their strings may be kept).
type RowWriter interface {
	Write(r *phone.Result) error
}

// Options tune a run; the zero value is usable.
type Options struct {
	Region        string // default region, already normalized
	Workers       int    // 0: GOMAXPROCS
	BatchLines    int    // lines per batch; 0: 2048
	MaxLineLength int    // 0: lines.DefaultMaxLength
	CacheSize     int    // per worker (see phone.Checker); 0: phone.DefaultCacheSize, <0: off
	// Progress, when set, is called from the writing goroutine about every
	// ProgressEvery with the rows so far and the input bytes consumed.
	Progress      func(rows int64, inputBytes int64)
	ProgressEvery time.Duration
}

// Summary counts what a run wrote.
type Summary struct {
	Lines    int              `json:"lines"` // input lines, blank ones included
	Rows     int64            `json:"rows"`
	Valid    int64            `json:"valid"`
	Invalid  int64            `json:"invalid"`
	ByReason map[string]int64 `json:"by_reason"`
	Elapsed  time.Duration    `json:"elapsed_ns"`
}

func (s *Summary) add(r *phone.Result) {
	s.Rows++
	if r.IsValid() {
		s.Valid++
	} else {
		s.Invalid++
	}
	s.ByReason[r.Reason]++
}

type batch struct {
	first int      // line number of raw[0]
	raw   []string // raw lines, blank ones included: substrings of one string
	rows  []phone.Result
	done  chan struct{}
	text  []byte // where the lines are gathered before they become one string
	ends  []int
}

// fill reads up to n lines into b, the lines sharing one allocation.
func (b *batch) fill(reader *lines.Reader, n int) error {
	b.raw, b.text, b.ends = b.raw[:0], b.text[:0], b.ends[:0]
	var err error
	for len(b.ends) < n {
		line, num, e := reader.Next()
		if e != nil {
			if e != io.EOF {
				err = e
			}
			break
		}
		if len(b.ends) == 0 {
			b.first = num
		}
		b.text = append(b.text, line...)
		b.ends = append(b.ends, len(b.text))
	}
	all := string(b.text)
	start := 0
	for _, end := range b.ends {
		b.raw = append(b.raw, all[start:end])
		start = end
	}
	return err
}

// Run reads in, validates every non-blank line and writes one row per line to
// w in input order. It stops at the first read or write error.
func Run(ctx context.Context, in io.Reader, w RowWriter, opt Options) (Summary, error) {
	start := time.Now()
	workers := opt.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	batchLines := opt.BatchLines
	if batchLines <= 0 {
		batchLines = 2048
	}
	cacheSize := opt.CacheSize
	if cacheSize == 0 {
		cacheSize = phone.DefaultCacheSize
	} else if cacheSize < 0 {
		cacheSize = 0
	}

	parent := ctx
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	work := make(chan *batch, workers)
	ordered := make(chan *batch, 2*workers) // bounds batches in flight
	reader := lines.NewReader(in, opt.MaxLineLength)
	var readErr error
	var readBytes sync.Mutex
	var offset int64

	// Reader: cut the input into batches; hand each to a worker and, in the
	// same order, to the writer, which gives it back when written.
	free := make(chan *batch, 3*workers+1) // more than can be in flight
	go func() {
		defer close(work)
		defer close(ordered)
		for {
			var b *batch
			select {
			case b = <-free:
			default:
				b = &batch{raw: make([]string, 0, batchLines), rows: make([]phone.Result, 0, batchLines)}
			}
			b.done = make(chan struct{})
			readErr = b.fill(reader, batchLines)
			readBytes.Lock()
			offset = reader.Offset()
			readBytes.Unlock()
			if len(b.raw) == 0 || readErr != nil {
				return
			}
			select {
			case work <- b:
			case <-ctx.Done():
				return
			}
			select {
			case ordered <- b:
			case <-ctx.Done():
				return
			}
		}
	}()

	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := phone.NewChecker(opt.Region, cacheSize)
			for b := range work {
				b.rows = b.rows[:0]
				for i, raw := range b.raw {
					if phone.IsBlank(raw) {
						continue
					}
					b.rows = append(b.rows, c.Check(phone.CleanLine(raw), b.first+i))
				}
				close(b.done)
			}
		}()
	}

	sum := Summary{ByReason: map[string]int64{}}
	var err error
	every := opt.ProgressEvery
	if every <= 0 {
		every = 250 * time.Millisecond
	}
	nextProgress := time.Now().Add(every)
	for b := range ordered {
		<-b.done
		for i := range b.rows {
			if err = w.Write(&b.rows[i]); err != nil {
				break
			}
			sum.add(&b.rows[i])
		}
		if err != nil {
			break
		}
		sum.Lines = b.first + len(b.raw) - 1
		select {
		case free <- b:
		default:
		}
		if opt.Progress != nil && time.Now().After(nextProgress) {
			readBytes.Lock()
			o := offset
			readBytes.Unlock()
			opt.Progress(sum.Rows, o)
			nextProgress = time.Now().Add(every)
		}
	}
	cancel()
	for range ordered { // let the reader exit after a write error
	}
	wg.Wait()
	sum.Elapsed = time.Since(start)
	if err != nil {
		return sum, err
	}
	if readErr != nil {
		return sum, readErr
	}
	return sum, parent.Err()
}
