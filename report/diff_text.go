package report

import (
	"fmt"
	"strings"
)

func diffText(r *DiffReport, st Style) string {
	var b strings.Builder
	for _, reason := range r.PartialReasons {
		fmt.Fprintf(&b, "PARTIAL RESULT: %s\n", reason)
	}
	fmt.Fprintf(&b, "base: %s\nhead: %s\n", r.Base, r.Head)
	for i := range r.Jobs {
		b.WriteString("\n")
		writeJobDiffText(&b, &r.Jobs[i], st)
	}
	s := r.Summary
	fmt.Fprintf(&b, "\njobs: %d added, %d removed, %d changed, %d unchanged; targets: %d added, %d removed, %d relabelled, %d unchanged\n",
		s.JobsAdded, s.JobsRemoved, s.JobsChanged, s.JobsUnchanged, s.TargetsAdded, s.TargetsRemoved, s.TargetsRelabelled, s.Unchanged)
	return b.String()
}

func writeJobDiffText(b *strings.Builder, j *JobDiff, st Style) {
	fmt.Fprintf(b, "job %q%s", j.Job, jobAt(j))
	if old := j.renamed(); old != "" {
		fmt.Fprintf(b, ", %q in base", old)
	}
	fmt.Fprintf(b, ": %s", statusWord(j.Status, st))
	if rc := j.roleChange(); rc != "" {
		fmt.Fprintf(b, ", role %s", rc)
	}
	fmt.Fprintf(b, ": %s\n", jobCounts(j))
	for _, n := range jobNotes(j) {
		fmt.Fprintf(b, "  %s\n", n)
	}
	for _, t := range j.Added {
		fmt.Fprintf(b, "  %s %s\n", st.Good("+"), t.Name())
		fmt.Fprintf(b, "      head: %s\n", scrapeLine(t.Head))
		if j.Base != nil {
			fmt.Fprintf(b, "      base: %s\n", t.Base.Why())
		}
	}
	for _, t := range j.Removed {
		fmt.Fprintf(b, "  %s %s\n", st.Bad("-"), t.Name())
		fmt.Fprintf(b, "      base: %s\n", scrapeLine(t.Base))
		if j.Head != nil {
			fmt.Fprintf(b, "      head: %s\n", t.Head.Why())
		}
	}
	for _, t := range j.Relabelled {
		fmt.Fprintf(b, "  %s %s\n", st.Changed("~"), t.Name())
		for _, c := range t.Changes {
			fmt.Fprintf(b, "      %s\n", changeLine(c))
		}
	}
}

// jobAt is where the job is written: in head, or in base when removed.
func jobAt(j *JobDiff) string {
	s := j.Head
	if s == nil {
		s = j.Base
	}
	return at(s.File, s.Line)
}

func statusWord(status string, st Style) string {
	switch status {
	case JobAdded:
		return st.Good(status)
	case JobRemoved:
		return st.Bad(status)
	case JobChanged:
		return st.Changed(status)
	}
	return status
}

func jobCounts(j *JobDiff) string {
	s := j.Summary
	switch j.Status {
	case JobAdded:
		return countOf(s.Added, "target")
	case JobRemoved:
		return countOf(s.Removed, "target")
	case JobUnchanged:
		return countOf(s.Unchanged, "target")
	}
	return fmt.Sprintf("%d added, %d removed, %d relabelled, %d unchanged", s.Added, s.Removed, s.Relabelled, s.Unchanged)
}

// jobNotes says what makes a side's targets incomplete.
func jobNotes(j *JobDiff) []string {
	var out []string
	for _, side := range []struct {
		name string
		s    *JobSide
	}{{"base", j.Base}, {"head", j.Head}} {
		if side.s == nil {
			continue
		}
		if side.s.Partial {
			out = append(out, side.name+": INCOMPLETE: objects it needs could not be listed")
		}
		for _, n := range side.s.NotRun {
			out = append(out, side.name+": not run offline: "+n)
		}
	}
	return out
}

func diffMarkdown(r *DiffReport) string {
	var b strings.Builder
	s := r.Summary
	if s.Differences() == 0 {
		b.WriteString("### sdinspect diff: no differences\n\n")
	} else {
		fmt.Fprintf(&b, "### sdinspect diff: %d added, %d removed, %d relabelled\n\n", s.TargetsAdded, s.TargetsRemoved, s.TargetsRelabelled)
	}
	fmt.Fprintf(&b, "`%s` → `%s`: %s unchanged", mdEscape(r.Base), mdEscape(r.Head), countOf(s.Unchanged, "target"))
	fmt.Fprintf(&b, "; jobs: %d added, %d removed, %d changed, %d unchanged\n\n", s.JobsAdded, s.JobsRemoved, s.JobsChanged, s.JobsUnchanged)
	for _, reason := range r.PartialReasons {
		fmt.Fprintf(&b, "> **Partial result:** %s\n\n", mdEscape(reason))
	}
	b.WriteString("| job | status | roles | added | removed | relabelled | unchanged |\n|---|---|---|---|---|---|---|\n")
	for i := range r.Jobs {
		j := &r.Jobs[i]
		name := "`" + mdEscape(j.Job) + "`"
		if old := j.renamed(); old != "" {
			name += " (was `" + mdEscape(old) + "`)"
		}
		rs := j.roleChange()
		if rs == "" {
			side := j.Head
			if side == nil {
				side = j.Base
			}
			rs = roles(side)
		}
		c := j.Summary
		fmt.Fprintf(&b, "| %s | %s | %s | %d | %d | %d | %d |\n", name, j.Status, mdEscape(rs), c.Added, c.Removed, c.Relabelled, c.Unchanged)
	}
	for i := range r.Jobs {
		writeJobDiffMarkdown(&b, &r.Jobs[i])
	}
	return b.String()
}

// writeJobDiffMarkdown writes a job's differences as a diff block, which
// GitHub and GitLab colour line by line.
func writeJobDiffMarkdown(b *strings.Builder, j *JobDiff) {
	if len(j.Added)+len(j.Removed)+len(j.Relabelled) == 0 {
		return
	}
	fmt.Fprintf(b, "\n#### `%s`%s\n\n```diff\n", mdEscape(j.Job), mdEscape(jobAt(j)))
	for _, t := range j.Added {
		why := ""
		if j.Base != nil {
			why = ": base " + t.Base.Why()
		}
		fmt.Fprintf(b, "@@ added %s%s @@\n+ %s\n", t.Name(), why, scrapeLine(t.Head))
	}
	for _, t := range j.Removed {
		why := ""
		if j.Head != nil {
			why = ": head " + t.Head.Why()
		}
		fmt.Fprintf(b, "@@ removed %s%s @@\n- %s\n", t.Name(), why, scrapeLine(t.Base))
	}
	for _, t := range j.Relabelled {
		fmt.Fprintf(b, "@@ relabelled %s @@\n", t.Name())
		for _, c := range t.Changes {
			if c.Before != "" {
				fmt.Fprintf(b, "- %s=%q\n", c.Label, c.Before)
			}
			if c.After != "" {
				fmt.Fprintf(b, "+ %s=%q\n", c.Label, c.After)
			}
		}
	}
	b.WriteString("```\n")
}

// countOf renders "1 target", "2 targets".
func countOf(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
