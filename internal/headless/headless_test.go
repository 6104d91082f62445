package headless

import (
	"bytes"
	"image/png"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"
)

// A page whose text appears only after its script runs: WaitText sees it,
// Eval reads the DOM, and the screenshot is a PNG of the page's size.
func TestBrowserLoadsWaitsAndScreenshots(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write([]byte(`<!doctype html><title>t</title><body style="height:2400px"><p id=p>loading</p>
<script>setTimeout(() => { document.getElementById('p').textContent = 'ready: ' + (6*7) }, 300)</script>`))
	}))
	defer srv.Close()
	b := ForTest(t)
	if err := b.Navigate(srv.URL); err != nil {
		t.Fatal(err)
	}
	text, err := b.WaitText(20*time.Second, "ready: 42")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(text, "loading") {
		t.Errorf("text still holds the first content: %q", text)
	}
	var title string
	if err := b.Eval(`document.title`, &title); err != nil || title != "t" {
		t.Errorf("title %q, %v", title, err)
	}
	if _, err := b.WaitText(500*time.Millisecond, "never there"); err == nil || !strings.Contains(err.Error(), "ready: 42") {
		t.Errorf("a timeout should quote the page: %v", err)
	}
	path := b.ScreenshotFor(t, "page")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if h := img.Bounds().Dy(); h < 2400 {
		t.Errorf("screenshot is %d px high, want the whole page (2400)", h)
	}
}

func TestNavigateReportsUnreachablePages(t *testing.T) {
	b := ForTest(t)
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	if err := b.Navigate(url); err == nil || !strings.Contains(err.Error(), "ERR_CONNECTION_REFUSED") {
		t.Errorf("navigate to a closed port: %v", err)
	}
}
