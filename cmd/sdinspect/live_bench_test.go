package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/prometheus/discovery/targetgroup"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/scrape"
	"github.com/spf13/pflag"
	"golang.org/x/sync/errgroup"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/sdinspect/sdinspect/cluster"
	"github.com/sdinspect/sdinspect/discovery"
	"github.com/sdinspect/sdinspect/internal/gencluster"
	"github.com/sdinspect/sdinspect/internal/testcluster"
	"github.com/sdinspect/sdinspect/promconfig"
	"github.com/sdinspect/sdinspect/report"
)

// liveScale is the cluster BenchmarkLiveTargets loads: 20,000 pods, the
// scale at which a live `sdinspect targets` is meant to cost at most 1.3
// times its floor.
var liveScale = gencluster.Scale{Pods: 20000, Nodes: 700, Services: 1300}

// liveJobs are the jobs of benchConfig BenchmarkLiveTargets measures, by
// the short names its sub-benchmarks carry (job names hold slashes).
var liveJobs = []struct{ short, name string }{
	{"kubernetes-pods", "kubernetes-pods"},                 // role pod: every pod
	{"servicemonitor", "serviceMonitor/monitoring/shop/0"}, // role endpointslice: every slice, service and pod
}

// Settings of cluster.List that the floor copies: a page of 500 objects and
// four requests at once are its defaults, which sdinspect targets uses.
const (
	liveChunkSize   = 500
	liveConcurrency = 4
)

// liveSettle is how long settle waits before each timed run: longer than
// the API server takes to collect after a LIST of every pod.
const liveSettle = time.Second

