package report

import (
	"fmt"
	"io"
	"strings"
)

// TestReport is the result of `sdinspect test`: every test of every file,
// in the order written, and each expectation's outcome.
type TestReport struct {
	APIVersion string      `json:"apiVersion" yaml:"apiVersion"`
	Kind       string      `json:"kind" yaml:"kind"`
	Summary    TestSummary `json:"summary" yaml:"summary"`
	Tests      []TestGroup `json:"tests" yaml:"tests"`
}

// TestKind is TestReport's kind.
const TestKind = "TestReport"

// TestSummary counts tests and expectations; Passed and Failed count
// expectations (a counts check is one).
type TestSummary struct {
	Tests        int `json:"tests" yaml:"tests"`
	FailedTests  int `json:"failedTests" yaml:"failedTests"`
	Expectations int `json:"expectations" yaml:"expectations"`
	Passed       int `json:"passed" yaml:"passed"`
	Failed       int `json:"failed" yaml:"failed"`
}

// TestGroup is one test of a test file: a job evaluated over some input,
// and the outcome of each of its expectations.
type TestGroup struct {
	Name string `json:"name" yaml:"name"`
	// File and Line say where the test is written.
	File string `json:"file" yaml:"file"`
	Line int    `json:"line" yaml:"line"`
	Job  string `json:"job" yaml:"job"`
	// Passed is set when every expectation passed.
	Passed       bool              `json:"passed" yaml:"passed"`
	Expectations []TestExpectation `json:"expectations" yaml:"expectations"`
}

// TestExpectation is the outcome of one expectation, or of a test's counts.
type TestExpectation struct {
	// Name says what was expected, as written or in words
	// (`object "shop/web-0" is kept`).
	Name string `json:"name" yaml:"name"`
	File string `json:"file" yaml:"file"`
	Line int    `json:"line" yaml:"line"`
	// Passed is set when the expectation holds.
	Passed bool `json:"passed" yaml:"passed"`
	// Matched counts the targets the expectation's selectors matched.
	Matched int `json:"matched" yaml:"matched"`
	// Message says, in one line, why the expectation failed.
	Message string `json:"message,omitempty" yaml:"message,omitempty"`
	// Candidates lists, when no target matched, a few of the job's
	// targets as "SOURCE #INDEX (ADDRESS)", the likeliest first.
	Candidates []string `json:"candidates,omitempty" yaml:"candidates,omitempty"`
	// Failures has one entry per matched target that does not satisfy the
	// expectation, or one without a target for failed counts.
	Failures []TestFailure `json:"failures,omitempty" yaml:"failures,omitempty"`
}

// TestFailure is one target failing an expectation.
type TestFailure struct {
	// Message says what is wrong with the target, in one line.
	Message string `json:"message" yaml:"message"`
	// Diff lists, by name, the labels (or counts) whose wanted and actual
	// values differ; an empty value means the label is absent.
	Diff []Diff `json:"diff,omitempty" yaml:"diff,omitempty"`
	// Target is the failing target, with its discovered labels and its
	// step-by-step relabel trace.
	Target *Target `json:"target,omitempty" yaml:"target,omitempty"`
}

// Diff is one wanted value against the actual one.
type Diff struct {
	Name string `json:"name" yaml:"name"`
	Want string `json:"want" yaml:"want"`
	Got  string `json:"got" yaml:"got"`
}

// Summarize fills r.Summary from r.Tests.
func (r *TestReport) Summarize() {
	s := TestSummary{Tests: len(r.Tests)}
	for _, g := range r.Tests {
		if !g.Passed {
			s.FailedTests++
		}
		for _, e := range g.Expectations {
			s.Expectations++
			if e.Passed {
				s.Passed++
			} else {
				s.Failed++
			}
		}
	}
	r.Summary = s
}

// TestFindingID is the finding ID of a failed expectation in the CI formats.
const TestFindingID = "test"

