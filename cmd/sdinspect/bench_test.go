package main

import (
	"context"
	"io"
	"path/filepath"
	"testing"

	"github.com/prometheus/prometheus/discovery/targetgroup"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/scrape"

	"github.com/sdinspect/sdinspect/cluster"
	"github.com/sdinspect/sdinspect/discovery"
	"github.com/sdinspect/sdinspect/internal/gencluster"
	"github.com/sdinspect/sdinspect/promconfig"
)

// benchConfig is the kube-prometheus-like configuration the relabel
// benchmarks use too: four jobs of 30 rules each.
const benchConfig = "../../testdata/bench/kube-prometheus.yml"

// benchCluster is about 700 pods with every kind of object, some 10,000
// targets over the four jobs.
func benchCluster() *discovery.Snapshot {
	return gencluster.Generate(1, gencluster.Size{Namespaces: 10, Nodes: 100, Apps: 40})
}

// BenchmarkEvaluate measures the whole per-target cost of the offline
// pipeline for every job (discovery, population, 30 rules, post-relabel
// checks and the report) next to what Prometheus's scrape.PopulateLabels
// costs for the same targets. Prometheus's discovery cannot be run without
// informers, so its side starts from our discovered groups (the differential
// tests hold them equal to Prometheus's): the ratio charges our discovery to
// us and nothing to Prometheus.
func BenchmarkEvaluate(b *testing.B) {
	cfg, err := promconfig.Load(filepath.FromSlash(benchConfig))
	if err != nil {
		b.Fatal(err)
	}
	objs := &objects{all: benchCluster()}
	groups, targets := discoverJobs(b, cfg.Jobs, objs.all)
	lb := labels.NewBuilder(labels.EmptyLabels())
	impls := []struct {
		name string
		run  func() error
	}{
		{"prometheus", func() error {
			for i, job := range cfg.Jobs {
				for _, g := range groups[i] {
					for _, t := range g.Targets {
						_, _ = scrape.PopulateLabels(lb, job.Scrape, t, g.Labels)
					}
				}
			}
			return nil
		}},
		{"sdinspect", func() error {
			_, err := evaluate(cfg.Jobs, objs, &inputOptions{}, false, func(string) {})
			return err
		}},
		{"sdinspect-trace", func() error {
			_, err := evaluate(cfg.Jobs, objs, &inputOptions{}, true, func(string) {})
			return err
		}},
	}
	for _, impl := range impls {
		b.Run("impl="+impl.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := impl.run(); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(targets), "ns/target")
			b.ReportMetric(float64(targets), "targets")
		})
	}
}

// discoverJobs returns each job's target groups and the number of targets
// over all jobs.
func discoverJobs(b *testing.B, jobs []*promconfig.Job, snap *discovery.Snapshot) ([][]*targetgroup.Group, int) {
	b.Helper()
	groups := make([][]*targetgroup.Group, len(jobs))
	targets := 0
	for i, job := range jobs {
		for _, sd := range job.Kubernetes {
			gs, err := discovery.Discover(snap, sd, discovery.Options{})
			if err != nil {
				b.Fatal(err)
			}
			for _, g := range gs {
				targets += len(g.Targets)
			}
			groups[i] = append(groups[i], gs...)
		}
	}
	return groups, targets
}

// BenchmarkTargets runs `sdinspect targets -o json` on a snapshot file in
// process, next to merely decoding that file, the floor the scale target
// is stated against (targets at most 2× the decode).
func BenchmarkTargets(b *testing.B) {
	file := filepath.Join(b.TempDir(), "cluster.yaml")
	if err := cluster.WriteFile(file, benchCluster()); err != nil {
		b.Fatal(err)
	}
	args := []string{"targets", "--config", filepath.FromSlash(benchConfig), "--from", file, "-o", "json"}
	b.Run("impl=decode-only", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := cluster.Read([]string{file}, nil); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("impl=sdinspect", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if code := run(context.Background(), args, io.Discard, io.Discard); code != exitOK {
				b.Fatalf("exit %d", code)
			}
		}
	})
}
