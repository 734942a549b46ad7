package lint

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/prometheus/prometheus/discovery/kubernetes"
	promrelabel "github.com/prometheus/prometheus/model/relabel"

	"github.com/sdinspect/sdinspect/report"
)

const (
	// costMinDiscovered and costMaxKeptPercent say when SD107 applies: a
	// job that discovers at least that many targets and keeps at most that
	// share of them.
	costMinDiscovered  = 10
	costMaxKeptPercent = 10

	namespaceLabel = kubernetesMeta + "namespace"
	stateKept      = "kept"
	stateInvalid   = "invalid"
)

// listCost reports a job that keeps less than a tenth of what it
// discovers, with what would let the API server filter its LIST instead:
// namespaces.names, or a selector in place of a keep on an object label.
func listCost(j Job) (report.Finding, bool) {
	s := j.Result.Summary
	notKept := s.Discovered - s.Kept
	if s.Discovered < costMinDiscovered || notKept*100 <= s.Discovered*(100-costMaxKeptPercent) {
		return report.Finding{}, false
	}
	msg := "job "
	if j.Listed != nil {
		msg += "lists " + report.FormatListed(j.Listed) + ", "
	}
	msg += fmt.Sprintf("discovers %s and keeps %d: %d%% of what it discovers is dropped or invalid",
		plural(s.Discovered, "target"), s.Kept, notKept*100/s.Discovered)
	f := newFinding(ListCost, j.Config, -1, msg)
	var tips []string
	if len(j.Config.Kubernetes) == 1 {
		sd := j.Config.Kubernetes[0]
		tips = append(tips, namespaceTip(j, sd)...)
		tips = append(tips, selectorTip(j, sd)...)
	}
	if len(tips) == 0 {
		tips = append(tips, "namespaces.names or a selectors entry that matches only the objects whose targets are kept would have the API server filter the LIST")
	}
	f.Suggestion = strings.Join(tips, "; ")
	return f, true
}

// namespaceTip suggests namespaces.names when the kept targets come from
// fewer namespaces than the discovered ones.
func namespaceTip(j Job, sd *kubernetes.SDConfig) []string {
	if sd.Role == kubernetes.RoleNode || len(sd.NamespaceDiscovery.Names) > 0 || sd.NamespaceDiscovery.IncludeOwnNamespace {
		return nil
	}
	kept, seen := map[string]bool{}, map[string]int{}
	for _, t := range j.Result.Targets {
		ns, ok := t.DiscoveredLabels[namespaceLabel]
		if ok {
			seen[ns]++
		}
		if t.State == stateKept {
			if !ok {
				return nil // a kept target from elsewhere: no namespace list keeps it
			}
			kept[ns] = true
		}
	}
	if len(kept) == 0 || len(kept) == len(seen) {
		return nil
	}
	names := slices.Sorted(maps.Keys(kept))
	in := 0
	for _, ns := range names {
		in += seen[ns]
	}
	return []string{fmt.Sprintf("namespaces: {names: [%s]} would list only the namespaces the kept targets come from, which hold %d of the %s discovered in %d namespaces",
		strings.Join(names, ", "), in, plural(j.Result.Summary.Discovered, "target"), len(seen))}
}

// selectorTip looks at the keep rules that dropped targets, most drops
// first, for one the API server could do instead: a keep on an object
// label with a literal regex. A keep on an annotation cannot be one.
func selectorTip(j Job, sd *kubernetes.SDConfig) []string {
	drops := map[int]int{}
	for _, t := range j.Result.Targets {
		if t.DroppedBy != nil {
			drops[t.DroppedBy.Index]++
		}
	}
	order := slices.SortedFunc(maps.Keys(drops), func(a, b int) int { return cmp.Or(cmp.Compare(drops[b], drops[a]), cmp.Compare(a, b)) })
	rules := j.Config.Scrape.RelabelConfigs
	for _, i := range order {
		if i < 0 || i >= len(rules) || rules[i].Action != promrelabel.Keep || len(rules[i].SourceLabels) != 1 {
			continue
		}
		rule := rules[i]
		what := fmt.Sprintf("%s%s drops %s", ruleName(rule, i), at(j, i), plural(drops[i], "target"))
		src := string(rule.SourceLabels[0])
		if kind, key, ok := objectAnnotation(src); ok {
			return []string{fmt.Sprintf("%s on a %s annotation (%s), which no selector can select: the API server filters a LIST by labels and fields only; a label on the objects, selected with selectors, would cut it",
				what, kind, key)}
		}
		if tip, ok := labelSelectorTip(j, sd, rule, what); ok {
			return []string{tip}
		}
	}
	return nil
}

