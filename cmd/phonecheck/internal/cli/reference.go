package cli

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/phonecheck/phonecheck/cmd/phonecheck/internal/config"
)

//go:generate go run ../gencommands -doc ../../../../doc/commands.md -readme ../../../../README.md

// Reference writes doc/commands.md: every command's usage, description and
// flags, the shared flag groups once, and every setting with the commands
// that read it.
func Reference(w io.Writer) error {
	var b strings.Builder
	b.WriteString(`# Commands

<!-- Generated from the command table (cmd/phonecheck/internal/cli) and the settings table
(cmd/phonecheck/internal/config/settings.go) by 'go generate ./cmd/phonecheck/...'; edit those. -->

Every command takes ` + "`--config FILE`" + ` (a YAML file; or set ` + "`" + config.FileEnv + "`" + `).
A setting is read from its flag, else its environment variable, else the config file, else
its default; ` + "`phonecheck config`" + ` shows each effective value and where it came from, and
an empty variable counts as unset. Flags may come before or after the arguments. Every
command exits 0 on success, 1 on an I/O or runtime error and 2 on a usage error (an unknown
flag, a bad value); each error is one line that says what to do. The config file and the
environment are described in [configuration.md](configuration.md).

`)
	b.WriteString(CommandTable("#"))
	for _, c := range commands {
		fmt.Fprintf(&b, "\n## %s\n\n```\n%s\n```\n\n%s\n", "phonecheck "+c.name, c.usageLine(), c.text())
		var shared []string
		var flags []flagDoc // one table: its own flags, its settings, the groups it takes a part of
		for _, g := range c.flagGroups() {
			switch {
			case c == configCmd && g.title == groupSettings:
				flags = append(flags, g.flags[0]) // --config; every setting is listed once below
			case c == configCmd && g.title != groupOwn:
			case g.shared:
				shared = append(shared, fmt.Sprintf("[%s](#%s)", phrase(g.title), anchor(g.title)))
			default:
				flags = append(flags, g.flags...)
			}
		}
		b.WriteString("\n")
		writeFlagTable(&b, flags)
		if c.docs != "" {
			var links []string
			for _, page := range strings.Fields(c.docs) {
				links = append(links, fmt.Sprintf("[%s](%s)", page, page))
			}
			fmt.Fprintf(&b, "\nMore in %s.\n", andList(links))
		}
		if c == configCmd {
			b.WriteString("\nIt also takes the flag of every setting: see [All settings](#all-settings).\n")
		}
		if len(shared) > 0 {
			fmt.Fprintf(&b, "\nIt also takes the %s flags.\n", strings.Join(shared, " and the "))
		}
	}
	for _, title := range []string{groupTemporal, groupRun} {
		fmt.Fprintf(&b, "\n## %s\n\n%s take these flags.\n\n", title, andList(codeNames(commandsWithGroup(title))))
		for _, c := range commands {
			if i := slices.IndexFunc(c.flagGroups(), func(g flagGroup) bool { return g.title == title && g.shared }); i >= 0 {
				writeFlagTable(&b, c.flagGroups()[i].flags)
				break
			}
		}
	}
	b.WriteString("\n## All settings\n\nEach key is also the config file's key, nested by section (`temporal: {address: …}`) or dotted.\n\n")
	b.WriteString("| key | flag | environment | default | commands |\n|---|---|---|---|---|\n")
	for _, s := range config.Settings {
		var users []string
		for _, c := range commands {
			if c != configCmd && slices.Contains(c.keys, s.Key) {
				users = append(users, c.name)
			}
		}
		fmt.Fprintf(&b, "| `%s` | `--%s` | %s | %s | %s |\n", s.Key, s.Flag, codeList(s.Env), cell(quoteDefault(s)), strings.Join(users, ", "))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// CommandTable is the markdown table of commands and summaries; link is
// where the command's section is ("#" on the reference page itself).
func CommandTable(link string) string {
	var b strings.Builder
	b.WriteString("| command | what it does |\n|---|---|\n")
	for _, c := range commands {
		fmt.Fprintf(&b, "| [`phonecheck %s`](%s%s) | %s |\n", c.name, link, anchor("phonecheck "+c.name), cell(c.summary))
	}
	return b.String()
}

func writeFlagTable(b *strings.Builder, flags []flagDoc) {
	b.WriteString("| flag | environment | config key | default | meaning |\n|---|---|---|---|---|\n")
	for _, f := range flags {
		key := ""
		if f.setting != nil {
			key = "`" + f.setting.Key + "`"
		}
		def := f.def
		if def != "" {
			def = "`" + strings.Trim(def, `"`) + "`"
		}
		fmt.Fprintf(b, "| `%s` | %s | %s | %s | %s |\n", cell(f.synopsis()), codeList(f.env), key, cell(def), cell(f.usage))
	}
}

// andList is "a, b and c".
func andList(l []string) string {
	if len(l) < 2 {
		return strings.Join(l, "")
	}
	return strings.Join(l[:len(l)-1], ", ") + " and " + l[len(l)-1]
}

func commandsWithGroup(title string) []string {
	var names []string
	for _, c := range commands {
		if c != configCmd && slices.ContainsFunc(c.flagGroups(), func(g flagGroup) bool { return g.title == title && g.shared }) {
			names = append(names, c.name)
		}
	}
	return names
}

func quoteDefault(s config.Setting) string {
	if s.Default == "" {
		return ""
	}
	return "`" + s.Default + "`"
}

func codeList(l []string) string {
	return strings.Join(codeNames(l), ", ")
}

func codeNames(l []string) []string {
	out := make([]string, len(l))
	for i, s := range l {
		out[i] = "`" + s + "`"
	}
	return out
}

// cell escapes a table cell's pipes.
func cell(s string) string { return strings.ReplaceAll(s, "|", `\|`) }

// anchor is GitHub's anchor of a heading.
func anchor(heading string) string {
	return strings.ReplaceAll(strings.ToLower(heading), " ", "-")
}

// phrase is a group's title inside a sentence.
func phrase(title string) string {
	if title == groupTemporal {
		return title
	}
	return strings.ToLower(title[:1]) + title[1:]
}

// sentence is a summary as a sentence: capitalised, with a full stop.
func sentence(s string) string { return strings.ToUpper(s[:1]) + s[1:] + "." }

// Markers of the generated command table in the README.
const (
	ReadmeBegin = "<!-- commands: generated from the command table; go generate ./cmd/phonecheck/... -->"
	ReadmeEnd   = "<!-- end of commands -->"
)

// ReadmeWithTable replaces the text between the README's markers with the
// command table; ok is false when the README has no markers.
func ReadmeWithTable(readme string) (string, bool) {
	i := strings.Index(readme, ReadmeBegin)
	j := strings.Index(readme, ReadmeEnd)
	if i < 0 || j < i {
		return readme, false
	}
	return readme[:i+len(ReadmeBegin)] + "\n" + CommandTable("doc/commands.md#") + readme[j:], true
}
