package main

import (
	"runtime"
	"sync"

	"github.com/prometheus/prometheus/discovery/targetgroup"

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
type batch[T any] struct {
	parts   []part
	results []relabel.Target
	out     T
	// prev is closed once the batch before has been marked for
	// duplicates, marked once this one has, built once build is done.
	prev, marked, built chan struct{}
}

// part is the targets of a group from one index to another.
type part struct {
	g        *targetgroup.Group
	from, to int
}

// eachBatch discovers job's targets over objs and relabels them on as many
// goroutines as there are processors, in batches of size targets
// (batchTargets but in tests; the last smaller), a group split over
// batches where it does not fit. For each batch, in no set order and
// possibly concurrently, build is called with the batch's results,
// duplicates marked, to fill the batch's out (which holds what build made
// of an earlier batch, if any, so that its memory can be reused); then use
// is called with the results and out, on the calling goroutine, batch after
// batch in the order of the report. Results are the same as relabeling the
// groups one after the other (relabel.Pool): only marking duplicates needs
// the targets before, and batches are marked in order. Once use returns an
// error, nothing more is discovered and that error is returned. About two
// batches per processor are in flight at most, so a job's results are
// never all held at once.
func eachBatch[T any](job *promconfig.Job, objs *objects, o *inputOptions, opts relabel.Options, size int,
	build func(results []relabel.Target, out *T), use func(results []relabel.Target, out *T) error) error {
	workers := runtime.GOMAXPROCS(0)
	work := make(chan *batch[T])
	ordered := make(chan *batch[T], workers)
	stop := make(chan struct{})
	// free holds batches use is done with, to be filled again.
	free := make(chan *batch[T], cap(ordered)+workers+1)

	var discoverErr error
	go func() {
		defer close(ordered)
		defer close(work)
		prev := make(chan struct{})
		close(prev)
		var cur *batch[T]
		n := 0
		send := func() bool {
			cur.prev, cur.marked, cur.built = prev, make(chan struct{}), make(chan struct{})
			prev = cur.marked
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
		discoverErr = eachGroup(job, objs, o, func(g *targetgroup.Group) bool {
			for from := 0; from < len(g.Targets); {
				if cur == nil {
					select {
					case cur = <-free:
						clear(cur.parts)
						clear(cur.results) // let go of what they point at
						cur.parts, cur.results = cur.parts[:0], cur.results[:0]
					default:
						cur = &batch[T]{}
					}
				}
				to := min(len(g.Targets), from+size-n)
				cur.parts = append(cur.parts, part{g: g, from: from, to: to})
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

	dups := relabel.NewDuplicates()
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			r := relabel.NewRelabeler(job.Scrape, opts)
			for b := range work {
				for _, p := range b.parts {
					b.results = r.Targets(b.results, p.g, p.from, p.to)
				}
				<-b.prev
				dups.Mark(b.results)
				close(b.marked)
				build(b.results, &b.out)
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
		if err = use(b.results, &b.out); err != nil {
			close(stop)
			continue
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
// the report, until it returns false.
func eachGroup(job *promconfig.Job, objs *objects, o *inputOptions, yield func(*targetgroup.Group) bool) error {
	for i, sd := range job.Kubernetes {
		stopped := false
		err := discovery.Each(objs.of(sd), sd, discovery.Options{OwnNamespace: o.ownNamespace}, func(g *targetgroup.Group) bool {
			stopped = !yield(g)
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
		if !yield(g) {
			return nil
		}
	}
	return nil
}
