// Package soffice converts files with LibreOffice (soffice --headless
// --convert-to) for tests that read what a real spreadsheet program writes.
// Debian's libreoffice-calc-nogui provides it; CI installs it.
package soffice

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Filters for Convert.
const (
	// XLSX is Excel 2007-365. CSVInUTF8 reads the source as comma-separated UTF-8
	// with double quotes, the first line counted as data like any other.
	XLSX      = "xlsx"
	CSVInUTF8 = "CSV:44,34,76,1"
)

// CSV is the filter that writes CSV with the separator sep and the
// character set charset: "76" UTF-8, "65535" UTF-16 LE with a BOM (Excel's
// "Unicode text"), "1" Windows-1252.
func CSV(sep rune, charset string) string {
	return "csv:Text - txt - csv (StarCalc):" + strconv.Itoa(int(sep)) + ",34," + charset + ",1"
}

var once sync.Once
var path string

// Convert converts src with the output filter out (and input filter in, if
// not "") into dir and returns the new file's path. The test fails when
// soffice is missing: the package's tests are meant to run, not to skip.
// With -short (the race detector's pass, after the full run) it skips.
func Convert(t testing.TB, src, in, out, dir string) string {
	t.Helper()
	if testing.Short() {
		t.Skip("soffice conversions run without -short")
	}
	once.Do(func() { path, _ = exec.LookPath("soffice") })
	if path == "" {
		t.Fatal("soffice is not installed: apt-get install -y libreoffice-calc-nogui")
	}
	// A profile of its own, so that conversions may run in parallel.
	profile := t.TempDir()
	args := []string{"--headless", "--norestore", "-env:UserInstallation=file://" + profile}
	if in != "" {
		args = append(args, "--infilter="+in)
	}
	args = append(args, "--convert-to", out, "--outdir", dir, src)
	cmd := exec.Command(path, args...)
	cmd.Env = append(os.Environ(), "HOME="+profile)
	start := time.Now()
	msg, err := cmd.CombinedOutput()
	ext := out
	if i := strings.IndexByte(ext, ':'); i >= 0 {
		ext = ext[:i]
	}
	dst := filepath.Join(dir, strings.TrimSuffix(filepath.Base(src), filepath.Ext(src))+"."+ext)
	if _, serr := os.Stat(dst); err != nil || serr != nil {
		t.Fatalf("soffice --convert-to %s %s: %v %v\n%s", out, src, err, serr, msg)
	}
	t.Logf("soffice --convert-to %s %s: %v", out, filepath.Base(src), time.Since(start).Round(time.Millisecond))
	return dst
}
