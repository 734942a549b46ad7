package lint_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/common/model"
	promrelabel "github.com/prometheus/prometheus/model/relabel"

	"github.com/sdinspect/sdinspect/cluster"
	"github.com/sdinspect/sdinspect/discovery"
	"github.com/sdinspect/sdinspect/lint"
	"github.com/sdinspect/sdinspect/promconfig"
	"github.com/sdinspect/sdinspect/relabel"
	"github.com/sdinspect/sdinspect/report"
)

// evaluated is a config and its jobs' results over a snapshot, as check
// computes them.
type evaluated struct {
	path string
	text string
	jobs []lint.Job
}

// evaluate loads config, reads objects and runs every job's discovery and
// relabeling with traces, the way sdinspect check does.
func evaluate(t *testing.T, config, objects string) *evaluated {
	t.Helper()
	dir := t.TempDir()
	cfgPath, objPath := filepath.Join(dir, "prometheus.yml"), filepath.Join(dir, "cluster.yaml")
	for path, text := range map[string]string{cfgPath: config, objPath: objects} {
		if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return evaluateFiles(t, cfgPath, objPath)
}

func evaluateFiles(t *testing.T, cfgPath, objPath string) *evaluated {
	t.Helper()
	cfg, err := promconfig.Load(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	snap, err := cluster.Read([]string{objPath}, func(string) {})
	if err != nil {
		t.Fatal(err)
	}
	text, err := os.ReadFile(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	ev := &evaluated{path: cfgPath, text: string(text)}
	for _, job := range cfg.Jobs {
		groups := job.Groups
		listed := map[string]int{}
		for _, sd := range job.Kubernetes {
			gs, err := discovery.Discover(snap, sd, discovery.Options{})
			if err != nil {
				t.Fatalf("job %q: %v", job.Scrape.JobName, err)
			}
			groups = append(groups, gs...)
			for res, n := range discovery.Listed(snap, sd, discovery.Options{}) {
				listed[res] += n
			}
		}
		results := relabel.Apply(job.Scrape, groups, relabel.Options{Trace: true})
		res := reportJob(job, results)
		ev.jobs = append(ev.jobs, lint.Job{Config: job, Result: &res, Listed: listed})
	}
	return ev
}

// reportJob is the report form of a job's results, as sdinspect builds it:
// the fields the result checks read.
func reportJob(job *promconfig.Job, results []relabel.Target) report.Job {
	out := report.Job{Job: job.Scrape.JobName, File: job.Pos.File, Line: job.Pos.Line, Targets: []report.Target{}}
	for i := range results {
		r := &results[i]
		t := report.Target{Source: r.Source, Index: r.Index, State: string(r.State),
			DiscoveredLabels: r.Discovered().Map(), Labels: map[string]string{}}
		out.Summary.Discovered++
		switch r.State {
		case relabel.Kept:
			out.Summary.Kept++
			t.Labels = r.Labels.Map()
			if d := r.DuplicateOf; d != nil {
				out.Summary.Duplicates++
				t.DuplicateOf = &report.TargetRef{Source: d.Source, Index: d.Index}
			}
		case relabel.Dropped:
			out.Summary.Dropped++
			t.DroppedBy = &report.Rule{Index: r.DroppedBy, Action: string(job.Scrape.RelabelConfigs[r.DroppedBy].Action)}
		case relabel.Invalid:
			out.Summary.Invalid++
			t.Error = r.Err.Error()
		}
		for i, ls := range r.TraceLabels(r.Discovered()) {
			s := r.Trace[i]
			step := report.Step{Rule: report.Rule{Index: s.Rule}, Result: "continue", Labels: ls.Map()}
			if !s.Keep {
				step.Result = "drop"
			}
			t.Trace = append(t.Trace, step)
		}
		out.Targets = append(out.Targets, t)
	}
	return out
}

// line returns the line of config text that carries the comment # mark.
func (ev *evaluated) line(t *testing.T, mark string) int {
	t.Helper()
	for i, l := range strings.Split(ev.text, "\n") {
		if strings.HasSuffix(l, "# "+mark) {
			return i + 1
		}
	}
	t.Fatalf("no line marked %q", mark)
	return 0
}

// resultFindings runs Check and keeps the findings about results (SD1xx),
// so that the config checks do not enter these tests.
func (ev *evaluated) resultFindings(job string) []report.Finding {
	var out []report.Finding
	for _, f := range lint.Check(ev.jobs) {
		if strings.HasPrefix(f.ID, "SD1") && (job == "" || f.Job == job) {
			out = append(out, f)
		}
	}
	return out
}

// want is an expected finding: where it points and what it says.
type want struct {
	id       string
	mark     string // the marked line it points at
	rule     int    // -1 for the job
	severity report.Severity
	message  string
	// suggestion and detail, when set, must be contained in the finding's.
	suggestion, detail string
}

func checkFindings(t *testing.T, ev *evaluated, got []report.Finding, wants []want) {
	t.Helper()
	if len(got) != len(wants) {
		t.Errorf("got %d findings, want %d:\n%s", len(got), len(wants), dump(got))
		return
	}
	for i, w := range wants {
		f := got[i]
		var rule *int
		if w.rule >= 0 {
			rule = &w.rule
		}
		gotKey := fmt.Sprintf("%s %s:%d rule=%v %s: %s", f.ID, f.File, f.Line, ptr(f.Rule), f.Severity, f.Message)
		wantKey := fmt.Sprintf("%s %s:%d rule=%v %s: %s", w.id, ev.path, ev.line(t, w.mark), ptr(rule), w.severity, w.message)
		if diff := cmp.Diff(wantKey, gotKey); diff != "" {
			t.Errorf("finding %d (-want +got):\n%s", i, diff)
		}
		if !strings.Contains(f.Suggestion, w.suggestion) {
			t.Errorf("finding %d suggestion %q does not contain %q", i, f.Suggestion, w.suggestion)
		}
		if !strings.Contains(f.Detail, w.detail) {
			t.Errorf("finding %d detail %q does not contain %q", i, f.Detail, w.detail)
		}
	}
}

func ptr(p *int) string {
	if p == nil {
		return "-"
	}
	return fmt.Sprint(*p)
}

func dump(fs []report.Finding) string {
	var b strings.Builder
	for _, f := range fs {
		fmt.Fprintf(&b, "  %s %s %s:%d %s\n    suggestion: %s\n    detail: %q\n", f.ID, f.Job, f.File, f.Line, f.Message, f.Suggestion, f.Detail)
	}
	return b.String()
}

// loadRules reads a standalone rules file named rules.yml, so that
// positions read rules.yml:LINE.
func loadRules(t *testing.T, text string) ([]*promrelabel.Config, []promconfig.Position) {
	t.Helper()
	dir := t.TempDir()
	t.Chdir(dir)
	if err := os.WriteFile("rules.yml", []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	rules, pos, err := promconfig.LoadRules("rules.yml", model.UTF8Validation)
	if err != nil {
		t.Fatal(err)
	}
	return rules, pos
}
