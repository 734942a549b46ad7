package lint

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	promrelabel "github.com/prometheus/prometheus/model/relabel"

	"github.com/sdinspect/sdinspect/report"
)

// How findings word targets, rules and counts.

// example is one target a finding names, with a note about it.
type example struct {
	target *report.Target
	note   string
}

// examples keeps the first maxExamples targets in (source, index) order
// among those added, and counts the rest.
type examples struct {
	items []example
	total int
}

func (e *examples) add(t *report.Target, note func() string) {
	e.total++
	i, _ := slices.BinarySearchFunc(e.items, t, func(x example, t *report.Target) int {
		return cmp.Or(cmp.Compare(x.target.Source, t.Source), cmp.Compare(x.target.Index, t.Index))
	})
	if i >= maxExamples {
		return
	}
	// The note is only worded for targets that make it into the examples,
	// which over a large cluster are few.
	e.items = slices.Insert(e.items, i, example{t, note()})
	if len(e.items) > maxExamples {
		e.items = e.items[:maxExamples]
	}
}

// detail renders the examples one a line, after an optional heading.
func (e *examples) detail(heading string) string {
	var lines []string
	if heading != "" {
		lines = append(lines, heading)
	}
	for _, x := range e.items {
		lines = append(lines, fmt.Sprintf("%s: %s", targetName(x.target), x.note))
	}
	if more := e.total - len(e.items); more > 0 {
		lines = append(lines, fmt.Sprintf("... and %d more", more))
	}
	return strings.Join(lines, "\n")
}

func targetName(t *report.Target) string {
	return refName(report.TargetRef{Source: t.Source, Index: t.Index})
}

func refName(r report.TargetRef) string { return fmt.Sprintf("%s #%d", r.Source, r.Index) }

// ruleName is how messages name a rule: rule 3 (keep).
func ruleName(rule *promrelabel.Config, i int) string {
	return fmt.Sprintf("rule %d (%s)", i, rule.Action)
}

func ruleText(j Job, i int) string {
	if i < 0 || i >= len(j.Config.Scrape.RelabelConfigs) {
		return fmt.Sprintf("rule %d", i)
	}
	return ruleName(j.Config.Scrape.RelabelConfigs[i], i)
}

// at is " at FILE:LINE" for rule i, or "" when its position is unknown.
func at(j Job, i int) string {
	if i < 0 || i >= len(j.Config.Rules) || j.Config.Rules[i].File == "" {
		return ""
	}
	return " at " + j.Config.Rules[i].String()
}

func sourceLabelsText(rule *promrelabel.Config) string {
	names := make([]string, len(rule.SourceLabels))
	for i, n := range rule.SourceLabels {
		names[i] = string(n)
	}
	if len(names) == 1 {
		return names[0]
	}
	return fmt.Sprintf("[%s] (joined with %q)", strings.Join(names, ", "), rule.Separator)
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

func pluralVerb(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

func namespacesText(names []string, own bool) string {
	all := slices.Clone(names)
	if own {
		all = append(all, "(own namespace)")
	}
	return strings.Join(all, ", ")
}

func selectorText(label, field string) string {
	var parts []string
	if label != "" {
		parts = append(parts, fmt.Sprintf("label %q", label))
	}
	if field != "" {
		parts = append(parts, fmt.Sprintf("field %q", field))
	}
	return strings.Join(parts, " and ")
}
