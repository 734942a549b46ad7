package lint

import (
	"fmt"
	"maps"
	"net"
	"slices"
	"strings"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
	promrelabel "github.com/prometheus/prometheus/model/relabel"

	"github.com/sdinspect/sdinspect/report"
)

// maxExamples bounds the example targets a finding's Detail names.
const maxExamples = 3

// checkResult returns the findings about what the rules did to the
// discovered targets. The rule findings need the targets' traces (one step
// per rule applied); without them only the job findings are made.
func checkResult(j Job) []report.Finding {
	res := j.Result
	if res.Summary.Discovered == 0 {
		if f, ok := noTargets(j); ok {
			return []report.Finding{f}
		}
		return nil
	}
	out := ruleFindings(j)
	if res.Summary.Kept == 0 {
		out = append(out, jobKeepsNothing(j))
	}
	if f, ok := duplicateTargets(j); ok {
		out = append(out, f)
	}
	if f, ok := addressWithoutPort(j); ok {
		out = append(out, f)
	}
	if f, ok := listCost(j); ok {
		out = append(out, f)
	}
	return out
}

// ruleStats is what one rule did to the targets that reached it.
type ruleStats struct {
	reached, matched, dropped int
	// blank counts the targets whose source labels were all absent.
	blank int
	// seen holds examples of the targets that reached the rule, with the
	// joined value of their source labels.
	seen examples
}

// ruleFindings reports SD101 and SD102, reading each target's trace: the
// input to a rule is the previous step's labels, or the discovered labels
// for the first.
func ruleFindings(j Job) []report.Finding {
	rules := j.Config.Scrape.RelabelConfigs
	stats := make([]ruleStats, len(rules))
	for ti := range j.Result.Targets {
		t := &j.Result.Targets[ti]
		in := t.DiscoveredLabels
		for _, s := range t.Trace {
			i := s.Rule.Index
			if i < 0 || i >= len(rules) {
				break
			}
			stats[i].add(rules[i], t, in, s.Result == "drop")
			in = s.Labels
		}
	}
	var out []report.Finding
	for i, st := range stats {
		if st.reached == 0 {
			continue
		}
		if f, ok := keepsNothing(j, i, &st); ok {
			out = append(out, f)
		} else if f, ok := regexNeverMatches(j, i, &st); ok {
			out = append(out, f)
		}
	}
	return out
}

func (st *ruleStats) add(rule *promrelabel.Config, t *report.Target, in map[string]string, dropped bool) {
	st.reached++
	if dropped {
		st.dropped++
	}
	val, blank := sourceValue(rule, in)
	if blank {
		st.blank++
	}
	if usesRegex(rule) && rule.Regex.MatchString(val) {
		st.matched++
	}
	st.seen.add(t, func() string {
		note := fmt.Sprintf("%q", val)
		if rule.Action == promrelabel.KeepEqual || rule.Action == promrelabel.DropEqual {
			note += fmt.Sprintf(", %s %q", rule.TargetLabel, in[rule.TargetLabel])
		}
		return note
	})
}

// usesRegex reports whether rule matches its regex against the joined
// values of its source labels: replace, keep and drop with source_labels.
// (A keep that matches nothing drops everything, which SD102 reports.)
func usesRegex(rule *promrelabel.Config) bool {
	if len(rule.SourceLabels) == 0 {
		return false
	}
	switch rule.Action {
	case promrelabel.Replace, promrelabel.Drop, promrelabel.Keep:
		return true
	}
	return false
}

// sourceValue joins the values of rule's source labels in ls as relabeling
// does, and reports whether all of them were absent.
func sourceValue(rule *promrelabel.Config, ls map[string]string) (string, bool) {
	vals := make([]string, len(rule.SourceLabels))
	blank := true
	for i, n := range rule.SourceLabels {
		vals[i] = ls[string(n)]
		blank = blank && vals[i] == ""
	}
	return strings.Join(vals, rule.Separator), blank
}

func regexNeverMatches(j Job, i int, st *ruleStats) (report.Finding, bool) {
	rule := j.Config.Scrape.RelabelConfigs[i]
	if !usesRegex(rule) || rule.Action == promrelabel.Keep || st.matched > 0 {
		return report.Finding{}, false
	}
	effect := "changes nothing"
	if rule.Action == promrelabel.Drop {
		effect = "drops nothing"
	}
	msg := fmt.Sprintf("%s: regex %q matched none of the %s that reached it, so it %s",
		ruleName(rule, i), rule.Regex.String(), plural(st.reached, "target"), effect)
	f := newFinding(RegexNeverMatches, j.Config, i, msg)
	f.Suggestion = absentHint(rule, st)
	f.Detail = st.seen.detail(sourceLabelsText(rule) + " values:")
	return f, true
}

