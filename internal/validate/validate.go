// Package validate runs the validation engine over a whole stream: lines are
// read in batches, checked on every core, and written back in input order
// with bounded memory.
package validate

import (
	"context"
	"io"
	"runtime"
	"slices"
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

// Encoder encodes rows apart from writing them (results.Encoder): with one,
// the workers encode their batches' rows and the writing goroutine only
// writes the bytes, so that encoding uses every core too.
type Encoder interface {
	AppendRow(dst []byte, r *phone.Result) []byte
	WriteEncoded(b []byte) error
}

// Options tune a run; the zero value is usable.
type Options struct {
	// Encoder, when set, encodes every row on the workers and writes the
	// bytes in order; the RowWriter, if not nil, still receives every row
	// after its batch is written, for what else the caller does with them.
	Encoder       Encoder
	Region        string // default region, already normalized
	Workers       int    // 0: GOMAXPROCS
	BatchLines    int    // lines per batch; 0: 2048
	MaxLineLength int    // 0: lines.DefaultMaxLength; a longer line is one TOO_LONG row (phone.CutLine)
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
	first   int      // line number of raw[0]
	raw     []string // raw lines, blank ones included: substrings of one string
	rows    []phone.Result
	text    []byte // where the lines are gathered before they become one string
	ends    []int
	cuts    []cut  // the lines over the reader's bound, in order
	encoded []byte // the rows encoded, with an Encoder
	sum     Summary
}

// cut is a line of a batch that the reader cut: raw[idx] is its start.
type cut struct {
	idx    int
	length int64
}

// count is sum.add for every row of the batch, done by its worker.
func (b *batch) count() {
	if b.sum.ByReason == nil {
		b.sum.ByReason = map[string]int64{}
	}
	b.sum.Rows, b.sum.Valid, b.sum.Invalid = 0, 0, 0
	clear(b.sum.ByReason)
	for i := range b.rows {
		b.sum.add(&b.rows[i])
	}
}

// merge adds a batch's counts to s.
func (s *Summary) merge(b *Summary) {
	s.Rows += b.Rows
	s.Valid += b.Valid
	s.Invalid += b.Invalid
	for reason, n := range b.ByReason {
		s.ByReason[reason] += n
	}
}

// fill reads up to n lines into b, the lines sharing one allocation.
func (b *batch) fill(reader *lines.Reader, n int) error {
	b.raw, b.text, b.ends, b.cuts = b.raw[:0], b.text[:0], b.ends[:0], b.cuts[:0]
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
		if n := reader.Cut(); n > 0 {
			b.cuts = append(b.cuts, cut{len(b.ends), n})
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
// w in input order (w may be nil with an Encoder). It stops at the first read
// or write error.
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

	reader := lines.NewReader(in, opt.MaxLineLength)
	defer reader.Release() // after inOrder: every batch has copied its lines
	var readBytes sync.Mutex
	var offset int64
	sum := Summary{ByReason: map[string]int64{}}
	every := opt.ProgressEvery
	if every <= 0 {
		every = 250 * time.Millisecond
	}
	nextProgress := time.Now().Add(every)
	readErr, err := inOrder(ctx, workers,
		func() *batch {
			// Sized by what they hold (rows below): a 100-line file used
			// to allocate two full batches of 2,048 results.
			return &batch{}
		},
		// Cut the input into batches.
		func(b *batch) (bool, error) {
			err := b.fill(reader, batchLines)
			readBytes.Lock()
			offset = reader.Offset()
			readBytes.Unlock()
			return len(b.raw) > 0, err
		},
		func() func(*batch) {
			c := phone.NewChecker(opt.Region, cacheSize)
			return func(b *batch) {
				b.rows = slices.Grow(b.rows[:0], len(b.raw))
				cuts := b.cuts
				for i, raw := range b.raw {
					if len(cuts) > 0 && cuts[0].idx == i {
						b.rows = append(b.rows, phone.CutLine(raw, b.first+i, cuts[0].length))
						cuts = cuts[1:]
						continue
					}
					if phone.IsBlank(raw) {
						continue
					}
					b.rows = append(b.rows, c.Check(phone.CleanLine(raw), b.first+i))
				}
				b.count()
				if opt.Encoder != nil {
					b.encoded = b.encoded[:0]
					for i := range b.rows {
						b.encoded = opt.Encoder.AppendRow(b.encoded, &b.rows[i])
					}
				}
			}
		},
		func(b *batch) error {
			if opt.Encoder != nil {
				if err := opt.Encoder.WriteEncoded(b.encoded); err != nil {
					return err
				}
			}
			if w != nil {
				for i := range b.rows {
					if err := w.Write(&b.rows[i]); err != nil {
						return err
					}
				}
			}
			sum.merge(&b.sum)
			sum.Lines = b.first + len(b.raw) - 1
			if opt.Progress != nil && time.Now().After(nextProgress) {
				readBytes.Lock()
				o := offset
				readBytes.Unlock()
				opt.Progress(sum.Rows, o)
				nextProgress = time.Now().Add(every)
			}
			return nil
		})
	sum.Elapsed = time.Since(start)
	if err != nil {
		return sum, err
	}
	if readErr != nil {
		return sum, readErr
	}
	return sum, ctx.Err()
}
