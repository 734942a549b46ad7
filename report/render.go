package report

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"

	"gopkg.in/yaml.v3"
)

// Format is an output format. targets writes table, json or yaml; check,
// test and diff write text, json, junit, sarif, github or markdown.
type Format string

// The output formats.
const (
	Table    Format = "table"
	JSON     Format = "json"
	YAML     Format = "yaml"
	Text     Format = "text"
	JUnit    Format = "junit"
	SARIF    Format = "sarif"
	GitHub   Format = "github"
	Markdown Format = "markdown"
)

// Formats lists the formats of targets (TargetFormats) and of check, test
// and diff (CIFormats).
var (
	TargetFormats = []Format{Table, JSON, YAML}
	CIFormats     = []Format{Text, JSON, JUnit, SARIF, GitHub, Markdown}
)

// UnmarshalText accepts the name of any format, so that flags can be typed;
// each command then says which it writes.
func (f *Format) UnmarshalText(b []byte) error {
	switch v := Format(b); v {
	case Table, JSON, YAML, Text, JUnit, SARIF, GitHub, Markdown:
		*f = v
		return nil
	}
	return fmt.Errorf("unknown output format %q", b)
}

// String returns the format's name.
func (f Format) String() string { return string(f) }

// Write renders r in format f.
func Write(w io.Writer, f Format, r *Report) error {
	switch f {
	case JSON:
		return writeJSON(w, r)
	case YAML:
		enc := yaml.NewEncoder(w)
		enc.SetIndent(2)
		if err := enc.Encode(r); err != nil {
			return err
		}
		return enc.Close()
	default:
		return writeTable(w, r)
	}
}

// writeJSON writes v as indented JSON, the form of every -o json.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func writeTable(w io.Writer, r *Report) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, reason := range r.PartialReasons {
		fmt.Fprintf(tw, "PARTIAL RESULT: %s\n", reason)
	}
	if r.Partial {
		fmt.Fprintln(tw)
	}
	for i, j := range r.Jobs {
		if i > 0 {
			fmt.Fprintln(tw)
		}
		incomplete := ""
		if j.Partial {
			incomplete = " (INCOMPLETE: objects it needs could not be listed)"
		}
		fmt.Fprintf(tw, "job %q%s: %s%s\n", j.Job, at(j.File, j.Line), summaryLine(j.Summary), incomplete)
		for _, n := range j.NotRun {
			fmt.Fprintf(tw, "  not run offline: %s\n", n)
		}
		if len(j.Targets) == 0 {
			continue
		}
		fmt.Fprintln(tw, "STATE\tSOURCE\tTARGET\tDETAIL")
		for _, t := range j.Targets {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", t.State, t.Source, targetColumn(t), detail(t))
		}
	}
	return tw.Flush()
}

func summaryLine(s Summary) string {
	return fmt.Sprintf("%d discovered, %d kept, %d dropped, %d invalid, %d duplicates", s.Discovered, s.Kept, s.Dropped, s.Invalid, s.Duplicates)
}

func targetColumn(t Target) string {
	if t.ScrapeURL != "" {
		return t.ScrapeURL
	}
	if a := t.DiscoveredLabels["__address__"]; a != "" {
		return a
	}
	return `""`
}

func detail(t Target) string {
	switch {
	case t.DroppedBy != nil:
		return "by " + t.DroppedBy.String()
	case t.Error != "":
		return t.Error
	case t.DuplicateOf != nil:
		return fmt.Sprintf("%s (same labels as %s #%d)", FormatLabels(t.PublicLabels), t.DuplicateOf.Source, t.DuplicateOf.Index)
	}
	return FormatLabels(t.PublicLabels)
}

// String describes the rule as "rule 3 (keep, prometheus.yml:42)".
func (r Rule) String() string {
	s := fmt.Sprintf("rule %d (%s", r.Index, r.Action)
	if r.File != "" {
		s += ", " + r.File + ":" + strconv.Itoa(r.Line)
	}
	return s + ")"
}

func at(file string, line int) string {
	if file == "" {
		return ""
	}
	return fmt.Sprintf(" (%s:%d)", file, line)
}

// FormatLabels renders labels sorted, as Prometheus prints a label set.
func FormatLabels(m map[string]string) string {
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	sort.Strings(names)
	parts := make([]string, len(names))
	for i, n := range names {
		parts[i] = n + "=" + strconv.Quote(m[n])
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

// WriteExplain prints the step-by-step story of one target of a job.
func WriteExplain(w io.Writer, job string, t Target) error {
	var b strings.Builder
	fmt.Fprintf(&b, "job %q, target %s #%d: %s\n", job, t.Source, t.Index, t.State)
	b.WriteString("discovered labels:\n")
	writeLabelLines(&b, t.DiscoveredLabels)
	for _, s := range t.Trace {
		fmt.Fprintf(&b, "%s: %s\n", s.Rule, stepOutcome(s))
		for _, c := range s.Changes {
			switch {
			case c.Before == "":
				fmt.Fprintf(&b, "    + %s=%q\n", c.Label, c.After)
			case c.After == "":
				fmt.Fprintf(&b, "    - %s=%q\n", c.Label, c.Before)
			default:
				fmt.Fprintf(&b, "    ~ %s: %q -> %q\n", c.Label, c.Before, c.After)
			}
		}
	}
	switch t.State {
	case "kept":
		fmt.Fprintf(&b, "result: kept, scraped at %s\n", t.ScrapeURL)
		if t.DuplicateOf != nil {
			fmt.Fprintf(&b, "  merged with %s #%d: same labels\n", t.DuplicateOf.Source, t.DuplicateOf.Index)
		}
		b.WriteString("labels:\n")
		writeLabelLines(&b, t.Labels)
	case "dropped":
		fmt.Fprintf(&b, "result: dropped by %s\n", t.DroppedBy)
	default:
		fmt.Fprintf(&b, "result: invalid after relabeling: %s\n", t.Error)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func stepOutcome(s Step) string {
	switch {
	case s.Result == "drop":
		return "dropped the target"
	case len(s.Changes) == 0:
		return "no change"
	}
	return fmt.Sprintf("%d label(s) changed", len(s.Changes))
}

func writeLabelLines(b *strings.Builder, m map[string]string) {
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(b, "    %s=%q\n", n, m[n])
	}
}
