package main

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sdinspect/sdinspect/cluster"
	"github.com/sdinspect/sdinspect/internal/gencluster"
	"github.com/sdinspect/sdinspect/promconfig"
	"github.com/sdinspect/sdinspect/report"
)

// TestStreamJSONSameAsEvaluate: `targets -o json`, which streams, writes
// exactly what evaluating every job at once and writing the whole report
// gives, with and without traces and for every --show, over the bundled
// example and a generated cluster under the 30-rule configuration and a
// job whose kept targets are all duplicates.
func TestStreamJSONSameAsEvaluate(t *testing.T) {
	t.Parallel()
	example, err := cluster.Read([]string{filepath.FromSlash("../../testdata/examples/cluster.yaml")}, nil)
	if err != nil {
		t.Fatal(err)
	}
	same := allDuplicatesConfig(t)
	generated := &objects{all: gencluster.Generate(2, gencluster.Size{Namespaces: 3, Nodes: 10, Apps: 10})}
	duplicates := 0
	for _, c := range []struct {
		config string
		objs   *objects
	}{
		{"../../testdata/examples/prometheus.yml", &objects{all: example}},
		{benchConfig, generated},
		{same, generated},
	} {
		cfg, err := promconfig.Load(filepath.FromSlash(c.config))
		if err != nil {
			t.Fatal(err)
		}
		for _, trace := range []bool{false, true} {
			for _, show := range []showFlag{showAll, showKept, showDropped} {
				rep, err := evaluate(cfg.Jobs, c.objs, &inputOptions{}, trace, func(string) {})
				if err != nil {
					t.Fatal(err)
				}
				targets := 0
				for i := range rep.Jobs {
					j := &rep.Jobs[i]
					j.Targets = slices.DeleteFunc(j.Targets, func(t report.Target) bool { return !show.keeps(t.State) })
					targets += len(j.Targets)
				}
				if targets == 0 {
					t.Fatalf("%s show=%s: no targets to compare", c.config, show)
				}
				var want, got bytes.Buffer
				if err := report.Write(&want, report.JSON, rep); err != nil {
					t.Fatal(err)
				}
				o := &targetsOptions{show: show, trace: trace}
				if _, err := o.streamJSON(&got, cfg.Jobs, c.objs, func(string) {}, nil); err != nil {
					t.Fatal(err)
				}
				duplicates += bytes.Count(got.Bytes(), []byte(`"duplicateOf"`))
				if !bytes.Equal(want.Bytes(), got.Bytes()) {
					t.Errorf("%s trace=%v show=%s: streamed output differs (-evaluate +stream):\n%s", c.config, trace, show, cmp.Diff(want.String(), got.String()))
				}
			}
		}
	}
	if duplicates < 100 {
		t.Errorf("%d targets with duplicateOf written: splicing them in is not exercised", duplicates)
	}
}

// TestStreamJSONErrorBeforeOutput: an error in any job, however late,
// stops the run before a byte is written.
func TestStreamJSONErrorBeforeOutput(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "prometheus.yml")
	err := os.WriteFile(path, []byte(`scrape_configs:
- job_name: a
  kubernetes_sd_configs: [{role: pod}]
- job_name: b
  kubernetes_sd_configs: [{role: pod, selectors: [{role: pod, field: "spec.unknownField=x"}]}]
`), 0o644)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := promconfig.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	o := &targetsOptions{show: showAll}
	objs := &objects{all: gencluster.Generate(2, gencluster.Size{Namespaces: 2, Nodes: 3, Apps: 3})}
	_, err = o.streamJSON(&out, cfg.Jobs, objs, func(string) {}, nil)
	if err == nil || !strings.Contains(err.Error(), `job "b": kubernetes_sd_configs[0] (role pod)`) {
		t.Errorf("error %v, want one naming job b's kubernetes_sd_configs[0]", err)
	}
	if out.Len() != 0 {
		t.Errorf("wrote %d bytes before failing", out.Len())
	}
}