// BenchmarkLiveTargets measures `sdinspect targets` against a real
// kube-apiserver holding a production-shaped cluster (gencluster.Realistic:
// 20,000 pods on 700 nodes, 1,300 services with their Endpoints and
// EndpointSlices) for two jobs of benchConfig: kubernetes-pods (role pod,
// which lists every pod) and the ServiceMonitor job (role endpointslice,
// which lists every endpoint slice, service and pod). Each job has sibling
// sub-benchmarks that differ only in impl=, so that
// `benchstat -col /impl` prints each against the first, the floor:
//
//   - impl=raw-list-protobuf is the floor: exactly the LIST requests
//     sdinspect makes for the job (cluster.Requests), each paged 500
//     objects at a time, in protobuf, decoded into typed objects that are
//     kept until the end, at most four requests at once, as cluster.List
//     runs them. Each request asks for a page once the page before it is
//     decoded, as client-go's typed List does; cluster.List asks for it
//     while the page before is decoded, which this floor leaves to
//     sdinspect's account. Each op builds a new clientset, as each sdinspect run does,
//     from the rest.Config that cluster.Connect makes of the same flags, so
//     that both send the same content types and user agent, use the same
//     TLS files and share client-go's cached transport and its kept-alive
//     connections. What it leaves out is what sdinspect adds to the
//     listing: reading prometheus.yml and the certificate files, merging,
//     sorting, discovery, relabeling and writing the report.
//   - impl=raw-list-protobuf+populatelabels is the floor followed by
//     Prometheus's own per-target work on the job's targets
//     (scrape.PopulateLabels: the job's settings as labels, its 30 rules
//     and the checks after them, one target after the other as a scrape
//     pool does), what any tool that lists the objects and relabels them
//     with Prometheus's code must spend at least, output left out. The
//     groups come from sdinspect's discovery, done once beforehand (the
//     differential tests hold them equal to Prometheus's).
//   - impl=sdinspect runs `sdinspect targets --config benchConfig --job JOB
//     -o json` with --server and client-certificate flags in process,
//     writing to io.Discard. Before each run, untimed, it makes the floor's
//     requests again, and reports x-floor: the time of its runs over that
//     of those floors. Made in pairs, a few seconds apart, the two meet the
//     same load: the sub-benchmarks run one after the other, each round
//     after round, and a machine whose speed drifts from minute to minute
//     moves their medians apart.
//   - impl=promtool-30s and impl=promtool-min run `promtool check
//     service-discovery` for the same job, pointed at the same server by
//     api_server and tls_config, at its default timeout and at the
//     smallest timeout that still returns every target sdinspect finds
//     (see benchPromtool). They run when $SDINSPECT_PROMTOOL names a
//     promtool binary and are skipped otherwise.
//
// Each timed run of the first three comes after settle.
//
// The floor logs the time generating and loading the cluster took (the
// testing package prints no log of a benchmark that has sub-benchmarks),
// and impl=sdinspect one line `live: job=SHORT sdinspect/raw-list-protobuf=R`
// with the ratio of their mean times, benchstat's ratio without benchstat.
func BenchmarkLiveTargets(b *testing.B) {
	c := testcluster.Start(b)
	began := time.Now()
	snap := servable(gencluster.Realistic(1, liveScale))
	generated := time.Now()
	c.Load(b, snap)
	loaded := fmt.Sprintf("live: loaded %d pods, %d nodes, %d services, %d endpoints, %d endpointslices in %v (generated in %v)",
		len(snap.Pods), len(snap.Nodes), len(snap.Services), len(snap.Endpoints), len(snap.EndpointSlices),
		time.Since(generated).Round(time.Millisecond), generated.Sub(began).Round(time.Millisecond))
	snap = nil // the server holds the objects now; the heap need not

	cert, key := c.ClientCert(b, "bench", "system:masters")
	config := filepath.FromSlash(benchConfig)
	conn := []string{"--server", c.URL, "--client-certificate", cert, "--client-key", key, "--certificate-authority", c.CAFile}
	for _, job := range liveJobs {
		b.Run("job="+job.short, func(b *testing.B) {
			args := append([]string{"targets", "--config", config, "--job", job.name, "-o", "json"}, conn...)
			want := sdinspectCount(b, args)
			if want.Kept == 0 || want.Dropped == 0 {
				b.Fatalf("job %s keeps %d and drops %d of %d targets: the cluster does not exercise its rules", job.name, want.Kept, want.Dropped, want.Discovered)
			}
			j, cfg, reqs := liveRequests(b, config, job.name, conn)
			groups := liveGroups(b, j, cfg, reqs)
			var floor time.Duration
			b.Run("impl=raw-list-protobuf", func(b *testing.B) {
				b.Log(loaded)
				b.ReportAllocs()
				objs := 0
				for b.Loop() {
					b.StopTimer()
					settle()
					b.StartTimer()
					n, err := rawList(b.Context(), cfg, reqs)
					if err != nil {
						b.Fatal(err)
					}
					objs = n
				}
				floor = b.Elapsed() / time.Duration(b.N)
				b.ReportMetric(float64(objs), "objects")
			})
			b.Run("impl=raw-list-protobuf+populatelabels", func(b *testing.B) {
				b.ReportAllocs()
				lb := labels.NewBuilder(labels.EmptyLabels())
				targets := 0
				for b.Loop() {
					b.StopTimer()
					settle()
					b.StartTimer()
					if _, err := rawList(b.Context(), cfg, reqs); err != nil {
						b.Fatal(err)
					}
					targets = 0
					for _, g := range groups {
						for _, t := range g.Targets {
							_, _ = scrape.PopulateLabels(lb, j.Scrape, t, g.Labels)
							targets++
						}
					}
				}
				b.ReportMetric(float64(targets), "targets")
				if ours := b.Elapsed() / time.Duration(b.N); floor > 0 {
					b.Logf("live: job=%s raw-list-protobuf+populatelabels/raw-list-protobuf=%.2f (%v / %v)", job.short,
						float64(ours)/float64(floor), ours.Round(time.Millisecond), floor.Round(time.Millisecond))
				}
			})
			b.Run("impl=sdinspect", func(b *testing.B) {
				b.ReportAllocs()
				var ours, paired time.Duration
				for b.Loop() {
					// The floor again, untimed, right before: see x-floor.
					b.StopTimer()
					settle()
					start := time.Now()
					if _, err := rawList(b.Context(), cfg, reqs); err != nil {
						b.Fatal(err)
					}
					paired += time.Since(start)
					settle()
					b.StartTimer()
					start = time.Now()
					if code := run(context.Background(), args, io.Discard, io.Discard); code != exitOK {
						b.Fatalf("sdinspect %v: exit %d", args, code)
					}
					ours += time.Since(start)
				}
				b.ReportMetric(float64(want.Discovered), "targets")
				b.ReportMetric(float64(ours)/float64(paired), "x-floor")
				if ours := b.Elapsed() / time.Duration(b.N); floor > 0 {
					b.Logf("live: job=%s sdinspect/raw-list-protobuf=%.2f (%v / %v)", job.short,
						float64(ours)/float64(floor), ours.Round(time.Millisecond), floor.Round(time.Millisecond))
				}
			})
			benchPromtool(b, c, cert, key, job.short, job.name, want)
		})
	}
}

