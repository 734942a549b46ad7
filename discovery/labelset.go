package discovery

import (
	"sort"
	"sync"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/discovery/targetgroup"
	"github.com/prometheus/prometheus/model/labels"
)

// Group is a target group as Each yields it: what Prometheus's
// targetgroup.Group holds, with every label set sorted by name and each
// name once, the form relabeling reads. Labels with empty values are kept,
// as Prometheus's groups keep them.
type Group struct {
	Source  string
	Labels  []labels.Label
	Targets [][]labels.Label

	// arena holds the label sets' memory, for Recycle.
	arena *arena
}

// TargetGroup returns g as Prometheus's discovery gives it.
func (g *Group) TargetGroup() *targetgroup.Group {
	tg := &targetgroup.Group{Source: g.Source, Labels: labelSetOf(g.Labels)}
	for _, t := range g.Targets {
		tg.Targets = append(tg.Targets, labelSetOf(t))
	}
	return tg
}

func labelSetOf(ls []labels.Label) model.LabelSet {
	out := make(model.LabelSet, len(ls))
	for _, l := range ls {
		out[model.LabelName(l.Name)] = model.LabelValue(l.Value)
	}
	return out
}

// Sorted returns tg in the form Each yields, for groups that do not come
// from discovery (static_configs). Recycling it is harmless.
func Sorted(tg *targetgroup.Group) *Group {
	a := new(arena)
	g := &Group{Source: tg.Source}
	g.Labels = appendSorted(a, tg.Labels)
	for _, t := range tg.Targets {
		g.Targets = append(g.Targets, appendSorted(a, t))
	}
	return g
}

func appendSorted(a *arena, ls model.LabelSet) []labels.Label {
	s := a.open()
	for n, v := range ls {
		s.set(n, v)
	}
	return s.done()
}

// arenas holds the memory of groups their callers are done with
// (Recycle), for Each to fill again: a large run builds a label set for
// every target, and those were most of what it allocated.
var arenas sync.Pool

func newArena() *arena {
	if a, ok := arenas.Get().(*arena); ok {
		return a
	}
	return new(arena)
}

// Recycle lets Each reuse the memory of g, a group Each yielded, once the
// caller is done with g and with everything that refers to its label sets.
// g is left without labels and targets.
func Recycle(g *Group) {
	if a := g.arena; a != nil {
		clear(a.ls) // let go of the strings
		clear(a.tmp)
		a.ls = a.ls[:0]
		arenas.Put(a)
	}
	*g = Group{Source: g.Source}
}

// An arena holds the label sets of a group, one after the other.
type arena struct {
	ls []labels.Label
	// runs holds where the open set's ascending runs after its first
	// start, and tmp is scratch space for merging them.
	runs []int
	tmp  []labels.Label
}

// open starts a label set after those the arena holds.
func (a *arena) open() labelSet {
	return labelSet{a, len(a.ls)}
}

// labelSet collects one label set in the order a builder sets its labels,
// at the end of an arena that holds the sets built before it, until done.
// Setting a name again replaces its value, as in a map.
type labelSet struct {
	arena *arena
	start int
}

func (s labelSet) set(name model.LabelName, value model.LabelValue) {
	a := s.arena
	if n := len(a.ls); n > s.start && a.ls[n-1].Name > string(name) {
		a.runs = append(a.runs, n)
	}
	a.ls = append(a.ls, labels.Label{Name: string(name), Value: string(value)})
}

// merge sets every label of ls, a set done before.
func (s labelSet) merge(ls []labels.Label) {
	a := s.arena
	if n := len(a.ls); n > s.start && len(ls) > 0 && a.ls[n-1].Name > ls[0].Name {
		a.runs = append(a.runs, n)
	}
	a.ls = append(a.ls, ls...)
}

// done returns the set's labels sorted by name, each name with the value
// set last; the arena's next set starts after them. Builders set labels
// mostly in order (a pod's labels come as one sorted set), so the labels
// form a few ascending runs, which are merged pairwise.
func (s labelSet) done() []labels.Label {
	a := s.arena
	for starts := a.runs; len(starts) > 0; {
		next := starts[:0] // the runs the next round merges
		lo := s.start
		for i := 0; i < len(starts); i += 2 {
			mid, hi := starts[i], len(a.ls)
			if i+1 < len(starts) {
				hi = starts[i+1]
				next = append(next, hi) // over starts[i/2], read before
			}
			a.merge(a.ls[lo:hi], mid-lo)
			lo = hi
		}
		starts = next
	}
	a.runs = a.runs[:0]
	ls := a.ls[s.start:]
	n := 0
	for i, l := range ls {
		if i+1 < len(ls) && ls[i+1].Name == l.Name {
			continue // a later value wins
		}
		ls[n] = l
		n++
	}
	a.ls = a.ls[:s.start+n]
	return ls[:n:n]
}

// merge sorts ls, made of the ascending runs ls[:mid] and ls[mid:], keeping
// labels of the same name in the order they were set.
func (a *arena) merge(ls []labels.Label, mid int) {
	// The first run's labels up to the second run's first are in place.
	skip := sort.Search(mid, func(i int) bool { return ls[i].Name > ls[mid].Name })
	ls, mid = ls[skip:], mid-skip
	a.tmp = append(a.tmp[:0], ls[:mid]...)
	left, right := a.tmp, ls[mid:]
	k := 0
	for len(left) > 0 && len(right) > 0 {
		if right[0].Name < left[0].Name {
			ls[k], right = right[0], right[1:]
		} else {
			ls[k], left = left[0], left[1:]
		}
		k++
	}
	copy(ls[k:], left) // what is left of right is in place
}
