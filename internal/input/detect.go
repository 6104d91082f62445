package input

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/richardlehane/mscfb"
)

// ErrUnsupported is wrapped by the errors for files that are not text or
// an XLSX workbook. Their messages say what the file is and what to do.
var ErrUnsupported = errors.New("not a file of phone numbers, CSV or XLSX")

// HeadSize is how much of a file Detect wants to see.
const HeadSize = 64 << 10

// Container is what Detect finds a file to be.
type Container int

const (
	TextFile Container = iota // text, in any of the encodings Decoder reads
	ZipFile                   // a zip: an XLSX workbook, or something to name (see OpenWorkbook)
)

// Detect tells by a file's first bytes (up to HeadSize) whether it is text
// or a zip, and names what it cannot read: a legacy .xls or a
// password-protected workbook (both OLE compound files; r, when not nil,
// lets it tell which), PDF, images, archives, HTML and XML spreadsheets
// passed off as .xls, and binary data.
func Detect(head []byte, r io.ReaderAt, size int64) (Container, error) {
	switch {
	case bytes.HasPrefix(head, []byte("PK\x03\x04")), bytes.HasPrefix(head, []byte("PK\x05\x06")):
		return ZipFile, nil
	case bytes.HasPrefix(head, []byte("\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1")):
		return 0, oleProblem(r)
	case bytes.HasPrefix(head, []byte("%PDF-")):
		return 0, unsupported("a PDF document; export the table from the program that made it as CSV or XLSX")
	case bytes.HasPrefix(head, []byte("\x1F\x8B")), bytes.HasPrefix(head, []byte("BZh")),
		bytes.HasPrefix(head, []byte("7z\xBC\xAF\x27\x1C")), bytes.HasPrefix(head, []byte("Rar!")),
		bytes.HasPrefix(head, []byte("\xFD7zXZ\x00")), bytes.HasPrefix(head, []byte("\x28\xB5\x2F\xFD")):
		return 0, unsupported("a compressed archive; unpack it and give the CSV, XLSX or text file inside")
	case bytes.HasPrefix(head, []byte("\x89PNG")), bytes.HasPrefix(head, []byte("\xFF\xD8\xFF")),
		bytes.HasPrefix(head, []byte("GIF8")):
		return 0, unsupported("an image, not a table")
	case bytes.HasPrefix(head, []byte("{\\rtf")):
		return 0, unsupported("a word processor document (RTF); save the table as CSV or XLSX")
	}
	if utf16WithoutBOM(head) == "" && !bytes.HasPrefix(head, []byte{0xFF, 0xFE}) && !bytes.HasPrefix(head, []byte{0xFE, 0xFF}) {
		if i := bytes.IndexByte(head, 0); i >= 0 {
			return 0, unsupported(fmt.Sprintf("binary data (byte %d is a NUL byte), not text", i))
		}
	}
	if err := markupProblem(head); err != nil {
		return 0, err
	}
	return TextFile, nil
}

func unsupported(what string) error { return fmt.Errorf("%w: it is %s", ErrUnsupported, what) }

// oleProblem names an OLE compound file by its streams: a workbook saved
// with a password is an encrypted package in one, a legacy workbook has a
// Workbook (or Book) stream.
func oleProblem(r io.ReaderAt) (err error) {
	const legacy = "a legacy Excel workbook (.xls) or another Office 97-2003 file; open it in Excel or LibreOffice and save it as XLSX or CSV"
	if r == nil {
		return unsupported("an Office 97-2003 file: a legacy Excel workbook (.xls), or a workbook saved with a password; save it without a password as XLSX or CSV")
	}
	defer func() {
		if recover() != nil { // a damaged file: say what it looks like
			err = unsupported(legacy)
		}
	}()
	doc, derr := mscfb.New(r)
	if derr != nil {
		return unsupported(legacy)
	}
	for i := 0; i < 10000; i++ {
		e, nerr := doc.Next()
		if nerr != nil {
			break
		}
		switch e.Name {
		case "EncryptedPackage", "EncryptionInfo":
			return unsupported("a password-protected (encrypted) workbook; open it, remove the password (File > Info > Protect Workbook in Excel) and save it as XLSX or CSV")
		case "WordDocument":
			return unsupported("a legacy Word document (.doc), not a table")
		}
	}
	return unsupported(legacy)
}

// markupProblem names HTML and XML files that spreadsheet programs and web
// applications save under .xls names.
func markupProblem(head []byte) error {
	s := strings.ToLower(string(bytes.TrimLeft(bytes.TrimPrefix(head, []byte("\xEF\xBB\xBF")), " \t\r\n")))
	switch {
	case strings.HasPrefix(s, "<!doctype html"), strings.HasPrefix(s, "<html"), strings.HasPrefix(s, "<table"):
		return unsupported("an HTML page (some programs save a table as HTML and name it .xls); open it in a spreadsheet program and save it as XLSX or CSV")
	case strings.HasPrefix(s, "<?xml") && strings.Contains(s, "urn:schemas-microsoft-com:office:spreadsheet"):
		return unsupported("an Excel 2003 XML spreadsheet; open it in Excel or LibreOffice and save it as XLSX or CSV")
	case strings.HasPrefix(s, "<?xml") && strings.Contains(s, "urn:oasis:names:tc:opendocument"):
		return unsupported("a flat OpenDocument file (.fods); save it as XLSX or CSV")
	}
	return nil
}
