package xlsx

import "io"

// aheadReader reads (and so inflates) a part in its own goroutine, a few
// chunks ahead of the parser: inflating and parsing a sheet then take a
// core each.
type aheadReader struct {
	ch     chan []byte // filled chunks, in order
	free   chan []byte
	done   chan struct{}
	exited chan struct{}
	cur    []byte // what is left of the chunk being read
	last   []byte // that chunk, to give back
	err    error  // the reader's error, set before ch is closed
	closed bool
}

const (
	aheadChunk  = 256 << 10
	aheadChunks = 4
)

func inflateAhead(r io.Reader, hint int64) *aheadReader {
	a := &aheadReader{ch: make(chan []byte, aheadChunks), free: make(chan []byte, aheadChunks),
		done: make(chan struct{}), exited: make(chan struct{})}
	for range aheadChunks {
		a.free <- make([]byte, bufferFor(hint, aheadChunk))
	}
	go a.run(r)
	return a
}

func (a *aheadReader) run(r io.Reader) {
	defer close(a.exited)
	defer close(a.ch)
	for {
		var b []byte
		select {
		case b = <-a.free:
		case <-a.done:
			return
		}
		n := 0
		var err error
		for n < len(b) && err == nil {
			var k int
			k, err = r.Read(b[n:])
			n += k
		}
		if n > 0 {
			select {
			case a.ch <- b[:n]:
			case <-a.done:
				return
			}
		}
		if err != nil {
			a.err = err
			return
		}
	}
}

func (a *aheadReader) Read(p []byte) (int, error) {
	for len(a.cur) == 0 {
		if a.last != nil {
			a.free <- a.last[:cap(a.last)]
			a.last = nil
		}
		b, ok := <-a.ch
		if !ok {
			return 0, a.err
		}
		a.cur, a.last = b, b
	}
	n := copy(p, a.cur)
	a.cur = a.cur[n:]
	return n, nil
}

// Close stops the goroutine and waits for it, so that the reader it reads
// may be closed next.
func (a *aheadReader) Close() error {
	if !a.closed {
		a.closed = true
		close(a.done)
		<-a.exited
	}
	return nil
}
