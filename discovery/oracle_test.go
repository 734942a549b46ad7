package discovery_test

import (
	"context"
	"flag"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v2"

	"github.com/prometheus/prometheus/discovery/kubernetes"
	"github.com/prometheus/prometheus/discovery/targetgroup"

	"github.com/sdinspect/sdinspect/discovery"
	"github.com/sdinspect/sdinspect/internal/fakeapi"
	"github.com/sdinspect/sdinspect/internal/fixture"
	"github.com/sdinspect/sdinspect/internal/gencluster"
	"github.com/sdinspect/sdinspect/internal/oracle"
)

var randomSeed = flag.Int64("seed", 0, "run TestMatchesPrometheusRandom for this seed only (0: the default seeds)")

// oracleConcurrency bounds the Prometheus discoveries running at once. They
// mostly wait (for informers and for quiet), so more than the cores.
const oracleConcurrency = 8

// An oracleRun is Prometheus's discovery of one snapshot, running in the
// background against a fake API server.
type oracleRun struct {
	done   chan struct{}
	groups []*targetgroup.Group
	err    error
	// refused are the requests the API server answered with an error
	// (not the watch-list attempts it refuses on purpose).
	refused []fakeapi.Request
}

// startOracle runs Prometheus's discovery of snap in the background. maxWait
// bounds the run; zero means the oracle's default.
func startOracle(sem chan struct{}, snap *discovery.Snapshot, sd *kubernetes.SDConfig, maxWait time.Duration) *oracleRun {
	r := &oracleRun{done: make(chan struct{})}
	go func() {
		defer close(r.done)
		sem <- struct{}{}
		defer func() { <-sem }()
		srv := fakeapi.Start(snap)
		defer srv.Close()
		if err := srv.Err(); err != nil {
			r.err = fmt.Errorf("serving the snapshot: %w", err)
			return
		}
		r.groups, r.err = oracle.DiscoverWithOptions(context.Background(), srv.URL, sd, oracle.Options{Ready: srv.Synced, Listed: srv.Listed, MaxWait: maxWait})
		for _, req := range srv.Requests() {
			if req.Kind == fakeapi.Failed {
				r.refused = append(r.refused, req)
			}
		}
	}()
	return r
}

// matchPrometheus waits for run and holds Discover's output for the same
// snapshot and config to it.
func matchPrometheus(t *testing.T, run *oracleRun, snap *discovery.Snapshot, sd *kubernetes.SDConfig, opts discovery.Options) {
	t.Helper()
	<-run.done
	ours, err := discovery.Discover(snap, sd, opts)
	if run.err != nil && len(run.refused) > 0 {
		// The API server refuses a LIST (say, an unsupported field
		// selector): Prometheus never syncs and emits nothing.
		if err == nil && len(ours) > 0 {
			r := run.refused[0]
			t.Fatalf("the API server refuses %s?labelSelector=%q&fieldSelector=%q (%s), so Prometheus finds nothing; Discover found %d groups",
				r.Path, r.LabelSelector, r.FieldSelector, r.Message, len(ours))
		}
		t.Logf("the API server refuses a LIST, Prometheus finds nothing; Discover: %d groups, error %v", len(ours), err)
		return
	}
	if run.err != nil {
		t.Fatalf("Prometheus: %v", run.err)
	}
	if err != nil {
		t.Fatalf("Discover: %v", err)
	}
	for i, g := range ours {
		if len(g.Targets) == 0 {
			t.Errorf("Discover returned group %s without targets", g.Source)
		}
		if i > 0 && ours[i-1].Source >= g.Source {
			t.Errorf("Discover's groups are not sorted by Source: %s before %s", ours[i-1].Source, g.Source)
		}
	}
	t.Logf("Prometheus and Discover %s", sourcesSummary(run.groups))
	if d := oracle.Diff(ours, run.groups, 40); d != "" {
		t.Errorf("role %s: %s", sd.Role, d)
	}
}

