package results

import (
	"hash/crc32"
	"io"
	"runtime"
	"sync"

	"github.com/klauspost/compress/flate"
)

// deflateLevel is the compression level of the XLSX writer (klauspost/compress
// levels, 1 fastest). Measured as CPU time of the whole writer on 300k
// realistic rows (about 593 bytes of sheet XML each): level 1 took 0.41 s
// for 52.8 bytes a row, 2 took 0.45 s for 51.8, 3 took 0.47 s for 50.2 and
// 4 took 0.54 s for 52.2. The standard library's level 1 compresses at less
// than half the speed of this one's.
const deflateLevel = 1

// deflateChunkSize is how much sheet XML the XLSX writer gathers before it
// hands the chunk to a compressing goroutine. Each chunk is compressed on its
// own (no back-references into the previous one), which costs 0.4% of size
// at 1 MiB on realistic rows. Tests lower it.
var deflateChunkSize = 1 << 20

// maxDeflateWorkers bounds the goroutines that compress one stream at a time.
// Past a few the producer (encoding rows) is the bottleneck anyway, and each
// worker adds its chunks to the memory in flight.
const maxDeflateWorkers = 8

// flateWriters recycles compressors: one holds about 800 KiB of tables and
// buffers.
var flateWriters = sync.Pool{New: func() any {
	w, err := flate.NewWriter(nil, deflateLevel)
	if err != nil {
		panic(err) // only for an invalid level, a constant
	}
	return w
}}

// deflateChunk is one piece of a stream: the input the producer filled, and
// the raw deflate data a worker made of it.
type deflateChunk struct {
	in   []byte
	out  []byte
	last bool          // end the stream (final block) rather than sync-flush
	err  error         // from the compressor
	done chan struct{} // receives once when out is ready; cap 1, reused
}

// Write collects the compressor's output.
func (c *deflateChunk) Write(p []byte) (int, error) {
	c.out = append(c.out, p...)
	return len(p), nil
}

func (c *deflateChunk) compress(sem chan struct{}) {
	sem <- struct{}{}
	fw := flateWriters.Get().(*flate.Writer)
	fw.Reset(c)
	_, err := fw.Write(c.in)
	if err == nil {
		if c.last {
			err = fw.Close()
		} else {
			// A sync flush ends the chunk's blocks on a byte boundary
			// without a final block, so the next chunk's blocks follow
			// as if one compressor had written both.
			err = fw.Flush()
		}
	}
	fw.Reset(io.Discard) // do not keep c (and its buffers) reachable from the pool
	flateWriters.Put(fw)
	c.err = err
	<-sem
	c.done <- struct{}{}
}

// parallelDeflate compresses a stream of chunks on several goroutines and
// writes one raw deflate stream, in order, with its CRC-32 and sizes: what a
// zip entry needs. It is not safe for concurrent use; the goroutines it
// starts only touch their own chunk, and never outlive a wait for it, so
// dropping a parallelDeflate leaks nothing.
//
// Memory is bounded: submit blocks while more than ahead chunks are in
// flight, and chunks are recycled once written.
type parallelDeflate struct {
	sem     chan struct{}   // a token per compressing goroutine
	ahead   int             // chunks in flight before submit waits
	pending []*deflateChunk // submitted, not yet written, in order
	free    []*deflateChunk // written, for reuse

	// The current stream.
	dst     io.Writer
	crc     uint32
	in, out int64
	err     error // first error, sticky until the stream is finished
}

func newParallelDeflate() *parallelDeflate {
	workers := min(runtime.GOMAXPROCS(0), maxDeflateWorkers)
	return &parallelDeflate{sem: make(chan struct{}, workers), ahead: 2 * workers}
}

// start begins a stream that is written to dst.
func (p *parallelDeflate) start(dst io.Writer) {
	p.dst, p.crc, p.in, p.out, p.err = dst, 0, 0, 0, nil
}

// chunk returns an empty chunk to fill and submit.
func (p *parallelDeflate) chunk() *deflateChunk {
	if n := len(p.free); n > 0 {
		c := p.free[n-1]
		p.free = p.free[:n-1]
		return c
	}
	// A stream's first chunk starts small and grows as it fills (most
	// entries, and a small file's sheet, are a few kilobytes); once one
	// chunk has been submitted the stream is large, and chunks are whole.
	size := deflateChunkSize + deflateChunkSize/8
	if p.in == 0 && len(p.pending) == 0 {
		size = min(size, 16<<10)
	}
	return &deflateChunk{in: make([]byte, 0, size), done: make(chan struct{}, 1)}
}

// submit hands over a filled chunk (which the caller must no longer touch)
// and writes every chunk that is ready, in order. With last, the stream ends:
// submit waits for all of it to be written.
func (p *parallelDeflate) submit(c *deflateChunk, last bool) error {
	if p.err != nil {
		p.recycle(c)
		return p.err
	}
	p.crc = crc32.Update(p.crc, crc32.IEEETable, c.in)
	p.in += int64(len(c.in))
	c.last = last
	p.pending = append(p.pending, c)
	go c.compress(p.sem)
	for len(p.pending) > 0 {
		head := p.pending[0]
		if !last && len(p.pending) <= p.ahead {
			select {
			case <-head.done:
			default:
				return p.err
			}
		} else {
			<-head.done
		}
		p.pending = p.pending[:copy(p.pending, p.pending[1:])]
		if p.err == nil {
			p.err = head.err
		}
		if p.err == nil {
			n, err := p.dst.Write(head.out)
			p.out += int64(n)
			p.err = err
		}
		p.recycle(head)
	}
	return p.err
}

// sums returns the stream's CRC-32 of the input, and the input and output
// sizes.
func (p *parallelDeflate) sums() (crc uint32, in, out int64) { return p.crc, p.in, p.out }

// wait waits for the chunks in flight and discards them.
func (p *parallelDeflate) wait() {
	for _, c := range p.pending {
		<-c.done
		p.recycle(c)
	}
	p.pending = p.pending[:0]
}

func (p *parallelDeflate) recycle(c *deflateChunk) {
	c.in, c.out, c.err = c.in[:0], c.out[:0], nil
	p.free = append(p.free, c)
}

// ParallelDeflate is a zip.Compressor (for zip.Writer.RegisterCompressor)
// that deflates on every core: what is written is cut into chunks that
// compress on their own goroutines and come out as one deflate stream, in
// order. Close ends the stream; the zip writer calls it when the entry ends.
func ParallelDeflate(w io.Writer) (io.WriteCloser, error) {
	z := newParallelDeflate()
	z.start(w)
	return &deflateWriter{z: z, cur: z.chunk()}, nil
}

type deflateWriter struct {
	z   *parallelDeflate
	cur *deflateChunk // nil once closed
}

func (d *deflateWriter) Write(p []byte) (int, error) {
	if d.cur == nil {
		return 0, errClosed
	}
	n := len(p)
	for len(p) > 0 {
		k := min(len(p), deflateChunkSize-len(d.cur.in))
		d.cur.in = append(d.cur.in, p[:k]...)
		p = p[k:]
		if len(d.cur.in) >= deflateChunkSize {
			c := d.cur
			d.cur = d.z.chunk()
			if err := d.z.submit(c, false); err != nil {
				return n - len(p), err
			}
		}
	}
	return n, nil
}

func (d *deflateWriter) Close() error {
	if d.cur == nil {
		return errClosed
	}
	c := d.cur
	d.cur = nil
	return d.z.submit(c, true)
}
