package watcher

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/phonecheck/phonecheck/phone"
)

// Defaults applied to zero values in Config and Folder.
const (
	DefaultSettle        = 2 * time.Second
	DefaultRescan        = 10 * time.Second
	DefaultPollInterval  = 2 * time.Second
	DefaultConcurrency   = 8
	DefaultRetryMin      = time.Second
	DefaultRetryMax      = time.Minute
	DefaultShutdownGrace = 5 * time.Second
)

// Formats are the export formats a Folder may ask for.
var Formats = []string{"csv", "xlsx", "jsonl"}

// Folder is one watched inbox and the settings of the runs started from it.
//
// Beside the inbox (in StateDir, by default the inbox's parent directory) the
// watcher keeps three folders named after the inbox; for the inbox
// /data/inbox they are
//
//	/data/processing/inbox/   claimed files, in the hands of a run
//	/data/done/inbox/         archived inputs (written by the run; duplicates by the watcher)
//	/data/failed/inbox/       rejected inputs, each with a <name>.reason file
//
// They lie outside the watched tree, so a claimed file is never seen again.
type Folder struct {
	// Dir is the inbox. It is created when missing.
	Dir string
	// Region is the default region for numbers written without +; "" for none.
	Region string
	// Columns, RegionColumn and Sheet choose what is read of a CSV, TSV or
	// XLSX input: the phone column(s) by header name or 1-based number,
	// the column of each row's region, the workbook's sheet ("" or nil:
	// chosen from the file, as validate chooses).
	Columns      []string
	RegionColumn string
	Sheet        string
	// Formats are the exports the run writes (csv, xlsx, jsonl); nil leaves it to the caller.
	Formats []string
	// OutputDir is where the run writes its results; "" leaves it to the caller.
	OutputDir string
	// Split also writes valid.<format> and invalid.<format> beside each result file.
	Split bool
	// Notify is a URL the run POSTs its signed notice to when the file is done or failed; "" for none.
	Notify string
	// Settle is how long a file's size and modification time must stay unchanged
	// before it is claimed. Zero means DefaultSettle. Not used with DoneMarker.
	Settle time.Duration
	// MinAge is a further minimum age: a file is claimed only when its
	// modification time, or the last change the watcher saw, is at least MinAge ago.
	MinAge time.Duration
	// Recursive watches subdirectories too (hidden ones excepted).
	Recursive bool
	// DoneMarker claims a file only once "<file>.done" exists beside it (and is
	// not older than the file); the marker is removed after the claim.
	DoneMarker bool
	// Poll scans the folder on a timer instead of using file system events.
	// It is chosen automatically for network and FUSE file systems and when a
	// watch cannot be added.
	Poll bool
	// Patterns, when set, limit the files claimed to base names matching one of
	// these shell patterns (filepath.Match, case-insensitive), e.g. "*.txt".
	Patterns []string
	// StateDir holds processing/, done/ and failed/; "" means the inbox's parent.
	// It must be on the inbox's file system (claims are renames) and outside the inbox.
	StateDir string
}

// ProcessingDir is where claimed files wait for and during their run.
func (f *Folder) ProcessingDir() string { return f.stateSub("processing") }

// DoneDir is where finished inputs are archived; pass it to the run.
func (f *Folder) DoneDir() string { return f.stateSub("done") }

// FailedDir is where rejected inputs go with a .reason file; pass it to the run.
func (f *Folder) FailedDir() string { return f.stateSub("failed") }

func (f *Folder) stateSub(kind string) string {
	root := f.StateDir
	if root == "" {
		root = filepath.Dir(filepath.Clean(f.Dir))
	}
	return filepath.Join(root, kind, filepath.Base(filepath.Clean(f.Dir)))
}

// Config is the watcher's configuration.
type Config struct {
	Folders []Folder
	// Rescan is the period of the full rescan that catches anything events missed.
	Rescan time.Duration
	// PollInterval is the scan period of folders in Poll mode.
	PollInterval time.Duration
	// Concurrency bounds the files hashed and started at once.
	Concurrency int
	// RetryMin and RetryMax bound the backoff between Start attempts after an error.
	RetryMin, RetryMax time.Duration
	// ShutdownGrace is how long Start calls in flight may finish after the
	// context is cancelled.
	ShutdownGrace time.Duration
}

