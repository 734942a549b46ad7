package relabel_test

import (
	"math/rand/v2"
	"testing"

	"github.com/prometheus/prometheus/config"
	"github.com/prometheus/prometheus/discovery/targetgroup"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/scrape"

	"github.com/sdinspect/sdinspect/relabel"
)

// The benchmarks run the same targets and rules through Apply and through
// Prometheus's own scrape.PopulateLabels, so their ratio is measured in one run.

type relabelInput struct {
	cfg    *config.ScrapeConfig
	groups []*targetgroup.Group
}

func benchInput(b *testing.B) (*relabelInput, int) {
	cfg := scrapeConfig(b, rulesForProperty)
	groups := randomGroups(rand.New(rand.NewPCG(3, 4)), 2000)
	n := 0
	for _, g := range groups {
		n += len(g.Targets)
	}
	return &relabelInput{cfg: cfg, groups: groups}, n
}

func BenchmarkApply(b *testing.B) {
	in, n := benchInput(b)
	b.ReportAllocs()
	b.ReportMetric(float64(n), "targets/op")
	for b.Loop() {
		relabel.Apply(in.cfg, in.groups, relabel.Options{})
	}
}

func BenchmarkApplyTrace(b *testing.B) {
	in, n := benchInput(b)
	b.ReportAllocs()
	b.ReportMetric(float64(n), "targets/op")
	for b.Loop() {
		relabel.Apply(in.cfg, in.groups, relabel.Options{Trace: true})
	}
}

func BenchmarkPrometheusPopulateLabels(b *testing.B) {
	in, n := benchInput(b)
	lb := labels.NewBuilder(labels.EmptyLabels())
	b.ReportAllocs()
	b.ReportMetric(float64(n), "targets/op")
	for b.Loop() {
		for _, g := range in.groups {
			for _, t := range g.Targets {
				_, _ = scrape.PopulateLabels(lb, in.cfg, t, g.Labels)
			}
		}
	}
}
