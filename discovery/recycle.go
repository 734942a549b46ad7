package discovery

import (
	"sync"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/discovery/targetgroup"
)

// labelSets holds label sets that Each may fill again: those of groups its
// caller is done with (Recycle) and its own per-pod ones. A large run
// builds a map for every target, and maps were most of what it allocated.
// Small and large sets are kept apart, so that a set taken for many labels
// has room for them: a map keeps its room when cleared, but grows by
// allocating.
var labelSets [2]sync.Pool

// largeSet is the number of labels from which a set is large: a pod's
// target in the pod role has fewer, one in the endpoints roles (the pod's
// labels merged in) and a pod's group labels more.
const largeSet = 16

// groupSize is about how many labels a service-backed group holds: its
// own metadata and its service's.
const groupSize = 32

func sizeClass(n int) int {
	if n >= largeSet {
		return 1
	}
	return 0
}

// newLabelSet returns an empty label set for about size labels.
func newLabelSet(size int) model.LabelSet {
	if ls, ok := labelSets[sizeClass(size)].Get().(model.LabelSet); ok {
		return ls
	}
	return make(model.LabelSet, size)
}

// recycle empties ls and keeps it for newLabelSet.
func recycle(ls model.LabelSet) {
	if ls != nil {
		class := sizeClass(len(ls))
		clear(ls)
		labelSets[class].Put(ls)
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
