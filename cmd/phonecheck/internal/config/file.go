package config

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"go.yaml.in/yaml/v3"
)

// File is a loaded config file: a YAML mapping whose keys are the settings'
// keys, nested by section ("temporal: {address: …}") or dotted
// ("temporal.address: …").
type File struct {
	Path   string
	values map[string]fileValue
}

type fileValue struct {
	raw  string
	line int
}

// LoadFile reads and checks a config file: unknown keys (with a suggestion)
// and bad values are errors naming the line. Relative paths in it are read
// against the file's directory, as a user who writes "inbox: inbox" beside
// the file means.
func LoadFile(path string) (*File, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config file: %w", err)
	}
	f, err := parseFile(data, filepath.Dir(path))
	if err != nil {
		return nil, fmt.Errorf("config file %s: %w", path, err)
	}
	f.Path = path
	return f, nil
}

func parseFile(data []byte, base string) (*File, error) {
	f := &File{values: map[string]fileValue{}}
	if len(bytes.TrimSpace(data)) == 0 {
		return f, nil
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, errors.New(strings.TrimPrefix(err.Error(), "yaml: "))
	}
	if len(doc.Content) == 0 {
		return f, nil
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("line %d: the file must be a mapping of keys to values, such as \"region: CH\"", root.Line)
	}
	if err := f.walk(root, "", base); err != nil {
		return nil, err
	}
	return f, nil
}

func (f *File) walk(m *yaml.Node, prefix, base string) error {
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := m.Content[i], m.Content[i+1]
		key := prefix + k.Value
		s, known := Lookup(key)
		if !known {
			if v.Kind == yaml.MappingNode && isSection(key) {
				if err := f.walk(v, key+".", base); err != nil {
					return err
				}
				continue
			}
			return fmt.Errorf("line %d: unknown key %q%s", k.Line, key, suggest(key))
		}
		if _, dup := f.values[key]; dup {
			return fmt.Errorf("line %d: %s is given twice", k.Line, key)
		}
		raw, err := scalar(s, v)
		if err != nil {
			return fmt.Errorf("line %d: %s: %v", v.Line, key, err)
		}
		if raw == nil {
			continue // null: as if not given
		}
		if err := check(s.Kind, *raw); err != nil {
			return fmt.Errorf("line %d: %s: %v", v.Line, key, err)
		}
		if (s.Kind == Path || s.Kind == Location && !strings.Contains(*raw, "://")) && *raw != "" && !filepath.IsAbs(*raw) && base != "" {
			*raw = filepath.Join(base, *raw)
		}
		f.values[key] = fileValue{raw: *raw, line: v.Line}
	}
	return nil
}

// scalar is a node's text; lists are allowed for list kinds and joined with
// commas. nil means null.
func scalar(s Setting, v *yaml.Node) (*string, error) {
	switch v.Kind {
	case yaml.ScalarNode:
		if v.Tag == "!!null" {
			return nil, nil
		}
		return &v.Value, nil
	case yaml.SequenceNode:
		if s.Kind != Formats && s.Kind != List {
			return nil, errors.New("takes one value, not a list")
		}
		var parts []string
		for _, e := range v.Content {
			if e.Kind != yaml.ScalarNode {
				return nil, errors.New("the list must hold plain values")
			}
			if strings.Contains(e.Value, ",") {
				return nil, fmt.Errorf("list item %q holds a comma", e.Value)
			}
			parts = append(parts, e.Value)
		}
		joined := strings.Join(parts, ",")
		return &joined, nil
	case yaml.AliasNode:
		return scalar(s, v.Alias)
	}
	return nil, errors.New("takes a value, not a section")
}

// isSection tells whether key is the prefix of known keys ("temporal").
func isSection(key string) bool {
	for _, s := range Settings {
		if strings.HasPrefix(s.Key, key+".") {
			return true
		}
	}
	return false
}

// suggest returns ` (did you mean "x"?)` for the known key closest to an
// unknown one, comparing with keys, flag names and the last part of keys, so
// that "adress", "temporal_address" and "temporal-address" all find
// "temporal.address".
func suggest(unknown string) string {
	norm := func(s string) string { return strings.NewReplacer("-", "_", ".", "_").Replace(strings.ToLower(s)) }
	u := norm(unknown)
	last := u
	if i := strings.LastIndexByte(unknown, '.'); i >= 0 {
		last = norm(unknown[i+1:])
	}
	best, bestD := "", 1<<30
	for _, s := range Settings {
		cands := []string{norm(s.Key), norm(s.Flag)}
		if i := strings.LastIndexByte(s.Key, '.'); i >= 0 {
			cands = append(cands, norm(s.Key[i+1:]))
		}
		for _, c := range cands {
			d := min(levenshtein(u, c), levenshtein(last, c))
			if d < bestD {
				best, bestD = s.Key, d
			}
		}
	}
	if bestD <= max(2, len(u)/3) {
		return fmt.Sprintf(" (did you mean %q?)", best)
	}
	return " (run 'phonecheck config' for the list of keys)"
}

func levenshtein(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