func keepsNothing(j Job, i int, st *ruleStats) (report.Finding, bool) {
	rule := j.Config.Scrape.RelabelConfigs[i]
	if st.dropped < st.reached {
		return report.Finding{}, false
	}
	var why string
	switch rule.Action {
	case promrelabel.Keep:
		why = fmt.Sprintf("regex %q matched none of them", rule.Regex.String())
	case promrelabel.Drop:
		why = fmt.Sprintf("regex %q matched all of them", rule.Regex.String())
	case promrelabel.KeepEqual:
		why = fmt.Sprintf("in none of them did %s equal %s", sourceLabelsText(rule), rule.TargetLabel)
	case promrelabel.DropEqual:
		why = fmt.Sprintf("in all of them %s equalled %s", sourceLabelsText(rule), rule.TargetLabel)
	default:
		return report.Finding{}, false
	}
	msg := fmt.Sprintf("%s dropped all %s that reached it: %s", ruleName(rule, i), plural(st.reached, "target"), why)
	f := newFinding(KeepsNothing, j.Config, i, msg)
	if rule.Action == promrelabel.Keep || rule.Action == promrelabel.KeepEqual {
		f.Suggestion = absentHint(rule, st)
	}
	f.Detail = st.seen.detail(sourceLabelsText(rule) + " values:")
	return f, true
}

// absentHint points at the label names when no target that reached the
// rule had any of its source labels.
func absentHint(rule *promrelabel.Config, st *ruleStats) string {
	if st.blank < st.reached {
		return ""
	}
	return fmt.Sprintf("none of these targets has %s: check the name, and that the objects carry it", sourceLabelsText(rule))
}

func jobKeepsNothing(j Job) report.Finding {
	s := j.Result.Summary
	msg := fmt.Sprintf("job discovers %s and keeps none: %d dropped, %d invalid", plural(s.Discovered, "target"), s.Dropped, s.Invalid)
	if j.Result.Partial {
		msg += " (objects it needs could not all be listed)"
	}
	f := newFinding(JobKeepsNothing, j.Config, -1, msg)
	droppedBy := map[int]int{}
	invalid := map[string]int{}
	for _, t := range j.Result.Targets {
		switch {
		case t.DroppedBy != nil:
			droppedBy[t.DroppedBy.Index]++
		case t.State == stateInvalid:
			invalid[t.Error]++
		}
	}
	var lines []string
	for _, i := range slices.Sorted(maps.Keys(droppedBy)) {
		lines = append(lines, fmt.Sprintf("%s%s dropped %d", ruleText(j, i), at(j, i), droppedBy[i]))
	}
	for _, e := range slices.Sorted(maps.Keys(invalid)) {
		lines = append(lines, fmt.Sprintf("invalid (%s): %d", e, invalid[e]))
	}
	f.Detail = strings.Join(lines, "\n")
	return f
}

// noTargets reports a job that discovers nothing. A job whose only service
// discovery is not run offline is not reported: its targets are unknown.
func noTargets(j Job) (report.Finding, bool) {
	cfg := j.Config
	if len(cfg.Kubernetes) == 0 && len(cfg.NotRun) > 0 {
		return report.Finding{}, false
	}
	msg := "job discovers no targets"
	var hint string
	if len(cfg.Kubernetes) == 0 {
		msg += ": it has no kubernetes_sd_configs, and its static and file SD configs give no target"
	} else {
		var parts []string
		for _, sd := range cfg.Kubernetes {
			p := "role " + string(sd.Role)
			if ns := sd.NamespaceDiscovery; len(ns.Names) > 0 || ns.IncludeOwnNamespace {
				p += fmt.Sprintf(" in namespaces %s", namespacesText(ns.Names, ns.IncludeOwnNamespace))
			}
			for _, sel := range sd.Selectors {
				p += fmt.Sprintf(", %s selector %s", sel.Role, selectorText(sel.Label, sel.Field))
			}
			parts = append(parts, p)
		}
		msg += fmt.Sprintf(" from kubernetes_sd_configs (%s)", strings.Join(parts, "; "))
		if j.Listed != nil {
			msg += "; it lists " + report.FormatListed(j.Listed)
		}
		hint = "check the namespaces, the selectors and the role against the cluster: are the objects there, and do they carry the selected labels?"
	}
	if j.Result.Partial {
		msg += " (objects it needs could not all be listed)"
	}
	f := newFinding(NoTargets, cfg, -1, msg)
	f.Suggestion = hint
	return f, true
}