// labelSelectorTip words the selector that would replace a keep on an
// object label, when the regex is a literal or an alternation of literals.
func labelSelectorTip(j Job, sd *kubernetes.SDConfig, rule *promrelabel.Config, what string) (string, bool) {
	kind, key, present, ok := objectLabel(string(rule.SourceLabels[0]))
	if !ok {
		return "", false
	}
	var req string
	if present {
		if rule.Regex.String() != "true" {
			return "", false
		}
		req = key
	} else {
		vals, ok := literals(rule.Regex.String())
		if !ok {
			return "", false
		}
		req = key + "=" + vals[0]
		if len(vals) > 1 {
			req = fmt.Sprintf("%s in (%s)", key, strings.Join(vals, ","))
		}
	}
	note := ""
	if strings.Contains(key, "_") {
		note = fmt.Sprintf(" (%s is the label key as the label name spells it, with _ for every character Prometheus replaced: write the key as the objects carry it)", key)
	}
	role := string(sd.Role)
	switch {
	case kind == role:
	case (sd.Role == kubernetes.RoleEndpoint || sd.Role == kubernetes.RoleEndpointSlice) && kind == "service":
		if !mirrored(j, sd.Role, key, rule) {
			return fmt.Sprintf("%s on a service label: a service selector filters only the services listed, not the %s", what, primaryResource(sd.Role)), true
		}
		note += fmt.Sprintf("; the kept targets' %s carry the same label, as the controller copies a Service's labels to them", primaryResource(sd.Role))
	default:
		return fmt.Sprintf("%s on a %s label: a %s selector does not filter the %s that role %s lists", what, kind, kind, primaryResource(sd.Role), sd.Role), true
	}
	for _, sel := range sd.Selectors {
		if string(sel.Role) == role && sel.Label != "" {
			req = sel.Label + "," + req
		}
	}
	return fmt.Sprintf("%s on a %s label: selectors: [{role: %s, label: %q}] would have the API server return only the %s it keeps%s",
		what, kind, role, req, primaryResource(sd.Role), note), true
}

// mirrored reports whether every kept target carries, on its endpoints or
// endpointslice object, the service label value the keep tested.
func mirrored(j Job, role kubernetes.Role, key string, rule *promrelabel.Config) bool {
	own := kubernetesMeta + string(role) + "_label_" + key
	src := string(rule.SourceLabels[0])
	n := 0
	for _, t := range j.Result.Targets {
		if t.State != stateKept {
			continue
		}
		n++
		if v, ok := t.DiscoveredLabels[own]; !ok || v != t.DiscoveredLabels[src] {
			return false
		}
	}
	return n > 0
}

// objectKinds are the objects whose labels and annotations discovery
// copies into __meta_kubernetes_<kind>_label_<key> and the like.
func objectKinds() []string {
	return []string{"pod", "service", "endpoints", "endpointslice", "node", "ingress"}
}

// objectLabel splits __meta_kubernetes_<kind>_label_<key> or
// _labelpresent_<key> into kind and (sanitised) key.
func objectLabel(name string) (kind, key string, present, ok bool) {
	for _, k := range objectKinds() {
		if key, ok := strings.CutPrefix(name, kubernetesMeta+k+"_labelpresent_"); ok && key != "" {
			return k, key, true, true
		}
		if key, ok := strings.CutPrefix(name, kubernetesMeta+k+"_label_"); ok && key != "" {
			return k, key, false, true
		}
	}
	return "", "", false, false
}

// objectAnnotation is objectLabel for annotations.
func objectAnnotation(name string) (kind, key string, ok bool) {
	for _, k := range objectKinds() {
		for _, infix := range []string{"_annotation_", "_annotationpresent_"} {
			if key, ok := strings.CutPrefix(name, kubernetesMeta+k+infix); ok && key != "" {
				return k, key, true
			}
		}
	}
	return "", "", false
}

// literals returns the alternatives of a regex that is a literal label
// value or an alternation of them, optionally in one group: web,
// (web|api), web-api\.v1. Anything else, and values a label selector
// cannot hold, give false.
func literals(re string) ([]string, bool) {
	if inner, ok := strings.CutPrefix(re, "("); ok && strings.HasSuffix(inner, ")") {
		re = strings.TrimSuffix(inner, ")")
	}
	var out []string
	for _, alt := range strings.Split(re, "|") {
		v, ok := literal(alt)
		if !ok {
			return nil, false
		}
		out = append(out, v)
	}
	return out, true
}

// literal unescapes \. and accepts only what a label value may hold.
func literal(s string) (string, bool) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\' && i+1 < len(s) && s[i+1] == '.':
			b.WriteByte('.')
			i++
		case c == '-' || c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
			b.WriteByte(c)
		default:
			return "", false
		}
	}
	v := b.String()
	return v, v != "" && len(v) <= 63
}

// primaryResource is the resource a role's targets come from.
func primaryResource(role kubernetes.Role) string {
	switch role {
	case kubernetes.RoleEndpoint:
		return "endpoints"
	case kubernetes.RoleEndpointSlice:
		return "endpointslices"
	case kubernetes.RoleIngress:
		return "ingresses"
	}
	return string(role) + "s"
}
