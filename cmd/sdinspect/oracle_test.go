package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/tools/txtar"

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

// TestMatchesPrometheus runs configurations end to end twice: through
// sdinspect, and through Prometheus's own Kubernetes discovery (against an
// API endpoint serving the same objects) followed by scrape.PopulateLabels,
// as promtool check service-discovery does. Every target's discovered
// labels, state, labels and error must agree. The cases are the bundled
// example and testdata/oracle/*.txtar, each holding a prometheus.yml, a
// cluster.yaml and any files the configuration refers to, and a summary
// file that pins, per job, the counts the case is meant to exercise.
func TestMatchesPrometheus(t *testing.T) {
	t.Parallel()
	dirs := map[string]string{"example": "../../testdata/examples"}
	archives, err := filepath.Glob("testdata/oracle/*.txtar")
	if err != nil || len(archives) == 0 {
		t.Fatalf("no cases under testdata/oracle: %v", err)
	}
	for _, a := range archives {
		dirs[strings.TrimSuffix(filepath.Base(a), ".txtar")] = extract(t, a)
	}
	for name, dir := range dirs {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			matchesPrometheus(t, dir)
		})
	}
}

func matchesPrometheus(t *testing.T, dir string) {
	snap, err := cluster.Read([]string{filepath.Join(dir, "cluster.yaml")}, func(string) {})
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := promconfig.Load(filepath.Join(dir, "prometheus.yml"))
	if err != nil {
		t.Fatal(err)
	}
	summaries := readSummaries(t, filepath.Join(dir, "summary"))
	srv := fakeapi.Start(snap)
	defer srv.Close()
	for _, job := range cfg.Jobs {
		rep, err := evaluate([]*promconfig.Job{job}, &objects{all: snap}, &inputOptions{}, false, func(string) {})
		if err != nil {
			t.Fatal(err)
		}
		ours := fromReport(rep.Jobs[0].Targets)
		if want, ok := summaries[job.Scrape.JobName]; ok {
			s := rep.Jobs[0].Summary
			if got := fmt.Sprintf("%d discovered, %d kept, %d dropped, %d invalid", s.Discovered, s.Kept, s.Dropped, s.Invalid); got != want {
				t.Errorf("job %q: %s, want %s", job.Scrape.JobName, got, want)
			}
			delete(summaries, job.Scrape.JobName)
		}

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
			t.Fatalf("job %q: Prometheus discovered no targets: the comparison would prove nothing", job.Scrape.JobName)
		}
		if diff := cmp.Diff(theirs, ours); diff != "" {
			t.Errorf("job %q: targets differ (-prometheus +sdinspect):\n%s", job.Scrape.JobName, diff)
		}
	}
}

// readSummaries reads "JOB: N discovered, N kept, N dropped, N invalid"
// lines; a case without a summary file pins nothing.
func readSummaries(t *testing.T, path string) map[string]string {
	data, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, l := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		job, counts, ok := strings.Cut(l, ": ")
		if !ok {
			t.Fatalf("%s: bad line %q", path, l)
		}
		out[job] = counts
	}
	t.Cleanup(func() {
		for job := range out {
			t.Errorf("summary names job %q, which the config does not have", job)
		}
	})
	return out
}

// extract writes the files of a txtar archive to a new directory.
func extract(t *testing.T, path string) string {
	a, err := txtar.ParseFile(path)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, f := range a.Files {
		p := filepath.Join(dir, f.Name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, f.Data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
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
