package report

import (
	"cmp"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
)

// CheckReport is the result of `sdinspect check`.
type CheckReport struct {
	APIVersion string `json:"apiVersion" yaml:"apiVersion"`
	Kind       string `json:"kind" yaml:"kind"`
	// FailOn is the least severity that fails the run.
	FailOn Severity `json:"failOn" yaml:"failOn"`
	// Objects says where the objects came from: "none" (the config alone
	// was checked), "files" or "live".
	Objects        string       `json:"objects" yaml:"objects"`
	Partial        bool         `json:"partial,omitempty" yaml:"partial,omitempty"`
	PartialReasons []string     `json:"partialReasons,omitempty" yaml:"partialReasons,omitempty"`
	Summary        CheckSummary `json:"summary" yaml:"summary"`
	Jobs           []CheckJob   `json:"jobs" yaml:"jobs"`
	// Findings are sorted by file, line, ID and job.
	Findings []Finding `json:"findings" yaml:"findings"`
}

// CheckKind is CheckReport's kind.
const CheckKind = "CheckReport"

// CheckSummary counts findings by severity; Failing counts those at or
// above FailOn.
type CheckSummary struct {
	Errors   int `json:"errors" yaml:"errors"`
	Warnings int `json:"warnings" yaml:"warnings"`
	Infos    int `json:"infos" yaml:"infos"`
	Failing  int `json:"failing" yaml:"failing"`
}

// CheckJob is one checked job.
type CheckJob struct {
	Job    string   `json:"job" yaml:"job"`
	File   string   `json:"file,omitempty" yaml:"file,omitempty"`
	Line   int      `json:"line,omitempty" yaml:"line,omitempty"`
	NotRun []string `json:"notRun,omitempty" yaml:"notRun,omitempty"`
	// Partial is set when objects this job needs could not be listed.
	Partial bool `json:"partial,omitempty" yaml:"partial,omitempty"`
	// Cost is nil when no objects were given.
	Cost *Cost `json:"cost,omitempty" yaml:"cost,omitempty"`
}

// Cost is what a job costs Prometheus: the objects its service discovery
// lists and keeps in memory, per resource, against the targets it keeps.
type Cost struct {
	Listed     map[string]int `json:"listed" yaml:"listed"`
	Discovered int            `json:"discovered" yaml:"discovered"`
	Kept       int            `json:"kept" yaml:"kept"`
}

// NewCheckSummary counts findings, failing those at or above failOn.
func NewCheckSummary(findings []Finding, failOn Severity) CheckSummary {
	var s CheckSummary
	for _, f := range findings {
		switch f.Severity {
		case Error:
			s.Errors++
		case Warning:
			s.Warnings++
		default:
			s.Infos++
		}
		if f.Severity.Rank() >= failOn.Rank() {
			s.Failing++
		}
	}
	return s
}

// WriteCheck renders r as text, json or markdown; the CI formats render
// r.CI(...) with WriteCI.
func WriteCheck(w io.Writer, f Format, r *CheckReport, st Style) error {
	switch f {
	case JSON:
		return writeJSON(w, r)
	case Markdown:
		_, err := io.WriteString(w, checkMarkdown(r))
		return err
	case Text:
		_, err := io.WriteString(w, checkText(r, st))
		return err
	}
	return fmt.Errorf("check writes %s with WriteCI", f)
}

func checkText(r *CheckReport, st Style) string {
	var b strings.Builder
	for _, reason := range r.PartialReasons {
		fmt.Fprintf(&b, "PARTIAL RESULT: %s\n", reason)
	}
	for _, f := range r.Findings {
		loc := f.Location()
		if loc == "" {
			loc = "(no file)"
		}
		fmt.Fprintf(&b, "%s: %s %s %s: job %q: %s\n", loc, st.Severity(f.Severity), f.ID, f.Name, f.Job, f.Message)
		if f.Suggestion != "" {
			fmt.Fprintf(&b, "    %s\n", f.Suggestion)
		}
		for _, l := range detailLines(f.Detail) {
			fmt.Fprintf(&b, "    %s\n", l)
		}
	}
	if len(r.Findings) > 0 {
		b.WriteString("\n")
	}
	for _, j := range r.Jobs {
		fmt.Fprintf(&b, "job %q%s: %s\n", j.Job, at(j.File, j.Line), costLine(j))
	}
	s := r.Summary
	fmt.Fprintf(&b, "%s checked (objects: %s): %s; %d at or above %s\n",
		plural(len(r.Jobs), "job"), r.Objects, severityCounts(s), s.Failing, r.FailOn)
	return b.String()
}

