package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/discovery/targetgroup"
	"github.com/spf13/cobra"

	"github.com/sdinspect/sdinspect/cluster"
	"github.com/sdinspect/sdinspect/expect"
	"github.com/sdinspect/sdinspect/promconfig"
	"github.com/sdinspect/sdinspect/report"
)

type testOptions struct {
	output formatFlag
}

func newTestCommand(s streams) *cobra.Command {
	o := &testOptions{output: newFormatFlag(report.Text, report.CIFormats)}
	cmd := &cobra.Command{
		Use:   "test FILE...",
		Short: "Run relabel unit tests: which targets a job keeps, with which labels, and which it drops",
		Long: `test runs the relabel unit tests of each test file (a directory stands for the
.yml and .yaml files directly in it). A test names a scrape config (a job of a
prometheus.yml, or one written inline), what to evaluate it over (a snapshot,
inline Kubernetes manifests, or raw discovered label sets), and expectations:
a target is kept with these labels, is dropped (by this rule), or the job keeps
and drops so many targets. The README documents the format.

Every test runs offline. A failed expectation prints a label diff and the
step-by-step trace of the failing target, and exits 3; a test file or config
that cannot be read exits 1.`,
		Example: `  sdinspect test tests/pods.test.yml
  sdinspect test tests/ -o junit > sdinspect-tests.xml
  sdinspect test tests/*.yml -o markdown > comment.md`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usagef("test needs the test files to run (sdinspect test FILE...)")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error { return o.run(cmd.Context(), s, args) },
	}
	cmd.Flags().VarP(&o.output, "output", "o", "output format: text, json, junit, sarif, github or markdown")
	return cmd
}

func (o *testOptions) run(_ context.Context, s streams, args []string) error {
	paths, err := testFiles(args)
	if err != nil {
		return err
	}
	var files []*expect.File
	for _, p := range paths {
		f, err := expect.Load(p)
		if err != nil {
			return err
		}
		files = append(files, f)
	}
	rep := &report.TestReport{APIVersion: report.APIVersion, Kind: report.TestKind, Tests: []report.TestGroup{}}
	for _, f := range files {
		for _, t := range f.Tests {
			g, err := runTest(t, s)
			if err != nil {
				return positioned(t, err)
			}
			rep.Tests = append(rep.Tests, g)
		}
	}
	rep.Summarize()
	switch o.output.Format {
	case report.JUnit, report.SARIF, report.GitHub:
		err = report.WriteCI(s.out, o.output.Format, rep.CI(ownVersion()))
	default:
		err = report.WriteTest(s.out, o.output.Format, rep, s.style)
	}
	if err != nil {
		return err
	}
	if sum := rep.Summary; sum.Failed > 0 {
		return findingsError{fmt.Sprintf("%d of %d expectations failed, in %d of %d tests", sum.Failed, sum.Expectations, sum.FailedTests, sum.Tests)}
	}
	return nil
}

// positioned makes err start with where the test is written, unless it
// already names a line of the test file.
func positioned(t *expect.Test, err error) error {
	if strings.HasPrefix(err.Error(), t.Pos.File+":") {
		return err
	}
	return fmt.Errorf("%s: %w", t.Pos, err)
}

// testFiles expands the arguments: a directory stands for the .yml and
// .yaml files directly in it, in name order.
func testFiles(args []string) ([]string, error) {
	var out []string
	for _, a := range args {
		info, err := os.Stat(a)
		if err != nil {
			return nil, fmt.Errorf("reading test file: %w", err)
		}
		if !info.IsDir() {
			out = append(out, a)
			continue
		}
		entries, err := os.ReadDir(a)
		if err != nil {
			return nil, fmt.Errorf("reading test directory: %w", err)
		}
		n := len(out)
		for _, e := range entries {
			if ext := strings.ToLower(filepath.Ext(e.Name())); !e.IsDir() && (ext == ".yml" || ext == ".yaml") {
				out = append(out, filepath.Join(a, e.Name()))
			}
		}
		if len(out) == n {
			return nil, fmt.Errorf("no .yml or .yaml test files in directory %q", a)
		}
	}
	return out, nil
}

