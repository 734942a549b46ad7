// Package relabel does to discovered targets what a Prometheus scrape pool
// does: it adds the job's scrape settings as labels, applies relabel_configs
// one rule at a time, runs the checks Prometheus runs after relabeling, and
// merges kept targets that end up identical. Each target ends kept, dropped
// (by which rule) or invalid (why), optionally with a step-by-step trace.
//
// The semantics are Prometheus's own: the labels are those
// scrape.PopulateDiscoveredLabels gives, each rule is applied as
// relabel.ProcessBuilder applies it, step for step (names.go, which also
// remembers each regex's verdicts), and the checks after the rules are
// those of scrape.PopulateLabels. When the rules cannot tell the
// difference, a target's labels are set in one pass, sorted, into a store
// rather than by PopulateDiscoveredLabels into a labels.Builder (order.go
// and store.go say why that is exact), and the targets of a group get the
// first rules that treat them alike applied once for all (shared.go); a
// trace keeps every label in the store. With a labelmap whose order
// matters, the labels are populated by PopulateDiscoveredLabels into a
// labels.Builder. Tests hold the result equal to scrape.PopulateLabels for
// every target, and each step of a trace to the rules applied one by one.
package relabel

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/common/model"

	"github.com/prometheus/prometheus/config"
	"github.com/prometheus/prometheus/discovery/targetgroup"
	"github.com/prometheus/prometheus/model/labels"
	promrelabel "github.com/prometheus/prometheus/model/relabel"
	"github.com/prometheus/prometheus/scrape"
)

// State is what became of a discovered target.
type State string

// The states a target can end in.
const (
	// Kept targets are scraped.
	Kept State = "kept"
	// Dropped targets were removed by a keep, drop, keepequal or dropequal rule.
	Dropped State = "dropped"
	// Invalid targets survived relabeling but fail Prometheus's checks
	// afterwards (no address, a bad interval...); Prometheus logs them and
	// scrapes nothing.
	Invalid State = "invalid"
)

// The histogram flags PopulateDiscoveredLabels adds and PopulateLabels checks.
// Their names are unexported in Prometheus's scrape package.
var histogramFlags = []struct{ name, desc string }{
	{"__convert_classic_histograms_to_nhcb__", "convert classic histograms to nhcb"},
	{"__always_scrape_classic_histograms__", "always scrape classic histograms"},
	{"__scrape_native_histograms__", "scrape native histograms"},
}

// Target is the outcome for one discovered target.
type Target struct {
	// Source is the target group's source, as Prometheus names it.
	Source string
	// Index is the target's position in its group.
	Index int
	// Labels holds a kept target's labels after relabeling and Prometheus's
	// post-processing: __meta_* removed, other internal labels kept.
	Labels labels.Labels
	State  State
	// DroppedBy is the index of the rule that dropped the target, or -1.
	DroppedBy int
	// Err says why an invalid target is invalid, in Prometheus's words.
	Err error
	// DuplicateOf is, for a kept target whose labels equal those of an
	// earlier kept target, that target; Prometheus scrapes the two as one.
	// It is nil otherwise.
	DuplicateOf *Ref
	// Trace has one step per rule applied, when tracing was asked for.
	Trace []Step

	// What Discovered is made of: the group's and the target's labels,
	// shared with the group, as maps (Visit) or sorted (VisitSorted), and
	// the job's scrape settings; or, with Options.Discovered, the labels
	// themselves.
	cfg                       *config.ScrapeConfig
	target, group             model.LabelSet
	sortedTarget, sortedGroup []labels.Label
	discovered                labels.Labels
	sums                      sums
}

// Ref names a target by its group's source and its index in the group.
type Ref struct {
	Source string
	Index  int
}

