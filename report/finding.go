package report

import "fmt"

// Severity grades a finding: info < warning < error.
type Severity string

// The severities, from least to most severe.
const (
	Info    Severity = "info"
	Warning Severity = "warning"
	Error   Severity = "error"
)

// Rank orders severities: Info 1, Warning 2, Error 3, anything else 0.
func (s Severity) Rank() int {
	switch s {
	case Info:
		return 1
	case Warning:
		return 2
	case Error:
		return 3
	}
	return 0
}

// UnmarshalText accepts info, warning or error, so that --fail-on can be typed.
func (s *Severity) UnmarshalText(b []byte) error {
	v := Severity(b)
	if v.Rank() == 0 {
		return fmt.Errorf("unknown severity %q (want info, warning or error)", b)
	}
	*s = v
	return nil
}

// Finding is one thing check, test or diff reports about a config: a lint
// finding, a failed expectation, a changed target. It is data, not an error.
type Finding struct {
	// ID is stable across releases (SD001, ...); Name is its short slug
	// (unknown-source-label, ...).
	ID       string   `json:"id" yaml:"id"`
	Name     string   `json:"name" yaml:"name"`
	Severity Severity `json:"severity" yaml:"severity"`
	Job      string   `json:"job,omitempty" yaml:"job,omitempty"`
	// File and Line say where the rule, job or expectation at fault is
	// written; Rule is the rule's index in relabel_configs, when one is.
	File string `json:"file,omitempty" yaml:"file,omitempty"`
	Line int    `json:"line,omitempty" yaml:"line,omitempty"`
	Rule *int   `json:"rule,omitempty" yaml:"rule,omitempty"`
	// Message is one line; Suggestion a fix when one is known ("did you
	// mean ..."); Detail more lines: a label diff, a trace, examples.
	Message    string `json:"message" yaml:"message"`
	Suggestion string `json:"suggestion,omitempty" yaml:"suggestion,omitempty"`
	Detail     string `json:"detail,omitempty" yaml:"detail,omitempty"`
}

// Location renders where the finding is written as FILE:LINE, or "" when
// it has no file.
func (f *Finding) Location() string {
	if f.File == "" {
		return ""
	}
	if f.Line == 0 {
		return f.File
	}
	return fmt.Sprintf("%s:%d", f.File, f.Line)
}

// CI is what the CI formats (junit, sarif, github) render: the outcome of
// check, test or diff as a flat list of cases, in a stable order.
type CI struct {
	// Command is the sdinspect command that produced it: check, test or diff.
	Command string
	// Version is sdinspect's version, for SARIF's tool.driver.
	Version string
	// Rules describes every finding ID that may occur, for SARIF's rule
	// table; Cases refer to them by Finding.ID.
	Rules []RuleInfo
	Cases []Case
}

// RuleInfo describes one finding ID.
type RuleInfo struct {
	ID, Name    string
	Description string
	Severity    Severity
}

// Case is one JUnit test case: an expectation, a finding, a job checked
// clean, a changed target.
type Case struct {
	// Suite groups cases (JUnit testsuite): the job, or the test group.
	Suite string
	Name  string
	// Failed is set when the case counts against the run (a failed
	// expectation, a finding at or above --fail-on).
	Failed bool
	// Finding is nil for a case that passed with nothing to say.
	Finding *Finding
	// Key, when set, identifies the finding across runs in place of its
	// message (SARIF's fingerprint), for findings whose message carries
	// counts that change from one snapshot to the next.
	Key string
}
