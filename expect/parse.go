package expect

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/prometheus/prometheus/model/labels"
	promql "github.com/prometheus/prometheus/promql/parser"
	"gopkg.in/yaml.v3"
)

// test parses tests[i].
func (p *parser) test(n *yaml.Node, i int, dir string) (*Test, error) {
	what := fmt.Sprintf("tests[%d]", i)
	f, err := p.fields(n, what, "name", "config", "job", "scrape_config", "own_namespace",
		"snapshot", "objects", "discovered", "expect", "counts")
	if err != nil {
		return nil, err
	}
	t := &Test{Name: what, Pos: p.pos(n), Dir: dir}
	if kv, ok := f["name"]; ok {
		if t.Name, err = p.nonEmpty(kv.value, what+": name"); err != nil {
			return nil, err
		}
		what = fmt.Sprintf("test %q", t.Name)
	}
	if err := p.testConfig(t, f, what); err != nil {
		return nil, err
	}
	if err := p.testInput(t, f, what); err != nil {
		return nil, err
	}
	if kv, ok := f["expect"]; ok {
		items, err := p.list(kv.value, what+": expect")
		if err != nil {
			return nil, err
		}
		for j, item := range items {
			e, err := p.expectation(item, fmt.Sprintf("%s: expect[%d]", what, j))
			if err != nil {
				return nil, err
			}
			t.Expect = append(t.Expect, e)
		}
	}
	if kv, ok := f["counts"]; ok {
		if t.Counts, err = p.counts(kv.value, what+": counts"); err != nil {
			return nil, err
		}
	}
	if len(t.Expect) == 0 && t.Counts == nil {
		return nil, p.errorf(n, "%s: nothing to check: give expect or counts", what)
	}
	return t, nil
}

// testConfig parses which scrape config a test runs.
func (p *parser) testConfig(t *Test, f map[string]pair, what string) error {
	config, hasConfig := f["config"]
	inline, hasInline := f["scrape_config"]
	job, hasJob := f["job"]
	var err error
	switch {
	case hasConfig && hasInline:
		return p.errorf(inline.key, "%s: config and scrape_config cannot be used together: give a prometheus.yml and a job, or one scrape config", what)
	case hasInline && hasJob:
		return p.errorf(job.key, "%s: job names a job of config; scrape_config has its own job_name", what)
	case hasInline:
		if r := resolve(inline.value); r == nil || r.Kind != yaml.MappingNode {
			return p.errorf(inline.value, "%s: scrape_config: want a mapping, found %s", what, describe(r))
		}
		t.ScrapeConfig = inline.value
	case hasConfig:
		path, err := p.nonEmpty(config.value, what+": config")
		if err != nil {
			return err
		}
		t.Config = relative(t.Dir, path)
		if hasJob {
			t.Job, err = p.nonEmpty(job.value, what+": job")
		}
	case hasJob:
		return p.errorf(job.key, "%s: job needs config, the prometheus.yml it is in", what)
	default:
		return p.errorf(t.posNode(), "%s: no scrape config: give config (a prometheus.yml) and job, or scrape_config", what)
	}
	if err != nil {
		return err
	}
	if kv, ok := f["own_namespace"]; ok {
		t.OwnNamespace, err = p.nonEmpty(kv.value, what+": own_namespace")
	}
	return err
}

// posNode stands for the test's own node in errors about the test as a whole.
func (t *Test) posNode() *yaml.Node { return &yaml.Node{Line: t.Pos.Line} }

// relative resolves a path written in a test file against its directory.
func relative(dir, path string) string {
	if filepath.IsAbs(path) {
		return path
	}
	return filepath.Join(dir, path)
}