// normalize applies defaults, checks values and makes paths absolute. It does
// not touch the file system.
func (c Config) normalize() (Config, error) {
	out := c
	if len(c.Folders) == 0 {
		return out, errors.New("no folder to watch: give at least one directory")
	}
	for _, d := range []struct {
		name string
		v    *time.Duration
		def  time.Duration
	}{
		{"rescan", &out.Rescan, DefaultRescan},
		{"poll interval", &out.PollInterval, DefaultPollInterval},
		{"retry min", &out.RetryMin, DefaultRetryMin},
		{"retry max", &out.RetryMax, DefaultRetryMax},
		{"shutdown grace", &out.ShutdownGrace, DefaultShutdownGrace},
	} {
		if *d.v < 0 {
			return out, fmt.Errorf("%s %v is negative", d.name, *d.v)
		}
		if *d.v == 0 {
			*d.v = d.def
		}
	}
	if out.RetryMax < out.RetryMin {
		out.RetryMax = out.RetryMin
	}
	if out.Concurrency < 0 {
		return out, fmt.Errorf("concurrency %d is negative", out.Concurrency)
	}
	if out.Concurrency == 0 {
		out.Concurrency = DefaultConcurrency
	}
	out.Folders = make([]Folder, len(c.Folders))
	for i, f := range c.Folders {
		nf, err := f.normalize()
		if err != nil {
			return out, fmt.Errorf("folder %q: %w", f.Dir, err)
		}
		out.Folders[i] = nf
	}
	// Folders must not see each other's files or state folders.
	for i := range out.Folders {
		a := &out.Folders[i]
		for j := range out.Folders {
			if i == j {
				continue
			}
			b := &out.Folders[j]
			if a.Dir == b.Dir {
				return out, fmt.Errorf("folder %q is given twice", a.Dir)
			}
			if within(b.Dir, a.Dir) {
				return out, fmt.Errorf("folder %q lies inside folder %q: watch one of them (use recursive for the tree)", b.Dir, a.Dir)
			}
			if a.ProcessingDir() == b.ProcessingDir() {
				return out, fmt.Errorf("folders %q and %q would share %s: give one of them another state_dir", a.Dir, b.Dir, a.ProcessingDir())
			}
			for _, s := range []string{b.ProcessingDir(), b.DoneDir(), b.FailedDir(), b.OutputDir} {
				if s != "" && within(s, a.Dir) {
					return out, fmt.Errorf("%s of folder %q lies inside folder %q, whose files would be claimed again", s, b.Dir, a.Dir)
				}
			}
		}
	}
	return out, nil
}

func (f Folder) normalize() (Folder, error) {
	if strings.TrimSpace(f.Dir) == "" {
		return f, errors.New("dir is empty")
	}
	dir, err := filepath.Abs(f.Dir)
	if err != nil {
		return f, err
	}
	if filepath.Dir(dir) == dir {
		return f, errors.New("cannot watch a file system root: processing/, done/ and failed/ go beside the inbox")
	}
	f.Dir = dir
	if f.Region, err = phone.NormalizeRegion(f.Region); err != nil {
		return f, fmt.Errorf("region: %w", err)
	}
	if f.Notify != "" {
		if u, err := url.Parse(f.Notify); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return f, fmt.Errorf("notify: %q is not an http or https URL", f.Notify)
		}
	}
	if f.Formats != nil {
		var fs []string
		for _, s := range f.Formats {
			s = strings.ToLower(strings.TrimSpace(s))
			if s == "" {
				continue
			}
			if !slices.Contains(Formats, s) {
				return f, fmt.Errorf("format %q: use %s", s, strings.Join(Formats, ", "))
			}
			if !slices.Contains(fs, s) {
				fs = append(fs, s)
			}
		}
		f.Formats = fs
	}
	if f.Settle < 0 {
		return f, fmt.Errorf("settle %v is negative", f.Settle)
	}
	if f.Settle == 0 {
		f.Settle = DefaultSettle
	}
	if f.MinAge < 0 {
		return f, fmt.Errorf("min age %v is negative", f.MinAge)
	}
	for _, p := range f.Patterns {
		if _, err := filepath.Match(p, ""); err != nil {
			return f, fmt.Errorf("pattern %q: %w", p, err)
		}
	}
	if f.OutputDir != "" {
		if f.OutputDir, err = filepath.Abs(f.OutputDir); err != nil {
			return f, err
		}
		if within(f.OutputDir, f.Dir) {
			return f, fmt.Errorf("output dir %s lies inside the inbox: results would be claimed as inputs", f.OutputDir)
		}
	}
	if f.StateDir != "" {
		if f.StateDir, err = filepath.Abs(f.StateDir); err != nil {
			return f, err
		}
	}
	for _, s := range []string{f.ProcessingDir(), f.DoneDir(), f.FailedDir()} {
		if within(s, f.Dir) {
			return f, fmt.Errorf("%s lies inside the inbox: choose a state dir outside it", s)
		}
	}
	return f, nil
}

