package config

import (
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/phonecheck/phonecheck/phone"
	"github.com/phonecheck/phonecheck/results"
)

// check tells whether raw is a valid value of the kind, with a message that
// says what to write instead.
func check(k Kind, raw string) error {
	switch k {
	case Bool:
		_, err := ParseBool(raw)
		return err
	case Int:
		_, err := ParseCount(raw)
		return err
	case Duration:
		_, err := ParseDuration(raw)
		return err
	case Size:
		if raw == "" {
			return nil
		}
		_, err := ParseSize(raw)
		return err
	case Rate:
		_, err := ParseRate(raw)
		return err
	case Listen:
		return checkAddr(raw, true)
	case HostPort:
		return checkAddr(raw, false)
	case URL:
		return checkURL(raw)
	case Region:
		_, err := phone.NormalizeRegion(raw)
		return err
	case Formats:
		_, err := ParseFormats(raw)
		return err
	case Format:
		if raw == "" {
			return nil
		}
		_, err := results.ParseFormat(raw)
		return err
	case LogFormat:
		if raw != "text" && raw != "json" {
			return fmt.Errorf("%q is not a log format: use text or json", raw)
		}
	case LogLevel:
		if _, err := ParseLevel(raw); err != nil {
			return err
		}
	}
	return nil
}

// ParseBool reads true/false, 1/0, yes/no and on/off (empty is false).
func ParseBool(s string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "false", "0", "no", "off":
		return false, nil
	case "true", "1", "yes", "on":
		return true, nil
	}
	return false, fmt.Errorf("%q is not a boolean: use true or false", s)
}

// ParseCount reads a whole number, 0 or more (empty is 0).
func ParseCount(s string) (int, error) {
	if strings.TrimSpace(s) == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || n < 0 {
		return 0, fmt.Errorf("%q is not a count (0 or more)", s)
	}
	return n, nil
}

// ParseRate reads a share between 0 and 1 (empty is 0).
func ParseRate(s string) (float64, error) {
	if strings.TrimSpace(s) == "" {
		return 0, nil
	}
	r, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || r < 0 || r > 1 {
		return 0, fmt.Errorf("%q is not a share between 0 and 1, such as 0.3", s)
	}
	return r, nil
}

// ParseDuration is time.ParseDuration that also takes days ("7d"); empty is 0.
func ParseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, nil
	}
	if d, ok := strings.CutSuffix(s, "d"); ok {
		if n, err := strconv.ParseFloat(d, 64); err == nil && n >= 0 {
			return time.Duration(n * float64(24*time.Hour)), nil
		}
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("%q is not a duration: use e.g. 250ms, 2s, 12h or 7d", s)
	}
	return d, nil
}

// ParseSize reads a byte count: digits with an optional KiB, MiB or GiB
// (also K, M, G) or KB, MB, GB suffix.
func ParseSize(s string) (int64, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"kib", 1 << 10}, {"mib", 1 << 20}, {"gib", 1 << 30}, {"kb", 1e3}, {"mb", 1e6}, {"gb", 1e9}, {"k", 1 << 10}, {"m", 1 << 20}, {"g", 1 << 30}, {"b", 1}} {
		if strings.HasSuffix(t, u.suffix) {
			t, mult = strings.TrimSpace(strings.TrimSuffix(t, u.suffix)), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(t, 10, 64)
	if err != nil || n <= 0 || n > (1<<62)/mult {
		return 0, fmt.Errorf("%q is not a size: use bytes or a unit, such as 64MiB", s)
	}
	return n * mult, nil
}

// ParseFormats reads a list of result formats such as "csv,xlsx", without
// repeats; it needs at least one.
func ParseFormats(s string) ([]string, error) {
	var out []string
	for _, part := range SplitList(s) {
		f, err := results.ParseFormat(part)
		if err != nil {
			return nil, err
		}
		if !containsString(out, string(f)) {
			out = append(out, string(f))
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("give at least one of csv, xlsx, jsonl")
	}
	return out, nil
}

// ParseLevel reads a log level name.
func ParseLevel(s string) (int, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "debug":
		return -4, nil
	case "", "info":
		return 0, nil
	case "warn", "warning":
		return 4, nil
	case "error":
		return 8, nil
	}
	return 0, fmt.Errorf("%q is not a log level: use debug, info, warn or error", s)
}

// SplitList splits a comma-separated list, dropping blanks.
func SplitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func containsString(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

func checkAddr(s string, listen bool) error {
	if s == "" {
		return nil
	}
	example := "127.0.0.1:7233"
	if listen {
		example = "127.0.0.1:9090 or :9090"
	}
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		return fmt.Errorf("%q is not an address: write HOST:PORT, such as %s", s, example)
	}
	if !listen && host == "" {
		return fmt.Errorf("%q has no host: write HOST:PORT, such as %s", s, example)
	}
	n, err := strconv.Atoi(port)
	min := 1
	if listen {
		min = 0 // port 0: any free port
	}
	if err != nil || n < min || n > 65535 {
		return fmt.Errorf("%q: port %q is not a number from %d to 65535", s, port, min)
	}
	return nil
}

func checkURL(s string) error {
	if s == "" {
		return nil
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%q is not an http or https URL, such as https://api.example.com", s)
	}
	return nil
}
