// Package report holds sdinspect's output contract, the JSON and YAML
// documents that CI pipelines and other tools parse, and renders it as JSON,
// YAML or a table for people.
//
// The contract, apiVersion sdinspect/v1, is documented in the README. Field
// names are stable; every collection is sorted; nothing in it depends on the
// time or the machine.
package report

// APIVersion names the version of the contract.
const APIVersion = "sdinspect/v1"

// Report is the result of `sdinspect targets`.
type Report struct {
	APIVersion string `json:"apiVersion" yaml:"apiVersion"`
	// Partial is set when some objects could not be listed (a namespace or
	// resource was refused); PartialReasons then says which, one line each,
	// and the jobs concerned are marked Partial.
	Partial        bool     `json:"partial,omitempty" yaml:"partial,omitempty"`
	PartialReasons []string `json:"partialReasons,omitempty" yaml:"partialReasons,omitempty"`
	Jobs           []Job    `json:"jobs" yaml:"jobs"`
}

// Job is the outcome for one scrape config.
type Job struct {
	Job string `json:"job" yaml:"job"`
	// File and Line say where job_name is written.
	File string `json:"file,omitempty" yaml:"file,omitempty"`
	Line int    `json:"line,omitempty" yaml:"line,omitempty"`
	// NotRun lists service discovery sections that sdinspect does not run
	// offline, so their targets are missing from Targets.
	NotRun []string `json:"notRun,omitempty" yaml:"notRun,omitempty"`
	// Partial is set when objects this job needs could not be listed, so
	// its targets are incomplete.
	Partial bool     `json:"partial,omitempty" yaml:"partial,omitempty"`
	Targets []Target `json:"targets" yaml:"targets"`
	// Summary follows the targets so that a job's targets can be
	// written as they are found (JSONStream).
	Summary Summary `json:"summary" yaml:"summary"`
}

// Summary counts a job's targets by state. Discovered is the sum of Kept,
// Dropped and Invalid; Duplicates counts the kept targets that Prometheus
// merges into an identical earlier one, so it scrapes Kept-Duplicates.
type Summary struct {
	Discovered int `json:"discovered" yaml:"discovered"`
	Kept       int `json:"kept" yaml:"kept"`
	Dropped    int `json:"dropped" yaml:"dropped"`
	Invalid    int `json:"invalid" yaml:"invalid"`
	Duplicates int `json:"duplicates" yaml:"duplicates"`
}

// Target is one discovered target.
type Target struct {
	// Source is the target group's source as Prometheus names it
	// (pod/NAMESPACE/NAME, node/NAME, ...), Index the target's place in it.
	Source string `json:"source" yaml:"source"`
	Index  int    `json:"index" yaml:"index"`
	// State is kept, dropped or invalid.
	State string `json:"state" yaml:"state"`
	// DiscoveredLabels is what promtool check service-discovery calls
	// discoveredLabels: the SD's labels plus the job's scrape settings.
	DiscoveredLabels map[string]string `json:"discoveredLabels" yaml:"discoveredLabels"`
	// Labels is, for a kept target, the label set after relabeling and
	// Prometheus's post-processing (internal labels but __meta_* kept);
	// empty otherwise. It equals promtool's labels.
	Labels map[string]string `json:"labels" yaml:"labels"`
	// PublicLabels are the labels the target's series carry.
	PublicLabels map[string]string `json:"publicLabels,omitempty" yaml:"publicLabels,omitempty"`
	ScrapeURL    string            `json:"scrapeURL,omitempty" yaml:"scrapeURL,omitempty"`
	// DuplicateOf names the earlier kept target with identical labels.
	DuplicateOf *TargetRef `json:"duplicateOf,omitempty" yaml:"duplicateOf,omitempty"`
	DroppedBy   *Rule      `json:"droppedBy,omitempty" yaml:"droppedBy,omitempty"`
	// Error says, in Prometheus's words, why an invalid target is invalid.
	Error string `json:"error,omitempty" yaml:"error,omitempty"`
	Trace []Step `json:"trace,omitempty" yaml:"trace,omitempty"`
}

// TargetRef points at a target of the same job.
type TargetRef struct {
	Source string `json:"source" yaml:"source"`
	Index  int    `json:"index" yaml:"index"`
}

// Rule identifies a relabel rule: its index in relabel_configs, its action,
// and where it is written.
type Rule struct {
	Index  int    `json:"index" yaml:"index"`
	Action string `json:"action" yaml:"action"`
	File   string `json:"file,omitempty" yaml:"file,omitempty"`
	Line   int    `json:"line,omitempty" yaml:"line,omitempty"`
}

// Step is one rule applied to one target.
type Step struct {
	Rule Rule `json:"rule" yaml:"rule"`
	// Result is "continue", or "drop" for the rule that dropped the target.
	Result string `json:"result" yaml:"result"`
	// Changes lists the labels the rule set, changed or removed, by name.
	Changes []Change `json:"changes,omitempty" yaml:"changes,omitempty"`
	// Labels is the whole label set after the rule.
	Labels map[string]string `json:"labels" yaml:"labels"`
}

// Change is one label changed by a rule. An empty Before means the label was
// added, an empty After that it was removed.
type Change struct {
	Label  string `json:"label" yaml:"label"`
	Before string `json:"before,omitempty" yaml:"before,omitempty"`
	After  string `json:"after,omitempty" yaml:"after,omitempty"`
}
