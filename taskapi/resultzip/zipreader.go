package resultzip

import (
	"archive/zip"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"slices"
	"strings"

	kflate "github.com/klauspost/compress/flate"
	"github.com/klauspost/readahead"
)

// Errors of the zip reader. Every error OpenZip, ReadZip and
// ResultTable.Next return wraps one of them (or an I/O error of the file);
// all of them mean the zip is bad input that reading again will not fix.
var (
	// ErrNotZip: not a zip file, or a truncated one.
	ErrNotZip = errors.New("not a zip file")
	// ErrUnsafeZip: an entry name that is absolute or climbs out with "..".
	ErrUnsafeZip = errors.New("unsafe zip entry name")
	// ErrZipLimit: a ZipLimits bound was passed (too many entries, too much
	// data, an entry that expands too much, a line too long).
	ErrZipLimit = errors.New("zip limit exceeded")
	// ErrNoTable: no CSV, TXT or XLSX entry has the Number and phoneCheck
	// columns. The message says what each candidate held instead.
	ErrNoTable = errors.New("no result table")
	// ErrEmptyTable: the table has a header and no rows.
	ErrEmptyTable = errors.New("empty result table")
	// ErrBadRow: a row without a Number, or whose phoneCheck is neither
	// valid nor invalid. The message gives the entry and the line or row.
	ErrBadRow = errors.New("bad result row")
	// ErrScratch: an XLSX entry could not be written to ZipOptions.TempDir
	// to be read (a full disk, say). It is this machine's problem, not the
	// zip's: the error wraps the file system's too.
	ErrScratch = errors.New("cannot spool the XLSX entry")
)

// ZipLimits bound the work and memory a results zip can cost; they hold
// while reading, whatever the zip's headers claim. Zero fields take the
// default.
type ZipLimits struct {
	// MaxEntries is the most entries the zip may have (default 1,000).
	MaxEntries int
	// MaxTotalSize bounds the uncompressed bytes read from all entries
	// together (default 2 GiB; a 1M-row results CSV is about 130 MB).
	MaxTotalSize int64
	// MaxRatio bounds how many times an entry may expand (uncompressed over
	// compressed size), checked once it passed 1 MiB (default 100; results
	// tables compress about 5 to 10 times).
	MaxRatio int64
	// MaxLineLength bounds a line (a record) of a CSV or TXT table
	// (default 64 KiB).
	MaxLineLength int
	// MaxXLSXSize bounds an XLSX entry, which is read into memory to be
	// opened (default 256 MiB; a 1M-row workbook is about 70 MB).
	MaxXLSXSize int64
}

// DefaultZipLimits are the limits zero fields stand for.
var DefaultZipLimits = ZipLimits{
	MaxEntries:    1000,
	MaxTotalSize:  2 << 30,
	MaxRatio:      100,
	MaxLineLength: 64 << 10,
	MaxXLSXSize:   256 << 20,
}

// ratioGrace is how much an entry may expand before MaxRatio applies, so
// small, very regular tables pass.
const ratioGrace = 1 << 20

func (l ZipLimits) withDefaults() ZipLimits {
	d := DefaultZipLimits
	if l.MaxEntries > 0 {
		d.MaxEntries = l.MaxEntries
	}
	if l.MaxTotalSize > 0 {
		d.MaxTotalSize = l.MaxTotalSize
	}
	if l.MaxRatio > 0 {
		d.MaxRatio = l.MaxRatio
	}
	if l.MaxLineLength > 0 {
		d.MaxLineLength = l.MaxLineLength
	}
	if l.MaxXLSXSize > 0 {
		d.MaxXLSXSize = l.MaxXLSXSize
	}
	return d
}

// ZipOptions configure OpenZip and ReadZip.
type ZipOptions struct {
	// TaskID, if set, makes the entry named <TaskID>.csv the first choice,
	// then any other <TaskID>.* table.
	TaskID string
	// TempDir is where an XLSX entry is inflated to while it is read
	// (default os.TempDir()); the file goes when the table is closed.
	// Nothing else is ever written to disk.
	TempDir string
	Limits  ZipLimits
}

