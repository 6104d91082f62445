package headless

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"testing"
)

// RequireEnv makes a missing Chromium fail a test instead of skipping it
// (CI sets it, having installed Chromium).
const RequireEnv = "PHONECHECK_REQUIRE_BROWSER"

// ArtifactsEnv names the folder screenshots go to (default
// <tmp>/phonecheck-artifacts): never the source tree.
const ArtifactsEnv = "PHONECHECK_ARTIFACTS"

// ForTest starts a browser for t, closed when t ends. Without Chromium the
// test is skipped, or fails when $PHONECHECK_REQUIRE_BROWSER is set.
func ForTest(t testing.TB) *Browser {
	t.Helper()
	if _, err := Find(); err != nil {
		if os.Getenv(RequireEnv) != "" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	b, err := Start(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	return b
}

// ScreenshotFor saves the page as <artifacts>/<test name>-<name>.png and
// logs where it is.
func (b *Browser) ScreenshotFor(t testing.TB, name string) string {
	t.Helper()
	dir := os.Getenv(ArtifactsEnv)
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "phonecheck-artifacts")
	}
	file := regexp.MustCompile(`[^A-Za-z0-9_.-]+`).ReplaceAllString(t.Name()+"-"+name, "_") + ".png"
	path := filepath.Join(dir, file)
	if err := b.Screenshot(path); err != nil {
		t.Errorf("screenshot: %v", err)
		return ""
	}
	t.Logf("screenshot: %s", path)
	return path
}
