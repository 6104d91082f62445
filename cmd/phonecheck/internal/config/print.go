package config

import (
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"
)

// Print writes the effective values as a table: key, value (secrets
// masked), source and where exactly it came from.
func Print(w io.Writer, r *Resolved) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "KEY\tVALUE\tSOURCE\tFROM")
	for _, v := range r.Values() {
		shown := v.Shown()
		if shown == "" {
			shown = "-"
		}
		from := v.Origin
		if from == "" {
			from = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", v.Key, shown, v.Source, from)
	}
	return tw.Flush()
}

// PrintJSON writes the effective values as a JSON object keyed by setting.
func PrintJSON(w io.Writer, r *Resolved) error {
	type entry struct {
		Value  string `json:"value"`
		Source Source `json:"source"`
		From   string `json:"from,omitempty"`
		Secret bool   `json:"secret,omitempty"`
	}
	out := map[string]entry{}
	for _, v := range r.Values() {
		out[v.Key] = entry{Value: v.Shown(), Source: v.Source, From: v.Origin, Secret: v.Secret}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

// AllKeys are the keys of every setting, for `phonecheck config`.
func AllKeys() []string {
	keys := make([]string, len(Settings))
	for i, s := range Settings {
		keys[i] = s.Key
	}
	return keys
}
