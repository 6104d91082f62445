// Package logx builds phonecheck's structured logs (log/slog, text or
// JSON) with a last line of defence: configured secrets, key-like
// attributes and E.164 numbers are redacted before anything is written.
package logx

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"regexp"
	"slices"
	"strings"
)

// Redacted replaces what must not reach a log.
const Redacted = "[REDACTED]"

// New returns a logger writing format ("text" or "json") at level to w.
// Every secret given, wherever it appears in a message or a string value,
// is replaced by [REDACTED].
func New(w io.Writer, format string, level slog.Level, secrets ...string) (*slog.Logger, error) {
	opts := &slog.HandlerOptions{Level: level}
	var h slog.Handler
	switch format {
	case "", "text":
		h = slog.NewTextHandler(w, opts)
	case "json":
		h = slog.NewJSONHandler(w, opts)
	default:
		return nil, fmt.Errorf("%q is not a log format: use text or json", format)
	}
	return slog.New(NewRedactor(h, secrets...)), nil
}

// number matches an E.164 number (+ and 8 to 15 digits); nothing phonecheck
// logs on purpose looks like one, so a match is a number that leaked.
var number = regexp.MustCompile(`\+[1-9][0-9]{7,14}\b`)

// secretKey matches attribute names whose values are secrets.
var secretKey = regexp.MustCompile(`(?i)(^|[_.-])(api[_-]?key|key|token|secret|password|authorization|sig)$`)

// Redactor is a slog.Handler that redacts before passing records on.
type Redactor struct {
	next    slog.Handler
	secrets []string
}

// NewRedactor wraps next; empty secrets and ones shorter than 4 characters
// (which would redact ordinary words) are ignored.
func NewRedactor(next slog.Handler, secrets ...string) *Redactor {
	var s []string
	for _, v := range secrets {
		if len(v) >= 4 {
			s = append(s, v)
		}
	}
	// Longest first, so a secret that contains another is replaced whole.
	slices.SortFunc(s, func(a, b string) int { return len(b) - len(a) })
	return &Redactor{next: next, secrets: s}
}

func (r *Redactor) Enabled(ctx context.Context, l slog.Level) bool { return r.next.Enabled(ctx, l) }

func (r *Redactor) Handle(ctx context.Context, rec slog.Record) error {
	out := slog.NewRecord(rec.Time, rec.Level, r.text(rec.Message), rec.PC)
	rec.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(r.attr(a))
		return true
	})
	return r.next.Handle(ctx, out)
}

func (r *Redactor) WithAttrs(attrs []slog.Attr) slog.Handler {
	red := make([]slog.Attr, len(attrs))
	for i, a := range attrs {
		red[i] = r.attr(a)
	}
	return &Redactor{next: r.next.WithAttrs(red), secrets: r.secrets}
}

func (r *Redactor) WithGroup(name string) slog.Handler {
	return &Redactor{next: r.next.WithGroup(name), secrets: r.secrets}
}

func (r *Redactor) attr(a slog.Attr) slog.Attr {
	v := a.Value.Resolve()
	if secretKey.MatchString(a.Key) && !(v.Kind() == slog.KindString && v.String() == "") {
		return slog.String(a.Key, Redacted)
	}
	switch v.Kind() {
	case slog.KindString:
		return slog.String(a.Key, r.text(v.String()))
	case slog.KindGroup:
		g := v.Group()
		red := make([]any, len(g))
		for i, ga := range g {
			red[i] = r.attr(ga)
		}
		return slog.Group(a.Key, red...)
	case slog.KindAny:
		// Errors and Stringers are formatted here, so their text is redacted too.
		switch x := v.Any().(type) {
		case error:
			return slog.String(a.Key, r.text(x.Error()))
		case fmt.Stringer:
			return slog.String(a.Key, r.text(x.String()))
		case []byte:
			return slog.String(a.Key, r.text(string(x)))
		default:
			return slog.String(a.Key, r.text(fmt.Sprint(x)))
		}
	}
	return slog.Attr{Key: a.Key, Value: v}
}

func (r *Redactor) text(s string) string {
	for _, sec := range r.secrets {
		if strings.Contains(s, sec) {
			s = strings.ReplaceAll(s, sec, Redacted)
		}
	}
	if strings.IndexByte(s, '+') >= 0 {
		s = number.ReplaceAllString(s, "+"+Redacted)
	}
	return s
}
