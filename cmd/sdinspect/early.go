package main

import (
	"errors"
	"slices"
	"sync"

	"github.com/prometheus/prometheus/discovery/kubernetes"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/sdinspect/sdinspect/cluster"
	"github.com/sdinspect/sdinspect/discovery"
	"github.com/sdinspect/sdinspect/promconfig"
	"github.com/sdinspect/sdinspect/relabel"
	"github.com/sdinspect/sdinspect/report"
)

// Why a live run relabels a job while it lists.
//
// A live run of `targets -o json` lists, then discovers, relabels and
// writes. While it lists, the API server, etcd and the client's decoding
// leave part of the processors idle, even on two cores: the server answers
// one page at a time. Work done then on one goroutine that yields after
// every batch of targets fills those gaps without slowing the list much;
// work on every processor at once takes the decoding's processor and slows
// it by more than it saves (the README's live benchmark tells both).
//
// So the first job whose targets come from pods alone (role pod, nothing
// attached) is discovered, relabeled and encoded page by page, as the pods
// are listed. What it writes is held until the list ends, because only then
// is the report's header known (was any list refused?), and at most
// earlyHold bytes of it: then it waits. At the end of the list the held
// targets are only used if the pages held the pods List returned for the
// job, each once, in the order discovery builds groups in (by namespace/name
// key): then discovering them page by page made the same groups in the same
// order as discovering them all at once. That is the case when the job's
// pods come from one request, since the API server lists by key. Otherwise
// they are dropped, and the job is done as any other.

// earlyHold is the most output an early job holds while the list goes on.
const earlyHold = 256 << 20

// errAbandoned ends an early job whose results will not be used.
var errAbandoned = errors.New("early results abandoned")

// early is a job relabeled while its pods are listed.
type early struct {
	job *promconfig.Job
	sd  *kubernetes.SDConfig

	mu     sync.Mutex
	queue  [][]*corev1.Pod // pages not yet discovered
	got    []*corev1.Pod   // every pod of every page, in order
	firsts int             // first pages seen
	over   bool            // no page will come any more
	wake   chan struct{}   // a page came, or the list ended

	wide     chan struct{} // closed once the list ends: eachBatch's wide
	endOnce  sync.Once
	released chan struct{} // closed by finish or abandon
	relOnce  sync.Once
	rel      *release   // nil if abandoned
	done     chan error // run's end; nil once read

	hold int  // earlyHold but in tests
	used bool // finish used the results
	// waiting, if set, is called when run is about to wait: for a page,
	// for the list's end, or with as much held as it may hold (tests).
	waiting func()

	// Written by run only.
	held      [][]byte
	heldBytes int
	heldN     int // targets in held; -1 once held was written
	heldCount int // results in held, for progress
	j         report.Job
}

// release is where an early job writes once the list has ended.
type release struct {
	out      *report.JSONStream
	j        report.Job
	progress func(int)
}

// newEarly starts relabeling job as its pods are listed, if it can be done
// so: see above. It returns nil if not.
func (o *targetsOptions) newEarly(job *promconfig.Job) *early {
	e := newEarlyHolding(job, earlyHold)
	if e != nil {
		e.start(o)
	}
	return e
}

// newEarlyHolding returns an early job that holds at most hold bytes, not
// yet started, or nil.
func newEarlyHolding(job *promconfig.Job, hold int) *early {
	if len(job.Kubernetes) != 1 {
		return nil
	}
	sd := job.Kubernetes[0]
	if sd.Role != kubernetes.RolePod || sd.AttachMetadata != (kubernetes.AttachMetadataConfig{}) || discovery.Validate(sd) != nil {
		return nil
	}
	return &early{
		job:      job,
		sd:       sd,
		wake:     make(chan struct{}, 1),
		wide:     make(chan struct{}),
		released: make(chan struct{}),
		done:     make(chan error, 1),
		hold:     hold,
		j:        jobHeader(job),
	}
}

// start starts relabeling the pages.
func (e *early) start(o *targetsOptions) {
	opts := discovery.Options{OwnNamespace: o.input.ownNamespace}
	go func() {
		e.done <- e.run(o, opts)
	}()
}

// page is the list's cluster.ListOptions.Page.
func (e *early) page(r cluster.Request, objs []runtime.Object, first bool) {
	if r.Resource != "pods" || !slices.ContainsFunc(r.NeededBy, func(n cluster.Need) bool { return n.Job == e.job.Scrape.JobName }) {
		return
	}
	pods := make([]*corev1.Pod, 0, len(objs))
	for _, o := range objs {
		if p, ok := o.(*corev1.Pod); ok {
			pods = append(pods, p)
		}
	}
	e.mu.Lock()
	if first {
		e.firsts++
	}
	e.got = append(e.got, pods...)
	if e.firsts == 1 {
		e.queue = append(e.queue, pods)
	}
	e.mu.Unlock()
	e.signal()
}

func (e *early) signal() {
	select {
	case e.wake <- struct{}{}:
	default:
	}
}

