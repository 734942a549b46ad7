package oracle

import (
	"fmt"
	"sort"
	"strings"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/common/model"

	"github.com/prometheus/prometheus/discovery/targetgroup"
)

// Mismatch is one difference between our target groups and Prometheus's.
// Targets are compared per Source as multisets of label sets, each target
// merged with its group's labels (target labels win, as in Prometheus's
// scrape pool), keeping labels with empty values. Targets left unmatched are
// paired by similarity so that a difference is reported label by label.
type Mismatch struct {
	Source string
	// Target is the __address__ of the target concerned (Prometheus's
	// when both sides have one).
	Target string
	// Label is the label that differs; empty when a whole target is only
	// on one side.
	Label string
	// Ours and Theirs are the two label sets of a paired target, or the one
	// side's labels and nil for an unpaired target.
	Ours, Theirs model.LabelSet

	pair int // numbers the pair a label mismatch belongs to; 0 if unpaired
}

// String says what differs: the label's value on each side, or which side
// alone has the target.
func (m Mismatch) String() string {
	prefix := fmt.Sprintf("source %s: target %q", m.Source, m.Target)
	switch {
	case m.Theirs == nil:
		return prefix + ": only in ours: " + m.Ours.String()
	case m.Ours == nil:
		return prefix + ": only in Prometheus: " + m.Theirs.String()
	}
	return fmt.Sprintf("%s: label %s: ours %s, Prometheus %s", prefix, m.Label, value(m.Ours, m.Label), value(m.Theirs, m.Label))
}

func value(ls model.LabelSet, name string) string {
	v, ok := ls[model.LabelName(name)]
	if !ok {
		return "absent"
	}
	return fmt.Sprintf("%q", v)
}

// Compare returns the differences between ours and theirs (Prometheus's),
// ordered by Source; within one, label differences of paired targets
// (label by label) come before targets only in ours. Group order and target order
// do not matter: Prometheus emits some targets in map order.
func Compare(ours, theirs []*targetgroup.Group) []Mismatch {
	o, t := flatten(ours), flatten(theirs)
	sources := map[string]bool{}
	for s := range o {
		sources[s] = true
	}
	for s := range t {
		sources[s] = true
	}
	var out []Mismatch
	pairs := 0
	for _, s := range sortedKeys(sources) {
		out = append(out, compareSource(s, o[s], t[s], &pairs)...)
	}
	return out
}

// Diff renders Compare's result for a test failure, with a go-cmp diff
// (-Prometheus +ours) for each paired target. It returns "" when the groups
// agree. At most limit mismatches are shown.
func Diff(ours, theirs []*targetgroup.Group, limit int) string {
	ms := Compare(ours, theirs)
	if len(ms) == 0 {
		return ""
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d differences (ours vs Prometheus):\n", len(ms))
	for i := range ms {
		if i == limit {
			fmt.Fprintf(&b, "... and %d more\n", len(ms)-limit)
			break
		}
		m := ms[i]
		b.WriteString(m.String())
		b.WriteByte('\n')
		// After the last label of a pair, show the pair in full.
		lastOfPair := i+1 == len(ms) || i+1 == limit || ms[i+1].pair != m.pair
		if m.pair != 0 && lastOfPair {
			fmt.Fprintf(&b, "  target diff (-Prometheus +ours):\n%s", indent(cmp.Diff(plain(m.Theirs), plain(m.Ours))))
		}
	}
	return b.String()
}

// plain drops LabelSet's String method, so that go-cmp diffs label by label.
func plain(ls model.LabelSet) map[string]string {
	out := make(map[string]string, len(ls))
	for k, v := range ls {
		out[string(k)] = string(v)
	}
	return out
}

func indent(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i, l := range lines {
		lines[i] = "    " + l
	}
	return strings.Join(lines, "\n") + "\n"
}

// flatten merges each group's labels into its targets and indexes the
// targets by Source. Several groups with one Source are pooled.
func flatten(groups []*targetgroup.Group) map[string][]model.LabelSet {
	out := map[string][]model.LabelSet{}
	for _, g := range groups {
		if g == nil {
			continue
		}
		for _, t := range g.Targets {
			merged := model.LabelSet{}
			for k, v := range g.Labels {
				merged[k] = v
			}
			for k, v := range t {
				merged[k] = v
			}
			out[g.Source] = append(out[g.Source], merged)
		}
	}
	return out
}

func compareSource(source string, ours, theirs []model.LabelSet, pairs *int) []Mismatch {
	// Cancel out identical targets, counting duplicates.
	count := map[string]int{}
	for _, ls := range theirs {
		count[key(ls)]++
	}
	var onlyOurs []model.LabelSet
	for _, ls := range ours {
		if k := key(ls); count[k] > 0 {
			count[k]--
		} else {
			onlyOurs = append(onlyOurs, ls)
		}
	}
	var onlyTheirs []model.LabelSet
	for _, ls := range theirs {
		if k := key(ls); count[k] > 0 {
			count[k]--
			onlyTheirs = append(onlyTheirs, ls)
		}
	}
	sortSets(onlyOurs)
	sortSets(onlyTheirs)

	var out []Mismatch
	used := make([]bool, len(onlyOurs))
	for _, t := range onlyTheirs {
		best, bestDiff := -1, 0
		for i, o := range onlyOurs {
			if used[i] {
				continue
			}
			if d := len(differingLabels(o, t)); best < 0 || d < bestDiff {
				best, bestDiff = i, d
			}
		}
		if best < 0 {
			out = append(out, Mismatch{Source: source, Target: string(t[model.AddressLabel]), Theirs: t})
			continue
		}
		used[best] = true
		*pairs++
		o := onlyOurs[best]
		for _, l := range differingLabels(o, t) {
			out = append(out, Mismatch{Source: source, Target: string(t[model.AddressLabel]), Label: l, Ours: o, Theirs: t, pair: *pairs})
		}
	}
	for i, o := range onlyOurs {
		if !used[i] {
			out = append(out, Mismatch{Source: source, Target: string(o[model.AddressLabel]), Ours: o})
		}
	}
	return out
}

// differingLabels lists, sorted, the labels whose presence or value differs.
func differingLabels(a, b model.LabelSet) []string {
	var out []string
	for k, av := range a {
		if bv, ok := b[k]; !ok || av != bv {
			out = append(out, string(k))
		}
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			out = append(out, string(k))
		}
	}
	sort.Strings(out)
	return out
}

// key is a canonical form of a label set, empty values included.
func key(ls model.LabelSet) string {
	names := make([]string, 0, len(ls))
	for k := range ls {
		names = append(names, string(k))
	}
	sort.Strings(names)
	var b strings.Builder
	for _, n := range names {
		fmt.Fprintf(&b, "%s=%q,", n, ls[model.LabelName(n)])
	}
	return b.String()
}

func sortSets(sets []model.LabelSet) {
	sort.Slice(sets, func(i, j int) bool { return key(sets[i]) < key(sets[j]) })
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
