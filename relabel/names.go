package relabel

import (
	"strings"

	"github.com/prometheus/prometheus/model/labels"
	promrelabel "github.com/prometheus/prometheus/model/relabel"
)

// maxVerdicts bounds the names whose verdict a rule remembers, for jobs
// whose label names never repeat.
const maxVerdicts = 1 << 14

// verdict is what a rule's regex makes of a label name: whether it
// matches and, for labelmap, the name the label is copied to.
type verdict struct {
	match bool
	to    string
}

// process applies the i-th rule to the builder, as relabel.ProcessBuilder
// does. labelmap, labeldrop and labelkeep run their regex on the name of
// every label of every target, which on pods with many labels is most of
// what relabeling costs; a job's targets carry the same names over and
// over, so here these three remember the regex's verdict on each name. The
// rest is Prometheus's relabel function for these actions, step for step
// (model/relabel/relabel.go: their source labels are read and unused, and
// they never drop a target); the other actions are left to ProcessBuilder.
func (p *Relabeler) process(i int, rule *promrelabel.Config) bool {
	switch rule.Action {
	case promrelabel.LabelMap:
		p.lb.Range(func(l labels.Label) {
			if v := p.verdict(i, rule, l.Name); v.match {
				p.lb.Set(v.to, l.Value)
			}
		})
	case promrelabel.LabelDrop:
		p.lb.Range(func(l labels.Label) {
			if p.verdict(i, rule, l.Name).match {
				p.lb.Del(l.Name)
			}
		})
	case promrelabel.LabelKeep:
		p.lb.Range(func(l labels.Label) {
			if !p.verdict(i, rule, l.Name).match {
				p.lb.Del(l.Name)
			}
		})
	default:
		return promrelabel.ProcessBuilder(p.lb, rule)
	}
	return true
}

// verdict returns, and remembers, what the i-th rule's regex makes of name.
func (p *Relabeler) verdict(i int, rule *promrelabel.Config, name string) verdict {
	m := p.verdicts[i]
	if v, ok := m[name]; ok {
		return v
	}
	var v verdict
	if rule.Regex.MatchString(name) {
		v.match = true
		if rule.Action == promrelabel.LabelMap {
			v.to = rule.Regex.ReplaceAllString(name, rule.Replacement)
		}
	}
	if len(m) < maxVerdicts {
		if m == nil {
			m = map[string]verdict{}
			p.verdicts[i] = m
		}
		// name may be in the scratch memory of the builder's base,
		// which the next target overwrites.
		m[strings.Clone(name)] = v
	}
	return v
}
