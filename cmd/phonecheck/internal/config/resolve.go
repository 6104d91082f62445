package config

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"
)

// Source is where a value came from.
type Source string

const (
	FromDefault Source = "default"
	FromFile    Source = "file"
	FromEnv     Source = "env"
	FromFlag    Source = "flag"
)

// Value is a setting's effective value.
type Value struct {
	Setting
	Raw    string
	Source Source
	Origin string // the flag, variable or file line it came from
	list   []string
}

// Shown is the value as it may be printed: secrets masked.
func (v Value) Shown() string { return Mask(v.Setting, v.Raw) }

// Mask hides a secret value, keeping its length class and last characters
// out of sight too (a key's tail is still a key's tail).
func Mask(s Setting, raw string) string {
	if !s.Secret || raw == "" {
		return raw
	}
	n := len(SplitList(raw))
	if s.Kind == List && n > 1 {
		return fmt.Sprintf("****** (%d keys)", n)
	}
	return "******"
}

// Binding ties settings to a command's flag set: it registers one flag per
// setting (and --config), and after parsing resolves every value.
type Binding struct {
	fs     *flag.FlagSet
	keys   []string
	flags  map[string]*settingFlag
	config *string
	// LegacyWatchConfig: a --config file that is a watcher JSON file (an
	// object with "folders") is taken as watch.config, as before --config
	// named the phonecheck config file.
	LegacyWatchConfig bool
	// Getenv reads the environment; nil is os.LookupEnv.
	Getenv func(string) (string, bool)
}

// settingFlag is a flag.Value that remembers whether it was given.
type settingFlag struct {
	s      Setting
	vals   []string
	repeat bool
}

func (f *settingFlag) String() string {
	if f == nil {
		return ""
	}
	return strings.Join(f.vals, ",")
}

// Set takes any text: Resolve checks it, so that a bad value is one line
// naming the flag rather than the flag package's message and usage.
func (f *settingFlag) Set(v string) error {
	if f.repeat {
		f.vals = append(f.vals, v)
	} else {
		f.vals = []string{v}
	}
	return nil
}

// IsBoolFlag lets --tls stand alone, as flag.Bool does.
func (f *settingFlag) IsBoolFlag() bool { return f.s.Kind == Bool }

// Bind registers --config and a flag for each key on fs.
func Bind(fs *flag.FlagSet, keys ...string) *Binding {
	b := &Binding{fs: fs, flags: map[string]*settingFlag{}}
	if fs.Lookup("config") == nil {
		b.config = fs.String(ConfigFlag, "", "`FILE`: phonecheck config file (YAML; env "+FileEnv+")")
	}
	b.Add(keys...)
	return b
}

// Add registers more keys.
func (b *Binding) Add(keys ...string) {
	for _, k := range keys {
		s, ok := Lookup(k)
		if !ok {
			panic("config: no setting " + k)
		}
		if _, dup := b.flags[k]; dup {
			continue
		}
		f := &settingFlag{s: s}
		b.flags[k] = f
		b.keys = append(b.keys, k)
		b.fs.Var(f, s.Flag, usage(s))
	}
}

// Keys are the bound keys, in the order they were added.
func (b *Binding) Keys() []string { return b.keys }

// FlagSetting is the setting whose flag is name, if b bound one.
func (b *Binding) FlagSetting(name string) (Setting, bool) {
	for _, f := range b.flags {
		if f.s.Flag == name {
			return f.s, true
		}
	}
	return Setting{}, false
}

// Repeatable lets a key's flag be given more than once (serve --api-key).
func (b *Binding) Repeatable(key string) { b.flags[key].repeat = true }

// ConfigFlag is the flag every command takes for the config file.
const ConfigFlag = "config"

func usage(s Setting) string {
	u := s.Usage
	if s.Default != "" && s.Kind != Bool {
		u += fmt.Sprintf(" (default %q)", s.Default)
	}
	return fmt.Sprintf("%s [%s]", u, s.Sources())
}

// Sources says where else the setting is read: "env PHONECHECK_REGION;
// config region".
func (s Setting) Sources() string {
	var env string
	if len(s.Env) > 0 {
		env = "env " + strings.Join(s.Env, ", ") + "; "
	}
	return env + "config " + s.Key
}