// settle lets this process and the API server get over the run before,
// so that each timed run starts as a run of sdinspect does: in a fresh
// process, against a server that is not still collecting the garbage of a
// LIST of the whole cluster. It collects this process's garbage, returns
// the memory to the system, and waits liveSettle.
func settle() {
	debug.FreeOSMemory()
	time.Sleep(liveSettle)
}

// servable makes what gencluster.Realistic generates acceptable to the API
// server, as the control plane would have written it: services get cluster
// IPs in the test server's range (10.100.x.y for 172.20.x.y) and leave node
// ports to the server; services and endpoint slices keep the first of
// ports sharing a name (a sidecar's "metrics" beside the main container's).
// Replica sets and jobs, generated as bare owners for attach_metadata, are
// left out: the jobs measured do not list them.
func servable(snap *discovery.Snapshot) *discovery.Snapshot {
	for _, svc := range snap.Services {
		spec := &svc.Spec
		if ip, ok := strings.CutPrefix(spec.ClusterIP, "172.20."); ok {
			spec.ClusterIP = "10.100." + ip
			spec.ClusterIPs = []string{spec.ClusterIP}
		}
		seen := map[string]bool{}
		spec.Ports = slices.DeleteFunc(spec.Ports, func(p corev1.ServicePort) bool {
			dup := seen[p.Name]
			seen[p.Name] = true
			return dup
		})
		for i := range spec.Ports {
			spec.Ports[i].NodePort = 0
		}
	}
	for _, es := range snap.EndpointSlices {
		seen := map[string]bool{}
		es.Ports = slices.DeleteFunc(es.Ports, func(p discoveryv1.EndpointPort) bool {
			dup := p.Name != nil && seen[*p.Name]
			if p.Name != nil {
				seen[*p.Name] = true
			}
			return dup
		})
	}
	snap.ReplicaSets, snap.Jobs = nil, nil
	return snap
}

// sdinspectCount runs sdinspect targets once with args, which name one
// job, and returns that job's summary.
func sdinspectCount(b *testing.B, args []string) report.Summary {
	b.Helper()
	var out, errs bytes.Buffer
	if code := run(context.Background(), args, &out, &errs); code != exitOK {
		b.Fatalf("sdinspect %v: exit %d: %s", args, code, errs.String())
	}
	var rep report.Report
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		b.Fatalf("decoding the report of sdinspect %v: %v", args, err)
	}
	if len(rep.Jobs) != 1 || rep.Partial {
		b.Fatalf("sdinspect %v: want one complete job, got %d jobs, partial %v", args, len(rep.Jobs), rep.Partial)
	}
	return rep.Jobs[0].Summary
}

