package cli

import (
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/phonecheck/phonecheck/cmd/phonecheck/internal/config"
)

// usage is 'phonecheck help': every command with its summary.
func usage(w io.Writer) {
	fmt.Fprint(w, "phonecheck validates phone numbers in bulk.\n\nUsage: phonecheck COMMAND [ARGS] [flags]\n\nCommands:\n")
	for _, c := range commands {
		fmt.Fprintf(w, "  %-12s %s\n", c.name, c.summary)
	}
	fmt.Fprint(w, "\nEvery command takes --config FILE; each setting also reads an environment variable.\n"+
		"Run 'phonecheck help COMMAND' (or 'phonecheck COMMAND --help') for its flags.\n")
}

// usageLine is the command's synopsis: phonecheck submit FILE [flags].
func (c *command) usageLine() string {
	return strings.Join(slices.DeleteFunc([]string{"phonecheck", c.name, c.args, "[flags]"}, func(s string) bool { return s == "" }), " ")
}

// help is the command's --help: usage line, description, flags by group.
func (c *command) help(w io.Writer) {
	fmt.Fprintf(w, "Usage: %s\n\n%s\n", c.usageLine(), strings.ReplaceAll(c.text(), "`", ""))
	for _, g := range c.flagGroups() {
		fmt.Fprintf(w, "\n%s:\n", g.title)
		for _, f := range g.flags {
			fmt.Fprintf(w, "  %s\n        %s\n", f.synopsis(), f.meaning())
			if src := f.sources(); src != "" {
				fmt.Fprintf(w, "        %s\n", src)
			}
		}
	}
}

// text is the description, else the summary as a sentence.
func (c *command) text() string {
	if c.about != "" {
		return strings.TrimSpace(c.about)
	}
	return sentence(c.summary)
}

// flagDoc is one flag as usage shows it.
type flagDoc struct {
	name, arg, usage, def string
	setting               *config.Setting // nil for the command's own flags and --config
	env                   []string
}

// synopsis is "--region XX", "-o PATH" or "--wait".
func (f flagDoc) synopsis() string {
	dash := "--"
	if len(f.name) == 1 {
		dash = "-"
	}
	if f.arg == "" {
		return dash + f.name
	}
	return dash + f.name + " " + f.arg
}

// meaning is the usage text with the default.
func (f flagDoc) meaning() string {
	if f.def == "" {
		return f.usage
	}
	return fmt.Sprintf("%s (default %s)", f.usage, f.def)
}

// sources are the environment variables and config key of a setting.
func (f flagDoc) sources() string {
	var parts []string
	if len(f.env) > 0 {
		parts = append(parts, "env "+strings.Join(f.env, ", "))
	}
	if f.setting != nil {
		parts = append(parts, "config "+f.setting.Key)
	}
	return strings.Join(parts, "; ")
}

// flagGroup is a titled part of a command's flags.
type flagGroup struct {
	title string
	// shared: the command takes the whole group, which the reference
	// documents once.
	shared bool
	flags  []flagDoc
}

const (
	groupOwn      = "Flags"
	groupSettings = "Settings"
	groupTemporal = "Temporal connection"
	groupRun      = "Logs and metrics"
)

// flagGroups are the command's flags: its own, then its settings, the
// Temporal connection and logs and metrics, each in the settings table's
// order. The groups come from the command's real flag set.
func (c *command) flagGroups() []flagGroup {
	fs, b, _ := c.flagSet()
	own := flagGroup{title: groupOwn}
	fs.VisitAll(func(f *flag.Flag) {
		if _, isSetting := b.FlagSetting(f.Name); isSetting || f.Name == config.ConfigFlag {
			return
		}
		arg, text := flag.UnquoteUsage(f)
		if arg == "value" { // a flag.Value without a name in its usage
			arg = "VALUE"
		}
		def := f.DefValue
		if def == "false" || def == "0" || def == "" || def == "0s" {
			def = ""
		} else if arg == "string" {
			def = fmt.Sprintf("%q", def)
		}
		own.flags = append(own.flags, flagDoc{name: f.Name, arg: strings.ToUpper(arg), usage: text, def: def})
	})
	groups := []flagGroup{own,
		{title: groupSettings, flags: []flagDoc{{name: config.ConfigFlag, arg: "FILE", usage: "phonecheck config file (YAML)", env: []string{config.FileEnv}}}},
		{title: groupTemporal}, {title: groupRun}}
	bound := b.Keys()
	for _, s := range config.Settings {
		if !slices.Contains(bound, s.Key) {
			continue
		}
		g := &groups[1]
		switch {
		case slices.Contains(config.TemporalKeys, s.Key):
			g = &groups[2]
		case slices.Contains(config.RunKeys, s.Key):
			g = &groups[3]
		}
		def := ""
		if s.Default != "" && s.Kind != config.Bool {
			def = fmt.Sprintf("%q", s.Default)
		}
		text := s.Usage
		if slices.Contains(c.repeat, s.Key) {
			text += "; give it more than once for more"
		}
		g.flags = append(g.flags, flagDoc{name: s.Flag, arg: s.ArgName(), usage: text, def: def, setting: &s, env: s.Env})
	}
	// A group is documented once only where a command takes all of it.
	for i, all := range map[int][]string{2: config.TemporalKeys, 3: config.RunKeys} {
		groups[i].shared = len(groups[i].flags) == len(all)
	}
	return slices.DeleteFunc(groups, func(g flagGroup) bool { return len(g.flags) == 0 })
}
