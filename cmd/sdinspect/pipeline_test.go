package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/prometheus/discovery/targetgroup"
	"github.com/prometheus/prometheus/model/labels"

	"github.com/sdinspect/sdinspect/discovery"
	"github.com/sdinspect/sdinspect/internal/gencluster"
	"github.com/sdinspect/sdinspect/promconfig"
	"github.com/sdinspect/sdinspect/relabel"
)

// TestEachBatchSameAsApply holds eachBatch, which relabels batches on
// several goroutines, to relabel.Apply over discovery.Discover's groups
// one after the other: the same results in the same order, the same
// discovered labels (compared as build copied them: the groups' label sets
// are reused once a batch is used), duplicates pointing at the same
// targets, and build called for each target of a batch before use, for
// batches of one target, of a few (groups split over batches) and of the
// default size, and with a few batches relabeled by the goroutine that
// discovers before the others join in (wide), use never called twice at
// once.
func TestEachBatchSameAsApply(t *testing.T) {
	t.Parallel()
	cfg, err := promconfig.Load(filepath.FromSlash(benchConfig))
	if err != nil {
		t.Fatal(err)
	}
	same, err := promconfig.Load(allDuplicatesConfig(t))
	if err != nil {
		t.Fatal(err)
	}
	cfg.Jobs = append(cfg.Jobs, same.Jobs...)
	objs := &objects{all: gencluster.Generate(3, gencluster.Size{Namespaces: 4, Nodes: 20, Apps: 30})}
	equal := cmp.Comparer(func(a, b relabel.Target) bool {
		return a.Source == b.Source && a.Index == b.Index && a.State == b.State && a.DroppedBy == b.DroppedBy &&
			labels.Equal(a.Labels, b.Labels) && fmt.Sprint(a.Err) == fmt.Sprint(b.Err) &&
			cmp.Equal(a.DuplicateOf, b.DuplicateOf) && cmp.Equal(a.Trace, b.Trace)
	})
	batches, dups := 0, 0
	for _, job := range cfg.Jobs {
		jobBatches := 0
		for _, c := range []struct {
			opts   relabel.Options
			size   int
			narrow int // batches before wide is closed, if not 0
		}{
			{relabel.Options{}, batchTargets, 0}, {relabel.Options{Trace: true, Discovered: true}, 1, 0}, {relabel.Options{Discovered: true}, 3, 0},
			{relabel.Options{}, 3, 5}, {relabel.Options{}, batchTargets, 1},
		} {
			opts := c.opts
			var wide chan struct{}
			if c.narrow > 0 {
				wide = make(chan struct{})
			}
			runBatches := 0
			var using atomic.Bool
			var groups []*targetgroup.Group
			for _, sd := range job.Kubernetes {
				gs, err := discovery.Discover(objs.of(sd), sd, discovery.Options{})
				if err != nil {
					t.Fatal(err)
				}
				groups = append(groups, gs...)
			}
			want := relabel.Apply(job.Scrape, append(groups, job.Groups...), opts)

			var got []relabel.Target
			var discovered []labels.Labels
			err := eachBatch(job, groupsOf(job, objs, &inputOptions{}), opts, c.size, wide,
				func() *seen { return &seen{} },
				func(out *seen, r *relabel.Target, d []labels.Label) {
					if r.DuplicateOf != nil {
						out.err = fmt.Errorf("%s/%d: marked a duplicate before use", r.Source, r.Index)
					}
					if !slices.IsSortedFunc(d, func(a, b labels.Label) int { return strings.Compare(a.Name, b.Name) }) {
						out.err = fmt.Errorf("%s/%d: discovered labels not sorted by name: %v", r.Source, r.Index, d)
					}
					out.discovered = append(out.discovered, labels.New(slices.Clone(d)...))
				},
				func(out *seen, results []relabel.Target) error {
					if !using.CompareAndSwap(false, true) {
						return errors.New("use called while it ran")
					}
					defer using.Store(false)
					if runBatches++; runBatches == c.narrow {
						close(wide)
					}
					if out.err != nil {
						return out.err
					}
					if len(out.discovered) != len(results) {
						return fmt.Errorf("build saw %d results, use %d", len(out.discovered), len(results))
					}
					if len(results) > c.size {
						return fmt.Errorf("a batch of %d targets, more than %d", len(results), c.size)
					}
					batches++
					jobBatches++
					got = append(got, results...)
					discovered = append(discovered, out.discovered...)
					return nil
				})
			if wide != nil && runBatches < c.narrow {
				close(wide) // the job has no more batches
			}
			if err != nil {
				t.Fatal(err)
			}
			for i := range min(len(want), len(discovered)) {
				if !labels.Equal(discovered[i], want[i].Discovered()) {
					t.Fatalf("job %s %s/%d: build was given discovered labels %v, want %v", job.Scrape.JobName, want[i].Source, want[i].Index, discovered[i], want[i].Discovered())
				}
			}
			if diff := cmp.Diff(want, got, equal); diff != "" {
				t.Errorf("job %s %+v, batches of %d (-Apply +eachBatch):\n%s", job.Scrape.JobName, opts, c.size, diff)
			}
			jobDups := 0
			for _, r := range got {
				if r.DuplicateOf != nil {
					jobDups++
				}
			}
			dups += jobDups
			if job.Scrape.JobName == "same" && (jobBatches < 4 || jobDups < 100) {
				t.Fatalf("job same: %d batches, %d duplicates: duplicates across batches are not exercised", jobBatches, jobDups)
			}
		}
	}
	if batches < 2*len(cfg.Jobs) || dups == 0 {
		t.Errorf("%d batches, %d duplicates: the cluster is too small to exercise batches and duplicates", batches, dups)
	}
}