func sourcesSummary(groups []*targetgroup.Group) string {
	n := 0
	for _, g := range groups {
		n += len(g.Targets)
	}
	return fmt.Sprintf("%d groups, %d targets", len(groups), n)
}

// TestMatchesPrometheus runs every fixture through Prometheus's own
// Kubernetes discovery and through Discover, and compares the targets.
func TestMatchesPrometheus(t *testing.T) {
	sem := make(chan struct{}, oracleConcurrency)
	for _, c := range loadCases(t) {
		var skip string
		switch {
		case strings.Contains(c.Name, "nondeterministic"):
			skip = "Prometheus's own output is not deterministic for this fixture"
		case c.SD.NamespaceDiscovery.IncludeOwnNamespace:
			skip = "namespaces.own_namespace: Prometheus reads it from the service account file, only inside a pod"
		}
		t.Run(c.Name, func(t *testing.T) {
			if skip != "" {
				t.Skip(skip)
			}
			// Start before t.Parallel, which waits for the parent to
			// finish, so that all oracles run at once.
			run := startOracle(sem, c.Snap, c.SD, 0)
			t.Parallel()
			matchPrometheus(t, run, c.Snap, c.SD, c.Opts)
		})
	}
}

// randomVariants are the SD configs the random clusters run through.
func randomVariants() map[string]string { return fixture.Variants() }

// TestMatchesPrometheusRandom compares Discover with Prometheus on random
// clusters. A failure names its seed; -seed N reruns just that cluster.
func TestMatchesPrometheusRandom(t *testing.T) {
	seeds := []int64{1, 2, 3}
	if *randomSeed != 0 {
		seeds = []int64{*randomSeed}
	}
	size := gencluster.Size{Namespaces: 3, Nodes: 4, Apps: 5}
	sem := make(chan struct{}, oracleConcurrency)
	for _, seed := range seeds {
		snap := gencluster.Generate(seed, size)
		for _, name := range sortedNames(randomVariants()) {
			sd := &kubernetes.SDConfig{}
			if err := yaml.UnmarshalStrict([]byte(randomVariants()[name]), sd); err != nil {
				t.Fatalf("variant %s: %v", name, err)
			}
			t.Run(fmt.Sprintf("seed=%d/%s", seed, name), func(t *testing.T) {
				run := startOracle(sem, snap, sd, 0)
				t.Parallel()
				matchPrometheus(t, run, snap, sd, discovery.Options{})
			})
		}
	}
}

func sortedNames(m map[string]string) []string {
	var names []string
	for n := range m {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// TestMatchesPrometheusRefusedSelectors checks field selectors the API server
// does not support for a kind: it refuses the LIST, so Prometheus never syncs
// and finds nothing, and Discover must not report targets either.
func TestMatchesPrometheusRefusedSelectors(t *testing.T) {
	sem := make(chan struct{}, oracleConcurrency)
	snap := gencluster.Generate(1, gencluster.Size{Namespaces: 2, Nodes: 2, Apps: 2})
	tests := map[string]string{
		"node namespace":  `{role: node, selectors: [{role: node, field: "metadata.namespace=default"}]}`,
		"pod priority":    `{role: pod, selectors: [{role: pod, field: "spec.priority=1"}]}`,
		"endpoints field": `{role: endpoints, selectors: [{role: endpoints, field: "subsets=x"}]}`,
	}
	for _, name := range sortedNames(tests) {
		sd := &kubernetes.SDConfig{}
		if err := yaml.UnmarshalStrict([]byte(tests[name]), sd); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		t.Run(name, func(t *testing.T) {
			run := startOracle(sem, snap, sd, 2*time.Second)
			t.Parallel()
			<-run.done
			if run.err == nil || len(run.refused) == 0 {
				t.Fatalf("Prometheus settled (error %v, %d groups) although the API server should refuse the selector", run.err, len(run.groups))
			}
			matchPrometheus(t, run, snap, sd, discovery.Options{})
		})
	}
}
