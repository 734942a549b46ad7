package main

import (
	"bytes"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/sdinspect/sdinspect/cluster"
	"github.com/sdinspect/sdinspect/internal/gencluster"
	"github.com/sdinspect/sdinspect/promconfig"
)

// sentPage is a page as List hands it to an early job.
type sentPage struct {
	resource    string
	objs        []runtime.Object
	first, last bool
	job         string // NeededBy, if not the job's
}

// pagesOf cuts objs into pages of size as the API server lists them: in
// namespace/name key order.
func pagesOf[T metav1.Object](resource string, objs []T, size int) []sentPage {
	objs = slices.Clone(objs)
	slices.SortFunc(objs, func(a, b T) int {
		return strings.Compare(a.GetNamespace()+"/"+a.GetName(), b.GetNamespace()+"/"+b.GetName())
	})
	var pages []sentPage
	for from := 0; from < len(objs); from += size {
		p := sentPage{resource: resource, first: from == 0, last: from+size >= len(objs)}
		for _, o := range objs[from:min(from+size, len(objs))] {
			p.objs = append(p.objs, any(o).(runtime.Object))
		}
		pages = append(pages, p)
	}
	return pages
}

// TestEarlySameAsStream: a job relabeled from the pages of what it needs as
// they are listed (kubernetes-pods, role pod; the ServiceMonitor job, role
// endpointslice) writes exactly what streaming it after the list writes,
// whether it holds all of its output or waits with a byte of it, whether
// the pods come before it starts or after, and gives its results up,
// still writing the same, when the pages are not what List returns in the
// same order: pages out of order, a list that started over, pages listed
// for another job.
func TestEarlySameAsStream(t *testing.T) {
	t.Parallel()
	objs := &objects{all: gencluster.Generate(3, gencluster.Size{Namespaces: 3, Nodes: 10, Apps: 12})}
	snap := objs.all
	if len(snap.Pods) < 30 || len(snap.EndpointSlices) < 6 {
		t.Fatalf("%d pods, %d endpoint slices: too few for pages", len(snap.Pods), len(snap.EndpointSlices))
	}
	pods := pagesOf("pods", snap.Pods, 7)
	// The services and slices first, whole, as their short lists end
	// first; the pods after.
	all := append(append(pagesOf("services", snap.Services, 5), pagesOf("endpointslices", snap.EndpointSlices, 3)...), pods...)
	type sendCase struct {
		name   string
		hold   int
		sent   []sentPage
		before int // pages sent before the job starts; the rest after it waits
		used   bool
	}
	cases := []sendCase{
		{"in order", earlyHold, all, len(all), true},
		{"pods after it starts", earlyHold, all, len(all) - len(pods) + 2, true},
		{"waiting with a byte held", 1, all, len(all), true},
		{"pods out of order", earlyHold, func() []sentPage {
			s := slices.Clone(all)
			i := len(s) - len(pods)
			s[i+1].objs, s[i+2].objs = s[i+2].objs, s[i+1].objs
			return s
		}(), len(all), false},
		{"pods started over", earlyHold, append(slices.Clone(all), pods[:2]...), len(all) + 2, false},
		{"listed for another job", earlyHold, func() []sentPage {
			s := slices.Clone(all)
			for i := range s {
				s[i].job = "other"
			}
			return s
		}(), len(all), false},
	}

	cfg, err := promconfig.Load(filepath.FromSlash(benchConfig))
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"kubernetes-pods", "serviceMonitor/monitoring/shop/0"} {
		first, err := cfg.Job(name)
		if err != nil {
			t.Fatal(err)
		}
		jobs := []*promconfig.Job{first}
		for _, j := range cfg.Jobs {
			if j != first {
				jobs = append(jobs, j)
			}
		}
		for _, trace := range []bool{false, true} {
			for _, show := range []showFlag{showAll, showKept} {
				o := &targetsOptions{show: show, trace: trace}
				var want bytes.Buffer
				if _, err := o.streamJSON(&want, jobs, objs, func(string) {}, nil); err != nil {
					t.Fatal(err)
				}
				for _, c := range cases {
					what := name + " " + c.name
					e := newEarlyHolding(first, c.hold)
					if e == nil {
						t.Fatalf("%s is not relabeled while listing", name)
					}
					send := func(pages []sentPage) {
						for _, p := range pages {
							job := first.Scrape.JobName
							if p.job != "" {
								job = p.job
							}
							e.page(cluster.Request{Resource: p.resource, NeededBy: []cluster.Need{{Job: job}}}, p.objs, p.first, p.last)
						}
					}
					send(c.sent[:c.before])
					// Every page sent before it starts is relabeled, or
					// as much as may be held, before it first waits;
					// after that, it may have waited before it saw
					// the rest.
					waiting := make(chan struct{}, 1)
					e.waiting = func() {
						select {
						case waiting <- struct{}{}:
						default:
						}
					}
					e.start(o)
					<-waiting
					if c.before < len(c.sent) {
						send(c.sent[c.before:])
						<-waiting
					}
					// Waiting with a byte held: the last batch held is
					// the first that wrote any.
					if c.used && c.hold == 1 && (len(e.held) == 0 || e.heldBytes != len(e.held[len(e.held)-1])) {
						t.Errorf("%s: %d bytes held in %d batches, want those of one", what, e.heldBytes, len(e.held))
					}
					if c.used && c.hold == earlyHold && c.before == len(c.sent) && len(e.held) < 2 {
						t.Errorf("%s: %d batches held before the list ended, want all", what, len(e.held))
					}
					e.listed()
					var got bytes.Buffer
					_, err := o.streamJSON(&got, jobs, objs, func(string) {}, e)
					e.abandon()
					if err != nil {
						t.Fatalf("%s: %v", what, err)
					}
					if e.used() != c.used {
						t.Errorf("trace=%v show=%s %s: early results used %v, want %v", trace, show, what, e.used(), c.used)
					}
					if !bytes.Equal(want.Bytes(), got.Bytes()) {
						t.Errorf("trace=%v show=%s %s: output differs (-after the list +early):\n%s", trace, show, what, cmp.Diff(want.String(), got.String()))
					}
				}
			}
		}
	}
}