// Discovered returns the labels before relabeling: discovery's labels plus
// the job's scrape settings, what Prometheus calls discoveredLabels. Like
// Prometheus (scrape.Target.DiscoveredLabels), it builds them when asked
// rather than keeping a copy for every target.
func (t *Target) Discovered() labels.Labels {
	if !t.discovered.IsEmpty() {
		return t.discovered
	}
	lb := labels.NewBuilder(labels.EmptyLabels())
	scrape.PopulateDiscoveredLabels(lb, t.cfg, t.target, t.group)
	if t.target != nil || t.group != nil {
		return lb.Labels()
	}
	// From VisitSorted: the builder holds the job's settings only, which
	// are merged with the sorted label sets as apply does.
	settings := sorted(lb, nil)
	return LabelsOf(withTarget(nil, t.sortedTarget, withGroup(nil, t.sortedGroup, settings), settings))
}

// Step is the effect of one relabel rule on one target.
type Step struct {
	// Rule is the index of the rule in relabel_configs.
	Rule int
	// Keep is false when the rule dropped the target.
	Keep bool
	// Changes lists the labels the rule added, changed or removed, sorted
	// by name.
	Changes []Change
}

// Change is one label changed by a rule; an empty Before means the label
// was added, an empty After that it was removed (a label cannot hold the
// empty value).
type Change struct {
	Name, Before, After string
}

// TraceLabels returns the target's labels after each step of its trace,
// starting from its discovered labels, which are given (Relabeler.Visit
// gives them; Discovered builds them).
func (t *Target) TraceLabels(discovered labels.Labels) []labels.Labels {
	lb := labels.NewBuilder(discovered)
	out := make([]labels.Labels, len(t.Trace))
	for i, s := range t.Trace {
		for _, c := range s.Changes {
			lb.Set(c.Name, c.After)
		}
		out[i] = lb.Labels()
	}
	return out
}

// Options tunes Apply.
type Options struct {
	// Trace records what every rule changed.
	Trace bool
	// Discovered keeps a copy of every target's discovered labels, for
	// callers that ask each target for them: cheaper than rebuilding them.
	Discovered bool
}

// Apply runs every target of groups through cfg's relabel_configs. cfg must
// come from Prometheus's config loader, which validates it and its rules.
// Results are in the order of groups and of the targets within them.
func Apply(cfg *config.ScrapeConfig, groups []*targetgroup.Group, opts Options) []Target {
	p := NewPool(cfg, opts)
	var out []Target
	for _, g := range groups {
		out = p.Group(out, g)
	}
	return out
}

// Pool relabels a job's targets one group at a time, as Apply does, for
// callers that do not keep every target's result: of the targets seen so
// far it keeps only two hashes of each kept one's labels, to find
// duplicates. It is a Relabeler and a Duplicates in one; callers that
// relabel groups on several goroutines use those apart.
type Pool struct {
	r *Relabeler
	d *Duplicates
}

// NewPool returns a Pool for cfg, which must come from Prometheus's config
// loader.
func NewPool(cfg *config.ScrapeConfig, opts Options) *Pool {
	return &Pool{r: NewRelabeler(cfg, opts), d: NewDuplicates()}
}

// Group appends the results for g's targets to out, in order, and returns
// it. Groups are to be given in the order Prometheus would see them:
// DuplicateOf points at the first of identical kept targets.
func (p *Pool) Group(out []Target, g *targetgroup.Group) []Target {
	n := len(out)
	out = p.r.Group(out, g)
	p.d.Mark(out[n:])
	return out
}

