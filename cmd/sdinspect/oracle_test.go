package main

import (
	"context"
	"fmt"
	"sort"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/prometheus/prometheus/discovery/targetgroup"

	"github.com/sdinspect/sdinspect/cluster"
	"github.com/sdinspect/sdinspect/internal/fakeapi"
	"github.com/sdinspect/sdinspect/internal/oracle"
	"github.com/sdinspect/sdinspect/promconfig"
	"github.com/sdinspect/sdinspect/report"
)

// outcome is what one target came to, in the terms promtool check
// service-discovery uses: its discoveredLabels, its labels, its error.
type outcome struct {
	Source     string
	Discovered string
	State      string
	Labels     string
	Error      string
}

// TestExampleMatchesPrometheus runs the bundled example end to end twice:
// through sdinspect, and through Prometheus's own Kubernetes discovery
// (against an API endpoint serving the same objects) followed by
// scrape.PopulateLabels, as promtool check service-discovery does. Every
// target's discovered labels, state, labels and error must agree.
func TestExampleMatchesPrometheus(t *testing.T) {
	t.Parallel()
	const configPath = "../../testdata/examples/prometheus.yml"
	snap, err := cluster.Read([]string{"../../testdata/examples/cluster.yaml"}, func(string) {})
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := promconfig.Load(configPath)
	if err != nil {
		t.Fatal(err)
	}
	srv := fakeapi.Start(snap)
	defer srv.Close()
	for _, job := range cfg.Jobs {
		t.Run(job.Scrape.JobName, func(t *testing.T) {
			rep, err := evaluate([]*promconfig.Job{job}, snap, &inputOptions{}, false, func(string) {})
			if err != nil {
				t.Fatal(err)
			}
			ours := fromReport(rep.Jobs[0].Targets)

			groups := append([]*targetgroup.Group(nil), job.Groups...)
			for _, sd := range job.Kubernetes {
				gs, err := oracle.DiscoverWithOptions(context.Background(), srv.URL, sd, oracle.Options{Ready: srv.Synced})
				if err != nil {
					t.Fatal(err)
				}
				groups = append(groups, gs...)
			}
			theirs := fromOracle(oracle.Populate(job.Scrape, groups))
			if len(theirs) == 0 {
				t.Fatal("Prometheus discovered no targets: the comparison would prove nothing")
			}
			if diff := cmp.Diff(theirs, ours); diff != "" {
				t.Errorf("targets differ (-prometheus +sdinspect):\n%s", diff)
			}
		})
	}
}

func fromReport(ts []report.Target) []outcome {
	out := make([]outcome, 0, len(ts))
	for _, t := range ts {
		o := outcome{Source: t.Source, Discovered: report.FormatLabels(t.DiscoveredLabels), State: t.State, Error: t.Error}
		if t.State == "kept" {
			o.Labels = report.FormatLabels(t.Labels)
		}
		out = append(out, o)
	}
	return sortOutcomes(out)
}

func fromOracle(rs []oracle.Result) []outcome {
	out := make([]outcome, 0, len(rs))
	for _, r := range rs {
		o := outcome{Source: r.Source, Discovered: report.FormatLabels(r.DiscoveredLabels.Map())}
		switch {
		case r.Err != nil:
			o.State, o.Error = "invalid", r.Err.Error()
		case r.Dropped():
			o.State = "dropped"
		default:
			o.State, o.Labels = "kept", report.FormatLabels(r.Labels.Map())
		}
		out = append(out, o)
	}
	return sortOutcomes(out)
}

// sortOutcomes orders targets as a multiset: Prometheus emits some targets
// (extra pod ports) and groups in map order.
func sortOutcomes(os []outcome) []outcome {
	sort.Slice(os, func(i, j int) bool { return fmt.Sprint(os[i]) < fmt.Sprint(os[j]) })
	return os
}
