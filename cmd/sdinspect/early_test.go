package main

import (
	"bytes"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/sdinspect/sdinspect/cluster"
	"github.com/sdinspect/sdinspect/internal/gencluster"
	"github.com/sdinspect/sdinspect/promconfig"
)

// TestEarlySameAsStream: a first job relabeled from its pods' pages as
// they are listed writes exactly what streaming it after the list writes,
// whether it holds all of its output or waits with a byte of it, and gives
// its results up, still writing the same, when the pages are not the pods
// List returns in the same order: pages out of order, a list that started
// over, pages listed for another job.
func TestEarlySameAsStream(t *testing.T) {
	t.Parallel()
	objs := &objects{all: gencluster.Generate(3, gencluster.Size{Namespaces: 3, Nodes: 10, Apps: 12})}
	// As the API server lists them: by namespace/name key.
	pods := slices.Clone(objs.all.Pods)
	slices.SortFunc(pods, func(a, b *corev1.Pod) int {
		return strings.Compare(a.Namespace+"/"+a.Name, b.Namespace+"/"+b.Name)
	})
	if len(pods) < 30 {
		t.Fatalf("%d pods: too few for pages", len(pods))
	}
	var pages [][]runtime.Object
	for from := 0; from < len(pods); from += 7 {
		var page []runtime.Object
		for _, p := range pods[from:min(from+7, len(pods))] {
			page = append(page, p)
		}
		pages = append(pages, page)
	}
	type sent struct {
		page  []runtime.Object
		first bool
		job   string // NeededBy, if not the job's
	}
	inOrder := func() []sent {
		var s []sent
		for i, p := range pages {
			s = append(s, sent{page: p, first: i == 0})
		}
		return s
	}
	cases := []struct {
		name string
		hold int
		sent []sent
		used bool
	}{
		{"in order", earlyHold, inOrder(), true},
		{"waiting with a byte held", 1, inOrder(), true},
		{"pages out of order", earlyHold, func() []sent {
			s := inOrder()
			s[1].page, s[2].page = s[2].page, s[1].page
			return s
		}(), false},
		{"started over", earlyHold, append(inOrder()[:2], inOrder()...), false},
		{"listed for another job", earlyHold, func() []sent {
			s := inOrder()
			for i := range s {
				s[i].job = "other"
			}
			return s
		}(), false},
	}

	cfg, err := promconfig.Load(filepath.FromSlash(benchConfig))
	if err != nil {
		t.Fatal(err)
	}
	pj, err := cfg.Job("kubernetes-pods")
	if err != nil {
		t.Fatal(err)
	}
	jobs := []*promconfig.Job{pj}
	for _, j := range cfg.Jobs {
		if j != pj {
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
				e := newEarlyHolding(jobs[0], c.hold)
				if e == nil {
					t.Fatal("kubernetes-pods (role pod, nothing attached) is not relabeled early")
				}
				for _, s := range c.sent {
					job := pj.Scrape.JobName
					if s.job != "" {
						job = s.job
					}
					e.page(cluster.Request{Resource: "pods", NeededBy: []cluster.Need{{Job: job}}}, s.page, s.first)
				}
				// Every page is relabeled, or as many as the held
				// bytes allow, before the list ends.
				waiting := make(chan struct{}, 1)
				e.waiting = func() {
					select {
					case waiting <- struct{}{}:
					default:
					}
				}
				e.start(o)
				<-waiting
				// Waiting with a byte held: the last batch held is
				// the first that wrote any.
				if c.used && c.hold == 1 && (len(e.held) == 0 || e.heldBytes != len(e.held[len(e.held)-1])) {
					t.Errorf("%s: %d bytes held in %d batches, want those of one", c.name, e.heldBytes, len(e.held))
				}
				if c.used && c.hold == earlyHold && len(e.held) < 2 {
					t.Errorf("%s: %d batches held before the list ended, want all", c.name, len(e.held))
				}
				e.listed()
				var got bytes.Buffer
				_, err := o.streamJSON(&got, jobs, objs, func(string) {}, e)
				e.abandon()
				if err != nil {
					t.Fatalf("%s: %v", c.name, err)
				}
				if e.used != c.used {
					t.Errorf("trace=%v show=%s %s: early results used %v, want %v", trace, show, c.name, e.used, c.used)
				}
				if !bytes.Equal(want.Bytes(), got.Bytes()) {
					t.Errorf("trace=%v show=%s %s: output differs (-after the list +early):\n%s", trace, show, c.name, cmp.Diff(want.String(), got.String()))
				}
			}
		}
	}
}

// TestEarlyOnlyPodsAlone: only a job whose targets come from pods alone is
// relabeled while listing.
func TestEarlyOnlyPodsAlone(t *testing.T) {
	t.Parallel()
	cfg, err := promconfig.Load(filepath.FromSlash(benchConfig))
	if err != nil {
		t.Fatal(err)
	}
	o := &targetsOptions{show: showAll}
	for _, j := range cfg.Jobs {
		e := o.newEarly(j)
		if e != nil {
			e.abandon()
		}
		pods := len(j.Kubernetes) == 1 && j.Kubernetes[0].Role == "pod" && !j.Kubernetes[0].AttachMetadata.Node
		if (e != nil) != pods {
			t.Errorf("job %s: relabeled early %v, want %v", j.Scrape.JobName, e != nil, pods)
		}
	}
}