// within reports whether path is dir or lies below it (both clean and absolute).
func within(path, dir string) bool {
	rel, err := filepath.Rel(dir, path)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

// The config file: JSON, durations as Go duration strings ("2s", "300ms").
type fileFolder struct {
	Dir        string   `json:"dir"`
	Region     *string  `json:"region"`
	Column     columns  `json:"column"`
	RegionCol  *string  `json:"region_column"`
	Sheet      *string  `json:"sheet"`
	Formats    []string `json:"formats"`
	Out        *string  `json:"out"`
	Split      *bool    `json:"split"`
	Notify     *string  `json:"notify"`
	Settle     *string  `json:"settle"`
	MinAge     *string  `json:"min_age"`
	Recursive  *bool    `json:"recursive"`
	DoneMarker *bool    `json:"done_marker"`
	Poll       *bool    `json:"poll"`
	Patterns   []string `json:"patterns"`
	StateDir   *string  `json:"state_dir"`
}

type fileConfig struct {
	Rescan        string            `json:"rescan"`
	PollInterval  string            `json:"poll_interval"`
	Concurrency   *int              `json:"concurrency"`
	RetryMin      string            `json:"retry_min"`
	RetryMax      string            `json:"retry_max"`
	ShutdownGrace string            `json:"shutdown_grace"`
	Defaults      json.RawMessage   `json:"defaults"`
	Folders       []json.RawMessage `json:"folders"`
}

// LoadConfig reads a JSON config file:
//
//	{
//	  "rescan": "10s", "poll_interval": "2s", "concurrency": 8,
//	  "defaults": {"region": "CH", "formats": ["csv"], "out": "results", "settle": "2s"},
//	  "folders": [
//	    {"dir": "inbox/ch"},
//	    {"dir": "inbox/crm", "column": "Mobile", "region_column": "Country", "sheet": "Contacts"},
//	    {"dir": "inbox/us", "region": "US", "formats": ["csv", "xlsx"], "split": true,
//	     "notify": "https://hooks.example.com/phonecheck", "recursive": true,
//	     "done_marker": false, "min_age": "0s", "poll": false, "patterns": ["*.txt"], "state_dir": ""}
//	  ]
//	}
//
// Folder keys override "defaults"; relative paths are read against the
// directory of the config file. Unknown keys, bad durations, regions and
// formats are errors naming the key.
func LoadConfig(path string) (Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Config{}, fmt.Errorf("watcher config: %w", err)
	}
	cfg, err := parseConfig(data, filepath.Dir(path))
	if err != nil {
		return Config{}, fmt.Errorf("watcher config %s: %w", path, err)
	}
	return cfg, nil
}

func decodeStrict(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(data, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return fmt.Errorf("unexpected data after the JSON object at offset %d", dec.InputOffset())
	}
	return nil
}

func jsonError(data []byte, err error) error {
	if rest, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		return fmt.Errorf("unknown key %s", rest)
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		line, col := lineCol(data, se.Offset)
		return fmt.Errorf("line %d, column %d: %v", line, col, se)
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		line, col := lineCol(data, te.Offset)
		key := te.Field
		if key == "" {
			key = "value"
		}
		return fmt.Errorf("line %d, column %d: %s must be a JSON %s, not %s", line, col, key, jsonKind(te.Type.Kind().String()), te.Value)
	}
	return err
}

func jsonKind(k string) string {
	switch k {
	case "string":
		return "string"
	case "bool":
		return "boolean (true or false)"
	case "slice":
		return "array"
	case "int", "int64":
		return "number"
	case "struct", "map":
		return "object"
	}
	return k
}

// lineCol gives the 1-based line and column of the last byte read when the
// decoder stopped after off bytes.
func lineCol(data []byte, off int64) (int, int) {
	off = max(min(off, int64(len(data)))-1, 0)
	before := data[:off]
	line := bytes.Count(before, []byte("\n")) + 1
	col := int(off) - bytes.LastIndexByte(before, '\n')
	return line, col
}

func parseDuration(key, s string) (time.Duration, error) {
	if s == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("%s: %q is not a duration: write it like \"2s\" or \"500ms\"", key, s)
	}
	if d < 0 {
		return 0, fmt.Errorf("%s: %q is negative", key, s)
	}
	return d, nil
}

