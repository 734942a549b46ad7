package lint

import (
	"github.com/sdinspect/sdinspect/promconfig"
	"github.com/sdinspect/sdinspect/report"
)

// checkConfig returns the findings that need only the job's config. Each
// check leans towards silence: a finding it cannot be sure of is left out.
func checkConfig(job *promconfig.Job) []report.Finding {
	if job == nil || job.Scrape == nil {
		return nil
	}
	var out []report.Finding
	for _, check := range []func(*promconfig.Job) []report.Finding{
		unknownSourceLabels,
		unreachableRules,
		overwrittenLabels,
		nameLabels,
		hashmodsWithoutKeep,
		anchoredRegexes,
		noEffectRules,
	} {
		out = append(out, check(job)...)
	}
	return out
}