// Relabeler relabels targets without looking for duplicates, which needs
// every earlier target: Duplicates does that. A Relabeler is not safe for
// concurrent use; several may relabel the groups of one job at once.
type Relabeler struct {
	cfg  *config.ScrapeConfig
	opts Options
	lb   *labels.Builder
	// before and after are scratch space for tracing rules that may
	// change any label.
	before, after []labels.Label
	// final builds a target's labels, of finalLabels.
	final       labels.ScratchBuilder
	finalLabels []labels.Label

	// For discovered: the labels scrape.PopulateDiscoveredLabels adds
	// from the job, sorted by name; Visit's group and target labels,
	// sorted; the group's labels with the settings (withGroup); and the
	// last target's discovered labels, sorted.
	settings, group, target, base []labels.Label
	disc                          []labels.Label
	// targets are Visit's targets, sorted, when p.onePass.
	targets [][]labels.Label
	// For the one-pass population: what the rules can see (visible.go);
	// of base and of the target's labels, the labels they can see; and
	// the store the rules apply to (store.go).
	vis                   visibility
	vbase, vtarget, vdisc []labels.Label
	st                    store
	// lbSet is lb as the rules apply to it without the one-pass population.
	lbSet labelSet
	// verdicts remembers, for each labelmap, labeldrop and labelkeep rule
	// by index, its regex's verdict on the label names seen (names.go).
	verdicts []map[string]verdict
	// prefixes holds, for each labelmap, labeldrop and labelkeep rule by
	// index, texts every name its regex matches starts with (prefix.go);
	// only, for a labeldrop rule whose regex matches no other names, those
	// texts.
	prefixes, only [][]string
	// outcomes remembers, for each replace, keep and drop rule by index,
	// its regex's outcome on the values seen (names.go).
	outcomes []map[string]outcome
	// shared is what the first rules made of the group's targets, when
	// they get those alike (shared.go); vafter is scratch space.
	shared shared
	vafter []labels.Label
	// result is the target apply leaves, which Visit gives fn.
	result Target
	// onePass is set when a target's labels may be the labels the rules
	// can see, set in one pass, kept in p.st: the rules' result cannot
	// depend on the order in which labels are visited, and no trace is
	// asked for, which must show what the rules do to every label.
	onePass bool
	// stored is set when the rules' result cannot depend on the order in
	// which labels are visited: a target's labels are kept in p.st, all
	// of them with a trace.
	stored bool
}

// NewRelabeler returns a Relabeler for cfg, which must come from
// Prometheus's config loader.
func NewRelabeler(cfg *config.ScrapeConfig, opts Options) *Relabeler {
	p := &Relabeler{
		cfg: cfg, opts: opts, lb: labels.NewBuilder(labels.EmptyLabels()),
		verdicts: make([]map[string]verdict, len(cfg.RelabelConfigs)),
		outcomes: make([]map[string]outcome, len(cfg.RelabelConfigs)),
		onePass:  orderFree(cfg.RelabelConfigs) && !opts.Trace,
		stored:   orderFree(cfg.RelabelConfigs),
		vis:      newVisibility(cfg.RelabelConfigs),
		shared:   newShared(cfg.RelabelConfigs),
	}
	p.prefixes = make([][]string, len(cfg.RelabelConfigs))
	p.only = make([][]string, len(cfg.RelabelConfigs))
	for i, r := range cfg.RelabelConfigs {
		switch r.Action {
		case promrelabel.LabelMap, promrelabel.LabelDrop, promrelabel.LabelKeep:
			ps, exact := prefixesOf(r)
			p.prefixes[i] = ps
			if exact && r.Action == promrelabel.LabelDrop {
				p.only[i] = ps
			}
		}
	}
	p.lbSet = builderSet{p.lb}
	scrape.PopulateDiscoveredLabels(p.lb, cfg, nil, nil)
	p.settings = sorted(p.lb, nil)
	return p
}

// Group appends the results for g's targets to out, in order, and returns
// it; none is marked a duplicate.
func (p *Relabeler) Group(out []Target, g *targetgroup.Group) []Target {
	return p.Targets(out, g, 0, len(g.Targets))
}

// Targets is Group for g.Targets[from:to] only, so that a group with
// thousands of targets can be relabeled in parts.
func (p *Relabeler) Targets(out []Target, g *targetgroup.Group, from, to int) []Target {
	p.Visit(g, from, to, func(r *Target, discovered []labels.Label) {
		if p.opts.Discovered {
			r.discovered = LabelsOf(discovered)
		}
		out = append(out, *r)
	})
	return out
}