// OpenZip opens a results zip and finds its table: the first CSV, TXT/TSV
// or XLSX entry (in the zip's order, after the TaskID preference) whose
// header has the columns Number and phoneCheck (case-insensitive, spaces
// and BOM trimmed). Text tables may be comma-, semicolon- or tab-separated,
// in UTF-8 or (with a BOM) UTF-16; the separator is the one that makes the
// header hold both columns. In an XLSX the first sheet with such a header
// is the table, and later sheets with the same header continue it.
//
// The zip is rejected as a whole if any entry name is absolute or holds
// "..", though nothing is extracted. Close the table when done.
func OpenZip(path string, opts ZipOptions) (*ResultTable, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("results: %w", err)
	}
	fi, err := f.Stat()
	if err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("results: %w", err)
	}
	t, err := readZip(f, fi.Size(), path, opts)
	if err != nil {
		_ = f.Close()
		return nil, err
	}
	t.closers = append(t.closers, f)
	return t, nil
}

// ReadZip is OpenZip for a zip held in r, of size bytes.
func ReadZip(r io.ReaderAt, size int64, opts ZipOptions) (*ResultTable, error) {
	return readZip(r, size, "results zip", opts)
}

func readZip(r io.ReaderAt, size int64, name string, opts ZipOptions) (*ResultTable, error) {
	lim := opts.Limits.withDefaults()
	zr, err := zip.NewReader(r, size)
	if errors.Is(err, zip.ErrInsecurePath) { // only with GODEBUG=zipinsecurepath=0; the check below says which
		err = nil
	}
	if err != nil {
		return nil, fmt.Errorf("results: %s is not a readable zip file (or is truncated): %v: %w", name, err, ErrNotZip)
	}
	// klauspost's inflate reads the same streams in half the time of the
	// standard library's (a million rows' result: 0.4 s of the join).
	zr.RegisterDecompressor(zip.Deflate, func(r io.Reader) io.ReadCloser { return kflate.NewReader(r) })
	if len(zr.File) > lim.MaxEntries {
		return nil, fmt.Errorf("results: %s has %d entries, more than the limit of %d: %w", name, len(zr.File), lim.MaxEntries, ErrZipLimit)
	}
	var candidates []*zip.File
	for _, f := range zr.File {
		if !safeName(f.Name) {
			return nil, fmt.Errorf("results: %s: entry %s is an absolute path or leaves the archive: %w", name, quoteName(f.Name), ErrUnsafeZip)
		}
		if tableFormat(f) != "" {
			candidates = append(candidates, f)
		}
	}
	if opts.TaskID != "" {
		// stable: zip order within each preference class
		slices.SortStableFunc(candidates, func(a, b *zip.File) int { return preference(a, opts.TaskID) - preference(b, opts.TaskID) })
	}
	z := &zipState{size: size, lim: lim, tempDir: opts.TempDir}
	var notes []string
	for _, f := range candidates {
		t, note, err := z.open(f)
		if err != nil {
			return nil, fmt.Errorf("results: %s: %w", name, err)
		}
		if t != nil {
			return t, nil
		}
		notes = append(notes, note)
	}
	if len(candidates) == 0 {
		var names []string
		for _, f := range zr.File {
			names = append(names, quoteName(f.Name))
		}
		return nil, fmt.Errorf("results: %s holds no CSV, TXT or XLSX file (entries: %s): %w", name, listOf(names, "none"), ErrNoTable)
	}
	return nil, fmt.Errorf("results: %s has no table with the columns Number and phoneCheck: %s: %w", name, listOf(notes, ""), ErrNoTable)
}

