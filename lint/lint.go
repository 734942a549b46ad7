// Package lint finds defects in a job's relabel_configs: from the config
// alone (source labels the job's roles can never produce, rules that can
// never run, labels overwritten before they are read, ...) and, given the
// job's results over a snapshot or a live cluster, from what the rules did
// to the real targets (a keep that keeps nothing, colliding targets, ...).
//
// Findings are data: each has a stable ID, a severity, the job, and the
// file:line of the rule at fault. lint never re-implements discovery or
// relabeling; it reads the results that discovery and relabel computed.
package lint

import (
	"cmp"
	"slices"

	"github.com/sdinspect/sdinspect/promconfig"
	"github.com/sdinspect/sdinspect/report"
)

// Job is one job to check.
type Job struct {
	Config *promconfig.Job
	// Result is the job's targets over the objects given, with traces; nil
	// when no objects were given, and then only the config is checked.
	Result *report.Job
	// Listed counts, per resource (pods, services, ...), the objects the
	// job's kubernetes_sd_configs list; nil without objects.
	Listed map[string]int
}

// The finding IDs. They are stable: CI configurations refer to them.
const (
	// From the config alone.
	UnknownSourceLabel = "SD001"
	UnreachableRule    = "SD002"
	OverwrittenLabel   = "SD003"
	NameLabel          = "SD004"
	HashmodWithoutKeep = "SD005"
	AnchoredRegex      = "SD006"
	NoEffect           = "SD007"

	// From the targets over a snapshot or a live cluster.
	RegexNeverMatches = "SD101"
	KeepsNothing      = "SD102"
	JobKeepsNothing   = "SD103"
	NoTargets         = "SD104"
	DuplicateTargets  = "SD105"
	AddressNoPort     = "SD106"
	ListCost          = "SD107"
)

// Rules describes every finding ID, in ID order.
var Rules = []report.RuleInfo{
	{ID: UnknownSourceLabel, Name: "unknown-source-label", Severity: report.Error,
		Description: "A source label that the job's service discovery can never produce and no earlier rule sets."},
	{ID: UnreachableRule, Name: "unreachable-rule", Severity: report.Warning,
		Description: "A rule after one that drops every target: it never runs."},
	{ID: OverwrittenLabel, Name: "overwritten-label", Severity: report.Warning,
		Description: "A rule sets a label that a later rule overwrites before anything reads it."},
	{ID: NameLabel, Name: "name-label", Severity: report.Warning,
		Description: "__name__ in relabel_configs: targets have no metric name; it belongs in metric_relabel_configs."},
	{ID: HashmodWithoutKeep, Name: "hashmod-without-keep", Severity: report.Warning,
		Description: "A hashmod whose target label no later keep or drop reads: it shards nothing."},
	{ID: AnchoredRegex, Name: "anchored-regex", Severity: report.Info,
		Description: "A regex anchored with ^ or $: Prometheus anchors every relabel regex already."},
	{ID: NoEffect, Name: "no-effect", Severity: report.Warning,
		Description: "A rule that changes nothing for any target."},
	{ID: RegexNeverMatches, Name: "regex-never-matches", Severity: report.Info,
		Description: "A rule whose regex matched none of the discovered targets that reached it."},
	{ID: KeepsNothing, Name: "keeps-nothing", Severity: report.Error,
		Description: "A keep or drop rule that drops every target that reaches it."},
	{ID: JobKeepsNothing, Name: "job-keeps-nothing", Severity: report.Error,
		Description: "A job that discovers targets but keeps none of them."},
	{ID: NoTargets, Name: "no-targets", Severity: report.Warning,
		Description: "A job whose service discovery finds no targets at all."},
	{ID: DuplicateTargets, Name: "duplicate-targets", Severity: report.Warning,
		Description: "Kept targets with identical labels: Prometheus scrapes them once."},
	{ID: AddressNoPort, Name: "address-without-port", Severity: report.Warning,
		Description: "Kept targets whose __address__ has no port: they are scraped on port 80 or 443."},
	{ID: ListCost, Name: "list-cost", Severity: report.Info,
		Description: "A job that drops more than 90% of what it discovers: selectors or namespaces would cut the LIST."},
}

// Check returns the findings for jobs, sorted by file, line, ID and job.
func Check(jobs []Job) []report.Finding {
	var out []report.Finding
	for _, j := range jobs {
		out = append(out, checkConfig(j.Config)...)
		if j.Result != nil {
			out = append(out, unseen(out, checkResult(j))...)
		}
	}
	slices.SortStableFunc(out, func(a, b report.Finding) int {
		return cmp.Or(cmp.Compare(a.File, b.File), cmp.Compare(a.Line, b.Line), cmp.Compare(a.ID, b.ID),
			cmp.Compare(a.Job, b.Job), cmp.Compare(a.Message, b.Message))
	})
	return out
}

// unseen returns the findings of more whose ID, job and rule no finding of
// seen has: a rule the config alone shows to drop everything is reported
// once, not again from the targets.
func unseen(seen, more []report.Finding) []report.Finding {
	type key struct {
		id, job string
		rule    int
	}
	keyOf := func(f *report.Finding) key {
		k := key{f.ID, f.Job, -1}
		if f.Rule != nil {
			k.rule = *f.Rule
		}
		return k
	}
	have := map[key]bool{}
	for i := range seen {
		have[keyOf(&seen[i])] = true
	}
	return slices.DeleteFunc(more, func(f report.Finding) bool { return have[keyOf(&f)] })
}

// newFinding fills a finding's ID, name and default severity from Rules,
// and its job, position and rule index from job and rule (-1 for the job
// itself).
func newFinding(id string, job *promconfig.Job, rule int, msg string) report.Finding {
	f := report.Finding{ID: id, Job: job.Scrape.JobName, File: job.Pos.File, Line: job.Pos.Line, Message: msg}
	for _, r := range Rules {
		if r.ID == id {
			f.Name, f.Severity = r.Name, r.Severity
		}
	}
	if rule >= 0 {
		f.Rule = &rule
		if rule < len(job.Rules) {
			f.File, f.Line = job.Rules[rule].File, job.Rules[rule].Line
		}
	}
	return f
}
