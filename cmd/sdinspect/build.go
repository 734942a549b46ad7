package main

import (
	"github.com/prometheus/prometheus/model/labels"

	"github.com/sdinspect/sdinspect/promconfig"
	"github.com/sdinspect/sdinspect/relabel"
	"github.com/sdinspect/sdinspect/report"
)

// jobHeader is the report of job without its targets.
func jobHeader(job *promconfig.Job) report.Job {
	return report.Job{Job: job.Scrape.JobName, File: job.Pos.File, Line: job.Pos.Line, NotRun: job.NotRun}
}

// count adds r to the summary.
func count(s *report.Summary, r *relabel.Target) {
	s.Discovered++
	switch r.State {
	case relabel.Kept:
		s.Kept++
		if r.DuplicateOf != nil {
			s.Duplicates++
		}
	case relabel.Dropped:
		s.Dropped++
	case relabel.Invalid:
		s.Invalid++
	}
}

// buildTarget is the report of one target's result, whose discovered
// labels are given, sorted; it keeps none of the slice's memory.
func buildTarget(job *promconfig.Job, r *relabel.Target, discovered []labels.Label) report.Target {
	t := targetWithoutLabels(job, r, discovered)
	t.DiscoveredLabels = make(map[string]string, len(discovered))
	for _, l := range discovered {
		t.DiscoveredLabels[l.Name] = l.Value
	}
	t.Labels = map[string]string{}
	if r.State == relabel.Kept {
		t.Labels = r.Labels.Map()
		t.PublicLabels = relabel.PublicLabels(r).Map()
	}
	return t
}

// sortLabels fills s with the label sets buildTarget puts in maps, reusing
// its slices.
func sortLabels(s *report.SortedLabels, r *relabel.Target, discovered []labels.Label) {
	s.Discovered = s.Discovered[:0]
	for _, l := range discovered {
		s.Discovered = append(s.Discovered, report.Label{Name: l.Name, Value: l.Value})
	}
	s.Labels, s.Public = s.Labels[:0], s.Public[:0]
	if r.State == relabel.Kept {
		// relabel.PublicLabels, without building them.
		r.Labels.Range(func(l labels.Label) {
			s.Labels = append(s.Labels, report.Label{Name: l.Name, Value: l.Value})
			if relabel.IsPublic(l.Name) {
				s.Public = append(s.Public, report.Label{Name: l.Name, Value: l.Value})
			}
		})
	}
}

// targetWithoutLabels is the report of one target's result but for its
// three label sets.
func targetWithoutLabels(job *promconfig.Job, r *relabel.Target, discovered []labels.Label) report.Target {
	t := report.Target{Source: r.Source, Index: r.Index, State: string(r.State)}
	switch r.State {
	case relabel.Kept:
		t.ScrapeURL = relabel.ScrapeURL(job.Scrape, r)
		t.DuplicateOf = duplicateOf(r)
	case relabel.Dropped:
		rule := ruleRef(job, r.DroppedBy)
		t.DroppedBy = &rule
	case relabel.Invalid:
		t.Error = r.Err.Error()
	}
	t.Trace = buildTrace(job, r, discovered)
	return t
}

// duplicateOf is r's DuplicateOf in a report, nil when r is no duplicate.
func duplicateOf(r *relabel.Target) *report.TargetRef {
	if d := r.DuplicateOf; d != nil {
		return &report.TargetRef{Source: d.Source, Index: d.Index}
	}
	return nil
}

func ruleRef(job *promconfig.Job, i int) report.Rule {
	r := report.Rule{Index: i, Action: string(job.Scrape.RelabelConfigs[i].Action)}
	if i < len(job.Rules) {
		r.File, r.Line = job.Rules[i].File, job.Rules[i].Line
	}
	return r
}

func buildTrace(job *promconfig.Job, r *relabel.Target, discovered []labels.Label) []report.Step {
	if len(r.Trace) == 0 {
		return nil
	}
	steps := make([]report.Step, len(r.Trace))
	for i, ls := range r.TraceLabels(relabel.LabelsOf(discovered)) {
		s := r.Trace[i]
		steps[i] = report.Step{Rule: ruleRef(job, s.Rule), Result: "continue", Labels: ls.Map()}
		if !s.Keep {
			steps[i].Result = "drop"
		}
		for _, c := range s.Changes {
			steps[i].Changes = append(steps[i].Changes, report.Change{Label: c.Name, Before: c.Before, After: c.After})
		}
	}
	return steps
}
