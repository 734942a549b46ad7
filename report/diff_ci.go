package report

import (
	"fmt"
	"strings"
)

// The finding IDs of diff. They are stable: CI configurations refer to them.
const (
	DiffTargetAdded      = "DIFF-ADDED"
	DiffJobAdded         = "DIFF-JOB-ADDED"
	DiffJobRemoved       = "DIFF-JOB-REMOVED"
	DiffTargetRelabelled = "DIFF-RELABELLED"
	DiffTargetRemoved    = "DIFF-REMOVED"
)

// DiffRules describes diff's finding IDs, in ID order. A difference is
// information, not a defect: the run fails on one only with --exit-code.
func DiffRules() []RuleInfo {
	return []RuleInfo{
		{ID: DiffTargetAdded, Name: "target-added", Severity: Info,
			Description: "A target the head config scrapes and the base config does not."},
		{ID: DiffJobAdded, Name: "job-added", Severity: Info,
			Description: "A job only the head config has."},
		{ID: DiffJobRemoved, Name: "job-removed", Severity: Info,
			Description: "A job only the base config has."},
		{ID: DiffTargetRelabelled, Name: "target-relabelled", Severity: Info,
			Description: "A target both configs scrape, with different labels."},
		{ID: DiffTargetRemoved, Name: "target-removed", Severity: Info,
			Description: "A target the base config scrapes and the head config does not."},
	}
}

// CI turns r into cases: one per added or removed job, one per target
// difference of the other jobs, and one passing case per unchanged job.
// Differences fail the run only when failed is set (--exit-code). Each
// finding points into the head config: at the job, or at the rule that
// drops a removed target.
func (r *DiffReport) CI(failed bool, version string) *CI {
	ci := &CI{Command: "diff", Version: version, Rules: DiffRules()}
	for i := range r.Jobs {
		j := &r.Jobs[i]
		switch j.Status {
		case JobAdded, JobRemoved:
			ci.Cases = append(ci.Cases, Case{Suite: j.Job, Name: "job " + j.Status, Failed: failed, Finding: r.jobFinding(j)})
		case JobUnchanged:
			ci.Cases = append(ci.Cases, Case{Suite: j.Job, Name: "unchanged: " + countOf(j.Summary.Unchanged, "target")})
		default:
			ci.Cases = append(ci.Cases, r.targetCases(j, failed)...)
		}
	}
	return ci
}

func (r *DiffReport) jobFinding(j *JobDiff) *Finding {
	f := &Finding{ID: DiffJobAdded, Name: "job-added", Severity: Info, Job: j.Job}
	var names []string
	if j.Status == JobAdded {
		f.File, f.Line = j.Head.File, j.Head.Line
		f.Message = fmt.Sprintf("only in head, %s added", countOf(j.Summary.Added, "target"))
		for _, t := range j.Added {
			names = append(names, "+ "+t.Name())
		}
	} else {
		// The job is gone from head: point at the file, at no line.
		f.ID, f.Name, f.File = DiffJobRemoved, "job-removed", r.Head
		f.Message = fmt.Sprintf("only in base, %s removed", countOf(j.Summary.Removed, "target"))
		for _, t := range j.Removed {
			names = append(names, "- "+t.Name())
		}
	}
	f.Detail = strings.Join(names, "\n")
	return f
}

// targetCases are one case per target difference of a job both configs
// have.
func (r *DiffReport) targetCases(j *JobDiff, failed bool) []Case {
	var out []Case
	add := func(name, id, slug, msg, detail string) *Finding {
		f := &Finding{ID: id, Name: slug, Severity: Info, Job: j.Job, File: j.Head.File, Line: j.Head.Line, Message: msg, Detail: detail}
		out = append(out, Case{Suite: j.Job, Name: name, Failed: failed, Finding: f})
		return f
	}
	for _, t := range j.Added {
		add("added "+t.Name(), DiffTargetAdded, "target-added",
			fmt.Sprintf("added %s (base: %s)", t.Name(), t.Base.Why()), scrapeLine(t.Head))
	}
	for _, t := range j.Removed {
		f := add("removed "+t.Name(), DiffTargetRemoved, "target-removed",
			fmt.Sprintf("removed %s (head: %s)", t.Name(), t.Head.Why()), scrapeLine(t.Base))
		if rule := t.Head.dropRule(); rule != nil && rule.File != "" {
			idx := rule.Index
			f.File, f.Line, f.Rule = rule.File, rule.Line, &idx
		}
	}
	for _, t := range j.Relabelled {
		lines := make([]string, len(t.Changes))
		for i, c := range t.Changes {
			lines[i] = changeLine(c)
		}
		add("relabelled "+t.Name(), DiffTargetRelabelled, "target-relabelled",
			fmt.Sprintf("relabelled %s: %s", t.Name(), strings.Join(lines, ", ")), "")
	}
	return out
}

func (s *TargetSide) dropRule() *Rule {
	if s == nil {
		return nil
	}
	return s.DroppedBy
}