// runTest evaluates a test's job over its input, with traces, and checks
// its expectations.
func runTest(t *expect.Test, s streams) (report.TestGroup, error) {
	job, err := testJob(t)
	if err != nil {
		return report.TestGroup{}, err
	}
	warn := func(msg string) {
		// The flag targets would suggest is a key of the test here.
		msg = strings.Replace(msg, "(give --own-namespace)", "(give own_namespace in the test)", 1)
		s.note(fmt.Sprintf("%s: %s", t.Pos, msg))
	}
	objs, err := testObjects(t, warn)
	if err != nil {
		return report.TestGroup{}, err
	}
	if t.Discovered != nil {
		job = withDiscovered(job, t.Discovered)
	} else if len(job.NotRun) > 0 {
		warn(fmt.Sprintf("job %q: not run offline, so its targets are missing: %s (give discovered label sets instead)", job.Scrape.JobName, strings.Join(job.NotRun, ", ")))
	}
	rep, err := evaluate([]*promconfig.Job{job}, objs, &inputOptions{ownNamespace: t.OwnNamespace}, true, warn)
	if err != nil {
		return report.TestGroup{}, err
	}
	return expect.Check(t, &rep.Jobs[0]), nil
}

// testJob loads the scrape config a test runs.
func testJob(t *expect.Test) (*promconfig.Job, error) {
	if t.ScrapeConfig != nil {
		return promconfig.LoadScrapeConfig(t.Pos.File, t.ScrapeConfig)
	}
	cfg, err := promconfig.Load(t.Config)
	if err != nil {
		return nil, err
	}
	if t.Job != "" {
		return cfg.Job(t.Job)
	}
	if len(cfg.Jobs) == 0 {
		return nil, fmt.Errorf("%s has no scrape configs: no job to test", t.Config)
	}
	if len(cfg.Jobs) != 1 {
		names := make([]string, len(cfg.Jobs))
		for i, j := range cfg.Jobs {
			names[i] = fmt.Sprintf("%q", j.Scrape.JobName)
		}
		return nil, fmt.Errorf("which job? %s has %d jobs, give job: one of %s", t.Config, len(cfg.Jobs), strings.Join(names, ", "))
	}
	return cfg.Jobs[0], nil
}

// testObjects reads the Kubernetes objects of a test: its snapshot files,
// its inline manifests, or none.
func testObjects(t *expect.Test, warn func(string)) (*objects, error) {
	if len(t.Snapshot) > 0 {
		snap, err := readFiles(t.Snapshot, warn)
		if err != nil {
			return nil, err
		}
		return &objects{all: snap}, nil
	}
	docs := make([]cluster.Document, len(t.Objects))
	for i, o := range t.Objects {
		docs[i] = cluster.Document{Name: o.Pos.File, YAML: o.YAML}
	}
	snap, err := cluster.ReadDocuments(docs, warn)
	if err != nil {
		return nil, err
	}
	return &objects{all: snap}, nil
}

// discoveredSource is the target group source of a test's discovered label sets.
const discoveredSource = "discovered"

// withDiscovered returns a copy of job whose only targets are the label
// sets given, in one target group: none of its service discovery runs.
func withDiscovered(job *promconfig.Job, sets []map[string]string) *promconfig.Job {
	g := &targetgroup.Group{Source: discoveredSource, Labels: model.LabelSet{}, Targets: make([]model.LabelSet, 0, len(sets))}
	for _, set := range sets {
		ls := make(model.LabelSet, len(set))
		for k, v := range set {
			ls[model.LabelName(k)] = model.LabelValue(v)
		}
		g.Targets = append(g.Targets, ls)
	}
	c := *job
	c.Kubernetes, c.NotRun = nil, nil
	c.Groups = []*targetgroup.Group{g}
	return &c
}
