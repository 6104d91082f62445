// Package spool makes temporary files for data that must be read with
// random access (a workbook is a zip, read from its end) but arrives as a
// stream. The file has no name from the moment it is made where the system
// allows it, so a process killed while reading leaves nothing behind.
package spool

import (
	"errors"
	"os"
)

// File is a spool file: write it, read it at any offset, close it.
type File struct {
	*os.File
	named bool // still in its directory: removed by Close
}

// Create makes a spool file in dir (os.TempDir() if ""); pattern is as for
// os.CreateTemp.
func Create(dir, pattern string) (*File, error) {
	f, err := os.CreateTemp(dir, pattern)
	if err != nil {
		return nil, err
	}
	// On Unix the open file outlives its name; elsewhere (Windows) an open
	// file cannot be removed, and Close removes it instead.
	return &File{File: f, named: os.Remove(f.Name()) != nil}, nil
}

// Close closes the file and frees its space. A second Close does nothing.
func (s *File) Close() error {
	if s == nil || s.File == nil {
		return nil
	}
	err := s.File.Close()
	if s.named {
		if rerr := os.Remove(s.Name()); err == nil && !errors.Is(rerr, os.ErrNotExist) {
			err = rerr
		}
	}
	s.File = nil
	return err
}
