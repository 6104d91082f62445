package results

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"runtime"

	"github.com/phonecheck/phonecheck/phone"
)

// parallelBatchLines is how many records a batch of ReadParallel holds
// (tests lower it).
var parallelBatchLines = 4096

// ReadParallel reads a CSV in the result schema as RowReader does, and
// hands its rows over in batches: work gets each batch on one of several
// goroutines, with state of its own (a T reused from batch to batch, for
// what work makes of the rows), and emit then gets the batches in file
// order on the calling goroutine. Records are cut into batches at line
// breaks outside quotes; each batch is parsed by its worker. It stops at the
// first error, reading, parsing, of work or of emit, and returns it (an
// error of an earlier batch first, as a RowReader would meet it). work
// must reset what it keeps in its T.
func ReadParallel[T any](ctx context.Context, r io.Reader, name string, work func(rows []phone.Result, t *T) error, emit func(rows []phone.Result, t *T) error) error {
	type parsed struct {
		rows  []phone.Result
		br    *bufio.Reader
		state T
	}
	return ReadParallelRecords(ctx, r, name, func(raw []byte, firstLine int, p *parsed) error {
		if p.br == nil {
			// Only the last batch is short, so a short first one is the
			// whole file: no need for 64 KiB.
			p.br = bufio.NewReaderSize(nil, min(64<<10, len(raw)+16))
		}
		p.br.Reset(bytes.NewReader(raw))
		part := newRowReaderOn(p.br, name, len(phone.Header))
		part.line = firstLine
		p.rows = p.rows[:0]
		for {
			p.rows = append(p.rows, phone.Result{})
			if err := part.Read(&p.rows[len(p.rows)-1]); err != nil {
				p.rows = p.rows[:len(p.rows)-1]
				if !errors.Is(err, io.EOF) {
					return err
				}
				break
			}
		}
		return work(p.rows, &p.state)
	}, func(p *parsed) error { return emit(p.rows, &p.state) })
}

// ReadParallelRecords is ReadParallel without the parsing: work gets each
// batch's records as they are in the file (whole records, each ending in
// its line break but perhaps the last), and the line number before the
// first. The header is checked as RowReader checks it.
func ReadParallelRecords[T any](ctx context.Context, r io.Reader, name string, work func(records []byte, firstLine int, t *T) error, emit func(t *T) error) error {
	rr, err := NewRowReader(r, name)
	if err != nil {
		return err
	}
	type batch struct {
		raw       []byte
		firstLine int // of raw, minus one
		state     T
		err       error
		done      chan struct{}
	}
	workers := runtime.GOMAXPROCS(0)
	parent := ctx
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	todo := make(chan *batch, workers)
	ordered := make(chan *batch, 2*workers)
	free := make(chan *batch, 3*workers+1)
	var readErr error
	go func() {
		defer close(todo)
		defer close(ordered)
		line := rr.line
		for {
			var b *batch
			select {
			case b = <-free:
			default:
				b = &batch{}
			}
			b.raw, b.firstLine, b.err = b.raw[:0], line, nil
			b.done = make(chan struct{})
			inQuotes := false
			for records := 0; records < parallelBatchLines; {
				l, err := rr.readRawLine()
				if len(l) > 0 {
					b.raw = append(b.raw, l...)
					line++
					// A quote toggles quoting, "" twice: a line break ends
					// a record where the quotes so far are even.
					if bytes.Count(l, []byte{'"'})%2 == 1 {
						inQuotes = !inQuotes
					}
					if !inQuotes {
						records++
					}
				}
				if err != nil {
					if !errors.Is(err, io.EOF) {
						readErr = err
					}
					break
				}
			}
			if len(b.raw) == 0 || readErr != nil {
				return
			}
			select {
			case todo <- b:
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
	for range workers {
		go func() {
			for b := range todo {
				b.err = work(b.raw, b.firstLine, &b.state)
				close(b.done)
			}
		}()
	}
	for b := range ordered {
		<-b.done
		if err = b.err; err == nil {
			err = emit(&b.state)
		}
		if err != nil {
			break
		}
		select {
		case free <- b:
		default:
		}
	}
	cancel()
	for b := range ordered { // let the reader and the workers finish
		<-b.done
	}
	rr.release() // the reader has returned: it closed ordered
	if err != nil {
		return err
	}
	if readErr != nil {
		return readErr
	}
	return parent.Err()
}
