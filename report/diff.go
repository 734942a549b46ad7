package report

import (
	"fmt"
	"io"
	"strings"
)

// DiffReport is the result of `sdinspect diff`: what changes in the scrape
// when the base config is replaced by the head config, over the same
// objects.
type DiffReport struct {
	APIVersion string `json:"apiVersion" yaml:"apiVersion"`
	Kind       string `json:"kind" yaml:"kind"`
	// Base and Head are the two configs, as named on the command line.
	Base           string      `json:"base" yaml:"base"`
	Head           string      `json:"head" yaml:"head"`
	Partial        bool        `json:"partial,omitempty" yaml:"partial,omitempty"`
	PartialReasons []string    `json:"partialReasons,omitempty" yaml:"partialReasons,omitempty"`
	Summary        DiffSummary `json:"summary" yaml:"summary"`
	// Jobs are sorted by name (the head's name of a renamed job).
	Jobs []JobDiff `json:"jobs" yaml:"jobs"`
}

// DiffKind is DiffReport's kind.
const DiffKind = "DiffReport"

// DiffSummary counts jobs and targets by what happened to them. Target
// counts include the targets of added and removed jobs; Unchanged counts
// targets scraped with the same labels in both.
type DiffSummary struct {
	JobsAdded         int `json:"jobsAdded" yaml:"jobsAdded"`
	JobsRemoved       int `json:"jobsRemoved" yaml:"jobsRemoved"`
	JobsChanged       int `json:"jobsChanged" yaml:"jobsChanged"`
	JobsUnchanged     int `json:"jobsUnchanged" yaml:"jobsUnchanged"`
	TargetsAdded      int `json:"targetsAdded" yaml:"targetsAdded"`
	TargetsRemoved    int `json:"targetsRemoved" yaml:"targetsRemoved"`
	TargetsRelabelled int `json:"targetsRelabelled" yaml:"targetsRelabelled"`
	Unchanged         int `json:"unchanged" yaml:"unchanged"`
}

// Differences counts what differs: jobs added or removed, targets added,
// removed or relabelled (a job added with its targets counts once for the
// job and once per target).
func (s DiffSummary) Differences() int {
	return s.JobsAdded + s.JobsRemoved + s.TargetsAdded + s.TargetsRemoved + s.TargetsRelabelled
}

// String says what differs in one line: "1 job added, 2 targets removed",
// or "no differences".
func (s DiffSummary) String() string {
	var parts []string
	for _, c := range []struct {
		n          int
		noun, verb string
	}{
		{s.JobsAdded, "job", "added"}, {s.JobsRemoved, "job", "removed"},
		{s.TargetsAdded, "target", "added"}, {s.TargetsRemoved, "target", "removed"}, {s.TargetsRelabelled, "target", "relabelled"},
	} {
		if c.n > 0 {
			parts = append(parts, countOf(c.n, c.noun)+" "+c.verb)
		}
	}
	if len(parts) == 0 {
		return "no differences"
	}
	return strings.Join(parts, ", ")
}

// The statuses of a JobDiff.
const (
	JobAdded     = "added"
	JobRemoved   = "removed"
	JobChanged   = "changed"
	JobUnchanged = "unchanged"
)

// JobDiff is one job compared: a job of both configs (paired by name, or by
// --rename), or a job of one only.
type JobDiff struct {
	// Job is the job's name in head, or in base for a removed job.
	Job string `json:"job" yaml:"job"`
	// Status is added, removed, changed (some target differs) or unchanged.
	Status string `json:"status" yaml:"status"`
	// Base and Head describe the job on each side; nil on the side it is
	// missing from.
	Base    *JobSide       `json:"base,omitempty" yaml:"base,omitempty"`
	Head    *JobSide       `json:"head,omitempty" yaml:"head,omitempty"`
	Summary JobDiffSummary `json:"summary" yaml:"summary"`
	// Added, Removed and Relabelled are sorted by address, object, then
	// position.
	Added      []TargetDiff `json:"added" yaml:"added"`
	Removed    []TargetDiff `json:"removed" yaml:"removed"`
	Relabelled []TargetDiff `json:"relabelled" yaml:"relabelled"`
}

// JobSide is a job as one config writes it.
type JobSide struct {
	Job  string `json:"job" yaml:"job"`
	File string `json:"file,omitempty" yaml:"file,omitempty"`
	Line int    `json:"line,omitempty" yaml:"line,omitempty"`
	// Roles are the roles of the job's kubernetes_sd_configs, in order.
	Roles   []string `json:"roles,omitempty" yaml:"roles,omitempty"`
	NotRun  []string `json:"notRun,omitempty" yaml:"notRun,omitempty"`
	Partial bool     `json:"partial,omitempty" yaml:"partial,omitempty"`
}

