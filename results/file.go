package results

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"

	"github.com/phonecheck/phonecheck/internal/durable"
	"github.com/phonecheck/phonecheck/phone"
)

// File is an atomic output file: rows go to a temp file in the destination's
// directory, and only Commit puts the finished file at the destination, so
// readers never see a partial file. Use it as
//
//	f, err := results.Create(path, results.CSV)
//	if err != nil { ... }
//	defer f.Abort()
//	for ... { if err := f.Write(&r); err != nil { return err } }
//	return f.Commit()
//
// A File is not safe for concurrent use.
type File struct {
	path  string
	tmp   *os.File
	w     Writer      // for result rows
	tw    TableWriter // or for table rows
	err   error       // first Write error: Commit refuses a file with a gap
	state fileState
}

type fileState int

const (
	fileOpen fileState = iota
	fileCommitted
	fileAborted
)

// Create starts an atomic file of format f at path. The temp file is named
// .<base>.<random>.tmp next to path; it is created with mode 0666 less the
// umask, as os.Create would create path itself.
func Create(path string, f Format) (*File, error) {
	if _, err := ParseFormat(string(f)); err != nil {
		return nil, err
	}
	tmp, err := createTemp(filepath.Dir(path), "."+filepath.Base(path)+".")
	if err != nil {
		return nil, fmt.Errorf("results: create %s: %w", path, err)
	}
	w, err := NewWriter(f, tmp)
	if err != nil {
		_ = tmp.Close()
		_ = os.Remove(tmp.Name())
		return nil, err
	}
	return &File{path: path, tmp: tmp, w: w}, nil
}

// CreateTable starts an atomic file of format f at path for table rows of
// layout l; write them with WriteRow.
func CreateTable(path string, f Format, l Layout) (*File, error) {
	if _, err := ParseFormat(string(f)); err != nil {
		return nil, err
	}
	tmp, err := createTemp(filepath.Dir(path), "."+filepath.Base(path)+".")
	if err != nil {
		return nil, fmt.Errorf("results: create %s: %w", path, err)
	}
	tw, err := NewTableWriter(f, tmp, l)
	if err != nil {
		_ = tmp.Close()
		_ = os.Remove(tmp.Name())
		return nil, err
	}
	return &File{path: path, tmp: tmp, tw: tw}, nil
}

// WriteRow adds one table row (a file made by CreateTable).
func (f *File) WriteRow(r *TableRow) error {
	if f.state != fileOpen {
		return fmt.Errorf("results: write %s: file already %s", f.path, f.state)
	}
	if f.err != nil {
		return f.err
	}
	if f.tw == nil {
		return fmt.Errorf("results: write %s: not a table file", f.path)
	}
	if err := f.tw.WriteRow(r); err != nil {
		f.err = fmt.Errorf("results: write %s: %w", f.path, err)
		return f.err
	}
	return nil
}

// TableEncoder is Encoder for a table file (CreateTable): a TableEncoder
// that writes into the file, or nil when its format has none.
func (f *File) TableEncoder() TableEncoder {
	e := TableEncoderOf(f.tw)
	if e == nil {
		return nil
	}
	return fileTableEncoder{fileEncoder{f: f}, e}
}

type fileTableEncoder struct {
	fe fileEncoder // for its checks
	TableEncoder
}

func (e fileTableEncoder) WriteEncoded(b []byte) error {
	return e.fe.write(b, e.TableEncoder.WriteEncoded)
}

// createTemp is os.CreateTemp with mode 0666 instead of 0600.
func createTemp(dir, prefix string) (*os.File, error) {
	for range 100 {
		name := filepath.Join(dir, prefix+strconv.FormatUint(rand.Uint64(), 36)+".tmp")
		f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o666)
		if !errors.Is(err, os.ErrExist) {
			return f, err
		}
	}
	return nil, errors.New("no unused temp file name")
}

// Write adds one row.
func (f *File) Write(r *phone.Result) error {
	if f.state != fileOpen {
		return fmt.Errorf("results: write %s: file already %s", f.path, f.state)
	}
	if f.err != nil {
		return f.err
	}
	if f.w == nil {
		return fmt.Errorf("results: write %s: a table file takes WriteRow", f.path)
	}
	if err := f.w.Write(r); err != nil {
		f.err = fmt.Errorf("results: write %s: %w", f.path, err)
		return f.err
	}
	return nil
}

// Encoder returns an Encoder that writes into the file (with Write's
// checks), or nil when the file's format has none (see EncoderOf).
func (f *File) Encoder() Encoder {
	e := EncoderOf(f.w)
	if e == nil {
		return nil
	}
	return fileEncoder{f, e}
}

type fileEncoder struct {
	f *File
	Encoder
}

func (e fileEncoder) WriteEncoded(b []byte) error { return e.write(b, e.Encoder.WriteEncoded) }

// write writes encoded rows with write, with Write's checks.
func (e fileEncoder) write(b []byte, write func([]byte) error) error {
	f := e.f
	if f.state != fileOpen {
		return fmt.Errorf("results: write %s: file already %s", f.path, f.state)
	}
	if f.err != nil {
		return f.err
	}
	if err := write(b); err != nil {
		f.err = fmt.Errorf("results: write %s: %w", f.path, err)
		return f.err
	}
	return nil
}

// Commit finishes the document, syncs it to disk and renames it to the
// destination, replacing any file there. On failure the temp file is
// removed and the destination is untouched. Commit after Abort or a second
// Commit is an error, as is Commit after a failed Write.
func (f *File) Commit() error {
	if f.state != fileOpen {
		return fmt.Errorf("results: commit %s: file already %s", f.path, f.state)
	}
	err := f.err
	if err == nil && f.w != nil {
		err = f.w.Close()
	} else if err == nil {
		err = f.tw.Close()
	} else {
		f.abortWriter()
	}
	if err == nil {
		err = f.tmp.Sync()
	}
	if cerr := f.tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = durable.Rename(f.tmp.Name(), f.path)
	}
	if err != nil {
		f.state = fileAborted
		_ = os.Remove(f.tmp.Name())
		return fmt.Errorf("results: commit %s: %w", f.path, err)
	}
	f.state = fileCommitted
	return nil
}

// Abort discards the file: the temp file is removed and the destination is
// left as it was. It is a no-op after Commit or a previous Abort, so
// `defer f.Abort()` is safe.
func (f *File) Abort() error {
	if f.state != fileOpen {
		return nil
	}
	f.state = fileAborted
	f.abortWriter()
	_ = f.tmp.Close() // the content is discarded anyway
	if err := os.Remove(f.tmp.Name()); err != nil {
		return fmt.Errorf("results: abort %s: %w", f.path, err)
	}
	return nil
}

// abortWriter releases what the writer holds (the XLSX writer waits for the
// chunks it is compressing) without finishing the document.
func (f *File) abortWriter() {
	if a, ok := f.w.(interface{ abort() }); ok {
		a.abort()
	}
	if a, ok := f.tw.(interface{ abort() }); ok {
		a.abort()
	}
}

func (s fileState) String() string {
	switch s {
	case fileCommitted:
		return "committed"
	case fileAborted:
		return "aborted"
	}
	return "open"
}