// Resolve reads the config file (--config, else $PHONECHECK_CONFIG) and
// gives each bound key its value: flag, else environment, else file, else
// default. Environment values are checked like flags; an empty variable
// counts as unset.
func (b *Binding) Resolve() (*Resolved, error) {
	getenv := b.Getenv
	if getenv == nil {
		getenv = os.LookupEnv
	}
	r := &Resolved{values: map[string]Value{}}
	path, origin := "", ""
	if b.config != nil && *b.config != "" {
		path, origin = *b.config, "--config"
	} else if v, ok := getenv(FileEnv); ok && v != "" {
		path, origin = v, FileEnv
	}
	legacyWatch := false
	if path != "" {
		if b.LegacyWatchConfig && isWatcherJSON(path) {
			legacyWatch = true
		} else {
			f, err := LoadFile(path)
			if err != nil {
				return nil, err
			}
			r.File = f
		}
	}
	for _, k := range b.keys {
		s, _ := Lookup(k)
		v := Value{Setting: s, Raw: s.Default, Source: FromDefault}
		if r.File != nil {
			if fv, ok := r.File.values[k]; ok {
				v.Raw, v.Source, v.Origin = fv.raw, FromFile, fmt.Sprintf("%s:%d", r.File.Path, fv.line)
			}
		}
		for _, name := range s.Env {
			if e, ok := getenv(name); ok && e != "" {
				if err := check(s.Kind, e); err != nil {
					return nil, fmt.Errorf("%s: %v", name, err)
				}
				v.Raw, v.Source, v.Origin = e, FromEnv, name
				break
			}
		}
		if f := b.flags[k]; len(f.vals) > 0 {
			for _, fv := range f.vals {
				if err := check(s.Kind, fv); err != nil {
					return nil, fmt.Errorf("--%s: %v", s.Flag, err)
				}
			}
			v.Raw, v.Source, v.Origin = strings.Join(f.vals, ","), FromFlag, "--"+s.Flag
			v.list = f.vals
		}
		if k == "watch.config" && legacyWatch && v.Source != FromFlag {
			v.Raw, v.Source, v.Origin = path, FromFlag, origin
			if origin == FileEnv {
				v.Source = FromEnv
			}
		}
		r.values[k] = v
	}
	return r, nil
}

// isWatcherJSON tells whether path holds a watcher config (a JSON object
// with "folders"), the file watch --config took before the config file.
func isWatcherJSON(path string) bool {
	data, err := os.ReadFile(path)
	if err != nil {
		return false
	}
	var probe map[string]json.RawMessage
	if json.Unmarshal(data, &probe) != nil {
		return false
	}
	_, ok := probe["folders"]
	return ok
}

// Resolved holds a command's effective values.
type Resolved struct {
	File   *File // nil without a config file
	values map[string]Value
}

// Values lists the effective values in the table's order.
func (r *Resolved) Values() []Value {
	var out []Value
	for _, s := range Settings {
		if v, ok := r.values[s.Key]; ok {
			out = append(out, v)
		}
	}
	return out
}

// Get is a key's effective value; it panics for a key the command did not
// bind, which is a programming error.
func (r *Resolved) Get(key string) Value {
	v, ok := r.values[key]
	if !ok {
		panic("config: key not bound: " + key)
	}
	return v
}

func (r *Resolved) String(key string) string { return r.Get(key).Raw }

// Redefault gives a key another default: it changes the value only when
// it came from the built-in default, and tells whether it did.
func (r *Resolved) Redefault(key, raw string) bool {
	v := r.Get(key)
	if v.Source != FromDefault {
		return false
	}
	v.Raw = raw
	r.values[key] = v
	return true
}

func (r *Resolved) Bool(key string) bool {
	b, _ := ParseBool(r.Get(key).Raw)
	return b
}

func (r *Resolved) Duration(key string) time.Duration {
	d, _ := ParseDuration(r.Get(key).Raw)
	return d
}

func (r *Resolved) Int(key string) int {
	n, _ := ParseCount(r.Get(key).Raw)
	return n
}

// List is a list setting's items; a repeated flag gives each as given.
func (r *Resolved) List(key string) []string {
	v := r.Get(key)
	switch {
	case v.list != nil:
		return v.list
	case v.Kind == List || v.Kind == Formats:
		return SplitList(v.Raw)
	case v.Raw != "":
		return []string{v.Raw}
	}
	return nil
}

// Secrets are the secret values set, for log redaction.
func (r *Resolved) Secrets() []string {
	var out []string
	for _, v := range r.values {
		if v.Secret {
			out = append(out, r.List(v.Key)...)
		}
	}
	return out
}
