// Package bufpool recycles the 256 KiB buffered readers and writers through
// which the pipeline's stages stream files. A large file needs buffers that
// size; a small one is read and written several times between the watcher
// and its results, and a fresh pair of buffers each time was most of the
// garbage that a burst of small files made.
package bufpool

import (
	"bufio"
	"io"
	"sync"
)

// Size is the buffer size of every reader and writer here.
const Size = 256 << 10

var (
	readers = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, Size) }}
	writers = sync.Pool{New: func() any { return bufio.NewWriterSize(nil, Size) }}
)

// Reader returns a buffered reader of r.
func Reader(r io.Reader) *bufio.Reader {
	br := readers.Get().(*bufio.Reader)
	br.Reset(r)
	return br
}

// PutReader hands br back. Neither br nor a slice it returned may be used
// after it.
func PutReader(br *bufio.Reader) {
	br.Reset(nil)
	readers.Put(br)
}

// Writer returns a buffered writer to w.
func Writer(w io.Writer) *bufio.Writer {
	bw := writers.Get().(*bufio.Writer)
	bw.Reset(w)
	return bw
}

// PutWriter hands bw back, dropping what it has not flushed; bw must not be
// used after it.
func PutWriter(bw *bufio.Writer) {
	bw.Reset(nil)
	writers.Put(bw)
}
