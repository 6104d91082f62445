package logx

import (
	"bytes"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"testing"
)

func TestRedacts(t *testing.T) {
	const key = "sk-live-0123456789"
	for _, format := range []string{"text", "json"} {
		var buf bytes.Buffer
		log, err := New(&buf, format, slog.LevelDebug, key, "", "ab")
		if err != nil {
			t.Fatal(err)
		}
		log = log.With("api_key", key, "service", "x")
		log.Info("calling with "+key, "err", errors.New("401 for key "+key), "number", "+41446681800",
			slog.Group("req", "authorization", "Bearer "+key, "path", "/v1/tasks"), "token", "t0k3n-value", "polls", 3)
		out := buf.String()
		for _, leak := range []string{key, "41446681800", "t0k3n-value"} {
			if strings.Contains(out, leak) {
				t.Errorf("%s: %q leaked:\n%s", format, leak, out)
			}
		}
		for _, kept := range []string{"/v1/tasks", "polls", "service"} {
			if !strings.Contains(out, kept) {
				t.Errorf("%s: %q missing:\n%s", format, kept, out)
			}
		}
		if format == "json" {
			var m map[string]any
			if err := json.Unmarshal(buf.Bytes(), &m); err != nil {
				t.Errorf("not JSON: %v", err)
			} else if m["polls"] != float64(3) {
				t.Errorf("polls = %v", m["polls"])
			}
		}
	}
	if _, err := New(&bytes.Buffer{}, "xml", slog.LevelInfo); err == nil {
		t.Error("xml accepted")
	}
}