// listed tells e that the list has ended, whatever its outcome.
func (e *early) listed() {
	e.endOnce.Do(func() {
		e.mu.Lock()
		e.over = true
		e.mu.Unlock()
		e.signal()
		close(e.wide)
	})
}

// next returns the next page to discover, waiting for it, or false once
// there is none or the results cannot be used.
func (e *early) next() ([]*corev1.Pod, bool) {
	for {
		e.mu.Lock()
		switch {
		case e.firsts > 1:
			e.mu.Unlock()
			return nil, false
		case len(e.queue) > 0:
			p := e.queue[0]
			e.queue[0] = nil
			e.queue = e.queue[1:]
			e.mu.Unlock()
			return p, true
		case e.over:
			e.mu.Unlock()
			return nil, false
		}
		e.mu.Unlock()
		if e.waiting != nil {
			e.waiting()
		}
		select {
		case <-e.wake:
		case <-e.released:
			if e.rel == nil {
				return nil, false
			}
		}
	}
}

// groups is the job's groupSource: the groups of its pods, page by page,
// then its static_configs.
func (e *early) groups(opts discovery.Options) groupSource {
	return func(yield func(g *discovery.Group, discovered bool) bool) error {
		for {
			pods, ok := e.next()
			if !ok {
				break
			}
			stopped := false
			err := discovery.Each(&discovery.Snapshot{Pods: pods}, e.sd, opts, func(g *discovery.Group) bool {
				stopped = !yield(g, true)
				return !stopped
			})
			if err != nil {
				return sdError(e.job, 0, err)
			}
			if stopped {
				return nil
			}
		}
		eachStatic(e.job, yield)
		return nil
	}
}

// run relabels the job, holding what it writes until finish or abandon,
// then writes it and the rest of the job.
func (e *early) run(o *targetsOptions, opts discovery.Options) error {
	err := eachBatch(e.job, e.groups(opts), relabel.Options{Trace: o.trace}, batchTargets, e.wide,
		newEncoded, o.encodeTarget(e.job),
		func(enc *encoded, results []relabel.Target) error {
			for i := range results {
				count(&e.j.Summary, &results[i])
			}
			return e.write(enc.n, len(results), enc.withDuplicates(results))
		})
	if err != nil {
		return err
	}
	if err := e.begin(); err != nil {
		return err
	}
	return e.rel.out.EndJob(&e.j)
}

// write writes n targets in parts, of a batch of count results, or holds
// them until the list ends.
func (e *early) write(n, count int, parts [][]byte) error {
	if e.heldN >= 0 && e.heldBytes >= e.hold {
		if e.waiting != nil {
			e.waiting()
		}
		<-e.released
	}
	select {
	case <-e.released:
		if err := e.begin(); err != nil {
			return err
		}
		e.rel.progress(count)
		return e.rel.out.Targets(n, parts...)
	default:
	}
	size := 0
	for _, p := range parts {
		size += len(p)
	}
	b := make([]byte, 0, size)
	for _, p := range parts {
		b = append(b, p...)
	}
	e.held = append(e.held, b)
	e.heldBytes += size
	e.heldN += n
	e.heldCount += count
	return nil
}

// begin waits for finish or abandon, and then, the first time, writes the
// job's header and what was held.
func (e *early) begin() error {
	if e.waiting != nil {
		e.waiting()
	}
	<-e.released
	if e.rel == nil {
		return errAbandoned
	}
	if e.heldN < 0 {
		return nil
	}
	e.j.Partial = e.rel.j.Partial
	if err := e.rel.out.BeginJob(&e.j); err != nil {
		return err
	}
	e.rel.progress(e.heldCount)
	err := e.rel.out.Targets(e.heldN, e.held...)
	e.held, e.heldN = nil, -1
	return err
}

// finish writes the job to out, with the header j, if the pages held pods,
// the pods List returned for the job, in key order (see above), and reports
// whether it did; if not, it gives the results up.
func (e *early) finish(out *report.JSONStream, j report.Job, progress func(int), pods []*corev1.Pod) (bool, error) {
	e.mu.Lock()
	ok := e.over && e.firsts <= 1 && len(e.got) == len(pods) && discovery.InKeyOrder(e.got)
	if ok {
		got := make(map[*corev1.Pod]bool, len(e.got))
		for _, p := range e.got {
			got[p] = true
		}
		for _, p := range pods {
			ok = ok && got[p]
		}
	}
	e.mu.Unlock()
	if !ok {
		e.abandon()
		return false, nil
	}
	e.relOnce.Do(func() {
		e.rel = &release{out: out, j: j, progress: progress}
		e.used = true
		close(e.released)
	})
	err := <-e.done
	e.done = nil
	return true, err
}

// abandon gives the results up, if finish has not used them, and waits
// for the goroutine making them to end.
func (e *early) abandon() {
	e.listed()
	e.relOnce.Do(func() { close(e.released) })
	if e.done != nil {
		<-e.done // an error, if any, the job meets again when done as any other
		e.done = nil
	}
}