// Visit relabels g.Targets[from:to] one after the other, as Targets does,
// and calls fn with each result and its discovered labels (what
// Target.Discovered returns), sorted by name, which are only valid until fn
// returns: they are built in the Relabeler's scratch space, for callers that
// use them at once and copy the result if they keep it (the strings are
// the group's and the job's, never reused). Options.Discovered is ignored.
func (p *Relabeler) Visit(g *targetgroup.Group, from, to int, fn func(r *Target, discovered []labels.Label)) {
	p.group = sortedLike(p.group, g.Labels)
	p.setBase(p.group)
	if p.onePass {
		for len(p.targets) < to-from {
			p.targets = append(p.targets, nil)
		}
		for i, t := range g.Targets[from:to] {
			p.targets[i] = sortedLike(p.targets[i], t)
		}
		p.share(p.targets[:to-from])
	}
	for i := from; i < to; i++ {
		var ts []labels.Label
		if p.onePass {
			ts = p.targets[i-from]
		} else {
			p.target = sortedLike(p.target, g.Targets[i])
			ts = p.target
		}
		fn(p.apply(g.Source, i, ts, g.Targets[i], g.Labels), p.disc)
	}
}

// VisitSorted is Visit for a group given with each label set sorted by
// name, each name once, as discovery.Each gives them: its source, its
// labels and all its targets'. The results' Discovered refers to those
// label sets. Without the one-pass population (order.go), a target's
// labels are put in maps for Prometheus's PopulateDiscoveredLabels.
func (p *Relabeler) VisitSorted(source string, group []labels.Label, targets [][]labels.Label, from, to int, fn func(r *Target, discovered []labels.Label)) {
	var tg model.LabelSet
	if !p.onePass {
		tg = labelSetOf(group)
	}
	p.setBase(group)
	p.share(targets[from:to])
	for i := from; i < to; i++ {
		var t model.LabelSet
		if !p.onePass {
			t = labelSetOf(targets[i])
		}
		r := p.apply(source, i, targets[i], t, tg)
		if t == nil {
			r.sortedTarget, r.sortedGroup = targets[i], group
		}
		fn(r, p.disc)
	}
}

// setBase sets p.base, and p.vbase if p.onePass, for the group whose
// labels are gs, sorted.
func (p *Relabeler) setBase(gs []labels.Label) {
	p.base = withGroup(p.base[:0], gs, p.settings)
	if p.onePass {
		p.vbase = p.visibleOf(p.vbase[:0], p.base, &p.vis.group)
	}
}

func labelSetOf(ls []labels.Label) model.LabelSet {
	out := make(model.LabelSet, len(ls))
	for _, l := range ls {
		out[model.LabelName(l.Name)] = model.LabelValue(l.Value)
	}
	return out
}

// apply relabels target i of the group from source being relabeled, whose
// labels with the job's settings are p.base: ts are the target's labels
// sorted, t and tg the target's and the group's as maps, which only
// PopulateDiscoveredLabels needs (they are nil in VisitSorted when
// p.onePass). It returns the result in p.result and leaves the target's
// discovered labels in p.disc.
func (p *Relabeler) apply(source string, i int, ts []labels.Label, t, tg model.LabelSet) *Target {
	p.discovered(ts)
	p.result = Target{Source: source, Index: i, DroppedBy: -1, cfg: p.cfg, target: t, group: tg}
	r := &p.result
	first := 0 // the first rule to apply
	ls := p.lbSet
	if p.onePass {
		s := &p.shared
		if s.dropped >= 0 {
			r.State, r.DroppedBy = Dropped, s.dropped
			return r
		}
		// See order.go: the same labels, in one pass, but for those the
		// rules cannot see (visible.go), and after the rules the group's
		// targets share (shared.go).
		p.vtarget = p.visibleOf(p.vtarget[:0], ts, &p.vis.target)
		p.vdisc = withTarget(p.vdisc[:0], p.vtarget, p.vbase, p.settings)
		start := p.vdisc
		if s.rules > 0 {
			p.vafter = s.after(p.vafter[:0], p.vdisc)
			start, first = p.vafter, s.rules
		}
		p.st.reset(start)
		ls = &p.st
	} else if p.stored {
		// A trace, which shows what each rule does to every label.
		p.st.reset(p.disc)
		ls = &p.st
	} else {
		scrape.PopulateDiscoveredLabels(p.lb, p.cfg, t, tg)
	}
	for j := first; j < len(p.cfg.RelabelConfigs); j++ {
		rule := p.cfg.RelabelConfigs[j]
		var keep bool
		if p.opts.Trace {
			var changes []Change
			keep, changes = p.traced(ls, j, rule)
			r.Trace = append(r.Trace, Step{Rule: j, Keep: keep, Changes: changes})
		} else {
			keep = p.process(ls, j, rule)
		}
		if !keep {
			r.State, r.DroppedBy = Dropped, j
			return r
		}
	}
	res, err := finish(ls, &p.final, &p.finalLabels)
	if err != nil {
		r.State, r.Err = Invalid, err
		return r
	}
	r.State, r.Labels, r.sums = Kept, res, sumsOf(res)
	return r
}