// safeName rejects names that would escape a directory if extracted:
// absolute paths (also Windows ones) and ".." elements.
func safeName(name string) bool {
	n := strings.ReplaceAll(name, `\`, "/")
	if strings.HasPrefix(n, "/") || strings.ContainsRune(n, 0) || (len(n) >= 2 && n[1] == ':') {
		return false
	}
	return !slices.Contains(strings.Split(n, "/"), "..")
}

// tableFormat is "csv", "txt", "tsv" or "xlsx" by extension; "" for
// directories, macOS resource forks and anything else.
func tableFormat(f *zip.File) string {
	base := path.Base(strings.ReplaceAll(f.Name, `\`, "/"))
	if f.FileInfo().IsDir() || strings.HasPrefix(f.Name, "__MACOSX/") || strings.HasPrefix(base, "._") {
		return ""
	}
	switch ext := strings.ToLower(path.Ext(base)); ext {
	case ".csv", ".txt", ".tsv", ".xlsx":
		return ext[1:]
	}
	return ""
}

// preference orders entries: <task>.csv, then <task>.*, then the rest.
func preference(f *zip.File, taskID string) int {
	base := path.Base(strings.ReplaceAll(f.Name, `\`, "/"))
	switch {
	case strings.EqualFold(base, taskID+".csv"):
		return 0
	case strings.EqualFold(strings.TrimSuffix(base, path.Ext(base)), taskID):
		return 1
	}
	return 2
}

// quoteName quotes an entry name for a message, shortened.
func quoteName(s string) string {
	if len(s) > 80 {
		s = s[:80] + "…"
	}
	return fmt.Sprintf("%q", s)
}

// listOf joins up to ten items for a message.
func listOf(items []string, none string) string {
	if len(items) == 0 {
		return none
	}
	if len(items) > 10 {
		items = append(items[:10:10], fmt.Sprintf("and %d more", len(items)-10))
	}
	return strings.Join(items, "; ")
}

// readAheadMin is the uncompressed size from which a text entry is inflated
// ahead of its reading: below, the goroutine and buffers cost more than
// they give. (Tests lower it.)
var readAheadMin uint64 = 8 << 20

// zipState is what all entries of one zip share: the byte budget.
type zipState struct {
	size    int64
	lim     ZipLimits
	tempDir string
	total   int64 // uncompressed bytes read so far, all entries
}

// open reads an entry's header. It returns the table if the entry is one,
// else a note on what it holds; err is for problems that condemn the zip.
func (z *zipState) open(f *zip.File) (*ResultTable, string, error) {
	if f.UncompressedSize64 > uint64(z.lim.MaxTotalSize) {
		return nil, "", fmt.Errorf("entry %s would expand to %d bytes, more than the limit of %d: %w",
			quoteName(f.Name), f.UncompressedSize64, z.lim.MaxTotalSize, ErrZipLimit)
	}
	rc, err := f.Open()
	if err != nil {
		return nil, fmt.Sprintf("%s cannot be read (%v)", quoteName(f.Name), err), nil
	}
	if tableFormat(f) != "xlsx" && f.UncompressedSize64 >= readAheadMin {
		// Inflating is half the work of reading a large table: on a core
		// of its own it runs beside the parsing. The limits below still
		// apply to what is read, the read-ahead at most 4 MiB past them.
		if ra, err := readahead.NewReadCloserSize(rc, 4, 1<<20); err == nil {
			rc = ra
		}
	}
	er := &entryReader{rc: rc, name: f.Name, z: z, compressed: max(1, min(int64(f.CompressedSize64), z.size))}
	if tableFormat(f) == "xlsx" {
		return openXLSXEntry(er, f.UncompressedSize64, z)
	}
	return openTextEntry(er, tableFormat(f), z.lim.MaxLineLength)
}

// entryReader reads one entry and enforces the size and ratio limits on
// the bytes actually inflated, not on what the headers say.
type entryReader struct {
	rc         io.ReadCloser
	name       string
	z          *zipState
	n          int64 // uncompressed bytes of this entry so far
	compressed int64
}

func (e *entryReader) Read(p []byte) (int, error) {
	n, err := e.rc.Read(p)
	e.n += int64(n)
	e.z.total += int64(n)
	switch {
	case e.z.total > e.z.lim.MaxTotalSize:
		return n, fmt.Errorf("more than %d bytes uncompressed (at entry %s): %w", e.z.lim.MaxTotalSize, quoteName(e.name), ErrZipLimit)
	case e.n > ratioGrace && e.n/e.compressed > e.z.lim.MaxRatio:
		return n, fmt.Errorf("entry %s expands more than %d times (%d bytes from %d): %w",
			quoteName(e.name), e.z.lim.MaxRatio, e.n, e.compressed, ErrZipLimit)
	case err != nil && err != io.EOF:
		// archive/zip reports a bad checksum or a cut entry as ErrFormat/ErrChecksum
		return n, fmt.Errorf("entry %s is damaged or truncated: %v: %w", quoteName(e.name), err, ErrNotZip)
	}
	return n, err
}

func (e *entryReader) Close() error { return e.rc.Close() }
