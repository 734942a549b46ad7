package differential

import (
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"go.yaml.in/yaml/v2"

	"github.com/prometheus/prometheus/discovery/kubernetes"

	"github.com/sdinspect/sdinspect/discovery"
	"github.com/sdinspect/sdinspect/internal/fixture"
	"github.com/sdinspect/sdinspect/internal/gencluster"
)

// randomSize gives clusters of about two hundred objects.
func randomSize() gencluster.Size { return gencluster.Size{Namespaces: 4, Nodes: 6, Apps: 8} }

// prometheusConcurrency bounds the Prometheus discoveries running at once.
const prometheusConcurrency = 8

// A variant is one SD config the random clusters run through.
type variant struct {
	name string
	sd   *kubernetes.SDConfig
}

// randomVariants are, per role, the SD config without options, with all
// metadata attached, and with namespaces and selectors (which the server
// applies for Prometheus, and Discover offline). attach_metadata.deployment
// and .cronjob are left out for the endpoints roles: Prometheus does not
// wait for those informers there, so its own output is racy.
func randomVariants() ([]variant, error) {
	configs := fixture.Variants()
	var out []variant
	for name, text := range configs {
		sd := &kubernetes.SDConfig{}
		if err := yaml.UnmarshalStrict([]byte(text), sd); err != nil {
			return nil, fmt.Errorf("parsing variant %q: %w", name, err)
		}
		out = append(out, variant{name: name, sd: sd})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out, nil
}

// randomSeeds are the seeds -seeds and -seed select.
func randomSeeds() []int64 {
	if *oneSeed != 0 {
		return []int64{*oneSeed}
	}
	seeds := make([]int64, *seedCount)
	for i := range seeds {
		seeds[i] = int64(i + 1)
	}
	return seeds
}

// TestRandomClusters stores random clusters on the server, one at a time,
// and compares Prometheus's discovery of each with Discover's of what the
// server stored, for every variant. A failure names its seed; -seed N
// reruns just that cluster.
func TestRandomClusters(t *testing.T) {
	variants, err := randomVariants()
	if err != nil {
		t.Fatal(err)
	}
	e := setup(t)
	sem := make(chan struct{}, prometheusConcurrency)
	for _, seed := range randomSeeds() {
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
			gen := gencluster.Generate(seed, randomSize())
			if fixes := conform(gen); len(fixes) > 0 {
				t.Logf("seed %d: changed what the server refuses to store: %v", seed, fixes)
			}
			began := time.Now()
			e.reset(t)
			reset := time.Now()
			if msgs := e.load(t, gen); len(msgs) > 0 {
				t.Fatalf("seed %d: the API server refuses the generated cluster: %s", seed, strings.Join(msgs, "; "))
			}
			snap := e.c.Snapshot(t)
			stored := time.Now()
			t.Logf("seed %d: %d objects generated, %d stored (with the server's own); emptied the server in %v, stored in %v",
				seed, countObjects(gen), countObjects(snap), reset.Sub(began).Round(time.Millisecond), stored.Sub(reset).Round(time.Millisecond))
			found := &targetCounts{n: map[string]int{}}
			// Cleanups run once the parallel subtests are done.
			t.Cleanup(func() {
				t.Logf("seed %d: compared %d variants in %v", seed, len(variants), time.Since(stored).Round(time.Millisecond))
				for _, name := range []string{"pod", "service", "endpoints", "endpointslice", "node"} {
					if n, ok := found.get(name); ok && n == 0 {
						t.Errorf("seed %d, variant %s: Prometheus found no targets, so the comparison proves nothing", seed, name)
					}
				}
			})
			for _, v := range variants {
				t.Run(v.name, func(t *testing.T) {
					// Start before t.Parallel, which waits for the
					// parent to return, so that all variants run at
					// once, not -test.parallel at a time.
					run := e.startPrometheus(t.Context(), sem, v.sd)
					t.Parallel()
					found.set(v.name, e.check(t, run, snap, v.sd, discovery.Options{}))
				})
			}
		})
	}
	e.reset(t)
}

// targetCounts records how many targets Prometheus found per variant.
type targetCounts struct {
	mu sync.Mutex
	n  map[string]int
}

func (c *targetCounts) set(variant string, n int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n[variant] = n
}

// get returns the count for variant, and whether it ran to the end.
func (c *targetCounts) get(variant string) (int, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	n, ok := c.n[variant]
	return n, ok
}
