package input

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/phonecheck/phonecheck/internal/spool"
)

// File is what Open reads in place: a workbook needs random access.
type File interface {
	io.Reader
	io.ReaderAt
	Stat() (os.FileInfo, error)
}

// Input is an opened input: a Table, or Lines for a file of one value per
// line (the decoded text, byte for byte for UTF-8).
type Input struct {
	Table *Table
	Lines *Lines
	spool *spool.File
}

// Close releases the table and removes a spooled copy.
func (in *Input) Close() error {
	var err error
	if in.Table != nil {
		err = in.Table.Close()
	}
	if in.spool != nil {
		in.spool.Close()
	}
	return err
}

// Open tells what r holds (Detect) and opens it. A File is read in place; a
// stream that turns out to be a workbook is copied to a temp file in
// spoolDir ("" for the system's) first, since a zip is read from its end.
func Open(r io.Reader, opt Options, spoolDir string) (*Input, error) {
	if f, ok := r.(File); ok {
		if st, err := f.Stat(); err == nil && st.Mode().IsRegular() {
			return openFile(f, st.Size(), opt)
		}
	}
	br := bufio.NewReaderSize(r, HeadSize)
	head, err := br.Peek(HeadSize)
	if err != nil && err != io.EOF && !errors.Is(err, bufio.ErrBufferFull) {
		return nil, err
	}
	c, err := Detect(head, nil, 0)
	if err != nil {
		return nil, err
	}
	if c == TextFile {
		return openText(br, opt)
	}
	sf, err := spool.Create(spoolDir, ".phonecheck-input-*.xlsx")
	if err != nil {
		return nil, fmt.Errorf("a copy of the workbook: %w", err)
	}
	in := &Input{spool: sf}
	size, err := io.Copy(sf, br)
	if err != nil {
		in.Close()
		return nil, fmt.Errorf("a copy of the workbook: %w", err)
	}
	if in.Table, err = OpenWorkbook(sf, size, opt); err != nil {
		in.Close()
		return nil, err
	}
	return in, nil
}

func openFile(f File, size int64, opt Options) (*Input, error) {
	head := make([]byte, min(size, HeadSize))
	n, err := f.ReadAt(head, 0)
	if err != nil && err != io.EOF {
		return nil, err
	}
	c, err := Detect(head[:n], f, size)
	if err != nil {
		return nil, err
	}
	if c == ZipFile {
		t, err := OpenWorkbook(f, size, opt)
		if err != nil {
			return nil, err
		}
		return &Input{Table: t}, nil
	}
	return openText(f, opt)
}

func openText(r io.Reader, opt Options) (*Input, error) {
	t, lines, err := OpenText(r, opt)
	if err != nil {
		return nil, err
	}
	return &Input{Table: t, Lines: lines}, nil
}
