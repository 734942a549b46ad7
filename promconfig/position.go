package promconfig

import (
	"fmt"
	"strconv"

	"gopkg.in/yaml.v3"

	"github.com/sdinspect/sdinspect/internal/yamlnode"
)

// Position is where something was written: a file and a 1-based line.
type Position struct {
	File string
	Line int
}

// String returns "file:line", just the file when the line is unknown, and ""
// for the zero Position (something not written in any file).
func (p Position) String() string {
	if p.Line == 0 {
		return p.File
	}
	return p.File + ":" + strconv.Itoa(p.Line)
}

// jobPosition is where a job and each of its relabel_configs entries are written.
type jobPosition struct {
	job   Position
	rules []Position
}

// body returns the top-level node of a parsed document, or nil when the
// document is empty.
func body(root *yaml.Node) *yaml.Node {
	if root == nil {
		return nil
	}
	if root.Kind == yaml.DocumentNode {
		if len(root.Content) == 0 {
			return nil
		}
		return resolve(root.Content[0])
	}
	return resolve(root)
}

// resolve follows aliases to the node they name (yamlnode.Resolve, short
// for the many places here that need it).
func resolve(n *yaml.Node) *yaml.Node { return yamlnode.Resolve(n) }

// lookup returns the key and value nodes of key in mapping m, following merge
// keys the way YAML merges them: explicit keys win, then merged mappings in
// order. Each mapping is searched at most once, so no document of anchors
// and merges can make it slow.
func lookup(m *yaml.Node, key string) (k, v *yaml.Node) {
	return lookupSeen(m, key, map[*yaml.Node]bool{})
}

func lookupSeen(m *yaml.Node, key string, seen map[*yaml.Node]bool) (k, v *yaml.Node) {
	m = resolve(m)
	if m == nil || m.Kind != yaml.MappingNode || seen[m] {
		return nil, nil
	}
	seen[m] = true
	var merges []*yaml.Node
	for i := 0; i+1 < len(m.Content); i += 2 {
		kn, vn := m.Content[i], m.Content[i+1]
		if kn.Kind == yaml.ScalarNode && kn.Tag == "!!merge" {
			merges = append(merges, vn)
			continue
		}
		if kn.Kind == yaml.ScalarNode && kn.Value == key {
			return kn, vn
		}
	}
	for _, mv := range merges {
		mv = resolve(mv)
		sources := []*yaml.Node{mv}
		if mv != nil && mv.Kind == yaml.SequenceNode {
			sources = mv.Content
		}
		for _, s := range sources {
			if kn, vn := lookupSeen(s, key, seen); kn != nil {
				return kn, vn
			}
		}
	}
	return nil, nil
}

// jobPositions maps each job_name written in a Prometheus config file (the
// main file or a scrape_config_files file; both keep jobs under
// scrape_configs) to where it and its relabel rules are written.
func jobPositions(file string, root *yaml.Node) map[string]jobPosition {
	out := map[string]jobPosition{}
	_, jobs := lookup(body(root), "scrape_configs")
	jobs = resolve(jobs)
	if jobs == nil || jobs.Kind != yaml.SequenceNode {
		return out
	}
	for _, item := range jobs.Content {
		kn, vn := lookup(item, "job_name")
		vn = resolve(vn)
		if kn == nil || vn == nil || vn.Kind != yaml.ScalarNode {
			continue
		}
		if _, dup := out[vn.Value]; dup {
			continue // Prometheus rejects the file; keep the first.
		}
		_, rules := lookup(item, "relabel_configs")
		out[vn.Value] = jobPosition{
			job:   Position{File: file, Line: kn.Line},
			rules: itemPositions(file, rules),
		}
	}
	return out
}

// itemPositions returns the position of every entry of a sequence node.
// An entry that is an alias is placed where the aliased content is written.
func itemPositions(file string, seq *yaml.Node) []Position {
	seq = resolve(seq)
	if seq == nil || seq.Kind != yaml.SequenceNode {
		return nil
	}
	out := make([]Position, 0, len(seq.Content))
	for _, item := range seq.Content {
		out = append(out, Position{File: file, Line: resolve(item).Line})
	}
	return out
}

// parseNodes parses data with yaml.v3 for its positions.
func parseNodes(file string, data []byte) (*yaml.Node, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, fmt.Errorf("indexing positions in %q: %w", file, flat(err))
	}
	return &root, nil
}

// rulePositionsMismatch reports a disagreement between the rules Prometheus
// decoded and the entries found in the YAML: a bug, never a user error.
func rulePositionsMismatch(what string, rules, positions int) error {
	return fmt.Errorf("%s: found %d relabel_configs entries for %d decoded rules; refusing to guess rule positions", what, positions, rules)
}
