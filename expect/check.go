package expect

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/sdinspect/sdinspect/report"
)

// Check judges the expectations and counts of t against job, the result of
// running t's job over t's input with traces. Expectations come out in the
// order written, then counts.
func Check(t *Test, job *report.Job) report.TestGroup {
	g := report.TestGroup{
		Name:         t.Name,
		File:         t.Pos.File,
		Line:         t.Pos.Line,
		Job:          job.Job,
		Passed:       true,
		Expectations: []report.TestExpectation{},
	}
	for _, e := range t.Expect {
		g.Expectations = append(g.Expectations, e.check(job))
	}
	if t.Counts != nil {
		g.Expectations = append(g.Expectations, t.Counts.check(job.Summary))
	}
	for _, e := range g.Expectations {
		g.Passed = g.Passed && e.Passed
	}
	return g
}

func (e *Expectation) check(job *report.Job) report.TestExpectation {
	out := report.TestExpectation{Name: e.Name, File: e.Pos.File, Line: e.Pos.Line}
	for i := range job.Targets {
		t := &job.Targets[i]
		if !e.matches(t) {
			continue
		}
		out.Matched++
		if f := e.checkTarget(t); f != nil {
			out.Failures = append(out.Failures, *f)
		}
	}
	switch {
	case out.Matched == 0 && len(job.Targets) == 0:
		out.Message = fmt.Sprintf("no target matches %s: the job has no targets", e.selector())
	case out.Matched == 0:
		out.Message = fmt.Sprintf("no target matches %s among the job's %d targets", e.selector(), len(job.Targets))
		out.Candidates = e.candidates(job.Targets)
	case out.Matched == 1 && len(out.Failures) == 1:
		out.Message = out.Failures[0].Message
	case len(out.Failures) > 0:
		out.Message = fmt.Sprintf("%d of the %d targets matching %s fail", len(out.Failures), out.Matched, e.selector())
	default:
		out.Passed = true
	}
	return out
}

// checkTarget returns how t fails e, or nil.
func (e *Expectation) checkTarget(t *report.Target) *report.TestFailure {
	name := targetName(t)
	if State(t.State) != e.State {
		return &report.TestFailure{Message: fmt.Sprintf("%s: want %s, got %s", name, e.State, outcome(t)), Target: t}
	}
	if d := e.DroppedBy; d != nil && !d.matches(t.DroppedBy) {
		return &report.TestFailure{Message: fmt.Sprintf("%s: want dropped by %s, got %s", name, d, outcome(t)), Target: t}
	}
	if diff := e.labelDiff(t); len(diff) > 0 {
		return &report.TestFailure{Message: fmt.Sprintf("%s: kept, but %s", name, differ(len(diff), "label")), Diff: diff, Target: t}
	}
	return nil
}

// outcome words what became of t: "kept", "dropped by rule 3 (keep,
// prometheus.yml:42)", "invalid: ...".
func outcome(t *report.Target) string {
	switch {
	case t.DroppedBy != nil:
		return "dropped by " + t.DroppedBy.String()
	case t.Error != "":
		return "invalid: " + t.Error
	}
	return t.State
}

// labelDiff compares a kept target's labels with e's: exactly e.Labels
// among the public labels (and each internal label e.Labels names among the
// final labels), and at least e.LabelsInclude among the final labels.
func (e *Expectation) labelDiff(t *report.Target) []report.Diff {
	diffs := map[string]report.Diff{}
	compare := func(name, want, got string) {
		if want != got {
			diffs[name] = report.Diff{Name: name, Want: want, Got: got}
		}
	}
	if e.Labels != nil {
		for name, got := range t.PublicLabels {
			compare(name, e.Labels[name], got)
		}
		for name, want := range e.Labels {
			got := t.PublicLabels[name]
			if strings.HasPrefix(name, "__") {
				got = t.Labels[name]
			}
			compare(name, want, got)
		}
	}
	for name, want := range e.LabelsInclude {
		compare(name, want, t.Labels[name])
	}
	return slices.SortedFunc(maps.Values(diffs), func(a, b report.Diff) int { return cmp.Compare(a.Name, b.Name) })
}

func differ(n int, what string) string {
	if n == 1 {
		return "1 " + what + " differs"
	}
	return fmt.Sprintf("%d %ss differ", n, what)
}

// check compares the counts with a job's summary.
func (c *Counts) check(s report.Summary) report.TestExpectation {
	var wanted []string
	var diff []report.Diff
	for _, f := range []struct {
		name string
		want *int
		got  int
	}{{"discovered", c.Discovered, s.Discovered}, {"kept", c.Kept, s.Kept}, {"dropped", c.Dropped, s.Dropped}, {"invalid", c.Invalid, s.Invalid}} {
		if f.want == nil {
			continue
		}
		wanted = append(wanted, fmt.Sprintf("%s %d", f.name, *f.want))
		if *f.want != f.got {
			diff = append(diff, report.Diff{Name: f.name, Want: strconv.Itoa(*f.want), Got: strconv.Itoa(f.got)})
		}
	}
	out := report.TestExpectation{
		Name:    "counts: " + strings.Join(wanted, ", "),
		File:    c.Pos.File,
		Line:    c.Pos.Line,
		Matched: s.Discovered,
		Passed:  len(diff) == 0,
	}
	if !out.Passed {
		got := make([]string, len(diff))
		for i, d := range diff {
			got[i] = fmt.Sprintf("%s %s, want %s", d.Name, d.Got, d.Want)
		}
		out.Message = "counts differ: " + strings.Join(got, "; ")
		out.Failures = []report.TestFailure{{Message: out.Message, Diff: diff}}
	}
	return out
}
