package relabel

import (
	"slices"
	"strings"

	"github.com/prometheus/prometheus/model/labels"
	promrelabel "github.com/prometheus/prometheus/model/relabel"
)

// Why a group's targets may share the first rules.
//
// The targets of a group (a pod's containers and ports, an endpoint slice's
// endpoints) start from the same labels but for their own: the names that
// at least one of them has, called own names here. Every other label has
// the group's value, or the job's setting, in each of them. A rule reads
// labels by name (source_labels, and the target_label of keepequal and
// dropequal); labelmap also reads the labels its regex matches. Until a
// rule reads a label of an own name, every rule does the same to each
// target: what it writes, what it deletes and whether it drops depend on
// the group's labels only. Writing or deleting a label of an own name is
// the same for each target too, whatever its value was.
//
// So, with the one-pass population, those first rules are applied once, to
// a store (store.go) holding the group's labels and, for each own name, a
// placeholder value that no label can have: a label that still holds it
// after a rule is one no rule has written, the target's own. Each target
// then starts the rules that follow from that store's labels, each
// placeholder replaced by the target's value of that name, or left out
// where the target has none. A rule that reads a label still holding the
// placeholder ends the shared rules. Rules that drop drop every target of
// the group, by the same rule.
//
// The placeholder holds a byte that is never in valid UTF-8. A value made
// by a rule is made of the values it reads and of the rule's text, so
// while neither the group's values nor a rule's replacement hold that
// byte, no value can equal the placeholder; otherwise nothing is shared.

// own is the placeholder of the labels of own names.
const own = "\xffown"

// shared is what the first rules made of a group's targets (see above).
type shared struct {
	// rules is how many rules were applied once for the group's targets;
	// none when 0.
	rules int
	// dropped is the index of the rule among them that dropped every
	// target, or -1.
	dropped int
	// labels are the store's labels after those rules, sorted, own
	// names still holding the placeholder.
	labels []labels.Label
	// names are the own names, sorted; start the labels the store starts
	// from, st.
	names []string
	start []labels.Label
	st    store
	// ownless is false when a rule's replacement holds the placeholder's
	// byte, which disables sharing.
	ownless bool
}

func newShared(rules []*promrelabel.Config) shared {
	s := shared{dropped: -1, ownless: true}
	for _, r := range rules {
		if strings.Contains(r.Replacement, own[:1]) {
			s.ownless = false
		}
	}
	return s
}

// share applies, once, the first rules that every target of the group
// being relabeled gets alike, when p.onePass and the group's base is set
// (setBase); targets are the labels of the targets about to be relabeled,
// each sorted by name. It leaves the result in p.shared, none when sharing
// cannot pay (fewer than two targets) or is not safe.
func (p *Relabeler) share(targets [][]labels.Label) {
	s := &p.shared
	s.rules, s.dropped = 0, -1
	if !p.onePass || len(targets) < 2 || !s.ownless {
		return
	}
	for _, l := range p.vbase {
		if strings.Contains(l.Value, own[:1]) {
			return
		}
	}
	s.names = s.names[:0]
	var last []labels.Label
	for _, ts := range targets {
		if sameNames(ts, last) { // most often: a pod's containers, ports
			continue
		}
		last = ts
		for _, l := range ts {
			if !slices.Contains(s.names, l.Name) && p.visible(l.Name) {
				s.names = append(s.names, l.Name)
			}
		}
	}
	slices.Sort(s.names)

	// The group's labels the rules can see, with the own names'
	// placeholders.
	s.start = s.start[:0]
	base, ns := p.vbase, s.names
	for len(base) > 0 || len(ns) > 0 {
		switch {
		case len(ns) == 0 || len(base) > 0 && base[0].Name < ns[0]:
			s.start, base = append(s.start, base[0]), base[1:]
		default:
			if len(base) > 0 && base[0].Name == ns[0] {
				base = base[1:]
			}
			s.start, ns = append(s.start, labels.Label{Name: ns[0], Value: own}), ns[1:]
		}
	}
	s.st.reset(s.start)

	for i, rule := range p.cfg.RelabelConfigs {
		if p.readsOwn(i, rule) {
			break
		}
		s.rules = i + 1
		if !p.process(&s.st, i, rule) {
			s.dropped = i
			return
		}
	}
	s.labels = append(s.labels[:0], s.st.ls...)
}

// readsOwn reports whether rule i, applied to the store share fills,
// would read a label that still holds the placeholder.
func (p *Relabeler) readsOwn(i int, rule *promrelabel.Config) bool {
	st := &p.shared.st
	switch rule.Action {
	case promrelabel.Replace, promrelabel.Keep, promrelabel.Drop, promrelabel.HashMod,
		promrelabel.Lowercase, promrelabel.Uppercase:
	case promrelabel.KeepEqual, promrelabel.DropEqual:
		if st.Get(rule.TargetLabel) == own {
			return true
		}
	case promrelabel.LabelMap:
		for _, n := range p.shared.names {
			if st.Get(n) == own && p.verdict(i, rule, n).match {
				return true
			}
		}
		return false
	case promrelabel.LabelDrop, promrelabel.LabelKeep:
		return false // they delete by name, reading no value
	default:
		return true
	}
	for _, n := range rule.SourceLabels {
		if st.Get(string(n)) == own {
			return true
		}
	}
	return false
}

// after appends to buf the labels a target's store holds after the
// shared rules, given vdisc, those it held before them, sorted: the shared
// labels, each placeholder replaced by the target's value of that name, or
// left out where it has none. Any other label of vdisc is the group's, or
// an own name written or deleted by the shared rules, which the shared
// labels hold as they left it.
func (s *shared) after(buf, vdisc []labels.Label) []labels.Label {
	for _, l := range s.labels {
		if l.Value != own {
			buf = append(buf, l)
			continue
		}
		for len(vdisc) > 0 && vdisc[0].Name < l.Name {
			vdisc = vdisc[1:]
		}
		if len(vdisc) > 0 && vdisc[0].Name == l.Name {
			buf = append(buf, vdisc[0])
		}
	}
	return buf
}

// sameNames reports whether a and b have the same names, in order.
func sameNames(a, b []labels.Label) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Name != b[i].Name {
			return false
		}
	}
	return true
}