// testInput parses what a test evaluates its job over.
func (p *parser) testInput(t *Test, f map[string]pair, what string) error {
	var given []pair
	for _, k := range []string{"snapshot", "objects", "discovered"} {
		if kv, ok := f[k]; ok {
			given = append(given, kv)
		}
	}
	if len(given) > 1 {
		return p.errorf(given[1].key, "%s: %s and %s cannot be used together: give a snapshot, inline objects or discovered label sets", what, given[0].key.Value, given[1].key.Value)
	}
	if len(given) == 0 {
		return nil
	}
	kv := given[0]
	what += ": " + kv.key.Value
	switch kv.key.Value {
	case "snapshot":
		return p.snapshot(t, kv.value, what)
	case "objects":
		return p.objects(t, kv.value, what)
	}
	items, err := p.list(kv.value, what)
	if err != nil {
		return err
	}
	t.DiscoveredPos = p.pos(kv.key)
	t.Discovered = make([]map[string]string, 0, len(items))
	for i, item := range items {
		ls, err := p.labels(item, fmt.Sprintf("%s[%d]", what, i))
		if err != nil {
			return err
		}
		t.Discovered = append(t.Discovered, ls)
	}
	return nil
}

func (p *parser) snapshot(t *Test, n *yaml.Node, what string) error {
	items := []*yaml.Node{n}
	if r := resolve(n); r != nil && r.Kind == yaml.SequenceNode {
		items = r.Content
		if len(items) == 0 {
			return p.errorf(n, "%s: the list is empty", what)
		}
	}
	for _, item := range items {
		path, err := p.nonEmpty(item, what)
		if err != nil {
			return err
		}
		t.Snapshot = append(t.Snapshot, relative(t.Dir, path))
	}
	return nil
}

func (p *parser) objects(t *Test, n *yaml.Node, what string) error {
	items, err := p.list(n, what)
	if err != nil {
		return err
	}
	for i, item := range items {
		if r := resolve(item); r.Kind != yaml.MappingNode {
			return p.errorf(item, "%s[%d]: want a Kubernetes object (a mapping), found %s", what, i, describe(r))
		}
		text, err := writeInPlace(item)
		if err != nil {
			return p.errorf(item, "%s[%d]: %w", what, i, err)
		}
		t.Objects = append(t.Objects, Object{Pos: p.pos(item), YAML: text})
	}
	return nil
}

// counts parses a test's counts.
func (p *parser) counts(n *yaml.Node, what string) (*Counts, error) {
	f, err := p.fields(n, what, "discovered", "kept", "dropped", "invalid")
	if err != nil {
		return nil, err
	}
	if len(f) == 0 {
		return nil, p.errorf(n, "%s: empty; give discovered, kept, dropped or invalid", what)
	}
	c := &Counts{Pos: p.pos(n)}
	for _, field := range []struct {
		key string
		dst **int
	}{{"discovered", &c.Discovered}, {"kept", &c.Kept}, {"dropped", &c.Dropped}, {"invalid", &c.Invalid}} {
		key, dst := field.key, field.dst
		if kv, ok := f[key]; ok {
			v, err := p.count(kv.value, what+": "+key)
			if err != nil {
				return nil, err
			}
			*dst = &v
		}
	}
	return c, nil
}

// droppingActions are the relabel actions that can drop a target.
var droppingActions = []string{"keep", "drop", "keepequal", "dropequal"}

// expectation parses one entry of a test's expect list.
func (p *parser) expectation(n *yaml.Node, what string) (*Expectation, error) {
	f, err := p.fields(n, what, "name", "object", "address", "match", "state", "labels", "labels_include", "dropped_by")
	if err != nil {
		return nil, err
	}
	e := &Expectation{Pos: p.pos(n)}
	if err := p.selectors(e, f, what); err != nil {
		return nil, err
	}
	if kv, ok := f["name"]; ok {
		if e.Name, err = p.nonEmpty(kv.value, what+": name"); err != nil {
			return nil, err
		}
	}
	if kv, ok := f["labels"]; ok {
		if e.Labels, err = p.labels(kv.value, what+": labels"); err != nil {
			return nil, err
		}
	}
	if kv, ok := f["labels_include"]; ok {
		if e.LabelsInclude, err = p.labels(kv.value, what+": labels_include"); err != nil {
			return nil, err
		}
	}
	if kv, ok := f["dropped_by"]; ok {
		if e.DroppedBy, err = p.droppedBy(kv.value, what+": dropped_by"); err != nil {
			return nil, err
		}
	}
	if err := p.state(e, f, what); err != nil {
		return nil, err
	}
	if e.Name == "" {
		e.Name = e.describe()
	}
	return e, nil
}

