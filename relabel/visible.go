package relabel

import (
	"strings"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
	promrelabel "github.com/prometheus/prometheus/model/relabel"
)

// Why a target's store need not hold every discovered label.
//
// Most of a target's discovered labels are __meta_ labels (~80 for a pod's
// container, with the pod's labels and annotations), and the rules see few
// of them. A rule reads labels by name (source_labels, and the
// target_label of keepequal and dropequal); labelmap copies the labels
// its regex matches; labeldrop and labelkeep delete labels. After the
// rules, PopulateLabels deletes every __meta_ label. So a __meta_ label
// that no rule names and no labelmap regex matches changes nothing: no
// rule reads or copies it, deleting it early (labeldrop, labelkeep, a
// replace to an empty value) or writing it (a target_label with
// references) changes only itself, and it is deleted in the end.
//
// So when a target's labels are populated in one pass (order.go), its
// store holds only the labels the rules can see: every Get, Range and the
// final clean-up cost that much less. Discovered labels and results are
// unchanged; a trace, which shows what each rule does to every label,
// keeps them all.

// visibility is what a job's rules can see of the labels (see above).
type visibility struct {
	// named holds every name a rule reads or writes.
	named map[string]bool
	// labelmaps are the indices of the labelmap rules.
	labelmaps []int
	// seen remembers the visibility of __meta_ names not in named.
	seen map[string]bool
	// group and target remember the last label sets visibleOf filtered
	// for each: the next group's, or target's, often has the same names.
	group, target lastNames
}

// lastNames are the names of a label set and whether each is visible.
type lastNames struct {
	names []string
	see   []bool
}

func newVisibility(rules []*promrelabel.Config) visibility {
	v := visibility{named: map[string]bool{}, seen: map[string]bool{}}
	for i, r := range rules {
		for _, n := range r.SourceLabels {
			v.named[string(n)] = true
		}
		v.named[r.TargetLabel] = true
		if r.Action == promrelabel.LabelMap {
			v.labelmaps = append(v.labelmaps, i)
		}
	}
	return v
}

// visible reports whether the rules can see the label named name.
func (p *Relabeler) visible(name string) bool {
	v := &p.vis
	if !strings.HasPrefix(name, model.MetaLabelPrefix) || v.named[name] {
		return true
	}
	if seen, ok := v.seen[name]; ok {
		return seen
	}
	see := false
	for _, i := range v.labelmaps {
		if p.verdict(i, p.cfg.RelabelConfigs[i], name).match {
			see = true
			break
		}
	}
	if len(v.seen) < maxVerdicts {
		// A copy, so that the memo keeps no larger string alive.
		v.seen[strings.Clone(name)] = see
	}
	return see
}

// visibleOf appends to buf the labels of ls the rules can see; last
// remembers ls's names, which the next call often has too (equal names from
// discovery are most often the same string, which compares at once). The
// label sets given to Visit and VisitSorted are ordinary strings, never
// memory that is reused, so last may keep them.
func (p *Relabeler) visibleOf(buf, ls []labels.Label, last *lastNames) []labels.Label {
	same := len(ls) == len(last.names)
	for i := 0; same && i < len(ls); i++ {
		same = ls[i].Name == last.names[i]
	}
	if !same {
		last.names, last.see = last.names[:0], last.see[:0]
		for _, l := range ls {
			last.names = append(last.names, l.Name)
			last.see = append(last.see, p.visible(l.Name))
		}
	}
	for i, l := range ls {
		if last.see[i] {
			buf = append(buf, l)
		}
	}
	return buf
}
