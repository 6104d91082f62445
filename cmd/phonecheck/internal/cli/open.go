package cli

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	goruntime "runtime"
	"strings"
)

// openReport opens a report in the desktop's browser: a local file with
// the system's opener (xdg-open, open, or the Windows shell).
func openReport(path string) error {
	if path == "" {
		return errors.New("this file has no report.html (it was processed by an older version)")
	}
	if strings.Contains(path, "://") {
		return fmt.Errorf("the report is in a bucket (%s): download it to open it", path)
	}
	if _, err := os.Stat(path); err != nil {
		return fmt.Errorf("cannot open the report: %w", err)
	}
	name, args := "xdg-open", []string{path}
	switch goruntime.GOOS {
	case "darwin":
		name = "open"
	case "windows":
		name, args = "rundll32", []string{"url.dll,FileProtocolHandler", path}
	}
	bin, err := exec.LookPath(name)
	if err != nil {
		return fmt.Errorf("no %s to open %s with: open it in a browser", name, path)
	}
	cmd := exec.Command(bin, args...)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("%s %s: %v %s", name, path, err, strings.TrimSpace(string(out)))
	}
	return nil
}