// severityCounts says "1 error, 2 warnings, 0 infos".
func severityCounts(s CheckSummary) string {
	return plural(s.Errors, "error") + ", " + plural(s.Warnings, "warning") + ", " + plural(s.Infos, "info")
}

func detailLines(d string) []string {
	if d == "" {
		return nil
	}
	return strings.Split(strings.TrimRight(d, "\n"), "\n")
}

func costLine(j CheckJob) string {
	var notes []string
	if j.Partial {
		notes = append(notes, "INCOMPLETE: objects it needs could not be listed")
	}
	for _, n := range j.NotRun {
		notes = append(notes, "not run offline: "+n)
	}
	s := "config checked"
	if c := j.Cost; c != nil {
		s = fmt.Sprintf("lists %s; %s discovered, %d kept", FormatListed(c.Listed), plural(c.Discovered, "target"), c.Kept)
	}
	if len(notes) > 0 {
		s += " (" + strings.Join(notes, "; ") + ")"
	}
	return s
}

// FormatListed renders counts of objects per resource, sorted by
// resource: "3 nodes, 40 pods", or "nothing".
func FormatListed(m map[string]int) string {
	if len(m) == 0 {
		return "nothing"
	}
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, fmt.Sprintf("%d %s", m[k], k))
	}
	return strings.Join(parts, ", ")
}

func checkMarkdown(r *CheckReport) string {
	var b strings.Builder
	s := r.Summary
	fmt.Fprintf(&b, "### sdinspect check: %s\n\n", severityCounts(s))
	for _, reason := range r.PartialReasons {
		fmt.Fprintf(&b, "> **Partial result:** %s\n\n", mdEscape(reason))
	}
	b.WriteString("| job | findings | listed | discovered | kept |\n|---|---|---|---|---|\n")
	for _, j := range r.Jobs {
		n := 0
		for _, f := range r.Findings {
			if f.Job == j.Job {
				n++
			}
		}
		listed, disc, kept := "–", "–", "–"
		if c := j.Cost; c != nil {
			listed, disc, kept = FormatListed(c.Listed), fmt.Sprint(c.Discovered), fmt.Sprint(c.Kept)
		}
		fmt.Fprintf(&b, "| `%s` | %d | %s | %s | %s |\n", mdEscape(j.Job), n, listed, disc, kept)
	}
	if len(r.Findings) == 0 {
		b.WriteString("\nNo findings.\n")
		return b.String()
	}
	b.WriteString("\n| severity | id | where | job | finding |\n|---|---|---|---|---|\n")
	for _, f := range r.Findings {
		msg := mdEscape(f.Message)
		if f.Suggestion != "" {
			msg += "<br>" + mdEscape(f.Suggestion)
		}
		fmt.Fprintf(&b, "| %s | %s %s | `%s` | `%s` | %s |\n", f.Severity, f.ID, f.Name, mdEscape(f.Location()), mdEscape(f.Job), msg)
	}
	return b.String()
}

// mdEscape makes s safe inside a Markdown table cell.
func mdEscape(s string) string {
	return strings.NewReplacer("|", `\|`, "\n", " ", "<", "&lt;", ">", "&gt;").Replace(s)
}

// CI turns r into cases: one per finding (failed at or above FailOn), and
// one passing case per job without findings. rules describes the IDs.
func (r *CheckReport) CI(rules []RuleInfo, version string) *CI {
	ci := &CI{Command: "check", Version: version, Rules: rules}
	for _, j := range r.Jobs {
		clean := true
		for i := range r.Findings {
			f := &r.Findings[i]
			if f.Job != j.Job {
				continue
			}
			clean = false
			// A job has one finding per ID and rule; its message
			// carries counts that change with the cluster.
			key := "job"
			if f.Rule != nil {
				key = fmt.Sprintf("rule %d", *f.Rule)
			}
			ci.Cases = append(ci.Cases, Case{
				Suite:   j.Job,
				Name:    fmt.Sprintf("%s %s at %s", f.ID, f.Name, f.Location()),
				Failed:  f.Severity.Rank() >= r.FailOn.Rank(),
				Finding: f,
				Key:     key,
			})
		}
		if clean {
			ci.Cases = append(ci.Cases, Case{Suite: j.Job, Name: "no findings"})
		}
	}
	slices.SortStableFunc(ci.Cases, func(a, b Case) int { return cmp.Compare(a.Suite, b.Suite) })
	return ci
}
