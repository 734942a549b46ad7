// Package diff compares what two scrape configs scrape over the same
// objects: the jobs each has, and, per job, the targets scraped only by one
// (added, removed) or by both with other labels (relabelled).
//
// It reads two targets reports (report.Report) and computes nothing about
// discovery or relabeling. What counts is the scrape: a kept target's final
// labels without __meta_* and __tmp* ones, that is its public labels and the
// internal labels that decide the scrape (__address__, __scheme__,
// __metrics_path__, __param_*, __scrape_interval__, ...). A kept target
// merged into an identical earlier one is not scraped on its own.
//
// Targets of the two sides are paired by what they stand for, read from
// their discovered labels: the discovered address, namespace, service, pod,
// container, endpoint port name and protocol, node (node role) and ingress
// name, path and scheme, whichever are present. The endpoints
// and endpointslice roles name these differently; the pairing treats them
// as one, so that a job moved from one role to the other pairs each
// endpoint with itself. When several targets share such an identity, those
// with identical scrapes pair first, then the rest in (source, index)
// order.
package diff

import (
	"cmp"
	"fmt"
	"maps"
	"slices"

	"github.com/sdinspect/sdinspect/report"
)

// Side is one config's result.
type Side struct {
	// Path is the config file, as the report names it.
	Path   string
	Report *report.Report
	// Roles are each job's kubernetes_sd_configs roles, by job name.
	Roles map[string][]string
}

// Options are how to compare.
type Options struct {
	// Renames pairs a base job with a head job of another name: base job
	// name to head job name.
	Renames map[string]string
}

// Compare returns what changes when base is replaced by head. It fails
// only when a rename names a job its side does not have, or when two
// renames name the same head job.
func Compare(base, head Side, opts Options) (*report.DiffReport, error) {
	pairs, err := pairJobs(base.Report.Jobs, head.Report.Jobs, opts.Renames)
	if err != nil {
		return nil, err
	}
	out := &report.DiffReport{
		APIVersion: report.APIVersion,
		Kind:       report.DiffKind,
		Base:       base.Path,
		Head:       head.Path,
		Jobs:       make([]report.JobDiff, 0, len(pairs)),
	}
	out.Partial = base.Report.Partial || head.Report.Partial
	out.PartialReasons = mergeReasons(base.Report.PartialReasons, head.Report.PartialReasons)
	for _, p := range pairs {
		j := compareJob(p.base, p.head)
		if p.base != nil {
			j.Base = jobSide(p.base, base.Roles)
		}
		if p.head != nil {
			j.Head = jobSide(p.head, head.Roles)
		}
		count(&out.Summary, &j)
		out.Jobs = append(out.Jobs, j)
	}
	return out, nil
}

type jobPair struct{ base, head *report.Job }

// pairJobs pairs jobs by name, or by renames, sorted by the head's name
// (the base's for a job only base has).
func pairJobs(base, head []report.Job, renames map[string]string) ([]jobPair, error) {
	heads := map[string]*report.Job{}
	for i := range head {
		heads[head[i].Job] = &head[i]
	}
	bases := map[string]*report.Job{}
	for i := range base {
		bases[base[i].Job] = &base[i]
	}
	renamedTo := map[string]string{}
	for _, old := range slices.Sorted(maps.Keys(renames)) {
		nu := renames[old]
		switch {
		case bases[old] == nil:
			return nil, fmt.Errorf("rename %s=%s: base has no job %q", old, nu, old)
		case heads[nu] == nil:
			return nil, fmt.Errorf("rename %s=%s: head has no job %q", old, nu, nu)
		case renamedTo[nu] != "":
			return nil, fmt.Errorf("rename %s=%s: job %q is already paired with %q", old, nu, nu, renamedTo[nu])
		}
		renamedTo[nu] = old
	}
	var out []jobPair
	paired := map[string]bool{}
	for i := range base {
		b := &base[i]
		name := b.Job
		if nu, ok := renames[name]; ok {
			name = nu
		} else if renamedTo[name] != "" {
			// head's job of this name pairs with the renamed one.
			name = ""
		}
		p := jobPair{base: b, head: heads[name]}
		if p.head != nil {
			paired[name] = true
		}
		out = append(out, p)
	}
	for i := range head {
		if !paired[head[i].Job] {
			out = append(out, jobPair{head: &head[i]})
		}
	}
	// A base job whose name a rename gave to another sorts after the pair.
	slices.SortFunc(out, func(a, b jobPair) int {
		return cmp.Or(cmp.Compare(a.name(), b.name()), cmp.Compare(a.removed(), b.removed()))
	})
	return out, nil
}

func (p jobPair) removed() int {
	if p.head == nil {
		return 1
	}
	return 0
}

func (p jobPair) name() string {
	if p.head != nil {
		return p.head.Job
	}
	return p.base.Job
}

func jobSide(j *report.Job, roles map[string][]string) *report.JobSide {
	return &report.JobSide{Job: j.Job, File: j.File, Line: j.Line, Roles: roles[j.Job], NotRun: j.NotRun, Partial: j.Partial}
}

// mergeReasons joins the two sides' reasons for a partial result, which
// are the same when both sides read the same objects.
func mergeReasons(a, b []string) []string {
	out := slices.Clone(a)
	for _, r := range b {
		if !slices.Contains(out, r) {
			out = append(out, r)
		}
	}
	return out
}

func count(s *report.DiffSummary, j *report.JobDiff) {
	switch j.Status {
	case report.JobAdded:
		s.JobsAdded++
	case report.JobRemoved:
		s.JobsRemoved++
	case report.JobChanged:
		s.JobsChanged++
	default:
		s.JobsUnchanged++
	}
	s.TargetsAdded += j.Summary.Added
	s.TargetsRemoved += j.Summary.Removed
	s.TargetsRelabelled += j.Summary.Relabelled
	s.Unchanged += j.Summary.Unchanged
}