func parseConfig(data []byte, base string) (Config, error) {
	var fc fileConfig
	if err := decodeStrict(data, &fc); err != nil {
		return Config{}, err
	}
	var cfg Config
	var err error
	for _, d := range []struct {
		key string
		s   string
		v   *time.Duration
	}{
		{"rescan", fc.Rescan, &cfg.Rescan},
		{"poll_interval", fc.PollInterval, &cfg.PollInterval},
		{"retry_min", fc.RetryMin, &cfg.RetryMin},
		{"retry_max", fc.RetryMax, &cfg.RetryMax},
		{"shutdown_grace", fc.ShutdownGrace, &cfg.ShutdownGrace},
	} {
		if *d.v, err = parseDuration(d.key, d.s); err != nil {
			return Config{}, err
		}
	}
	if fc.Concurrency != nil {
		if *fc.Concurrency < 1 {
			return Config{}, fmt.Errorf("concurrency: %d must be at least 1", *fc.Concurrency)
		}
		cfg.Concurrency = *fc.Concurrency
	}
	var defaults fileFolder
	if len(fc.Defaults) > 0 && string(fc.Defaults) != "null" {
		if err := decodeStrict(fc.Defaults, &defaults); err != nil {
			return Config{}, fmt.Errorf("defaults: %w", err)
		}
		if defaults.Dir != "" {
			return Config{}, errors.New("defaults: dir belongs in each folder, not in defaults")
		}
	}
	if len(fc.Folders) == 0 {
		return Config{}, errors.New(`no folders: add "folders": [{"dir": "inbox"}]`)
	}
	for i, raw := range fc.Folders {
		var ff fileFolder
		if err := decodeStrict(raw, &ff); err != nil {
			return Config{}, fmt.Errorf("folders[%d]: %w", i, err)
		}
		f, err := ff.folder(defaults, base)
		if err != nil {
			return Config{}, fmt.Errorf("folders[%d] (%s): %w", i, ff.Dir, err)
		}
		cfg.Folders = append(cfg.Folders, f)
	}
	// Check the values now, so a bad file fails when it is loaded; New checks again.
	if _, err := cfg.normalize(); err != nil {
		return Config{}, err
	}
	return cfg, nil
}

func (ff fileFolder) folder(d fileFolder, base string) (Folder, error) {
	str := func(v, def *string) string {
		if v != nil {
			return *v
		}
		if def != nil {
			return *def
		}
		return ""
	}
	boolean := func(v, def *bool) bool {
		if v != nil {
			return *v
		}
		return def != nil && *def
	}
	path := func(p string) string {
		if p != "" && !filepath.IsAbs(p) {
			return filepath.Join(base, p)
		}
		return p
	}
	if strings.TrimSpace(ff.Dir) == "" {
		return Folder{}, errors.New(`"dir" is missing`)
	}
	f := Folder{
		Dir:          path(ff.Dir),
		Region:       str(ff.Region, d.Region),
		RegionColumn: str(ff.RegionCol, d.RegionCol),
		Sheet:        str(ff.Sheet, d.Sheet),
		Columns:      ff.Column,
		OutputDir:    path(str(ff.Out, d.Out)),
		Split:        boolean(ff.Split, d.Split),
		Notify:       str(ff.Notify, d.Notify),
		StateDir:     path(str(ff.StateDir, d.StateDir)),
		Recursive:    boolean(ff.Recursive, d.Recursive),
		DoneMarker:   boolean(ff.DoneMarker, d.DoneMarker),
		Poll:         boolean(ff.Poll, d.Poll),
		Formats:      ff.Formats,
		Patterns:     ff.Patterns,
	}
	if f.Formats == nil {
		f.Formats = d.Formats
	}
	if f.Patterns == nil {
		f.Patterns = d.Patterns
	}
	if f.Columns == nil {
		f.Columns = d.Column
	}
	var err error
	if f.Settle, err = parseDuration("settle", str(ff.Settle, d.Settle)); err != nil {
		return f, err
	}
	if f.MinAge, err = parseDuration("min_age", str(ff.MinAge, d.MinAge)); err != nil {
		return f, err
	}
	return f, nil
}

// columns is the config's "column": one name or number, or a list of them.
type columns []string

func (c *columns) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		if strings.TrimSpace(one) != "" {
			*c = columns{one}
		}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return errors.New(`"column": a column's name or number, or a list of them`)
	}
	*c = many
	return nil
}
