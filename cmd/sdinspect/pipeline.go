package main

import (
	"runtime"
	"sync"

	"github.com/prometheus/prometheus/model/labels"

	"github.com/sdinspect/sdinspect/discovery"
	"github.com/sdinspect/sdinspect/promconfig"
	"github.com/sdinspect/sdinspect/relabel"
)

// batchTargets is how many targets a batch of eachBatch holds: enough that
// handing batches between goroutines costs little next to relabeling them,
// few enough that the batches in flight stay small.
const batchTargets = 128

// batch is a run of consecutive targets of one job, relabeled together,
// and what build made of them.
type batch[O batchOutput] struct {
	parts   []part
	results []relabel.Target
	out     O
	built   chan struct{} // closed once every target is built
}

// batchOutput is what eachBatch's build makes of a batch's targets.
type batchOutput interface {
	// reset empties it for another batch, keeping its memory.
	reset()
}

// part is the targets of a group from one index to another.
type part struct {
	g        *discovery.Group
	from, to int
	// recycle is set on the last part of a group discovery made, whose
	// label sets discovery may reuse once the batch is used.
	recycle bool
}

// eachBatch discovers job's targets over objs and relabels them on as many
// goroutines as there are processors, in batches of size targets
// (batchTargets but in tests; the last smaller), a group split over
// batches where it does not fit. Each target is handed to build on the
// goroutine that relabeled it, at once, with its discovered labels (only
// valid then: they are never copied), to add to the batch's out, which
// newOut makes and eachBatch resets for every batch. Then, on the calling
// goroutine, batch after batch in the order of the report, the batch's kept
// targets are marked for duplicates (which needs every target before them)
// and use is called with the results and out: what build made is yet
// without DuplicateOf, which use adds. Results, and the label sets they
// refer to, are only valid until use returns: discovery reuses the label
// sets of the groups it made. Results are the same as relabeling
// the groups one after the other (relabel.Pool). Once use returns an
// error, nothing more is discovered and that error is returned. About two
// batches per processor are in flight at most, so a job's results are
// never all held at once.
func eachBatch[O batchOutput](job *promconfig.Job, objs *objects, o *inputOptions, opts relabel.Options, size int,
	newOut func() O, build func(out O, r *relabel.Target, discovered []labels.Label), use func(out O, results []relabel.Target) error) error {
	workers := runtime.GOMAXPROCS(0)
	work := make(chan *batch[O])
	ordered := make(chan *batch[O], workers)
	stop := make(chan struct{})
	// free holds batches use is done with, to be filled again.
	free := make(chan *batch[O], cap(ordered)+workers+1)

	var discoverErr error
	go func() {
		defer close(ordered)
		defer close(work)
		var cur *batch[O]
		n := 0
		send := func() bool {
			b := cur
			cur, n = nil, 0
			select {
			case ordered <- b:
			case <-stop:
				return false
			}
			select {
			case work <- b:
				return true
			case <-stop: // b is never built: use is not called any more
				return false
			}
		}
		discoverErr = eachGroup(job, objs, o, func(g *discovery.Group, discovered bool) bool {
			// Once its last part is sent, g belongs to the writer.
			total := len(g.Targets)
			for from := 0; from < total; {
				if cur == nil {
					select {
					case cur = <-free:
						clear(cur.parts)
						clear(cur.results) // let go of what they point at
						cur.parts, cur.results = cur.parts[:0], cur.results[:0]
						cur.out.reset()
					default:
						cur = &batch[O]{out: newOut()}
					}
					cur.built = make(chan struct{})
				}
				to := min(total, from+size-n)
				cur.parts = append(cur.parts, part{g: g, from: from, to: to, recycle: discovered && to == total})
				n += to - from
				from = to
				if n >= size && !send() {
					return false
				}
			}
			return true
		})
		if cur != nil && discoverErr == nil {
			send()
		}
	}()

	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			r := relabel.NewRelabeler(job.Scrape, opts)
			for b := range work {
				for _, p := range b.parts {
					r.VisitSorted(p.g.Source, p.g.Labels, p.g.Targets, p.from, p.to, func(t *relabel.Target, discovered []labels.Label) {
						b.results = append(b.results, *t)
						build(b.out, &b.results[len(b.results)-1], discovered)
					})
				}
				close(b.built)
			}
		})
	}

	dups := relabel.NewDuplicates()
	var err error
	for b := range ordered {
		if err != nil {
			continue // draining: the producer stops at its next send
		}
		<-b.built
		dups.Mark(b.results)
		if err = use(b.out, b.results); err != nil {
			close(stop)
			continue
		}
		for _, p := range b.parts {
			if p.recycle {
				discovery.Recycle(p.g)
			}
		}
		select {
		case free <- b:
		default:
		}
	}
	wg.Wait()
	if err != nil {
		return err
	}
	return discoverErr
}

// eachGroup calls yield with job's target groups over objs, in the order of
// the report, and whether discovery made the group (rather than
// static_configs), until it returns false.
func eachGroup(job *promconfig.Job, objs *objects, o *inputOptions, yield func(g *discovery.Group, discovered bool) bool) error {
	for i, sd := range job.Kubernetes {
		stopped := false
		err := discovery.Each(objs.of(sd), sd, discovery.Options{OwnNamespace: o.ownNamespace}, func(g *discovery.Group) bool {
			stopped = !yield(g, true)
			return !stopped
		})
		if err != nil {
			return sdError(job, i, err)
		}
		if stopped {
			return nil
		}
	}
	for _, g := range job.Groups {
		if !yield(discovery.Sorted(g), false) {
			return nil
		}
	}
	return nil
}
