package relabel

import "github.com/prometheus/prometheus/model/labels"

// Duplicates finds the kept targets whose labels equal those of an earlier
// kept target of the same job. Of the targets it has seen it keeps only two
// hashes of each kept one's labels.
type Duplicates struct {
	// kept maps the hash of a kept target's labels to the first kept
	// targets with that hash.
	kept map[uint64][]keptTarget
}

type keptTarget struct {
	ref *Ref
	// fnv is a second, independent hash of the labels: equal labels.Hash
	// and fnv stand for equal labels (two label sets differ but agree on
	// both once in 2^128), and cost 8 bytes rather than the labels.
	fnv uint64
}

// NewDuplicates returns a Duplicates that has seen no target.
func NewDuplicates() *Duplicates {
	return &Duplicates{kept: map[uint64][]keptTarget{}}
}

// Mark sets DuplicateOf of each kept target in ts that repeats the labels
// of a kept target seen earlier, in ts or in an earlier call. Targets are to
// be given in the order Prometheus would see them.
func (d *Duplicates) Mark(ts []Target) {
	for i := range ts {
		if ts[i].State == Kept {
			d.mark(&ts[i])
		}
	}
}

// mark links a kept target to the first earlier kept target with
// identical labels. Prometheus itself tells targets apart by a hash of the
// full label set and the scrape URL; the URL is a function of the labels
// and the job, so labels suffice.
func (d *Duplicates) mark(r *Target) {
	h, f := r.Labels.Hash(), fnvHash(r.Labels)
	for _, k := range d.kept[h] {
		if k.fnv == f {
			r.DuplicateOf = k.ref
			return
		}
	}
	d.kept[h] = append(d.kept[h], keptTarget{ref: &Ref{Source: r.Source, Index: r.Index}, fnv: f})
}

// fnvHash is FNV-1a (hash/fnv's New64a) over the labels' names and
// values, each followed by 0xff, a byte no UTF-8 text holds (a kept
// target's labels are valid UTF-8: finish checks them). Written out, it
// hashes the strings without copying them to bytes.
func fnvHash(ls labels.Labels) uint64 {
	const prime = 1099511628211
	h := uint64(14695981039346656037)
	add := func(s string) {
		for i := 0; i < len(s); i++ {
			h ^= uint64(s[i])
			h *= prime
		}
		h ^= 0xff
		h *= prime
	}
	ls.Range(func(l labels.Label) {
		add(l.Name)
		add(l.Value)
	})
	return h
}