// traced applies rule to ls and returns what it changed. The rules that write one
// label named in advance are watched through that label; the others
// (labelmap, labeldrop, labelkeep, a templated target_label) by comparing
// every label before and after.
func (p *Relabeler) traced(ls labelSet, i int, rule *promrelabel.Config) (bool, []Change) {
	switch rule.Action {
	case promrelabel.Keep, promrelabel.Drop, promrelabel.KeepEqual, promrelabel.DropEqual:
		return p.process(ls, i, rule), nil
	case promrelabel.Replace, promrelabel.Lowercase, promrelabel.Uppercase, promrelabel.HashMod:
		if rule.Action != promrelabel.Replace || !strings.Contains(rule.TargetLabel, "$") {
			name := rule.TargetLabel
			before := ls.Get(name)
			keep := p.process(ls, i, rule)
			if after := ls.Get(name); after != before {
				return keep, []Change{{Name: name, Before: before, After: after}}
			}
			return keep, nil
		}
	}
	p.before = ls.Sorted(p.before[:0])
	keep := p.process(ls, i, rule)
	p.after = ls.Sorted(p.after[:0])
	return keep, diffLabels(p.before, p.after)
}

// discovered sets p.disc to the labels scrape.PopulateDiscoveredLabels
// leaves in the builder for a target whose labels are ts, sorted, in the
// group whose labels with the job's settings are p.base (withGroup).
func (p *Relabeler) discovered(ts []labels.Label) {
	p.disc = withTarget(p.disc[:0], ts, p.base, p.settings)
}

// withGroup appends to buf, sorted by name, the labels
// scrape.PopulateDiscoveredLabels leaves in a builder for a target without
// labels in a group whose labels are gs: those, and the job's settings ss
// where the group has no value. gs and ss are sorted by name. Labels with
// empty values are absent. It is done once per group, so that a target
// costs one merge (withTarget).
func withGroup(buf, gs, ss []labels.Label) []labels.Label {
	for len(gs) > 0 || len(ss) > 0 {
		var l labels.Label
		switch {
		case len(ss) == 0 || len(gs) > 0 && gs[0].Name < ss[0].Name:
			l, gs = gs[0], gs[1:]
		case len(gs) == 0 || ss[0].Name < gs[0].Name:
			l, ss = ss[0], ss[1:]
		default:
			l = gs[0]
			if l.Value == "" {
				l.Value = ss[0].Value
			}
			gs, ss = gs[1:], ss[1:]
		}
		if l.Value != "" {
			buf = append(buf, l)
		}
	}
	return buf
}

// withTarget appends to buf, sorted, the labels
// scrape.PopulateDiscoveredLabels leaves in a builder for a target whose
// labels are ts, sorted, in a group whose labels with the job's settings ss
// are base (withGroup): the target's labels, then base's that the target
// does not have. A target label with an empty value gives way to the job's
// setting of that name, as the group's labels do. Labels with empty values
// are absent.
func withTarget(buf, ts, base, ss []labels.Label) []labels.Label {
	for len(ts) > 0 && len(base) > 0 {
		t, b := ts[0], base[0]
		switch strings.Compare(t.Name, b.Name) {
		case -1:
			if t.Value != "" {
				buf = append(buf, t)
			}
			ts = ts[1:]
		case 1:
			buf = append(buf, b)
			base = base[1:]
		default:
			if t.Value == "" {
				t.Value = setting(ss, t.Name)
			}
			if t.Value != "" {
				buf = append(buf, t)
			}
			ts, base = ts[1:], base[1:]
		}
	}
	for _, t := range ts {
		if t.Value != "" {
			buf = append(buf, t)
		}
	}
	return append(buf, base...)
}

