package diff

import (
	"cmp"
	"maps"
	"slices"
	"strings"

	"github.com/sdinspect/sdinspect/report"
)

// candidate is one target of one side, with what pairing needs.
type candidate struct {
	t      *report.Target
	key    key
	port   port
	scrape map[string]string
}

func candidates(j *report.Job) map[key][]candidate {
	out := map[key][]candidate{}
	if j == nil {
		return out
	}
	for i := range j.Targets {
		t := &j.Targets[i]
		k := keyOf(t.DiscoveredLabels)
		out[k] = append(out[k], candidate{t: t, key: k, port: portOf(t.DiscoveredLabels), scrape: scrape(t)})
	}
	for _, cs := range out {
		slices.SortStableFunc(cs, func(a, b candidate) int {
			return cmp.Or(cmp.Compare(a.t.Source, b.t.Source), cmp.Compare(a.t.Index, b.t.Index))
		})
	}
	return out
}

// compareJob compares one job's targets; base or head is nil for a job
// only the other side has.
func compareJob(base, head *report.Job) report.JobDiff {
	j := report.JobDiff{Added: []report.TargetDiff{}, Removed: []report.TargetDiff{}, Relabelled: []report.TargetDiff{}}
	bs, hs := candidates(base), candidates(head)
	keys := slices.Collect(maps.Keys(bs))
	for k := range hs {
		if _, ok := bs[k]; !ok {
			keys = append(keys, k)
		}
	}
	for _, k := range keys {
		for _, p := range pairTargets(bs[k], hs[k]) {
			classify(&j, p)
		}
	}
	for _, l := range [][]report.TargetDiff{j.Added, j.Removed, j.Relabelled} {
		slices.SortFunc(l, compareTargetDiffs)
	}
	j.Summary.Added, j.Summary.Removed, j.Summary.Relabelled = len(j.Added), len(j.Removed), len(j.Relabelled)
	switch {
	case base == nil:
		j.Job, j.Status = head.Job, report.JobAdded
	case head == nil:
		j.Job, j.Status = base.Job, report.JobRemoved
	case j.Summary.Added+j.Summary.Removed+j.Summary.Relabelled > 0:
		j.Job, j.Status = head.Job, report.JobChanged
	default:
		j.Job, j.Status = head.Job, report.JobUnchanged
	}
	return j
}

// pair is a target of base, of head, or of both; never of neither.
type pair struct{ base, head *candidate }

// pairTargets pairs targets of the same identity, in three rounds that
// each go in order: those scraped identically (not scraped on both sides
// counts), then those scraped on both sides (relabelled: one difference
// rather than a removed and an added one), then the rest. In each round,
// targets of the same port pair first. What is left over has no
// counterpart.
func pairTargets(bs, hs []candidate) []pair {
	var out []pair
	usedB, usedH := make([]bool, len(bs)), make([]bool, len(hs))
	rounds := []func(b, h map[string]string) bool{
		sameScrape,
		func(b, h map[string]string) bool { return b != nil && h != nil },
		func(_, _ map[string]string) bool { return true },
	}
	for _, match := range rounds {
		for _, samePort := range []bool{true, false} {
			for i := range bs {
				for k := range hs {
					if !usedB[i] && !usedH[k] && (!samePort || bs[i].port == hs[k].port) && match(bs[i].scrape, hs[k].scrape) {
						out = append(out, pair{&bs[i], &hs[k]})
						usedB[i], usedH[k] = true, true
					}
				}
			}
		}
	}
	for i := range bs {
		if !usedB[i] {
			out = append(out, pair{base: &bs[i]})
		}
	}
	for k := range hs {
		if !usedH[k] {
			out = append(out, pair{head: &hs[k]})
		}
	}
	return out
}

func sameScrape(a, b map[string]string) bool {
	return (a == nil) == (b == nil) && maps.Equal(a, b)
}

// classify adds p to the job's differences, or counts it as unchanged.
func classify(j *report.JobDiff, p pair) {
	var b, h map[string]string
	var k key
	if p.base != nil {
		b, k = p.base.scrape, p.base.key
	}
	if p.head != nil {
		h, k = p.head.scrape, p.head.key
	}
	d := report.TargetDiff{Address: k.address, Object: k.object(), Base: side(p.base), Head: side(p.head)}
	switch {
	case b == nil && h == nil:
		// Scraped by neither: no difference, and nothing scraped.
	case b == nil:
		j.Added = append(j.Added, d)
	case h == nil:
		j.Removed = append(j.Removed, d)
	case maps.Equal(b, h):
		j.Summary.Unchanged++
	default:
		d.Changes = changes(b, h)
		j.Relabelled = append(j.Relabelled, d)
	}
}

func side(c *candidate) *report.TargetSide {
	if c == nil {
		return nil
	}
	t := c.t
	s := &report.TargetSide{Source: t.Source, Index: t.Index, State: t.State, Labels: c.scrape,
		DuplicateOf: t.DuplicateOf, DroppedBy: t.DroppedBy, Error: t.Error}
	if c.scrape != nil {
		s.ScrapeURL = t.ScrapeURL
	}
	return s
}

// changes lists, by name, the labels whose values differ between a and b.
func changes(a, b map[string]string) []report.Change {
	var out []report.Change
	for _, n := range slices.Sorted(maps.Keys(a)) {
		if v := b[n]; v != a[n] {
			out = append(out, report.Change{Label: n, Before: a[n], After: v})
		}
	}
	for _, n := range slices.Sorted(maps.Keys(b)) {
		if _, ok := a[n]; !ok {
			out = append(out, report.Change{Label: n, After: b[n]})
		}
	}
	slices.SortStableFunc(out, func(x, y report.Change) int { return strings.Compare(x.Label, y.Label) })
	return out
}

func compareTargetDiffs(a, b report.TargetDiff) int {
	return cmp.Or(
		cmp.Compare(a.Address, b.Address),
		cmp.Compare(a.Object, b.Object),
		compareSides(a.Base, b.Base),
		compareSides(a.Head, b.Head),
	)
}

func compareSides(a, b *report.TargetSide) int {
	switch {
	case a == nil && b == nil:
		return 0
	case a == nil:
		return -1
	case b == nil:
		return 1
	}
	return cmp.Or(cmp.Compare(a.Source, b.Source), cmp.Compare(a.Index, b.Index))
}
