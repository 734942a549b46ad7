package lint

import (
	"fmt"
	"slices"

	"github.com/prometheus/common/model"

	promrelabel "github.com/prometheus/prometheus/model/relabel"

	"github.com/sdinspect/sdinspect/promconfig"
	"github.com/sdinspect/sdinspect/report"
)

// nameLabels reports SD004: __name__ read or written by a target relabeling
// rule. Targets have no metric name, so the rule was meant for
// metric_relabel_configs.
func nameLabels(job *promconfig.Job) []report.Finding {
	var out []report.Finding
	for i, rule := range job.Scrape.RelabelConfigs {
		var where string
		switch {
		case slices.Contains(readLabels(rule), model.MetricNameLabel):
			where = "reads"
		case rule.TargetLabel == model.MetricNameLabel:
			where = "writes"
		default:
			continue
		}
		f := newFinding(NameLabel, job, i, fmt.Sprintf("%s %s __name__, which targets never have: relabel_configs run before the scrape", ruleName(rule, i), where))
		f.Suggestion = "move the rule to metric_relabel_configs"
		out = append(out, f)
	}
	return out
}

// anchoredRegexes reports SD006: a regex written with a leading ^ or a
// trailing $, which Prometheus's own anchoring makes redundant.
func anchoredRegexes(job *promconfig.Job) []report.Finding {
	var out []report.Finding
	for i, rule := range job.Scrape.RelabelConfigs {
		written := rule.Regex.String()
		leading, trailing, stripped := anchors(written)
		if !leading && !trailing {
			continue
		}
		what := "^ and $"
		if !trailing {
			what = "^"
		} else if !leading {
			what = "$"
		}
		f := newFinding(AnchoredRegex, job, i, fmt.Sprintf("%s regex %q is anchored with %s, as Prometheus anchors every relabel regex already", ruleName(rule, i), written, what))
		f.Suggestion = fmt.Sprintf("regex: %q", stripped)
		out = append(out, f)
	}
	return out
}

// noEffectRules reports SD007: rules that leave every target as it was.
// Only the shapes that are certain count: a keep whose regex takes every
// value, a keep without source labels whose regex matches "", a drop
// without source labels whose regex does not, a keepequal of a label with
// itself, a replace of a label by itself (regex all group 1, replacement
// $1), and a labelmap mapping names to themselves the same way.
func noEffectRules(job *promconfig.Job) []report.Finding {
	var out []report.Finding
	for i, rule := range job.Scrape.RelabelConfigs {
		why := noEffect(rule)
		if why == "" {
			continue
		}
		f := newFinding(NoEffect, job, i, fmt.Sprintf("%s has no effect: %s", ruleName(rule, i), why))
		f.Suggestion = "remove the rule, or fix it to do what was meant"
		out = append(out, f)
	}
	return out
}

// noEffect says why rule changes nothing, or "" if it may change something.
func noEffect(rule *promrelabel.Config) string {
	self := len(rule.SourceLabels) == 1 && string(rule.SourceLabels[0]) == rule.TargetLabel
	switch rule.Action {
	case promrelabel.Keep:
		if matchesEverything(rule.Regex) {
			return fmt.Sprintf("regex %q matches every value, so it keeps every target", rule.Regex.String())
		}
		if len(rule.SourceLabels) == 0 && rule.Regex.MatchString("") {
			return fmt.Sprintf("without source_labels the value is always \"\", which regex %q matches", rule.Regex.String())
		}
	case promrelabel.Drop:
		if len(rule.SourceLabels) == 0 && !rule.Regex.MatchString("") {
			return fmt.Sprintf("without source_labels the value is always \"\", which regex %q does not match", rule.Regex.String())
		}
	case promrelabel.KeepEqual:
		if self {
			return fmt.Sprintf("it compares %s with itself", rule.TargetLabel)
		}
	case promrelabel.Replace:
		if self && isWholeGroup(rule.Regex) && isGroupOne(rule.Replacement) {
			return fmt.Sprintf("it sets %s to its own value", rule.TargetLabel)
		}
	case promrelabel.LabelMap:
		if isWholeGroup(rule.Regex) && isGroupOne(rule.Replacement) {
			return "it maps every label it matches to its own name"
		}
	}
	return ""
}
