package relabel

import (
	"hash/maphash"

	"github.com/prometheus/prometheus/model/labels"
)

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
	// second is a second, independent hash of the labels: equal
	// labels.Hash and second stand for equal labels (two label sets differ
	// but agree on both once in 2^128), and cost 8 bytes rather than the
	// labels.
	second uint64
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
	if !r.sums.set {
		r.sums = sumsOf(r.Labels)
	}
	h, f := r.sums.hash, r.sums.second
	for _, k := range d.kept[h] {
		if k.second == f {
			r.DuplicateOf = k.ref
			return
		}
	}
	d.kept[h] = append(d.kept[h], keptTarget{ref: &Ref{Source: r.Source, Index: r.Index}, second: f})
}

// sums are the two hashes of a kept target's labels Duplicates compares.
// The Relabeler works them out as it keeps a target, where targets are
// relabeled side by side, rather than leaving them to Duplicates, which
// sees one target after the other.
type sums struct {
	hash, second uint64
	set          bool
}

// seed keys the second hash; it need only be the same within a run.
var seed = maphash.MakeSeed()

// sumsOf returns labels.Hash of ls and a maphash over its names and
// values, each followed by 0xff, a byte no UTF-8 text holds (a kept
// target's labels are valid UTF-8: finish checks them).
func sumsOf(ls labels.Labels) sums {
	var h maphash.Hash
	h.SetSeed(seed)
	ls.Range(func(l labels.Label) {
		h.WriteString(l.Name)
		h.WriteByte(0xff)
		h.WriteString(l.Value)
		h.WriteByte(0xff)
	})
	return sums{hash: ls.Hash(), second: h.Sum64(), set: true}
}
