package relabel

import (
	"crypto/md5"
	"encoding/binary"
	"fmt"
	"strconv"
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

// process applies the i-th rule to ls, as relabel.ProcessBuilder does to
// a builder, step for step (model/relabel/relabel.go, relabel).
// labelmap, labeldrop and labelkeep run their regex on the name of every
// label of every target, which on pods with many labels is most of what
// relabeling costs; a job's targets carry the same names over and over,
// so here these three remember the regex's verdict on each name, and a
// labeldrop whose regex matches only names it lists looks those up.
// Replace, keep and drop remember their regex's outcome on each value:
// most values (a namespace, a container's name, a workload's controller)
// come back target after target, and the regex, with the expansion of a
// replace, is most of what such a rule costs.
func (p *Relabeler) process(ls labelSet, i int, rule *promrelabel.Config) bool {
	switch rule.Action {
	case promrelabel.LabelMap:
		ls.Range(func(l labels.Label) {
			if v := p.verdict(i, rule, l.Name); v.match {
				ls.Set(v.to, l.Value)
			}
		})
		return true
	case promrelabel.LabelDrop:
		if names := p.only[i]; names != nil {
			// The regex matches none but these names (prefix.go).
			for _, n := range names {
				if ls.Get(n) != "" && p.verdict(i, rule, n).match {
					ls.Del(n)
				}
			}
			return true
		}
		ls.Range(func(l labels.Label) {
			if p.verdict(i, rule, l.Name).match {
				ls.Del(l.Name)
			}
		})
		return true
	case promrelabel.LabelKeep:
		ls.Range(func(l labels.Label) {
			if !p.verdict(i, rule, l.Name).match {
				ls.Del(l.Name)
			}
		})
		return true
	}
	var va [4]string
	values := va[:0]
	for _, n := range rule.SourceLabels {
		values = append(values, ls.Get(string(n)))
	}
	val := strings.Join(values, rule.Separator)
	switch rule.Action {
	case promrelabel.Drop:
		return !p.outcome(i, rule, val).match
	case promrelabel.Keep:
		return p.outcome(i, rule, val).match
	case promrelabel.DropEqual:
		return ls.Get(rule.TargetLabel) != val
	case promrelabel.KeepEqual:
		return ls.Get(rule.TargetLabel) == val
	case promrelabel.Replace:
		if val == "" && rule.Regex == promrelabel.DefaultRelabelConfig.Regex &&
			!strings.Contains(rule.TargetLabel, "$") && !strings.Contains(rule.Replacement, "$") {
			ls.Set(rule.TargetLabel, rule.Replacement)
			break
		}
		if o := p.outcome(i, rule, val); o.target != "" { // else no match, or not a valid label name
			ls.Set(o.target, o.value) // an empty value deletes the label
		}
	case promrelabel.Lowercase:
		ls.Set(rule.TargetLabel, strings.ToLower(val))
	case promrelabel.Uppercase:
		ls.Set(rule.TargetLabel, strings.ToUpper(val))
	case promrelabel.HashMod:
		hash := md5.Sum([]byte(val))
		// The last 8 bytes, as Prometheus takes them.
		mod := binary.BigEndian.Uint64(hash[8:]) % rule.Modulus
		ls.Set(rule.TargetLabel, strconv.FormatUint(mod, 10))
	default:
		panic(fmt.Errorf("relabel: unknown relabel action type %q", rule.Action))
	}
	return true
}

// outcome is what a replace, keep or drop rule's regex makes of a value:
// whether it matches, and for replace the label it writes ("" if none)
// and the value written ("" to delete the label).
type outcome struct {
	match         bool
	target, value string
}

// outcome returns, and remembers, what the i-th rule's regex makes of val.
func (p *Relabeler) outcome(i int, rule *promrelabel.Config, val string) outcome {
	m := p.outcomes[i]
	if o, ok := m[val]; ok {
		return o
	}
	var o outcome
	if rule.Action != promrelabel.Replace {
		o.match = rule.Regex.MatchString(val)
	} else if indexes := rule.Regex.FindStringSubmatchIndex(val); indexes != nil {
		o.match = true
		target := string(rule.Regex.ExpandString(nil, rule.TargetLabel, val, indexes))
		if rule.NameValidationScheme.IsValidLabelName(target) {
			o.target = target
			o.value = string(rule.Regex.ExpandString(nil, rule.Replacement, val, indexes))
		}
	}
	remember(p.outcomes, i, val, o)
	return o
}

// verdict returns, and remembers, what the i-th rule's regex makes of
// name. A name without any of the texts every match starts with
// (prefix.go) does not match, and is not remembered.
func (p *Relabeler) verdict(i int, rule *promrelabel.Config, name string) verdict {
	if !mayMatch(p.prefixes[i], name) {
		return verdict{}
	}
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
	remember(p.verdicts, i, name, v)
	return v
}

// remember keeps v for key in the i-th rule's memo of memos, which holds
// at most maxVerdicts keys.
func remember[V any](memos []map[string]V, i int, key string, v V) {
	m := memos[i]
	if len(m) >= maxVerdicts {
		return
	}
	if m == nil {
		m = map[string]V{}
		memos[i] = m
	}
	// A copy, so that the memo keeps no larger string alive.
	m[strings.Clone(key)] = v
}
