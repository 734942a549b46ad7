package cluster

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/rest"

	"github.com/sdinspect/sdinspect/discovery"
	"github.com/sdinspect/sdinspect/internal/fakeapi"
	"github.com/sdinspect/sdinspect/internal/gencluster"
)

// typed returns a sorted copy of snap with apiVersion and kind set on every
// object, as List and Read return them.
func typed(snap *discovery.Snapshot) *discovery.Snapshot {
	out := &discovery.Snapshot{}
	for _, name := range writeOrder() {
		k, _ := lookupKind(name)
		gv, _ := schema.ParseGroupVersion(k.apiVersion)
		for _, o := range snapshotObjects(snap, name) {
			c := o.DeepCopyObject()
			c.GetObjectKind().SetGroupVersionKind(gv.WithKind(name))
			k.add(out, c)
		}
	}
	return out
}

// everyResource is a set of jobs whose requests list every object of a
// cluster.
func everyResource(t *testing.T) []JobSD {
	return []JobSD{
		{Job: "slices", SD: sdConfig(t, `{role: endpointslice, attach_metadata: {node: true, namespace: true, deployment: true, cronjob: true}}`)},
		{Job: "endpoints", SD: sdConfig(t, `role: endpoints`)},
		{Job: "ingress", SD: sdConfig(t, `role: ingress`)},
	}
}

// restConfig is a client configuration for server with the settings
// Connect gives every connection.
func restConfig(server string) *rest.Config {
	cfg := &rest.Config{Host: server, QPS: clientQPS, Burst: clientBurst}
	cfg.ContentType = contentTypeProtobuf
	cfg.AcceptContentTypes = acceptContentTypes
	return cfg
}

func TestListEverything(t *testing.T) {
	t.Parallel()
	snap := gencluster.Generate(5, gencluster.Size{Namespaces: 3, Nodes: 4, Apps: 5})
	for _, chunk := range []int64{0, 1, 7} {
		t.Run("chunk="+strconv.FormatInt(chunk, 10), func(t *testing.T) {
			t.Parallel()
			srv := fakeapi.Start(snap)
			defer srv.Close()
			reqs := Requests(everyResource(t))
			var progressCalls atomic.Int64
			got, partial, err := List(context.Background(), restConfig(srv.URL), reqs, ListOptions{
				ChunkSize: chunk,
				Progress:  func(Request, int) { progressCalls.Add(1) },
			})
			if err != nil || partial != nil {
				t.Fatalf("List: %v (partial %v)", err, partial)
			}
			// JSON drops empty maps and lists; nothing else may change.
			if diff := cmp.Diff(typed(snap), got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("List differs from the served cluster (-served +listed):\n%s", diff)
			}
			pages := 0
			for _, r := range srv.Requests() {
				if r.Kind == fakeapi.List || r.Kind == fakeapi.ListContinue {
					pages++
				}
			}
			if chunk == 1 {
				objects := len(snap.Pods) + len(snap.Services) + len(snap.Endpoints) + len(snap.EndpointSlices) + len(snap.Nodes) +
					len(snap.Namespaces) + len(snap.Ingresses) + len(snap.ReplicaSets) + len(snap.Jobs)
				// One page per object, plus the empty last page of a
				// server that cannot tell the end before reaching it.
				if pages < objects || pages > objects+len(reqs) {
					t.Errorf("chunk size 1 made %d requests for %d objects", pages, objects)
				}
			}
			if int(progressCalls.Load()) != pages {
				t.Errorf("Progress called %d times for %d pages", progressCalls.Load(), pages)
			}
		})
	}
}

// TestListThenDiscover holds the union argument: the listed objects of
// several jobs, filtered offline by discovery, give each job exactly the
// groups it gets from the whole cluster.
func TestListThenDiscover(t *testing.T) {
	t.Parallel()
	snap := gencluster.Generate(6, gencluster.Size{Namespaces: 3, Nodes: 4, Apps: 5})
	var jobs []JobSD
	for name, text := range discoverVariants() {
		jobs = append(jobs, JobSD{Job: name, SD: sdConfig(t, text)})
	}
	srv := fakeapi.Start(snap)
	defer srv.Close()
	listed, _, err := List(context.Background(), restConfig(srv.URL), Requests(jobs), ListOptions{ChunkSize: 5})
	if err != nil {
		t.Fatal(err)
	}
	for _, j := range jobs {
		want, err := discovery.Discover(snap, j.SD, discovery.Options{})
		if err != nil {
			t.Fatal(err)
		}
		got, err := discovery.Discover(listed, j.SD, discovery.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("job %s: groups over the listed objects differ (-whole cluster +listed):\n%s", j.Job, diff)
		}
	}
}

// TestListSkipsCoveredRequests checks that a request whose objects another
// request without selectors lists anyway is not made.
func TestListSkipsCoveredRequests(t *testing.T) {
	t.Parallel()
	snap := gencluster.Generate(2, gencluster.Size{Namespaces: 2, Nodes: 1, Apps: 2})
	srv := fakeapi.Start(snap)
	defer srv.Close()
	reqs := []Request{
		req("pods", "", "", ""),
		req("pods", "shop", "app", ""),
		req("pods", "", "", "status.phase=Running"),
		req("services", "shop", "", ""),
		req("services", "shop", "app", ""),
	}
	if _, _, err := List(context.Background(), restConfig(srv.URL), reqs, ListOptions{}); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range srv.Requests() {
		got = append(got, r.Path+"?"+r.LabelSelector+"?"+r.FieldSelector)
	}
	want := []string{"/api/v1/namespaces/shop/services??", "/api/v1/pods??"}
	slices.Sort(got)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("requests sent (-want +got):\n%s", diff)
	}
}

// TestListConcurrency checks that no more requests than asked for run at
// once, and that they do overlap.
func TestListConcurrency(t *testing.T) {
	t.Parallel()
	snap := gencluster.Generate(3, gencluster.Size{Namespaces: 3, Nodes: 2, Apps: 3})
	backend := fakeapi.Start(snap)
	defer backend.Close()
	target, _ := url.Parse(backend.URL)
	proxy := httputil.NewSingleHostReverseProxy(target)
	var inFlight, peak atomic.Int64
	var mu sync.Mutex
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := inFlight.Add(1)
		mu.Lock()
		peak.Store(max(peak.Load(), n))
		mu.Unlock()
		time.Sleep(20 * time.Millisecond)
		proxy.ServeHTTP(w, r)
		inFlight.Add(-1)
	}))
	defer front.Close()

	var reqs []Request
	for _, ns := range []string{"a", "b", "c", "d", "e", "f"} {
		reqs = append(reqs, req("pods", ns, "", ""))
	}
	if _, _, err := List(context.Background(), restConfig(front.URL), reqs, ListOptions{Concurrency: 3}); err != nil {
		t.Fatal(err)
	}
	if p := peak.Load(); p > 3 || p < 2 {
		t.Errorf("peak of %d requests at once, want 2 or 3 with Concurrency 3", p)
	}
}