func duplicateTargets(j Job) (report.Finding, bool) {
	byRef := map[report.TargetRef]*report.Target{}
	for i := range j.Result.Targets {
		t := &j.Result.Targets[i]
		byRef[report.TargetRef{Source: t.Source, Index: t.Index}] = t
	}
	var n int
	var seen examples
	var first [2]*report.Target
	for i := range j.Result.Targets {
		t := &j.Result.Targets[i]
		if t.State != stateKept || t.DuplicateOf == nil {
			continue
		}
		n++
		orig := byRef[*t.DuplicateOf]
		seen.add(t, func() string { return fmt.Sprintf("same as %s %s", refName(*t.DuplicateOf), shownLabels(t.Labels)) })
		if seen.items[0].target == t {
			first = [2]*report.Target{orig, t}
		}
	}
	if n == 0 {
		return report.Finding{}, false
	}
	msg := fmt.Sprintf("%s the same labels as an earlier kept target: Prometheus scrapes each such label set once",
		pluralVerb(n, "kept target has", "kept targets have"))
	f := newFinding(DuplicateTargets, j.Config, -1, msg)
	if first[0] != nil {
		if diff := differingMeta(first[0], first[1]); len(diff) > 0 {
			f.Suggestion = fmt.Sprintf("%s and %s differ in %s: copy one of them into a label to keep both, or drop one",
				targetName(first[0]), targetName(first[1]), strings.Join(diff, ", "))
		}
	}
	f.Detail = seen.detail("")
	return f, true
}

// shownLabels renders a kept target's labels without the scrape settings
// every target of the job shares (interval, timeout, histogram flags).
func shownLabels(ls map[string]string) string {
	b := labels.NewBuilder(labels.FromMap(ls))
	b.Del(model.ScrapeIntervalLabel, model.ScrapeTimeoutLabel, "__always_scrape_classic_histograms__",
		"__convert_classic_histograms_to_nhcb__", "__scrape_native_histograms__")
	return b.Labels().String()
}

// differingMeta names, sorted, up to maxExamples discovered __meta_ labels
// in which a and b differ.
func differingMeta(a, b *report.Target) []string {
	var out []string
	for _, name := range slices.Sorted(maps.Keys(unionKeys(a.DiscoveredLabels, b.DiscoveredLabels))) {
		if strings.HasPrefix(name, model.MetaLabelPrefix) && a.DiscoveredLabels[name] != b.DiscoveredLabels[name] {
			out = append(out, name)
		}
	}
	if len(out) > maxExamples {
		out = append(out[:maxExamples], "...")
	}
	return out
}

func unionKeys(a, b map[string]string) map[string]struct{} {
	m := make(map[string]struct{}, len(a)+len(b))
	for k := range a {
		m[k] = struct{}{}
	}
	for k := range b {
		m[k] = struct{}{}
	}
	return m
}

// addressWithoutPort reports kept targets scraped on a default port where
// one was likely meant: their address had no port when discovered either.
// Ingress targets are left out, as their address is a host by design.
func addressWithoutPort(j Job) (report.Finding, bool) {
	schemes := map[string]int{}
	var seen examples
	n := 0
	for i := range j.Result.Targets {
		t := &j.Result.Targets[i]
		addr := t.Labels[model.AddressLabel]
		if t.State != stateKept || hasPort(addr) || hasPort(t.DiscoveredLabels[model.AddressLabel]) {
			continue
		}
		if _, ok := t.DiscoveredLabels["__meta_kubernetes_ingress_name"]; ok {
			continue
		}
		n++
		schemes[t.Labels[model.SchemeLabel]]++
		seen.add(t, func() string { return fmt.Sprintf("__address__=%q", addr) })
	}
	if n == 0 {
		return report.Finding{}, false
	}
	var ports []string
	for _, s := range slices.Sorted(maps.Keys(schemes)) {
		port := "80"
		if s == "https" {
			port = "443"
		}
		ports = append(ports, fmt.Sprintf("%s (%s)", port, s))
	}
	they := "they are"
	if n == 1 {
		they = "it is"
	}
	msg := fmt.Sprintf("%s an __address__ without a port, so %s scraped on port %s",
		pluralVerb(n, "kept target has", "kept targets have"), they, strings.Join(ports, " or "))
	f := newFinding(AddressNoPort, j.Config, -1, msg)
	f.Suggestion = "set a port in __address__ with a replace rule, or drop these targets"
	if d := seen.items[0].target.DiscoveredLabels; d["__meta_kubernetes_pod_name"] != "" && d["__meta_kubernetes_pod_container_port_number"] == "" {
		f.Suggestion = "pod targets without a port come from containers that declare none: keep on __meta_kubernetes_pod_container_port_number (.+), or set a port in __address__"
	}
	f.Detail = seen.detail("")
	return f, true
}

// hasPort reports whether addr is host:port with a port, as
// net.SplitHostPort reads it (IPv6 hosts in brackets).
func hasPort(addr string) bool {
	_, port, err := net.SplitHostPort(addr)
	return err == nil && port != ""
}
