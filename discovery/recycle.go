package discovery

import (
	"sync"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/discovery/targetgroup"
)

// labelSets holds label sets that Each may fill again: those of groups its
// caller is done with (Recycle) and its own per-pod ones. A large run
// builds a map for every target, and maps were most of what it allocated.
var labelSets sync.Pool

// newLabelSet returns an empty label set for about size labels.
func newLabelSet(size int) model.LabelSet {
	if ls, ok := labelSets.Get().(model.LabelSet); ok {
		return ls
	}
	return make(model.LabelSet, size)
}

// recycle empties ls and keeps it for newLabelSet.
func recycle(ls model.LabelSet) {
	if ls != nil {
		clear(ls)
		labelSets.Put(ls)
	}
}

// Recycle lets Each reuse the label sets of g, a group Each yielded, once
// the caller is done with g and with everything that refers to its label
// sets. g is left without labels and targets.
func Recycle(g *targetgroup.Group) {
	for _, t := range g.Targets {
		recycle(t)
	}
	recycle(g.Labels)
	clear(g.Targets)
	g.Targets, g.Labels = nil, nil
}
