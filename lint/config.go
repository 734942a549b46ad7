package lint

import (
	"fmt"

	promrelabel "github.com/prometheus/prometheus/model/relabel"

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

// ruleRef is how config findings name a rule: rule 3 (keep), with its
// index in relabel_configs.
func ruleRef(rule *promrelabel.Config, i int) string {
	return fmt.Sprintf("rule %d (%s)", i, rule.Action)
}
