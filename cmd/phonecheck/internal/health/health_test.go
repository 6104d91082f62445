package health

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
)

func TestEndpoints(t *testing.T) {
	up := true
	h := Handler(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "m 1\n") }),
		Check{"temporal", func(context.Context) error { return nil }},
		Check{"worker", func(context.Context) error {
			if !up {
				return errors.New("not polling")
			}
			return nil
		}})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	addr, err := Serve(ctx, "127.0.0.1:0", h, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + addr.String()
	for _, c := range []struct {
		path string
		down bool
		code int
		body string
	}{
		{"/healthz", false, 200, "ok"}, {"/metrics", false, 200, "m 1"},
		{"/readyz", false, 200, "ok   worker"}, {"/readyz", true, 503, "fail worker: not polling"},
		{"/healthz", true, 200, "ok"}, {"/other", false, 404, ""},
	} {
		up = !c.down
		body, err := Probe(context.Background(), base+c.path)
		if (c.code == 200) != (err == nil) || !strings.Contains(body, c.body) {
			t.Errorf("%s (down %v): %q, %v; want %d with %q", c.path, c.down, body, err, c.code, c.body)
		}
	}
	if _, err := Serve(ctx, addr.String(), h, slog.New(slog.DiscardHandler)); err == nil || !strings.Contains(err.Error(), "--metrics-listen") {
		t.Errorf("second listener on the same port: %v", err)
	}
}