// liveRequests returns the job and what the floor lists for it: the
// rest.Config cluster.Connect makes of the connection flags conn, and the
// requests cluster.Requests makes for the job's kubernetes_sd_configs. It fails when
// cluster.List would skip one of them as covered by another, which it
// does not do for the jobs of benchConfig.
func liveRequests(b *testing.B, config, job string, conn []string) (*promconfig.Job, *rest.Config, []cluster.Request) {
	b.Helper()
	cfg, err := promconfig.Load(config)
	if err != nil {
		b.Fatal(err)
	}
	j, err := cfg.Job(job)
	if err != nil {
		b.Fatal(err)
	}
	var sds []cluster.JobSD
	for _, sd := range j.Kubernetes {
		sds = append(sds, cluster.JobSD{Job: job, SD: sd})
	}
	fs := pflag.NewFlagSet("floor", pflag.ContinueOnError)
	flags := cluster.BindFlags(fs)
	if err := fs.Parse(conn); err != nil {
		b.Fatal(err)
	}
	conns, err := cluster.Connect(b.Context(), flags, sds)
	if err != nil {
		b.Fatal(err)
	}
	if len(conns) != 1 {
		b.Fatalf("job %q: want one connection, got %d", job, len(conns))
	}
	rc := conns[0].Config
	if rc.ContentType != "application/vnd.kubernetes.protobuf" {
		b.Fatalf("cluster.Connect asks for %q, not protobuf: rename impl=raw-list-protobuf", rc.ContentType)
	}
	reqs := cluster.Requests(conns[0].Jobs)
	seen := map[string]bool{}
	for _, r := range reqs {
		if r.LabelSelector != "" || r.FieldSelector != "" || seen[r.Resource] {
			b.Fatalf("job %q: request %s may be covered by another, which the floor does not model", job, r)
		}
		seen[r.Resource] = true
	}
	return j, rc, reqs
}

// liveGroups returns j's target groups over what the API server of cfg
// holds for reqs, for impl=raw-list-protobuf+populatelabels: the floor
// plus Prometheus's own per-target work (scrape.PopulateLabels; its
// discovery is bound to informers) over the same targets.
func liveGroups(b *testing.B, j *promconfig.Job, cfg *rest.Config, reqs []cluster.Request) []*targetgroup.Group {
	b.Helper()
	snap, _, err := cluster.List(b.Context(), cfg, reqs, cluster.ListOptions{})
	if err != nil {
		b.Fatal(err)
	}
	var groups []*targetgroup.Group
	for _, sd := range j.Kubernetes {
		gs, err := discovery.Discover(snap, sd, discovery.Options{})
		if err != nil {
			b.Fatal(err)
		}
		groups = append(groups, gs...)
	}
	return groups
}

// rawList makes reqs through a new clientset of cfg, each page by page,
// at most liveConcurrency at once, keeping every decoded page as
// cluster.List keeps its objects, and returns the number of objects.
func rawList(ctx context.Context, cfg *rest.Config, reqs []cluster.Request) (int, error) {
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return 0, err
	}
	pages := make([][]runtime.Object, len(reqs))
	var objs atomic.Int64
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(liveConcurrency)
	for i, r := range reqs {
		g.Go(func() error {
			list, err := typedList(cs, r)
			if err != nil {
				return err
			}
			opts := metav1.ListOptions{Limit: liveChunkSize}
			for {
				page, err := list(ctx, opts)
				if err != nil {
					return fmt.Errorf("listing %s: %w", r, err)
				}
				pages[i] = append(pages[i], page)
				objs.Add(int64(meta.LenList(page)))
				if opts.Continue = page.(metav1.ListInterface).GetContinue(); opts.Continue == "" {
					return nil
				}
			}
		})
	}
	err = g.Wait()
	return int(objs.Load()), err
}

// typedList returns the typed LIST of r's resource in r's namespace.
func typedList(cs kubernetes.Interface, r cluster.Request) (func(context.Context, metav1.ListOptions) (runtime.Object, error), error) {
	ns := r.Namespace
	switch r.Resource {
	case "pods":
		return func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) {
			return cs.CoreV1().Pods(ns).List(ctx, o)
		}, nil
	case "services":
		return func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) {
			return cs.CoreV1().Services(ns).List(ctx, o)
		}, nil
	case "endpoints":
		return func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) {
			//nolint:staticcheck // the endpoints role lists v1 Endpoints.
			return cs.CoreV1().Endpoints(ns).List(ctx, o)
		}, nil
	case "endpointslices":
		return func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) {
			return cs.DiscoveryV1().EndpointSlices(ns).List(ctx, o)
		}, nil
	case "nodes":
		return func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) {
			return cs.CoreV1().Nodes().List(ctx, o)
		}, nil
	case "namespaces":
		return func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) {
			return cs.CoreV1().Namespaces().List(ctx, o)
		}, nil
	}
	return nil, fmt.Errorf("the floor does not list %s", r)
}
