package lint

import (
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/prometheus/common/model"

	"github.com/prometheus/prometheus/discovery/file"
	"github.com/prometheus/prometheus/discovery/kubernetes"
	promrelabel "github.com/prometheus/prometheus/model/relabel"

	"github.com/sdinspect/sdinspect/discovery"
	"github.com/sdinspect/sdinspect/promconfig"
	"github.com/sdinspect/sdinspect/report"
)

// kubernetesMeta is the prefix of every label Kubernetes SD sets, and of
// no label anything else sets (other SDs use their own __meta_ prefixes).
const kubernetesMeta = model.MetaLabelPrefix + "kubernetes_"

// unknownSourceLabels reports SD001: every __meta_kubernetes_ label a rule
// reads that the job's kubernetes_sd_configs can never produce, no earlier
// rule sets, and no static or file SD group carries. Labels outside
// __meta_kubernetes_ are never reported: anything may set those. Nor is
// anything in a job whose targets may carry labels unseen now (see
// unseenGroups).
func unknownSourceLabels(job *promconfig.Job) []report.Finding {
	if unseenGroups(job) {
		return nil
	}
	catalogues := make([]discovery.Names, len(job.Kubernetes))
	for i, sd := range job.Kubernetes {
		catalogues[i] = discovery.LabelNames(sd)
	}
	var out []report.Finding
	var writers []*promrelabel.Config
	for i, rule := range job.Scrape.RelabelConfigs {
		for _, name := range readLabels(rule) {
			if !strings.HasPrefix(name, kubernetesMeta) || produced(catalogues, name) ||
				inGroups(job, name) || writtenBy(writers, name) {
				continue
			}
			f := newFinding(UnknownSourceLabel, job, i, fmt.Sprintf("%s reads %s, %s", ruleName(rule, i), name, neverProduces(job)))
			f.Suggestion = suggest(job.Kubernetes, catalogues, name)
			out = append(out, f)
		}
		writers = append(writers, rule)
	}
	return out
}