// LabelsOf returns ls, sorted by name with each name once (the discovered
// labels Visit gives), as Labels, in new memory.
func LabelsOf(ls []labels.Label) labels.Labels {
	var sb labels.ScratchBuilder
	fill(&sb, ls)
	return sb.Labels()
}

// fill sets sb to ls.
func fill(sb *labels.ScratchBuilder, ls []labels.Label) {
	sb.Reset()
	for _, l := range ls {
		sb.Add(l.Name, l.Value)
	}
}

// setting returns the value of the job's setting named name, "" if none.
func setting(ss []labels.Label, name string) string {
	for _, l := range ss {
		if l.Name == name {
			return l.Value
		}
	}
	return ""
}

// sortedLike returns ls's labels sorted by name, in buf's memory. buf holds
// the set sorted before, whose names the next set often has exactly (the
// targets of one pod, the pods of one workload): then it only takes the
// values, a lookup per name, rather than sorting names that share long
// prefixes.
func sortedLike(buf []labels.Label, ls model.LabelSet) []labels.Label {
	if len(buf) == len(ls) {
		i := 0
		for ; i < len(buf); i++ {
			v, ok := ls[model.LabelName(buf[i].Name)]
			if !ok {
				break
			}
			buf[i].Value = string(v)
		}
		if i == len(buf) {
			return buf
		}
	}
	return sortedSet(buf[:0], ls)
}

// sortedSet appends ls's labels to buf, sorted by name.
func sortedSet(buf []labels.Label, ls model.LabelSet) []labels.Label {
	for n, v := range ls {
		buf = append(buf, labels.Label{Name: string(n), Value: string(v)})
	}
	slices.SortFunc(buf, func(a, b labels.Label) int { return strings.Compare(a.Name, b.Name) })
	return buf
}

// sorted appends the builder's labels to buf, sorted by name.
func sorted(lb *labels.Builder, buf []labels.Label) []labels.Label {
	start := len(buf)
	lb.Range(func(l labels.Label) { buf = append(buf, l) })
	sortTail(buf[start:])
	return buf
}

// sortTail sorts ls, whose names are all different, by name, in place and
// returns it. Builder.Range visits the labels of its base first, in their
// order, sorted here, then those set since: the sorted run at the start is
// taken as it is, the rest sorted on its own and merged with it, which
// costs far fewer comparisons of names that share long prefixes. The
// capacity of ls beyond its length holds a copy of the rest.
func sortTail(ls []labels.Label) []labels.Label {
	k := 1
	for k < len(ls) && ls[k-1].Name < ls[k].Name {
		k++
	}
	if k >= len(ls) {
		return ls
	}
	rest := append(ls[len(ls):], ls[k:]...)
	slices.SortFunc(rest, func(a, b labels.Label) int { return strings.Compare(a.Name, b.Name) })
	// Merge from the end: ls[:k] and rest into ls.
	i, j := k-1, len(rest)-1
	for w := len(ls) - 1; j >= 0; w-- {
		if i >= 0 && ls[i].Name > rest[j].Name {
			ls[w], i = ls[i], i-1
		} else {
			ls[w], j = rest[j], j-1
		}
	}
	return ls
}

// diffLabels returns the changes from a to b, both sorted by name.
func diffLabels(a, b []labels.Label) []Change {
	var out []Change
	for len(a) > 0 || len(b) > 0 {
		switch {
		case len(b) == 0 || len(a) > 0 && a[0].Name < b[0].Name:
			out = append(out, Change{Name: a[0].Name, Before: a[0].Value})
			a = a[1:]
		case len(a) == 0 || b[0].Name < a[0].Name:
			out = append(out, Change{Name: b[0].Name, After: b[0].Value})
			b = b[1:]
		default:
			if a[0].Value != b[0].Value {
				out = append(out, Change{Name: a[0].Name, Before: a[0].Value, After: b[0].Value})
			}
			a, b = a[1:], b[1:]
		}
	}
	return out
}

