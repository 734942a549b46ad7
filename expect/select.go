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
// matches none: those that satisfy the most of its selectors first, then
// those that come closest (the object's name or the address spelt most
// alike), then in the job's order.
func (e *Expectation) candidates(ts []report.Target) []string {
	type candidate struct {
		name             string
		satisfied, alike int
	}
	cs := make([]candidate, len(ts))
	for i := range ts {
		t := &ts[i]
		c := candidate{name: targetName(t)}
		if e.Object != "" {
			if isObject(t.Source, e.Object) {
				c.satisfied++
			}
			// The source's tail with as many parts as the object has.
			parts := strings.Split(t.Source, "/")
			tail := strings.Join(parts[max(0, len(parts)-strings.Count(e.Object, "/")-1):], "/")
			c.alike += commonPrefix(tail, e.Object)
		}
		if addr := t.DiscoveredLabels[addressLabel]; e.Address != "" {
			if addr == e.Address {
				c.satisfied++
			}
			c.alike += commonPrefix(addr, e.Address)
		}
		for _, m := range e.Match {
			if m.Matches(t.DiscoveredLabels[m.Name]) {
				c.satisfied++
			}
		}
		cs[i] = c
	}
	slices.SortStableFunc(cs, func(a, b candidate) int {
		return cmp.Or(cmp.Compare(b.satisfied, a.satisfied), cmp.Compare(b.alike, a.alike))
	})
	var out []string
	for _, c := range cs[:min(len(cs), maxCandidates)] {
		out = append(out, c.name)
	}
	return out
}

// commonPrefix is the length of the longest prefix a and b share.
func commonPrefix(a, b string) int {
	n := 0
	for n < len(a) && n < len(b) && a[n] == b[n] {
		n++
	}
	return n
}
