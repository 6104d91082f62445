package input

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	"golang.org/x/text/encoding/unicode"

	"github.com/phonecheck/phonecheck/internal/testkit"
)

// cfb builds an OLE compound file holding streams under these names.
func cfb(names ...string) []byte { return testkit.CompoundFile(names...) }

func TestDetect(t *testing.T) {
	encrypted := cfb("EncryptionInfo", "EncryptedPackage")
	legacy := cfb("Workbook")
	for _, tc := range []struct {
		name string
		head []byte
		r    io.ReaderAt
		want string // "" for text, "zip" for a zip, else part of the error
	}{
		{"text", []byte("+41446681800\n"), nil, ""},
		{"utf-16 with NULs", encodeUTF16(t, "a;b\n1;2\n", unicode.LittleEndian, unicode.UseBOM), nil, ""},
		{"utf-16 without BOM", []byte("a\x00;\x00b\x00\n\x001\x00;\x002\x00\n\x00"), nil, ""},
		{"zip", []byte("PK\x03\x04rest"), nil, "zip"},
		{"encrypted workbook", encrypted[:512], bytes.NewReader(encrypted), "password-protected"},
		{"legacy xls", legacy, bytes.NewReader(legacy), "legacy Excel workbook (.xls)"},
		{"ole without access", legacy, nil, "saved with a password"},
		{"pdf", []byte("%PDF-1.7\n"), nil, "PDF"},
		{"gzip", []byte("\x1F\x8B\x08\x00"), nil, "compressed archive"},
		{"png", []byte("\x89PNG\r\n\x1a\n\x00\x00"), nil, "image"},
		{"html", []byte("\n<html><table><tr><td>1</td></tr></table>"), nil, "HTML page"},
		{"excel xml", []byte(`<?xml version="1.0"?><Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet">`), nil, "Excel 2003 XML"},
		{"binary", []byte("abc\x00\x01\x02\x03def"), nil, "NUL byte"},
	} {
		c, err := Detect(tc.head, tc.r, 0)
		switch {
		case tc.want == "" && (err != nil || c != TextFile):
			t.Errorf("%s: %v %v, want text", tc.name, c, err)
		case tc.want == "zip" && (err != nil || c != ZipFile):
			t.Errorf("%s: %v %v, want zip", tc.name, c, err)
		case tc.want != "" && tc.want != "zip" && (!errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s: %v, want an error saying %q", tc.name, err, tc.want)
		}
	}
}
