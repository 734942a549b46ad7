package relabel_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/prometheus/prometheus/config"
	"github.com/prometheus/prometheus/discovery/targetgroup"
	"github.com/prometheus/prometheus/model/labels"
	promrelabel "github.com/prometheus/prometheus/model/relabel"
	"github.com/prometheus/prometheus/scrape"

	"github.com/sdinspect/sdinspect/discovery"
	"github.com/sdinspect/sdinspect/internal/gencluster"
	"github.com/sdinspect/sdinspect/promconfig"
	"github.com/sdinspect/sdinspect/relabel"
)

// benchConfig is the kube-prometheus-like configuration every relabel and
// pipeline benchmark uses: four jobs of 30 rules each.
const benchConfig = "../testdata/bench/kube-prometheus.yml"

// benchJob is one job's discovered targets, the input both Prometheus's code
// and ours are given.
type benchJob struct {
	name    string
	cfg     *config.ScrapeConfig
	groups  []*targetgroup.Group
	targets int
	// each runs discovery again, group by group as sdinspect does, for
	// the benchmark of the whole per-target work.
	each func(yield func(*discovery.Group) bool)
}

func benchJobs(b *testing.B) []benchJob {
	b.Helper()
	cfg, err := promconfig.Load(filepath.FromSlash(benchConfig))
	if err != nil {
		b.Fatal(err)
	}
	// Discovery is only the benchmarks' input here: relabel itself never
	// imports k8s.io, its tests may.
	snap := gencluster.Generate(1, gencluster.Size{Namespaces: 10, Nodes: 100, Apps: 40})
	var jobs []benchJob
	for _, job := range cfg.Jobs {
		j := benchJob{name: strings.ReplaceAll(job.Scrape.JobName, "/", "-"), cfg: job.Scrape}
		j.each = func(yield func(*discovery.Group) bool) {
			for _, sd := range job.Kubernetes {
				if err := discovery.Each(snap, sd, discovery.Options{}, yield); err != nil {
					b.Fatal(err)
				}
			}
		}
		j.each(func(g *discovery.Group) bool {
			j.groups = append(j.groups, g.TargetGroup())
			return true
		})
		for _, g := range j.groups {
			j.targets += len(g.Targets)
		}
		jobs = append(jobs, j)
	}
	return jobs
}

// BenchmarkRelabel runs each job's discovered targets through Prometheus's
// scrape.PopulateLabels (what a scrape pool does per target), through
// relabel.ProcessBuilder alone on the already populated label sets (this
// Prometheus version has no relabel.Process), through Apply with the trace
// off and on, and through discovery and relabeling together as sdinspect
// runs them on one goroutine (impl=sdinspect-discover: the whole per-target
// work, discovery included, which Prometheus does in informers this
// benchmark cannot run). The sub-benchmarks differ
// only in impl, so `benchstat -col /impl` prints the ratios of one run.
func BenchmarkRelabel(b *testing.B) {
	for _, j := range benchJobs(b) {
		checkSameKept(b, j)
		impls := []struct {
			name string
			run  func()
		}{
			{"prometheus", populateLabels(j)},
			{"prometheus-processbuilder", processBuilder(j)},
			{"sdinspect", func() { relabel.Apply(j.cfg, j.groups, relabel.Options{}) }},
			{"sdinspect-trace", func() { relabel.Apply(j.cfg, j.groups, relabel.Options{Trace: true}) }},
			{"sdinspect-discover", discoverAndRelabel(j)},
		}
		for _, impl := range impls {
			b.Run("job="+j.name+"/impl="+impl.name, func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					impl.run()
				}
				perTarget(b, j.targets)
			})
		}
	}
}

// perTarget reports the time per discovered target, the unit the scale
// targets are stated in.
func perTarget(b *testing.B, targets int) {
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(targets), "ns/target")
	b.ReportMetric(float64(targets), "targets")
}

// discoverAndRelabel is what sdinspect does for each target, output left
// out: discovery.Each builds a group, Relabeler.VisitSorted relabels its targets
// and gives their discovered labels, Duplicates marks the kept ones, and
// the group's label sets go back to discovery.
func discoverAndRelabel(j benchJob) func() {
	return func() {
		r, d := relabel.NewRelabeler(j.cfg, relabel.Options{}), relabel.NewDuplicates()
		var results []relabel.Target
		j.each(func(g *discovery.Group) bool {
			results = results[:0]
			r.VisitSorted(g.Source, g.Labels, g.Targets, 0, len(g.Targets), func(t *relabel.Target, _ []labels.Label) {
				results = append(results, *t)
			})
			d.Mark(results)
			discovery.Recycle(g)
			return true
		})
	}
}

func populateLabels(j benchJob) func() {
	lb := labels.NewBuilder(labels.EmptyLabels())
	return func() {
		for _, g := range j.groups {
			for _, t := range g.Targets {
				_, _ = scrape.PopulateLabels(lb, j.cfg, t, g.Labels)
			}
		}
	}
}

func processBuilder(j benchJob) func() {
	lb := labels.NewBuilder(labels.EmptyLabels())
	var populated []labels.Labels
	for _, g := range j.groups {
		for _, t := range g.Targets {
			lb.Reset(labels.EmptyLabels())
			scrape.PopulateDiscoveredLabels(lb, j.cfg, t, g.Labels)
			populated = append(populated, lb.Labels())
		}
	}
	return func() {
		for _, ls := range populated {
			lb.Reset(ls)
			_ = promrelabel.ProcessBuilder(lb, j.cfg.RelabelConfigs...)
		}
	}
}

// checkSameKept makes sure both sides do the same work: the same targets
// kept, and some targets both kept and dropped, so no job is trivially cheap.
func checkSameKept(b *testing.B, j benchJob) {
	b.Helper()
	lb := labels.NewBuilder(labels.EmptyLabels())
	theirs := 0
	for _, g := range j.groups {
		for _, t := range g.Targets {
			if ls, err := scrape.PopulateLabels(lb, j.cfg, t, g.Labels); err == nil && !ls.IsEmpty() {
				theirs++
			}
		}
	}
	ours := 0
	for _, t := range relabel.Apply(j.cfg, j.groups, relabel.Options{}) {
		if t.State == relabel.Kept {
			ours++
		}
	}
	if ours != theirs || ours == 0 || ours == j.targets {
		b.Fatalf("job %s: %d of %d targets kept, Prometheus keeps %d", j.name, ours, j.targets, theirs)
	}
}