// JobDiffSummary counts one job's targets by what happened to them.
type JobDiffSummary struct {
	Added      int `json:"added" yaml:"added"`
	Removed    int `json:"removed" yaml:"removed"`
	Relabelled int `json:"relabelled" yaml:"relabelled"`
	Unchanged  int `json:"unchanged" yaml:"unchanged"`
}

// TargetDiff is one target that is scraped differently: added (scraped in
// head only), removed (in base only) or relabelled (in both, with other
// labels).
type TargetDiff struct {
	// Address is the discovered __address__; Object the Kubernetes object
	// the target stands for (pod/NS/NAME, service/NS/NAME, ingress/NS/NAME,
	// node/NAME), empty for a static target.
	Address string `json:"address" yaml:"address"`
	Object  string `json:"object,omitempty" yaml:"object,omitempty"`
	// Base and Head are the target on each side; nil where it is not
	// discovered.
	Base *TargetSide `json:"base,omitempty" yaml:"base,omitempty"`
	Head *TargetSide `json:"head,omitempty" yaml:"head,omitempty"`
	// Changes lists, for a relabelled target, the labels that differ, by
	// name: Before is base's value, After head's; an empty one means the
	// label is missing on that side.
	Changes []Change `json:"changes,omitempty" yaml:"changes,omitempty"`
}

// TargetSide is a target as one config treats it.
type TargetSide struct {
	Source string `json:"source" yaml:"source"`
	Index  int    `json:"index" yaml:"index"`
	// State is kept, dropped or invalid, as in the targets report.
	State string `json:"state" yaml:"state"`
	// Labels is the scrape of a target scraped on its own: the final labels
	// without __meta_* and __tmp* ones.
	Labels      map[string]string `json:"labels,omitempty" yaml:"labels,omitempty"`
	ScrapeURL   string            `json:"scrapeURL,omitempty" yaml:"scrapeURL,omitempty"`
	DuplicateOf *TargetRef        `json:"duplicateOf,omitempty" yaml:"duplicateOf,omitempty"`
	DroppedBy   *Rule             `json:"droppedBy,omitempty" yaml:"droppedBy,omitempty"`
	Error       string            `json:"error,omitempty" yaml:"error,omitempty"`
}

// Why says in a few words why the side does not scrape the target.
func (s *TargetSide) Why() string {
	switch {
	case s == nil:
		return "not discovered"
	case s.DroppedBy != nil:
		return "dropped by " + s.DroppedBy.String()
	case s.Error != "":
		return "invalid: " + s.Error
	case s.DuplicateOf != nil:
		return fmt.Sprintf("merged into %s #%d (same labels)", s.DuplicateOf.Source, s.DuplicateOf.Index)
	}
	return s.State
}

// Name names the target in one line: its address and object.
func (d *TargetDiff) Name() string {
	a := d.Address
	if a == "" {
		a = `""`
	}
	if d.Object == "" {
		return a
	}
	return a + " " + d.Object
}

// WriteDiff renders r as text, json or markdown; the CI formats render
// r.CI(...) with WriteCI.
func WriteDiff(w io.Writer, f Format, r *DiffReport, st Style) error {
	switch f {
	case JSON:
		return writeJSON(w, r)
	case Markdown:
		_, err := io.WriteString(w, diffMarkdown(r))
		return err
	case Text:
		_, err := io.WriteString(w, diffText(r, st))
		return err
	}
	return fmt.Errorf("diff writes %s with WriteCI", f)
}

// roles renders a job's roles: "endpoints", "endpoints, pod", or "none".
func roles(s *JobSide) string {
	if s == nil || len(s.Roles) == 0 {
		return "none"
	}
	return strings.Join(s.Roles, ", ")
}

// roleChange says how the roles changed, "" when they did not.
func (j *JobDiff) roleChange() string {
	if j.Base == nil || j.Head == nil {
		return ""
	}
	b, h := roles(j.Base), roles(j.Head)
	if b == h {
		return ""
	}
	return b + " → " + h
}

// renamed says the job's base name when --rename paired it, "" otherwise.
func (j *JobDiff) renamed() string {
	if j.Base == nil || j.Head == nil || j.Base.Job == j.Head.Job {
		return ""
	}
	return j.Base.Job
}

// publicLabels are the labels series carry: those not starting with "__".
func publicLabels(m map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range m {
		if !strings.HasPrefix(k, "__") {
			out[k] = v
		}
	}
	return out
}

// scrapeLine renders a scraped target: URL and public labels.
func scrapeLine(s *TargetSide) string {
	if s == nil {
		return ""
	}
	return s.ScrapeURL + " " + FormatLabels(publicLabels(s.Labels))
}

// changeLine renders one changed label as explain does: + added,
// - removed, ~ changed.
func changeLine(c Change) string {
	switch {
	case c.Before == "":
		return fmt.Sprintf("+ %s=%q", c.Label, c.After)
	case c.After == "":
		return fmt.Sprintf("- %s=%q", c.Label, c.Before)
	}
	return fmt.Sprintf("~ %s: %q -> %q", c.Label, c.Before, c.After)
}
