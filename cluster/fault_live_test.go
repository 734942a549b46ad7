package cluster

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sdinspect/sdinspect/discovery"
	"github.com/sdinspect/sdinspect/internal/faultproxy"
	"github.com/sdinspect/sdinspect/internal/testcluster"
)

// faultChunk is the page size of the fault tests: the example's ten pods
// come in four pages (a first page, a middle page, the last one), its
// eight services in three.
const faultChunk = 3

// faultRetry keeps the fault tests fast: three attempts a page, waits of a
// few milliseconds, any Retry-After cut to 50ms.
var faultRetry = Retry{Attempts: 3, Backoff: time.Millisecond, MaxWait: 50 * time.Millisecond}

// faultCluster is a private cluster holding the bundled example, and a
// user allowed to read what the example's jobs need.
type faultCluster struct {
	c         *testcluster.Cluster
	cert, key string
	jobs      []JobSD
}

func startFaultCluster(t *testing.T) *faultCluster {
	t.Helper()
	if testing.Short() {
		t.Skip("starts a kube-apiserver; skipped with -short")
	}
	// Start first: isolate moves HOME, and with it the cache of binaries.
	c := testcluster.Start(t)
	isolate(t)
	objs, err := Read([]string{"../testdata/examples/cluster.yaml"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	c.Load(t, objs)
	c.Grant(t, "live:faults", readRules("endpointslices", "nodes", "pods", "services")...)
	cert, key := c.ClientCert(t, "live-faults", "live:faults")
	// One job lists endpoint slices, pods, services and nodes: pods are the
	// primary paged list, services and nodes the secondary ones.
	jobs := []JobSD{{Job: "eps", SD: sdConfig(t, `{role: endpointslice, attach_metadata: {node: true}}`)}}
	return &faultCluster{c: c, cert: cert, key: key, jobs: jobs}
}

// conn connects to server, trusting caFile, as the test user.
func (f *faultCluster) conn(t *testing.T, server, caFile string) *Conn {
	t.Helper()
	conns, err := Connect(context.Background(), parseFlags(t,
		"--server", server, "--certificate-authority", caFile, "--client-certificate", f.cert, "--client-key", f.key), f.jobs)
	if err != nil {
		t.Fatal(err)
	}
	return conns[0]
}

// list lists what the jobs need through conn, one request at a time so
// that the request a fault hits first is always the same one.
func (f *faultCluster) list(conn *Conn, timeout time.Duration, retry Retry, progress func(Request, int)) (*discovery.Snapshot, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	snap, _, err := List(ctx, conn.Config, Requests(conn.Jobs), ListOptions{
		ChunkSize: faultChunk, Concurrency: 1, Retry: retry, Credentials: conn.Credentials, Progress: progress,
	})
	return snap, err
}

// proxy starts a fault proxy to the cluster with rules.
func (f *faultCluster) proxy(t *testing.T, rules ...faultproxy.Rule) *faultproxy.Proxy {
	t.Helper()
	return faultproxy.Start(t, faultproxy.Config{Upstream: f.c.URL, CAPEM: f.c.CAPEM, CertFile: f.cert, KeyFile: f.key, Rules: rules})
}

// faultPhase is where in a listing a fault strikes.
type faultPhase struct {
	name string
	rule faultproxy.Rule
}

// faultPhases are the first page of pods, a middle page of pods (the
// second continued one, page three of four) and the first page of a
// secondary resource, services. A 410 Gone only answers a continue token:
// its secondary phase is the second page of services.
func faultPhases(f faultproxy.Fault) []faultPhase {
	secondary := faultproxy.Rule{Path: "/services", First: true}
	if f == faultproxy.Gone {
		secondary = faultproxy.Rule{Path: "/services", Continue: true}
	}
	phases := []faultPhase{
		{"first page", faultproxy.Rule{Path: "/pods", First: true}},
		{"middle page", faultproxy.Rule{Path: "/pods", Continue: true, Skip: 1}},
		{"secondary resource", secondary},
	}
	if f == faultproxy.Gone {
		phases = phases[1:]
	}
	return phases
}

// faultCase is a fault, how often it strikes, and what the listing must
// end with: the fault-free snapshot, or wantErr (with %s for the proxy's
// URL and %q for its CA file, in that order, and %r for the request).
type faultCase struct {
	name    string
	fault   faultproxy.Fault
	times   int // 0: every matching request
	timeout time.Duration
	wantErr string
}

// faultCases is the fault matrix of TestLiveFaults; fault-matrix tables
// are written from it.
func faultCases() []faultCase {
	const retried = "; giving up after 3 attempts"
	return []faultCase{
		{name: "reset mid-body once", fault: faultproxy.Reset, times: 1},
		{name: "truncated body once", fault: faultproxy.Truncate, times: 1},
		{name: "corrupt body once", fault: faultproxy.Corrupt, times: 1},
		{name: "429 Retry-After once", fault: faultproxy.Status(http.StatusTooManyRequests, "1"), times: 1},
		{name: "500 once", fault: faultproxy.Status(http.StatusInternalServerError, ""), times: 1},
		{name: "500 Retry-After once", fault: faultproxy.Status(http.StatusInternalServerError, "1"), times: 1},
		{name: "503 once", fault: faultproxy.Status(http.StatusServiceUnavailable, ""), times: 1},
		{name: "503 Retry-After twice", fault: faultproxy.Status(http.StatusServiceUnavailable, "1"), times: 2},
		{name: "410 Gone once", fault: faultproxy.Gone, times: 1},
		{name: "TLS handshake cut once", fault: faultproxy.CutHandshake, times: 1},
		{name: "503 always", fault: faultproxy.Status(http.StatusServiceUnavailable, ""),
			wantErr: "listing %r: the API server at %s answered 503 Service Unavailable (the server is currently unable to handle the request)" + retried},
		{name: "429 Retry-After always", fault: faultproxy.Status(http.StatusTooManyRequests, "1"),
			wantErr: "listing %r: the API server at %s answered 429 Too Many Requests (Too many requests, please try again later.)" + retried},
		{name: "reset mid-body always", fault: faultproxy.Reset,
			wantErr: "listing %r: the answer of the API server at %s broke off (connection reset)" + retried},
		{name: "truncated body always", fault: faultproxy.Truncate,
			wantErr: "listing %r: the answer of the API server at %s broke off (connection closed)" + retried},
		{name: "corrupt body always", fault: faultproxy.Corrupt,
			wantErr: "listing %r: the answer of the API server at %s could not be decoded (unexpected EOF)" + retried},
		{name: "410 Gone always", fault: faultproxy.Gone,
			wantErr: "listing %r: the API server at %s answered 410 Gone to a continued page (" + expiredMessage + "); giving up after starting the list 4 times"},
		{name: "stall", fault: faultproxy.Stall, timeout: time.Second,
			wantErr: "listing %r: the API server at %s did not answer in time"},
		{name: "untrusted certificate", fault: faultproxy.Untrusted,
			wantErr: `listing %r: the certificate of the API server at %s (issued by "CN=faultproxy stranger CA") is not signed by the CA in %q; give the CA that signed it (--certificate-authority, or tls_config.ca_file)`},
	}
}

// expiredMessage is what the API server says of an expired continue token.
const expiredMessage = "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list."

// TestLiveFaults lists the example through a proxy that breaks one page
// in each way a wire or a server can, at the first page, a middle page
// and a secondary resource's page. A fault that passes must leave the
// snapshot identical to the fault-free one, object for object; one that
// stays must end in one exact line naming the request and no snapshot.
func TestLiveFaults(t *testing.T) {
	f := startFaultCluster(t)
	want, err := f.list(f.conn(t, f.c.URL, f.c.CAFile), time.Minute, faultRetry, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(want.Pods) <= 2*faultChunk || len(want.Services) <= faultChunk || len(want.Nodes) == 0 {
		t.Fatalf("%d pods, %d services, %d nodes: too few for a middle page", len(want.Pods), len(want.Services), len(want.Nodes))
	}
	for _, fc := range faultCases() {
		for _, ph := range faultPhases(fc.fault) {
			t.Run(fc.name+"/"+ph.name, func(t *testing.T) {
				rule := ph.rule
				rule.Fault, rule.Times = fc.fault, fc.times
				p := f.proxy(t, rule)
				timeout := 30 * time.Second
				if fc.timeout > 0 {
					timeout = fc.timeout
				}
				got, err := f.list(f.conn(t, p.URL, p.CAFile), timeout, faultRetry, nil)
				if p.Faulted() == 0 {
					t.Fatalf("the fault never struck; requests:\n%s", strings.Join(p.Log(), "\n"))
				}
				if fc.wantErr == "" {
					if err != nil {
						t.Fatalf("List: %v\nrequests:\n%s", err, strings.Join(p.Log(), "\n"))
					}
					if diff := cmp.Diff(want, got); diff != "" {
						t.Errorf("snapshot differs from the fault-free one (-want +got):\n%s", diff)
					}
					return
				}
				wantErr := p.Expand(fc.wantErr, rule.Request())
				if err == nil || err.Error() != wantErr {
					t.Errorf("error = %v\nwant          %s\nrequests:\n%s", err, wantErr, strings.Join(p.Log(), "\n"))
				}
				if got != nil {
					t.Errorf("a failed List returned a snapshot of %d pods", len(got.Pods))
				}
			})
		}
	}
}

// TestLiveRetryAfter holds the waits to what the server asks for: at
// least Retry-After, at most MaxWait, and none that would end past the
// deadline.
func TestLiveRetryAfter(t *testing.T) {
	f := startFaultCluster(t)
	rule := faultproxy.Rule{Path: "/nodes", Times: 1}
	t.Run("honoured", func(t *testing.T) {
		rule.Fault = faultproxy.Status(http.StatusTooManyRequests, "1")
		p := f.proxy(t, rule)
		began := time.Now()
		if _, err := f.list(f.conn(t, p.URL, p.CAFile), time.Minute, Retry{Backoff: time.Millisecond, MaxWait: 10 * time.Second}, nil); err != nil {
			t.Fatal(err)
		}
		if d := time.Since(began); d < time.Second {
			t.Errorf("listed in %v after a 429 with Retry-After: 1", d)
		}
	})
	t.Run("capped", func(t *testing.T) {
		rule.Fault = faultproxy.Status(http.StatusServiceUnavailable, "3600")
		p := f.proxy(t, rule)
		began := time.Now()
		if _, err := f.list(f.conn(t, p.URL, p.CAFile), time.Minute, Retry{Backoff: time.Millisecond, MaxWait: 20 * time.Millisecond}, nil); err != nil {
			t.Fatal(err)
		}
		if d := time.Since(began); d > 10*time.Second {
			t.Errorf("listed in %v: the wait was not capped", d)
		}
	})
	t.Run("past the deadline", func(t *testing.T) {
		rule.Fault = faultproxy.Status(http.StatusServiceUnavailable, "30")
		p := f.proxy(t, rule)
		began := time.Now()
		_, err := f.list(f.conn(t, p.URL, p.CAFile), 10*time.Second, Retry{MaxWait: time.Minute}, nil)
		want := fmt.Sprintf("listing nodes: the API server at %s answered 503 Service Unavailable (the server is currently unable to handle the request) and asked to retry after 30s; giving up after 1 attempt, as the next would start past the deadline (--timeout)", p.URL)
		if err == nil || err.Error() != want {
			t.Errorf("error = %v\nwant          %s", err, want)
		}
		if d := time.Since(began); d > 5*time.Second {
			t.Errorf("gave up after %v, not at once", d)
		}
	})
}

// TestLiveAPIServerRestart kills kube-apiserver (etcd stays) right after
// the first page of pods and lists on. With attempts enough to outlast
// the restart, the list continues with the same continue token and ends
// identical to a listing without the restart; with three quick attempts
// it ends in one line, the server still down.
func TestLiveAPIServerRestart(t *testing.T) {
	f := startFaultCluster(t)
	conn := f.conn(t, f.c.URL, f.c.CAFile)
	want, err := f.list(conn, time.Minute, faultRetry, nil)
	if err != nil {
		t.Fatal(err)
	}
	// killAfterFirstPods kills the API server once, after the first page
	// of pods, then runs then and sets killed.
	var killed atomic.Bool
	killAfterFirstPods := func(t *testing.T, then func()) func(Request, int) {
		var once sync.Once
		killed.Store(false)
		t.Cleanup(func() {
			if !killed.Load() {
				t.Error("the API server was never killed: no first page of pods")
			}
		})
		return func(r Request, listed int) {
			if r.Resource != resourcePods || listed != faultChunk {
				return
			}
			once.Do(func() {
				if err := f.c.KillAPIServer(); err != nil {
					t.Error(err)
				}
				killed.Store(true)
				then()
			})
		}
	}

	t.Run("gives up while it is down", func(t *testing.T) {
		quick := Retry{Attempts: 3, Backoff: time.Millisecond, MaxWait: time.Millisecond}
		_, err := f.list(conn, time.Minute, quick, killAfterFirstPods(t, func() {}))
		wantErr := fmt.Sprintf("listing pods in all namespaces: the API server at %s refused the connection; giving up after 3 attempts", f.c.URL)
		if err == nil || err.Error() != wantErr {
			t.Errorf("error = %v\nwant          %s", err, wantErr)
		}
		if err := f.c.RestartAPIServer(t.Context()); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("recovers once it is back", func(t *testing.T) {
		restarted := make(chan error, 1)
		patient := Retry{Attempts: 300, Backoff: 10 * time.Millisecond, MaxWait: 100 * time.Millisecond}
		began := time.Now()
		got, err := f.list(conn, time.Minute, patient, killAfterFirstPods(t, func() {
			go func() { restarted <- f.c.RestartAPIServer(context.Background()) }()
		}))
		if err := <-restarted; err != nil {
			t.Fatal(err)
		}
		if err != nil {
			t.Fatalf("List across the restart: %v", err)
		}
		t.Logf("listed across the restart in %v", time.Since(began).Round(time.Millisecond))
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("snapshot across the restart differs (-without +with restart):\n%s", diff)
		}
	})
}