// finish runs on set, a target's labels after the rules, the checks and
// the clean-up that scrape.PopulateLabels runs after relabeling, with the
// same messages, and returns the labels in new memory, built in sb; buf is
// scratch space.
func finish(set labelSet, sb *labels.ScratchBuilder, buf *[]labels.Label) (labels.Labels, error) {
	addr := set.Get(model.AddressLabel)
	if addr == "" {
		return labels.EmptyLabels(), errors.New("no address")
	}
	if err := config.CheckTargetAddress(model.LabelValue(addr)); err != nil {
		return labels.EmptyLabels(), err
	}
	interval := set.Get(model.ScrapeIntervalLabel)
	intervalDuration, err := model.ParseDuration(interval)
	if err != nil {
		return labels.EmptyLabels(), fmt.Errorf("error parsing scrape interval: %w", err)
	}
	if time.Duration(intervalDuration) == 0 {
		return labels.EmptyLabels(), errors.New("scrape interval cannot be 0")
	}
	timeout := set.Get(model.ScrapeTimeoutLabel)
	timeoutDuration, err := model.ParseDuration(timeout)
	if err != nil {
		return labels.EmptyLabels(), fmt.Errorf("error parsing scrape timeout: %w", err)
	}
	if time.Duration(timeoutDuration) == 0 {
		return labels.EmptyLabels(), errors.New("scrape timeout cannot be 0")
	}
	if timeoutDuration > intervalDuration {
		return labels.EmptyLabels(), fmt.Errorf("scrape timeout cannot be greater than scrape interval (%q > %q)", timeout, interval)
	}
	for _, f := range histogramFlags {
		if v := set.Get(f.name); v != "" {
			if _, err := strconv.ParseBool(v); err != nil {
				return labels.EmptyLabels(), fmt.Errorf("error parsing %s: %w", f.desc, err)
			}
		}
	}
	// PopulateLabels deletes the __meta_ labels from the builder one by
	// one, then sets the instance label if it is empty, and takes the
	// builder's labels: the same labels as these, without the cost of
	// every deletion rescanning the builder.
	ls := (*buf)[:0]
	set.Range(func(l labels.Label) {
		if !strings.HasPrefix(l.Name, model.MetaLabelPrefix) {
			ls = append(ls, l)
		}
	})
	if set.Get(model.InstanceLabel) == "" {
		ls = append(ls, labels.Label{Name: model.InstanceLabel, Value: addr})
	}
	ls = sortTail(ls)
	*buf = ls
	fill(sb, ls)
	res := sb.Labels()
	err = res.Validate(func(l labels.Label) error {
		if !model.LabelValue(l.Value).IsValid() {
			return fmt.Errorf("invalid label value for %q: %q", l.Name, l.Value)
		}
		return nil
	})
	if err != nil {
		return labels.EmptyLabels(), err
	}
	return res, nil
}

// ScrapeURL is the URL Prometheus scrapes for a kept target, built by
// Prometheus's own scrape.Target.
func ScrapeURL(cfg *config.ScrapeConfig, t *Target) string {
	if t.State != Kept {
		return ""
	}
	return scrape.NewTarget(t.Labels, cfg, nil, nil).URL().String()
}

// PublicLabels are the labels a kept target's series carry: its labels
// without the internal ones (IsPublic).
func PublicLabels(t *Target) labels.Labels {
	var sb labels.ScratchBuilder
	t.Labels.Range(func(l labels.Label) {
		if IsPublic(l.Name) {
			sb.Add(l.Name, l.Value)
		}
	})
	return sb.Labels()
}

// IsPublic reports whether a kept target's series carry the label name:
// whether it does not start with "__", as internal labels do.
func IsPublic(name string) bool {
	return !strings.HasPrefix(name, model.ReservedLabelPrefix)
}
