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

// groupSource calls yield with a job's target groups, in the order of the
// report, and whether discovery made the group (rather than
// static_configs), until it returns false.
type groupSource func(yield func(g *discovery.Group, discovered bool) bool) error

// eachBatch discovers job's targets from source and relabels them on as
// many goroutines as there are processors, in batches of size targets
// (batchTargets but in tests; the last smaller), a group split over
// batches where it does not fit. Each target is handed to build on the
// goroutine that relabeled it, at once, with its discovered labels (only
// valid then: they are never copied), to add to the batch's out, which
// newOut makes and eachBatch resets for every batch. Then, batch after
// batch in the order of the report, never two at once, the batch's kept
// targets are marked for duplicates (which needs every target before them)
// and use is called with the results and out: what build made is yet
// without DuplicateOf, which use adds. Results, and the label sets they
// refer to, are only valid until use returns: discovery reuses the label
// sets of the groups it made. Results are the same as relabeling
// the groups one after the other (relabel.Pool). Once use returns an
// error, nothing more is discovered and that error is returned. About two
// batches per processor are in flight at most, so a job's results are
// never all held at once.
//
// Until wide is closed, if it is not nil, the goroutine that discovers
// also relabels each batch and calls use, one batch after the other, and
// yields the processor after each: see early.go. The other goroutines wait
// meanwhile, and use is called on the calling goroutine once wide is
// closed.
func eachBatch[O batchOutput](job *promconfig.Job, source groupSource, opts relabel.Options, size int, wide <-chan struct{},
	newOut func() O, build func(out O, r *relabel.Target, discovered []labels.Label), use func(out O, results []relabel.Target) error) error {
	workers := runtime.GOMAXPROCS(0)
	work := make(chan *batch[O])
	ordered := make(chan *batch[O], workers)
	stop := make(chan struct{})
	// free holds batches use is done with, to be filled again.
	free := make(chan *batch[O], cap(ordered)+workers+1)

	relabelBatch := func(r *relabel.Relabeler, b *batch[O]) {
		for _, p := range b.parts {
			r.VisitSorted(p.g.Source, p.g.Labels, p.g.Targets, p.from, p.to, func(t *relabel.Target, discovered []labels.Label) {
				b.results = append(b.results, *t)
				build(b.out, &b.results[len(b.results)-1], discovered)
			})
		}
	}
	dups := relabel.NewDuplicates()
	useBatch := func(b *batch[O]) error {
		dups.Mark(b.results)
		if err := use(b.out, b.results); err != nil {
			return err
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
		return nil
	}

	var discoverErr, narrowErr error
	go func() {
		defer close(ordered)
		defer close(work)
		var (
			cur    *batch[O]
			n      int
			narrow = wide != nil
			r      *relabel.Relabeler // narrow's
		)
		send := func() bool {
			b := cur
			cur, n = nil, 0
			if narrow {
				select {
				case <-wide:
					narrow = false
				default:
				}
			}
			if narrow {
				if r == nil {
					r = relabel.NewRelabeler(job.Scrape, opts)
				}
				relabelBatch(r, b)
				if narrowErr = useBatch(b); narrowErr != nil {
					return false
				}
				runtime.Gosched()
				return true
			}
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
		discoverErr = source(func(g *discovery.Group, discovered bool) bool {
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
		if cur != nil && discoverErr == nil && narrowErr == nil {
			send()
		}
	}()

	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			r := relabel.NewRelabeler(job.Scrape, opts)
			for b := range work {
				relabelBatch(r, b)
				close(b.built)
			}
		})
	}

	var err error
	for b := range ordered {
		if err != nil {
			continue // draining: the producer stops at its next send
		}
		<-b.built
		if err = useBatch(b); err != nil {
			close(stop)
		}
	}
	wg.Wait()
	if err != nil {
		return err
	}
	if narrowErr != nil {
		return narrowErr
	}
	return discoverErr
}

// groupsOf is the groupSource of job over objs.
func groupsOf(job *promconfig.Job, objs *objects, o *inputOptions) groupSource {
	return func(yield func(g *discovery.Group, discovered bool) bool) error {
		return eachGroup(job, objs, o, yield)
	}
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
	eachStatic(job, yield)
	return nil
}

// eachStatic calls yield with job's static_configs groups until it returns
// false.
func eachStatic(job *promconfig.Job, yield func(g *discovery.Group, discovered bool) bool) {
	for _, g := range job.Groups {
		if !yield(discovery.Sorted(g), false) {
			return
		}
	}
}
