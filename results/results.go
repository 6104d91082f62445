// Package results reads and writes result files.
//
// The writers stream rows of the result schema (phone.Header, one
// phone.Result per row, in order) as CSV, XLSX or JSON Lines, and File makes
// any of them an atomic output file (temp file in the target directory,
// fsync, rename).
package results

import (
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/phonecheck/phonecheck/phone"
)

// Format is an output file format.
type Format string

// The supported formats.
const (
	CSV   Format = "csv"
	XLSX  Format = "xlsx"
	JSONL Format = "jsonl"
)

// ParseFormat reads a format name such as a --format flag value,
// case-insensitively; "ndjson" is accepted as JSONL.
func ParseFormat(s string) (Format, error) {
	switch f := Format(strings.ToLower(strings.TrimSpace(s))); f {
	case CSV, XLSX, JSONL:
		return f, nil
	case "ndjson":
		return JSONL, nil
	}
	return "", fmt.Errorf("unknown result format %q: use csv, xlsx or jsonl", s)
}

// FormatFromPath tells the format from a file name's extension (.csv, .xlsx,
// .jsonl or .ndjson, any case); ok is false for any other name.
func FormatFromPath(path string) (f Format, ok bool) {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".csv":
		return CSV, true
	case ".xlsx":
		return XLSX, true
	case ".jsonl", ".ndjson":
		return JSONL, true
	}
	return "", false
}

// Writer streams result rows into one document. It is not safe for
// concurrent use. After an error from Write the document is incomplete and
// should be discarded.
type Writer interface {
	// Write adds one row; rows appear in the order written.
	Write(r *phone.Result) error
	// Close finishes the document (flushes buffers; for XLSX, also writes
	// the parts that list the sheets and the zip's directory) without
	// closing the underlying io.Writer.
	Close() error
}

// Encoder is the part of a Writer whose rows encode independently of each
// other (CSV and JSON Lines; not XLSX, whose cells name their row), so that
// several goroutines can encode while one writes: AppendRow is safe for
// concurrent use and appends one row's bytes to dst; WriteEncoded writes
// such bytes, and writing the rows' bytes in order gives the same document
// as giving the rows to Write.
type Encoder interface {
	AppendRow(dst []byte, r *phone.Result) []byte
	WriteEncoded(b []byte) error
}

// EncoderOf returns w's Encoder, or nil when w's rows must go through Write.
func EncoderOf(w Writer) Encoder {
	e, _ := w.(Encoder)
	return e
}

// NewWriter returns a Writer of format f that writes to w. Writers buffer
// their output, so w needs no buffering of its own.
func NewWriter(f Format, w io.Writer) (Writer, error) {
	switch f {
	case CSV:
		return newCSVWriter(w), nil
	case JSONL:
		return newJSONLWriter(w), nil
	case XLSX:
		return newXLSXWriter(w)
	}
	_, err := ParseFormat(string(f))
	return nil, err
}

// bufSize is the write buffer of every writer: large enough that a million
// rows cost few system calls.
const bufSize = 64 << 10

var errClosed = errors.New("results: writer is closed")
