package expect

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/sdinspect/sdinspect/report"
)

// matches reports whether t is one of the targets e is about: every
// selector given must match.
func (e *Expectation) matches(t *report.Target) bool {
	if e.Object != "" && !isObject(t.Source, e.Object) {
		return false
	}
	if e.Address != "" && t.DiscoveredLabels[addressLabel] != e.Address {
		return false
	}
	for _, m := range e.Match {
		if !m.Matches(t.DiscoveredLabels[m.Name]) {
			return false
		}
	}
	return true
}

const addressLabel = "__address__"

// isObject reports whether a target group source names object: the source
// itself (pod/shop/web-0), or NAMESPACE/NAME or NAME at its end, as
// `sdinspect explain` matches a target.
func isObject(source, object string) bool {
	return source == object || strings.HasSuffix(source, "/"+object)
}

// selector describes e's selectors.
func (e *Expectation) selector() string {
	var parts []string
	if e.Object != "" {
		parts = append(parts, fmt.Sprintf("object %q", e.Object))
	}
	if e.Address != "" {
		parts = append(parts, fmt.Sprintf("address %q", e.Address))
	}
	if e.Match != nil {
		ms := make([]string, len(e.Match))
		for i, m := range e.Match {
			ms[i] = m.String()
		}
		parts = append(parts, "match {"+strings.Join(ms, ", ")+"}")
	}
	return strings.Join(parts, ", ")
}

// describe words what e expects, to name an expectation written without a
// name.
func (e *Expectation) describe() string {
	s := e.selector() + " is " + string(e.State)
	if e.DroppedBy != nil {
		s += " by " + e.DroppedBy.String()
	}
	if e.Labels != nil {
		s += " with labels " + report.FormatLabels(e.Labels)
	}
	if e.LabelsInclude != nil {
		if e.Labels != nil {
			s += " and"
		}
		s += " with labels including " + report.FormatLabels(e.LabelsInclude)
	}
	return s
}

// String words d: "rule 3 (keep)", "rule 3" or "a keep rule".
func (d *DroppedBy) String() string {
	switch {
	case d.Rule < 0:
		return "a " + d.Action + " rule"
	case d.Action == "":
		return fmt.Sprintf("rule %d", d.Rule)
	}
	return fmt.Sprintf("rule %d (%s)", d.Rule, d.Action)
}

// matches reports whether r is a rule d describes.
func (d *DroppedBy) matches(r *report.Rule) bool {
	return r != nil && (d.Rule < 0 || d.Rule == r.Index) && (d.Action == "" || d.Action == r.Action)
}

// targetName names a target in messages: "pod/shop/web-0 #1 (10.244.1.5:8080)".
func targetName(t *report.Target) string {
	addr := t.DiscoveredLabels[addressLabel]
	if addr == "" {
		addr = "no address"
	}
	return fmt.Sprintf("%s #%d (%s)", t.Source, t.Index, addr)
}

// maxCandidates bounds the targets listed when an expectation matches none.
const maxCandidates = 5

// candidates lists a few of the job's targets for an expectation that
// matches none: first those that satisfy the most of its selectors, or come
// closest (the same object name, the same host), then in the job's order.
func (e *Expectation) candidates(ts []report.Target) []string {
	type candidate struct {
		name  string
		score int
	}
	cs := make([]candidate, len(ts))
	for i := range ts {
		cs[i] = candidate{name: targetName(&ts[i]), score: e.closeness(&ts[i])}
	}
	slices.SortStableFunc(cs, func(a, b candidate) int { return cmp.Compare(b.score, a.score) })
	var out []string
	for _, c := range cs[:min(len(cs), maxCandidates)] {
		out = append(out, c.name)
	}
	return out
}

// closeness scores how nearly t satisfies e's selectors.
func (e *Expectation) closeness(t *report.Target) int {
	score := 0
	if e.Object != "" {
		name := e.Object[strings.LastIndex(e.Object, "/")+1:]
		switch {
		case isObject(t.Source, e.Object):
			score += 2
		case strings.Contains(t.Source, name):
			score++
		}
	}
	if e.Address != "" {
		addr := t.DiscoveredLabels[addressLabel]
		switch {
		case addr == e.Address:
			score += 2
		case host(addr) == host(e.Address):
			score++
		}
	}
	for _, m := range e.Match {
		if m.Matches(t.DiscoveredLabels[m.Name]) {
			score++
		}
	}
	return score
}

// host is an address without its port.
func host(addr string) string {
	if i := strings.LastIndex(addr, ":"); i >= 0 && !strings.HasSuffix(addr, "]") {
		return addr[:i]
	}
	return addr
}