// TestReadySlices: an endpointslice job takes a slice once the services
// and slices are listed whole and every pod it points at comes before the
// last pod listed, and every slice once the pods are listed whole.
func TestReadySlices(t *testing.T) {
	t.Parallel()
	cfg, err := promconfig.Load(filepath.FromSlash(benchConfig))
	if err != nil {
		t.Fatal(err)
	}
	job, err := cfg.Job("serviceMonitor/monitoring/shop/0")
	if err != nil {
		t.Fatal(err)
	}
	snap := gencluster.Generate(3, gencluster.Size{Namespaces: 3, Nodes: 10, Apps: 12})
	e := newEarlyHolding(job, earlyHold)
	send := func(pages []sentPage) {
		for _, p := range pages {
			e.page(cluster.Request{Resource: p.resource, NeededBy: []cluster.Need{{Job: job.Scrape.JobName}}}, p.objs, p.first, p.last)
		}
	}
	next := e.readySlices()
	pods := pagesOf("pods", snap.Pods, 10)
	send(pagesOf("endpointslices", snap.EndpointSlices, 100))
	send(pods[:1])
	send(pagesOf("services", snap.Services, 100))
	half := len(pods) / 2
	send(pods[1:half])
	lastKey := func(p sentPage) string {
		o := p.objs[len(p.objs)-1].(metav1.Object)
		return o.GetNamespace() + "/" + o.GetName()
	}
	known := lastKey(pods[half-1])
	s, ok := next()
	if !ok {
		t.Fatal("no slice taken with half of the pods listed")
	}
	taken := len(s.EndpointSlices)
	if taken == 0 || taken == len(snap.EndpointSlices) {
		t.Fatalf("%d of %d slices taken with half of the pods listed", taken, len(snap.EndpointSlices))
	}
	for _, sl := range s.EndpointSlices {
		for _, ep := range sl.Endpoints {
			if r := ep.TargetRef; r != nil && r.Kind == "Pod" && r.Namespace+"/"+r.Name >= known {
				t.Errorf("slice %s taken, but its pod %s/%s is not listed before %s", sl.Name, r.Namespace, r.Name, known)
			}
		}
	}
	send(pods[half:])
	s, ok = next()
	if !ok || taken+len(s.EndpointSlices) != len(snap.EndpointSlices) {
		t.Fatalf("once every pod is listed, %d more slices taken (%v), want the %d others", len(s.EndpointSlices), ok, len(snap.EndpointSlices)-taken)
	}
	e.listed()
	if _, ok := next(); ok {
		t.Error("a slice taken twice")
	}
}

// TestEarlyOnlyWhatCanStart: only a job whose targets come from pods alone,
// or from endpoint slices, with nothing attached, is relabeled while
// listing.
func TestEarlyOnlyWhatCanStart(t *testing.T) {
	t.Parallel()
	cfg, err := promconfig.Load(filepath.FromSlash(benchConfig))
	if err != nil {
		t.Fatal(err)
	}
	for _, j := range cfg.Jobs {
		e := newEarlyHolding(j, earlyHold)
		sd := j.Kubernetes[0]
		can := len(j.Kubernetes) == 1 && (sd.Role == "pod" || sd.Role == "endpointslice") && !sd.AttachMetadata.Node
		if (e != nil) != can {
			t.Errorf("job %s (role %s): relabeled while listing %v, want %v", j.Scrape.JobName, sd.Role, e != nil, can)
		}
	}
}