// readLabels are the labels rule reads by name: its source labels, and
// the label keepequal and dropequal compare them with. Each name once.
func readLabels(rule *promrelabel.Config) []string {
	var names []string
	add := func(n string) {
		if !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	for _, n := range rule.SourceLabels {
		add(string(n))
	}
	if rule.Action == promrelabel.KeepEqual || rule.Action == promrelabel.DropEqual {
		add(rule.TargetLabel)
	}
	return names
}

func produced(catalogues []discovery.Names, name string) bool {
	for _, c := range catalogues {
		if c.Has(name) {
			return true
		}
	}
	return false
}

// inGroups reports whether a static_configs or file_sd_configs group sets
// name, on the group or on one of its targets.
func inGroups(job *promconfig.Job, name string) bool {
	ln := model.LabelName(name)
	for _, g := range job.Groups {
		if _, ok := g.Labels[ln]; ok {
			return true
		}
		for _, t := range g.Targets {
			if _, ok := t[ln]; ok {
				return true
			}
		}
	}
	return false
}

// unseenGroups reports whether the job has target groups whose labels are
// not known from the config: those of http_sd_configs, which may carry any
// label, and those of a file_sd_configs glob that matches no file yet.
func unseenGroups(job *promconfig.Job) bool {
	for _, note := range job.NotRun {
		if strings.HasPrefix(note, "http_sd_configs ") {
			return true
		}
	}
	for _, sd := range job.Scrape.ServiceDiscoveryConfigs {
		fsd, ok := sd.(*file.SDConfig)
		if !ok {
			continue
		}
		for _, pat := range fsd.Files {
			if names, err := filepath.Glob(pat); err != nil || len(names) == 0 {
				return true
			}
		}
	}
	return false
}

// writtenBy reports whether one of rules may set name: as the target label
// of a replace, lowercase, uppercase or hashmod (a templated target_label
// may expand to anything its template allows), or as a name a labelmap's
// replacement may expand to.
func writtenBy(rules []*promrelabel.Config, name string) bool {
	for _, r := range rules {
		switch r.Action {
		case promrelabel.Replace, promrelabel.Lowercase, promrelabel.Uppercase, promrelabel.HashMod:
			if mayExpandTo(r.TargetLabel, name) {
				return true
			}
		case promrelabel.LabelMap:
			if mayExpandTo(r.Replacement, name) {
				return true
			}
		}
	}
	return false
}

// templateRef is a $1, $name, ${name} or $$ in a replacement template.
var templateRef = regexp.MustCompile(`\$(\{[^}]*\}|[a-zA-Z0-9_]*)`)

// mayExpandTo reports whether a target_label or replacement template can
// expand to name, taking every reference to a group as any string.
func mayExpandTo(template, name string) bool {
	if !strings.Contains(template, "$") {
		return template == name
	}
	var pat strings.Builder
	pat.WriteString("^")
	last := 0
	for _, m := range templateRef.FindAllStringIndex(template, -1) {
		pat.WriteString(regexp.QuoteMeta(template[last:m[0]]))
		pat.WriteString("(?s:.*)")
		last = m[1]
	}
	pat.WriteString(regexp.QuoteMeta(template[last:]) + "$")
	return regexp.MustCompile(pat.String()).MatchString(name)
}

// neverProduces says why nothing produces the label, for the message.
func neverProduces(job *promconfig.Job) string {
	if len(job.Kubernetes) == 0 {
		return "but the job has no kubernetes_sd_configs"
	}
	var roles []string
	for _, sd := range job.Kubernetes {
		if !slices.Contains(roles, string(sd.Role)) {
			roles = append(roles, string(sd.Role))
		}
	}
	if len(roles) == 1 {
		return "which role " + roles[0] + " never produces"
	}
	return "which roles " + strings.Join(roles, ", ") + " never produce"
}

// suggest proposes a fix for a label no SD config of the job produces, in
// order of certainty: its sanitised spelling; the spelling of the other
// endpoints role; the attach_metadata option that adds it; the nearest real
// name, if close enough. "" when nothing fits.
func suggest(sds []*kubernetes.SDConfig, catalogues []discovery.Names, name string) string {
	for _, c := range catalogues {
		if s := sanitised(c, name); s != "" {
			return "did you mean " + s + "?"
		}
	}
	for _, c := range catalogues {
		if s := counterpart(c, name); s != "" {
			return "did you mean " + s + "?"
		}
	}
	for _, sd := range sds {
		if s := attachHint(sd, name); s != "" {
			return s
		}
	}
	best, bestDist := "", -1
	for _, c := range catalogues {
		if s, d := c.Closest(name); bestDist < 0 || d < bestDist {
			best, bestDist = s, d
		}
	}
	// A typo or two; further away the nearest name is more often a
	// different label than the one meant.
	rest := len(name) - len(kubernetesMeta)
	if bestDist > 0 && bestDist <= max(2, rest/8) {
		return "did you mean " + best + "?"
	}
	return ""
}

// sanitised returns name as Prometheus would spell it when it starts with
// the prefix of one of the catalogue's families but its suffix holds
// characters Prometheus replaces: app.kubernetes.io/name for
// app_kubernetes_io_name. "" otherwise.
func sanitised(c discovery.Names, name string) string {
	for _, f := range c.Families() {
		if rest, ok := strings.CutPrefix(name, f.Prefix); ok {
			if s := f.Name(rest); s != name {
				return s
			}
		}
	}
	return ""
}

// counterparts map label name prefixes of the endpoints role to those of
// the endpointslice role and back, the longest first.
var counterparts = [][2]string{
	{"__meta_kubernetes_endpoint_ready", "__meta_kubernetes_endpointslice_endpoint_conditions_ready"},
	{"__meta_kubernetes_endpoint_port_", "__meta_kubernetes_endpointslice_port_"},
	{"__meta_kubernetes_endpoint_address_target_", "__meta_kubernetes_endpointslice_address_target_"},
	{"__meta_kubernetes_endpoint_", "__meta_kubernetes_endpointslice_endpoint_"},
	{"__meta_kubernetes_endpoints_", "__meta_kubernetes_endpointslice_"},
}

// counterpart returns the label of the other endpoints role that stands
// for name, if the catalogue has it: __meta_kubernetes_endpoint_port_name
// for __meta_kubernetes_endpointslice_port_name and back.
func counterpart(c discovery.Names, name string) string {
	for _, p := range counterparts {
		for _, dir := range [][2]string{{p[0], p[1]}, {p[1], p[0]}} {
			if rest, ok := strings.CutPrefix(name, dir[0]); ok && c.Has(dir[1]+rest) {
				return dir[1] + rest
			}
		}
	}
	return ""
}

// attachHint names the attach_metadata option that would make sd produce
// name (or its sanitised spelling), "" if none does.
func attachHint(sd *kubernetes.SDConfig, name string) string {
	options := []struct {
		key string
		set func(*kubernetes.AttachMetadataConfig)
	}{
		{"node", func(a *kubernetes.AttachMetadataConfig) { a.Node = true }},
		{"namespace", func(a *kubernetes.AttachMetadataConfig) { a.Namespace = true }},
		{"deployment", func(a *kubernetes.AttachMetadataConfig) { a.Deployment = true }},
		{"job", func(a *kubernetes.AttachMetadataConfig) { a.Job = true }},
		{"cronjob", func(a *kubernetes.AttachMetadataConfig) { a.CronJob = true }},
	}
	for _, o := range options {
		with := *sd
		o.set(&with.AttachMetadata)
		c := discovery.LabelNames(&with)
		set := fmt.Sprintf("set attach_metadata.%s: true in the role %s kubernetes_sd_config", o.key, sd.Role)
		if c.Has(name) {
			return set
		}
		if s := sanitised(c, name); s != "" {
			return "did you mean " + s + "? and " + set
		}
	}
	return ""
}
