package relabel

import (
	"slices"

	"github.com/prometheus/prometheus/model/labels"
)

// Why the one-pass population keeps a target's labels in a store.
//
// labels.Builder keeps its base encoded in one string and the labels set
// and deleted since in two lists: every Get scans the base, every Range
// checks each label against both lists, and a new base costs an encoding.
// Those were half of what relabeling a target cost. With the one-pass
// population the order in which labels are visited cannot change a result
// (order.go), so the labels are kept in a slice sorted by name instead:
// Get and Set are a binary search, the base is a copy, and the checks
// after the rules read the labels sorted as they are. The rules and checks
// do the same to it as to a Builder (names.go, finish).

// store holds labels sorted by name, each name once, none with an empty
// value, as a labels.Builder holds them.
type store struct {
	ls   []labels.Label
	snap []labels.Label // Range's copy
}

// reset sets the labels to ls, sorted by name, without empty values.
func (s *store) reset(ls []labels.Label) { s.ls = append(s.ls[:0], ls...) }

// find returns where name is, or would be, and whether it is there.
func (s *store) find(name string) (int, bool) {
	i, j := 0, len(s.ls)
	for i < j {
		h := int(uint(i+j) >> 1)
		if s.ls[h].Name < name {
			i = h + 1
		} else {
			j = h
		}
	}
	return i, i < len(s.ls) && s.ls[i].Name == name
}

// Get returns the value of the label named name, "" if none.
func (s *store) Get(name string) string {
	if i, ok := s.find(name); ok {
		return s.ls[i].Value
	}
	return ""
}

// Set sets the label named name to value, deleting it if value is empty.
func (s *store) Set(name, value string) {
	if value == "" {
		s.Del(name)
		return
	}
	i, ok := s.find(name)
	if ok {
		s.ls[i].Value = value
		return
	}
	s.ls = slices.Insert(s.ls, i, labels.Label{Name: name, Value: value})
}

// Del deletes the label named name.
func (s *store) Del(name string) {
	if i, ok := s.find(name); ok {
		s.ls = slices.Delete(s.ls, i, i+1)
	}
}

// Range calls f with each label as they are when it starts, whatever f
// sets or deletes.
func (s *store) Range(f func(labels.Label)) {
	s.snap = append(s.snap[:0], s.ls...)
	for _, l := range s.snap {
		f(l)
	}
}

// Sorted appends the labels to buf, sorted by name.
func (s *store) Sorted(buf []labels.Label) []labels.Label { return append(buf, s.ls...) }

// builderSet is a labels.Builder as a labelSet.
type builderSet struct{ lb *labels.Builder }

func (b builderSet) Get(name string) string       { return b.lb.Get(name) }
func (b builderSet) Set(name, value string)       { b.lb.Set(name, value) }
func (b builderSet) Del(name string)              { b.lb.Del(name) }
func (b builderSet) Range(f func(l labels.Label)) { b.lb.Range(f) }
func (b builderSet) Sorted(buf []labels.Label) []labels.Label {
	return sorted(b.lb, buf)
}

// labelSet is what the rules and the checks after them read and write:
// a target's store, or the labels.Builder of Prometheus's population.
type labelSet interface {
	Get(name string) string
	// Set sets a label, deleting it when value is empty.
	Set(name, value string)
	Del(name string)
	// Range calls f with each label as they are when it starts.
	Range(f func(l labels.Label))
	// Sorted appends the labels to buf, sorted by name.
	Sorted(buf []labels.Label) []labels.Label
}
