package lint

import (
	"fmt"
	"slices"
	"strings"

	promrelabel "github.com/prometheus/prometheus/model/relabel"

	"github.com/sdinspect/sdinspect/promconfig"
	"github.com/sdinspect/sdinspect/report"
)

// dropsEverything reports whether rule drops every target that reaches it,
// whatever its labels: a drop whose regex matches every value, a keep or
// drop without source labels (their value is always "") whose regex does
// or does not match "", a dropequal comparing a label with itself.
func dropsEverything(rule *promrelabel.Config) bool {
	switch rule.Action {
	case promrelabel.Drop:
		return matchesEverything(rule.Regex) || (len(rule.SourceLabels) == 0 && rule.Regex.MatchString(""))
	case promrelabel.Keep:
		return len(rule.SourceLabels) == 0 && !rule.Regex.MatchString("")
	case promrelabel.DropEqual:
		return len(rule.SourceLabels) == 1 && string(rule.SourceLabels[0]) == rule.TargetLabel
	}
	return false
}

// unreachableRules reports the first rule that drops every target (SD102:
// the job keeps nothing, which needs no objects to know), and one SD002 per
// rule after it.
func unreachableRules(job *promconfig.Job) []report.Finding {
	rules := job.Scrape.RelabelConfigs
	for i, rule := range rules {
		if !dropsEverything(rule) {
			continue
		}
		out := []report.Finding{newFinding(KeepsNothing, job, i, fmt.Sprintf("%s drops every target whatever its labels: the job keeps nothing", ruleName(rule, i)))}
		for k := i + 1; k < len(rules); k++ {
			out = append(out, newFinding(UnreachableRule, job, k, fmt.Sprintf("%s never runs: %s drops every target",
				ruleName(rules[k], k), ruleName(rule, i))))
		}
		return out
	}
	return nil
}

// writtenLabel returns the label rule always writes when it runs, or "" for
// rules that write none or one only a template decides.
func writtenLabel(rule *promrelabel.Config) string {
	switch rule.Action {
	case promrelabel.Replace:
		if strings.Contains(rule.TargetLabel, "$") {
			return ""
		}
		return rule.TargetLabel
	case promrelabel.Lowercase, promrelabel.Uppercase, promrelabel.HashMod:
		return rule.TargetLabel
	}
	return ""
}

// reads reports whether rule reads label: by name (source labels, the
// target label of keepequal and dropequal), or through a regex over label
// names that matches it (labelmap copies it, labelkeep keeps it).
func reads(rule *promrelabel.Config, label string) bool {
	if slices.Contains(readLabels(rule), label) {
		return true
	}
	switch rule.Action {
	case promrelabel.LabelMap, promrelabel.LabelKeep:
		return rule.Regex.MatchString(label)
	}
	return false
}

// overwrites reports whether rule sets label whatever the target: a
// replace to it whose regex matches every value, a lowercase, uppercase or
// hashmod to it. Call it only for rules that do not read label.
func overwrites(rule *promrelabel.Config, label string) bool {
	switch rule.Action {
	case promrelabel.Replace:
		return rule.TargetLabel == label && matchesEverything(rule.Regex)
	case promrelabel.Lowercase, promrelabel.Uppercase, promrelabel.HashMod:
		return rule.TargetLabel == label
	}
	return false
}

// removes reports whether rule is a labeldrop or labelkeep that deletes
// label. Such a rule names the labels it deletes on purpose, often to undo
// labels a generator (the Prometheus Operator) set before the user's own
// rules: not a mistake to report.
func removes(rule *promrelabel.Config, label string) bool {
	switch rule.Action {
	case promrelabel.LabelDrop:
		return rule.Regex.MatchString(label)
	case promrelabel.LabelKeep:
		return !rule.Regex.MatchString(label)
	}
	return false
}

// overwrittenLabels reports SD003: a label a rule always writes and a later
// rule always overwrites before any rule reads it, so the first rule is
// dead. A rule that writes only when its regex matches is left alone: the
// Prometheus Operator renders one in every ServiceMonitor (pod from the
// endpoint's target reference, then pod from __meta_kubernetes_pod_name),
// and the two agree whenever the first writes. A labeldrop or labelkeep
// deleting it ends the search without a finding (see removes); rules after
// one that drops every target are left to SD002.
func overwrittenLabels(job *promconfig.Job) []report.Finding {
	rules := job.Scrape.RelabelConfigs
	var out []report.Finding
	for i, rule := range rules {
		label := writtenLabel(rule)
		if label == "" || !overwrites(rule, label) || dropsEverything(rule) {
			continue
		}
		for k := i + 1; k < len(rules); k++ {
			if reads(rules[k], label) || removes(rules[k], label) || dropsEverything(rules[k]) {
				break
			}
			if overwrites(rules[k], label) {
				out = append(out, newFinding(OverwrittenLabel, job, i, fmt.Sprintf("%s sets %s, but %s overwrites it before any rule reads it",
					ruleName(rule, i), label, ruleName(rules[k], k))))
				break
			}
		}
	}
	return out
}

// hashmodsWithoutKeep reports SD005: a hashmod whose label no later keep,
// drop, keepequal or dropequal reads, directly or through labels copied
// from it. A labelmap or a templated target over the label ends the
// search without a finding: where the value goes is no longer known.
func hashmodsWithoutKeep(job *promconfig.Job) []report.Finding {
	rules := job.Scrape.RelabelConfigs
	var out []report.Finding
	for i, rule := range rules {
		if rule.Action != promrelabel.HashMod || !shardsNothing(rules[i+1:], rule.TargetLabel) {
			continue
		}
		f := newFinding(HashmodWithoutKeep, job, i, fmt.Sprintf("%s sets %s, but no later keep or drop reads it", ruleName(rule, i), rule.TargetLabel))
		f.Suggestion = fmt.Sprintf("keep this instance's shard with a later rule: {action: keep, source_labels: [%s], regex: <shard>}", rule.TargetLabel)
		out = append(out, f)
	}
	return out
}

// shardsNothing reports whether no rule of later filters on label or on a
// label copied from it.
func shardsNothing(later []*promrelabel.Config, label string) bool {
	carriers := []string{label}
	for _, r := range later {
		read := false
		for _, c := range carriers {
			read = read || reads(r, c)
		}
		if !read {
			continue
		}
		switch r.Action {
		case promrelabel.Keep, promrelabel.Drop, promrelabel.KeepEqual, promrelabel.DropEqual, promrelabel.LabelMap:
			return false
		case promrelabel.Replace, promrelabel.Lowercase, promrelabel.Uppercase, promrelabel.HashMod:
			if w := writtenLabel(r); w != "" {
				carriers = append(carriers, w)
			} else {
				return false
			}
		}
	}
	return true
}