// CI turns r into the cases of the CI formats: one per expectation, in the
// suite of its test; a failed one carries a finding at its file:line whose
// detail is the label diff and the trace of each failing target.
func (r *TestReport) CI(version string) *CI {
	ci := &CI{
		Command: "test",
		Version: version,
		Rules: []RuleInfo{{
			ID:          TestFindingID,
			Name:        "expectation",
			Description: "An expectation of a relabel unit test (sdinspect test) does not hold.",
			Severity:    Error,
		}},
		Cases: []Case{},
	}
	for _, g := range r.Tests {
		for _, e := range g.Expectations {
			c := Case{Suite: g.Name, Name: e.Name, Failed: !e.Passed}
			if !e.Passed {
				var detail strings.Builder
				writeFailureDetail(&detail, g.Job, e, Style{}, "", false)
				c.Finding = &Finding{
					ID:       TestFindingID,
					Name:     "expectation",
					Severity: Error,
					Job:      g.Job,
					File:     e.File,
					Line:     e.Line,
					Message:  e.Message,
					Detail:   strings.TrimSuffix(detail.String(), "\n"),
				}
			}
			ci.Cases = append(ci.Cases, c)
		}
	}
	return ci
}

// WriteTest renders r as text (styled by style), json or markdown; the CI
// formats go through CI and WriteCI.
func WriteTest(w io.Writer, f Format, r *TestReport, style Style) error {
	var b strings.Builder
	switch f {
	case JSON:
		return writeJSON(w, r)
	case Text:
		writeTestText(&b, r, style)
	case Markdown:
		writeTestMarkdown(&b, r)
	default:
		return fmt.Errorf("output format %s: not a format of test results", f)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func writeTestText(b *strings.Builder, r *TestReport, style Style) {
	for _, g := range r.Tests {
		failed := 0
		for _, e := range g.Expectations {
			if !e.Passed {
				failed++
			}
		}
		if failed == 0 {
			fmt.Fprintf(b, "%s    %s:%d: %s (job %q): %s passed\n", style.Good("ok"), g.File, g.Line, g.Name, g.Job, plural(len(g.Expectations), "expectation"))
			continue
		}
		fmt.Fprintf(b, "%s  %s:%d: %s (job %q): %d of %s failed\n", style.Bad("FAIL"), g.File, g.Line, g.Name, g.Job, failed, plural(len(g.Expectations), "expectation"))
		for _, e := range g.Expectations {
			if e.Passed {
				continue
			}
			fmt.Fprintf(b, "  %s  %s:%d: %s\n", style.Bad("FAIL"), e.File, e.Line, e.Name)
			writeFailureDetail(b, g.Job, e, style, "        ", true)
		}
	}
	s := r.Summary
	fmt.Fprintf(b, "\n%s, %s: %d passed, %d failed\n", plural(s.Tests, "test"), plural(s.Expectations, "expectation"), s.Passed, s.Failed)
}

// writeFailureDetail writes why e failed: its message (when withMessage),
// the candidates, and each failing target's diff and trace, every line
// after indent.
func writeFailureDetail(b *strings.Builder, job string, e TestExpectation, style Style, indent string, withMessage bool) {
	single := len(e.Failures) == 1 && e.Failures[0].Message == e.Message
	if withMessage && !single {
		fmt.Fprintf(b, "%s%s\n", indent, e.Message)
	}
	if len(e.Candidates) > 0 {
		fmt.Fprintf(b, "%s  some of the job's targets, nearest first:\n", indent)
		for _, c := range e.Candidates {
			fmt.Fprintf(b, "%s    %s\n", indent, c)
		}
	}
	for _, f := range e.Failures {
		in := indent + "  "
		if single {
			in = indent
		}
		if withMessage || !single {
			fmt.Fprintf(b, "%s%s\n", in, f.Message)
		}
		if f.Target == nil {
			continue
		}
		if len(f.Diff) > 0 {
			fmt.Fprintf(b, "%s  labels (-want +got):\n", in)
			for _, l := range diffLines(f.Diff) {
				paint := style.Good
				if strings.HasPrefix(l, "-") {
					paint = style.Bad
				}
				fmt.Fprintf(b, "%s    %s\n", in, paint(l))
			}
		}
		fmt.Fprintf(b, "%s  trace:\n", in)
		var trace strings.Builder
		_ = WriteExplain(&trace, job, *f.Target)
		for _, l := range strings.SplitAfter(strings.TrimSuffix(trace.String(), "\n"), "\n") {
			fmt.Fprintf(b, "%s    %s", in, l)
		}
		b.WriteString("\n")
	}
}

// diffLines renders a label diff as "- name=\"want\"" and "+ name=\"got\""
// lines, by name; an absent label has no line.
func diffLines(diff []Diff) []string {
	var out []string
	for _, d := range diff {
		if d.Want != "" {
			out = append(out, fmt.Sprintf("- %s=%q", d.Name, d.Want))
		}
		if d.Got != "" {
			out = append(out, fmt.Sprintf("+ %s=%q", d.Name, d.Got))
		}
	}
	return out
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}
