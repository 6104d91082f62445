package activities

import (
	"errors"
	"io"

	"github.com/phonecheck/phonecheck/phone"
	"github.com/phonecheck/phonecheck/results"
)

// readRows streams a CSV in the result schema (as written by results);
// name is for messages.
func readRows(f io.Reader, name string, fn func(*phone.Result) error) error {
	rr, err := results.NewRowReader(f, name)
	if err != nil {
		return err
	}
	var r phone.Result
	for {
		err := rr.Read(&r)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if err := fn(&r); err != nil {
			return err
		}
	}
}
