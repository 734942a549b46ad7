package relabel

import (
	"regexp/syntax"
	"strings"

	promrelabel "github.com/prometheus/prometheus/model/relabel"
)

// Why a target may start from its discovered labels, sorted, in one pass.
//
// scrape.PopulateDiscoveredLabels resets the builder to no labels and sets
// every discovered label one after the other: ~60 labels cost ~60²/2 name
// comparisons, the larger part of what scrape.PopulateLabels spends per
// target. Setting the same labels, sorted, in one pass costs one pass
// (into a store, store.go). The two hold the same labels, so every Get,
// Set, Del and the final labels agree; they differ only in the order in
// which labels are visited (the store's by name; PopulateDiscoveredLabels's
// builder visits the target's labels in map order, then the group's, then
// the job's settings, then those set since).
//
// Of the actions, only labelmap depends on that order: it sets the name
// each matching label maps to, so when two labels map to the same name the
// last one visited wins. labeldrop and labelkeep delete by name, whatever
// the order, and the other actions do not range at all. A labelmap rule
// whose regex is a literal prefix, one capture group and a literal suffix,
// with no case folding, and whose replacement is the capture between two
// texts without other references, maps different names to different
// names: the order cannot matter. For a job with any other labelmap rule,
// the labels are populated by PopulateDiscoveredLabels itself, in its
// builder.

// orderFree reports whether the result of rules cannot depend on the order
// in which labels are visited.
func orderFree(rules []*promrelabel.Config) bool {
	for _, r := range rules {
		if r.Action == promrelabel.LabelMap && !injective(r) {
			return false
		}
	}
	return true
}

// injective reports whether labelmap rule r provably maps two different
// label names to two different names, because the regex matches at most
// one name, or matches prefix+c+suffix for literal prefix and suffix and
// the replacement is before+c+after, c the first capture.
func injective(r *promrelabel.Config) bool {
	if r.Regex.Regexp == nil {
		return false
	}
	// The expression as compiled: "^(?s:" + regex + ")$", which is
	// what Regexp.String of the embedded regexp returns.
	re, err := syntax.Parse(r.Regex.Regexp.String(), syntax.Perl)
	if err != nil || re.Op != syntax.OpConcat || re.MaxCap() > 1 {
		return false
	}
	subs := re.Sub
	if len(subs) < 2 || subs[0].Op != syntax.OpBeginText || subs[len(subs)-1].Op != syntax.OpEndText {
		return false
	}
	captured := false
	for _, s := range subs[1 : len(subs)-1] {
		switch {
		case s.Op == syntax.OpLiteral && s.Flags&syntax.FoldCase == 0, s.Op == syntax.OpEmptyMatch:
		case s.Op == syntax.OpCapture && !captured:
			captured = true
		default:
			return false
		}
	}
	return !captured || capturesOnce(r.Replacement)
}

// capturesOnce reports whether replacement is text, a reference to the
// first capture group ($1 or ${1}), and text, the texts without a $.
func capturesOnce(replacement string) bool {
	before, after, ok := strings.Cut(replacement, "$")
	if !ok || strings.Contains(before, "$") {
		return false
	}
	switch {
	case strings.HasPrefix(after, "{1}"):
		after = after[len("{1}"):]
	case strings.HasPrefix(after, "1"):
		after = after[len("1"):]
		// $1x names the group "1x", as regexp.Expand reads names.
		if after != "" && isNameByte(after[0]) {
			return false
		}
	default:
		return false
	}
	return !strings.Contains(after, "$")
}

// isNameByte reports whether regexp.Expand reads c as part of a $name.
func isNameByte(c byte) bool {
	return c == '_' || '0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
}
