package main

import (
	"bytes"
	"errors"
	"slices"
	"sync"

	"github.com/prometheus/prometheus/discovery/kubernetes"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
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
// So the first job of role pod or endpointslice with nothing attached is
// discovered, relabeled and encoded as what it needs is listed: pods page
// by page; endpoint slices once the services and slices are listed whole
// (short lists, done early), each slice as soon as every pod it points at
// is known. What it writes is held until the list ends, because only then
// is the report's header known (was any list refused?), and at most
// earlyHold bytes of it: then it waits. At the end of the list the held
// targets are only used if the pages held the objects List returned for
// the job, each once, in the order discovery builds groups in (by
// namespace/name key): then discovering them as they came made the same
// groups in the same order as discovering them all at once. That is the
// case when each resource comes from one request, since the API server
// lists by key. Otherwise they are dropped, and the job is done as any
// other.

// earlyHold is the most output an early job holds while the list goes on.
const earlyHold = 256 << 20

// errAbandoned ends an early job whose results will not be used.
var errAbandoned = errors.New("early results abandoned")

// early is a job relabeled while what it needs is listed.
type early struct {
	job *promconfig.Job
	sd  *kubernetes.SDConfig

	mu       sync.Mutex
	pods     listing[*corev1.Pod]
	services listing[*corev1.Service]
	slices   listing[*discoveryv1.EndpointSlice]
	over     bool          // no page will come any more
	wake     chan struct{} // a page came, or the list ended

	wide     chan struct{} // closed once the list ends: eachBatch's wide
	endOnce  sync.Once
	released chan struct{} // closed by finish or abandon
	relOnce  sync.Once
	rel      *release   // nil if abandoned
	done     chan error // run's end; nil once read

	hold int // earlyHold but in tests
	// waiting, if set, is called when run is about to wait: for a page,
	// for the list's end, or with as much held as it may hold (tests).
	waiting func()

	// Written by run only.
	held      [][]byte
	heldBytes int
	heldN     int // targets in held; -1 once held was written
	heldCount int // results in held, for progress
	summary   report.Summary
}

// listing is what the pages of one resource brought.
type listing[T interface {
	comparable
	metav1.Object
}] struct {
	got    []T // every object of every page, in order
	firsts int // first pages seen: more than one, and the list started over
	last   bool
}

// add adds a page's objects.
func (l *listing[T]) add(objs []runtime.Object, first, last bool) {
	if first {
		l.firsts++
	}
	for _, o := range objs {
		if t, ok := o.(T); ok {
			l.got = append(l.got, t)
		}
	}
	l.last = last
}

// is reports whether the pages brought objs, each once, in discovery's
// key order, and did not start over.
func (l *listing[T]) is(objs []T) bool {
	if l.firsts > 1 || len(l.got) != len(objs) || !discovery.InKeyOrder(l.got) {
		return false
	}
	got := make(map[T]bool, len(l.got))
	for _, o := range l.got {
		got[o] = true
	}
	for _, o := range objs {
		if !got[o] {
			return false
		}
	}
	return true
}

// release is where an early job writes once the list has ended, and the
// job's header there; run counts its summary.
type release struct {
	out      *report.JSONStream
	j        report.Job
	progress func(int)
}

// newEarly starts relabeling job as what it needs is listed, if it can be
// done so: see above. It returns nil if not.
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
	if sd.Role != kubernetes.RolePod && sd.Role != kubernetes.RoleEndpointSlice ||
		sd.AttachMetadata != (kubernetes.AttachMetadataConfig{}) || discovery.Validate(sd) != nil {
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
func (e *early) page(r cluster.Request, objs []runtime.Object, first, last bool) {
	if !slices.ContainsFunc(r.NeededBy, func(n cluster.Need) bool { return n.Job == e.job.Scrape.JobName }) {
		return
	}
	e.mu.Lock()
	switch r.Resource {
	case "pods":
		e.pods.add(objs, first, last)
	case "services":
		e.services.add(objs, first, last)
	case "endpointslices":
		e.slices.add(objs, first, last)
	}
	e.mu.Unlock()
	e.signal()
}

// signal wakes run if it waits for a page.
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

// wait waits for a page or the list's end, and reports false if the
// results were given up.
func (e *early) wait() bool {
	if e.waiting != nil {
		e.waiting()
	}
	select {
	case <-e.wake:
		return true
	case <-e.released:
		return e.rel != nil
	}
}

// groups is the job's groupSource: the groups of what is listed so far,
// as soon as discovery can make them, then its static_configs.
func (e *early) groups(opts discovery.Options) groupSource {
	return func(yield func(g *discovery.Group, discovered bool) bool) error {
		each := func(snap *discovery.Snapshot) (bool, error) {
			stopped := false
			err := discovery.Each(snap, e.sd, opts, func(g *discovery.Group) bool {
				stopped = !yield(g, true)
				return !stopped
			})
			if err != nil {
				return false, sdError(e.job, 0, err)
			}
			return !stopped, nil
		}
		next := e.podPages()
		if e.sd.Role == kubernetes.RoleEndpointSlice {
			next = e.readySlices()
		}
		for {
			snap, ok := next()
			if !ok {
				break
			}
			if goOn, err := each(snap); !goOn {
				return err
			}
		}
		eachStatic(e.job, yield)
		return nil
	}
}

// podPages returns groups' next for role pod: it returns the pods listed
// since it last did, waiting for them, or false once there are none or the
// results cannot be used.
func (e *early) podPages() func() (*discovery.Snapshot, bool) {
	taken := 0
	return func() (*discovery.Snapshot, bool) {
		for {
			e.mu.Lock()
			pods, firsts, over := e.pods.got, e.pods.firsts, e.over
			e.mu.Unlock()
			switch {
			case firsts > 1:
				return nil, false
			case taken < len(pods):
				snap := &discovery.Snapshot{Pods: pods[taken:]}
				taken = len(pods)
				return snap, true
			case over:
				return nil, false
			}
			if !e.wait() {
				return nil, false
			}
		}
	}
}

// readySlices returns groups' next for role endpointslice: it returns the
// endpoint slices listed since it last did whose every pod is known, with
// the services and the pods listed so far, waiting for them, or false once
// there are none or the results cannot be used. Slices are taken in the
// order listed, once the services and slices are listed whole. A pod is
// known once a pod after it in key order is listed, or the list has
// ended: pods come in key order (finish checks it).
func (e *early) readySlices() func() (*discovery.Snapshot, bool) {
	taken := 0
	return func() (*discovery.Snapshot, bool) {
		for {
			e.mu.Lock()
			pods, services, slices := e.pods, e.services, e.slices
			over := e.over
			e.mu.Unlock()
			if pods.firsts > 1 || services.firsts > 1 || slices.firsts > 1 {
				return nil, false
			}
			if over || services.last && slices.last {
				ready := taken
				for ready < len(slices.got) && (over || pods.last || known(slices.got[ready], pods.got)) {
					ready++
				}
				if ready > taken {
					snap := &discovery.Snapshot{Pods: pods.got, Services: services.got, EndpointSlices: slices.got[taken:ready]}
					taken = ready
					return snap, true
				}
				if over || taken == len(slices.got) {
					return nil, false
				}
			}
			if !e.wait() {
				return nil, false
			}
		}
	}
}

// known reports whether every pod the slice points at comes before the
// last of pods in key order.
func known(s *discoveryv1.EndpointSlice, pods []*corev1.Pod) bool {
	lastKey := "" // no pod is known
	if len(pods) > 0 {
		last := pods[len(pods)-1]
		lastKey = last.Namespace + "/" + last.Name
	}
	for _, ep := range s.Endpoints {
		if r := ep.TargetRef; r != nil && r.Kind == "Pod" && r.Namespace+"/"+r.Name >= lastKey {
			return false
		}
	}
	return true
}

// run relabels the job, holding what it writes until finish or abandon,
// then writes it and the rest of the job.
func (e *early) run(o *targetsOptions, opts discovery.Options) error {
	err := eachBatch(e.job, e.groups(opts), relabel.Options{Trace: o.trace}, batchTargets, e.wide,
		newEncoded, o.encodeTarget(e.job),
		func(enc *encoded, results []relabel.Target) error {
			for i := range results {
				count(&e.summary, &results[i])
			}
			return e.write(enc.n, len(results), enc.withDuplicates(results))
		})
	if err != nil {
		return err
	}
	if err := e.begin(); err != nil {
		return err
	}
	j := e.rel.j
	j.Summary = e.summary
	return e.rel.out.EndJob(&j)
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
	b := bytes.Join(parts, nil)
	e.held = append(e.held, b)
	e.heldBytes += len(b)
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
	if err := e.rel.out.BeginJob(&e.rel.j); err != nil {
		return err
	}
	e.rel.progress(e.heldCount)
	err := e.rel.out.Targets(e.heldN, e.held...)
	e.held, e.heldN = nil, -1
	return err
}

// finish writes the job to out, with the header j, if the pages held
// snap's objects the job reads, in key order (see above), and reports
// whether it did; if not, it gives the results up.
func (e *early) finish(out *report.JSONStream, j report.Job, progress func(int), snap *discovery.Snapshot) (bool, error) {
	e.mu.Lock()
	ok := e.over && e.pods.is(snap.Pods)
	if e.sd.Role == kubernetes.RoleEndpointSlice {
		ok = ok && e.services.is(snap.Services) && e.slices.is(snap.EndpointSlices)
	}
	e.mu.Unlock()
	if !ok {
		e.abandon()
		return false, nil
	}
	e.relOnce.Do(func() {
		e.rel = &release{out: out, j: j, progress: progress}
		close(e.released)
	})
	err := <-e.done
	e.done = nil
	return true, err
}

// used reports whether finish used the results; only once it returned.
func (e *early) used() bool { return e.rel != nil }

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