func (p *parser) selectors(e *Expectation, f map[string]pair, what string) error {
	var err error
	if kv, ok := f["object"]; ok {
		if e.Object, err = p.nonEmpty(kv.value, what+": object"); err != nil {
			return err
		}
	}
	if kv, ok := f["address"]; ok {
		if e.Address, err = p.nonEmpty(kv.value, what+": address"); err != nil {
			return err
		}
	}
	if kv, ok := f["match"]; ok {
		if e.Match, err = p.matchers(kv.value, what+": match"); err != nil {
			return err
		}
	}
	if e.Object == "" && e.Address == "" && e.Match == nil {
		return p.errorf(&yaml.Node{Line: e.Pos.Line}, "%s: which targets? give object, address or match", what)
	}
	return nil
}

// matchers parses match: a PromQL selector, or a mapping of label names to
// the values they must equal.
func (p *parser) matchers(n *yaml.Node, what string) ([]*labels.Matcher, error) {
	if r := resolve(n); r != nil && r.Kind == yaml.MappingNode {
		ls, err := p.labels(n, what)
		if err != nil {
			return nil, err
		}
		if len(ls) == 0 {
			return nil, p.errorf(n, "%s: empty", what)
		}
		out := make([]*labels.Matcher, 0, len(ls))
		for name, v := range ls {
			out = append(out, labels.MustNewMatcher(labels.MatchEqual, name, v))
		}
		slices.SortFunc(out, func(a, b *labels.Matcher) int { return strings.Compare(a.Name, b.Name) })
		return out, nil
	}
	s, err := p.nonEmpty(n, what)
	if err != nil {
		return nil, err
	}
	ms, err := promql.NewParser(promql.Options{}).ParseMetricSelector(s)
	if err != nil {
		return nil, p.errorf(n, "%s: %q: %s", what, s, strings.ReplaceAll(err.Error(), "\n", "; "))
	}
	return ms, nil
}

func (p *parser) droppedBy(n *yaml.Node, what string) (*DroppedBy, error) {
	f, err := p.fields(n, what, "rule", "action")
	if err != nil {
		return nil, err
	}
	d := &DroppedBy{Rule: -1}
	if kv, ok := f["rule"]; ok {
		if d.Rule, err = p.count(kv.value, what+": rule"); err != nil {
			return nil, err
		}
	}
	if kv, ok := f["action"]; ok {
		a, err := p.nonEmpty(kv.value, what+": action")
		if err != nil {
			return nil, err
		}
		// Prometheus reads actions in any case.
		d.Action = strings.ToLower(a)
		if !slices.Contains(droppingActions, d.Action) {
			return nil, p.errorf(kv.value, "%s: action %q never drops a target (want %s)", what, a, oneOf(droppingActions))
		}
	}
	if d.Rule < 0 && d.Action == "" {
		return nil, p.errorf(n, "%s: empty; give rule, action or both", what)
	}
	return d, nil
}

// state parses state, which defaults to what the other keys imply: dropped
// with dropped_by, kept otherwise.
func (p *parser) state(e *Expectation, f map[string]pair, what string) error {
	e.State = Kept
	if e.DroppedBy != nil {
		e.State = Dropped
	}
	kv, ok := f["state"]
	if ok {
		s, err := p.nonEmpty(kv.value, what+": state")
		if err != nil {
			return err
		}
		e.State = State(s)
		if !slices.Contains([]State{Kept, Dropped, Invalid}, e.State) {
			return p.errorf(kv.value, "%s: state: unknown state %q (want kept, dropped or invalid)", what, s)
		}
	}
	at := &yaml.Node{Line: e.Pos.Line}
	if ok {
		at = kv.value
	}
	switch {
	case e.State != Kept && (e.Labels != nil || e.LabelsInclude != nil):
		return p.errorf(at, "%s: labels and labels_include apply to kept targets, and this one is to be %s", what, e.State)
	case e.State != Dropped && e.DroppedBy != nil:
		return p.errorf(at, "%s: dropped_by applies to dropped targets, and this one is to be %s", what, e.State)
	}
	return nil
}