// allDuplicatesConfig writes a prometheus.yml whose one job, "same", keeps
// targets that all repeat the first: duplicates in every batch. It returns
// its path.
func allDuplicatesConfig(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "prometheus.yml")
	err := os.WriteFile(path, []byte(`scrape_configs:
- job_name: same
  kubernetes_sd_configs: [{role: pod}]
  relabel_configs:
  - {source_labels: [__meta_kubernetes_pod_container_port_number], regex: "", action: drop}
  - {target_label: __address__, replacement: "x:1"}
`), 0o644)
	if err != nil {
		t.Fatal(err)
	}
	return path
}

// seen is what TestEachBatchSameAsApply's build keeps of a batch.
type seen struct {
	discovered []labels.Labels
	err        error
}

func (s *seen) reset() { s.discovered, s.err = s.discovered[:0], nil }

// TestEachBatchStopsOnError: an error from use ends eachBatch with that
// error, after no further call of use, whatever the batches in flight.
func TestEachBatchStopsOnError(t *testing.T) {
	t.Parallel()
	cfg, err := promconfig.Load(filepath.FromSlash(benchConfig))
	if err != nil {
		t.Fatal(err)
	}
	objs := &objects{all: gencluster.Generate(4, gencluster.Size{Namespaces: 4, Nodes: 20, Apps: 30})}
	job := cfg.Jobs[0]
	for _, after := range []int{1, 2, 5} {
		errStop := errors.New("stop")
		calls := 0
		err := eachBatch(job, groupsOf(job, objs, &inputOptions{}), relabel.Options{}, 16, nil,
			func() *seen { return &seen{} },
			func(*seen, *relabel.Target, []labels.Label) {},
			func(*seen, []relabel.Target) error {
				if calls++; calls == after {
					return errStop
				}
				if calls > after {
					t.Errorf("use called after it failed")
				}
				return nil
			})
		if err != errStop {
			t.Errorf("stop after %d batches: eachBatch returned %v, want %v", after, err, errStop)
		}
	}
}
