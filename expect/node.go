package expect

import (
	"bytes"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/sdinspect/sdinspect/internal/yamlnode"
)

// Position is where something is written in a test file: the file as it
// was named, and a 1-based line.
type Position struct {
	File string
	Line int
}

// String returns "file:line".
func (p Position) String() string { return p.File + ":" + strconv.Itoa(p.Line) }

// parser reads the nodes of one test file; every error it returns starts
// with the file and the line at fault.
type parser struct{ file string }

func (p *parser) pos(n *yaml.Node) Position { return Position{File: p.file, Line: n.Line} }

func (p *parser) errorf(n *yaml.Node, format string, args ...any) error {
	return fmt.Errorf("%s: "+format, append([]any{p.pos(n)}, args...)...)
}

// yamlLine finds the line in a yaml.v3 syntax error.
var yamlLine = regexp.MustCompile(`^yaml: line (\d+): `)

// syntaxError words a yaml.v3 error as FILE:LINE: message.
func (p *parser) syntaxError(err error) error {
	msg := strings.ReplaceAll(err.Error(), "\n", " ")
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		return fmt.Errorf("%s:%s: %s", p.file, m[1], strings.TrimPrefix(msg, m[0]))
	}
	return fmt.Errorf("%s: %s", p.file, strings.TrimPrefix(msg, "yaml: "))
}

// resolve follows aliases to the node they name (yamlnode.Resolve, short
// for the many places here that need it).
func resolve(n *yaml.Node) *yaml.Node { return yamlnode.Resolve(n) }

func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return "nothing"
		}
		return fmt.Sprintf("%q", n.Value)
	}
	return "an alias"
}

// pair is one key and its value in a mapping.
type pair struct{ key, value *yaml.Node }

// pairs returns the entries of mapping n in the order written, merge keys
// (<<) expanded as YAML merges them: keys written in n win, then the merged
// mappings in order. A key written twice is an error.
func (p *parser) pairs(n *yaml.Node, what string) ([]pair, error) {
	return p.pairsSeen(n, what, map[*yaml.Node]bool{})
}

// pairsSeen is pairs, merging each mapping at most once: a mapping merged
// again adds nothing, as the keys of its first merge win, and merges of
// merges of the same mappings would otherwise take exponential time.
func (p *parser) pairsSeen(n *yaml.Node, what string, seenMaps map[*yaml.Node]bool) ([]pair, error) {
	at := n
	n = resolve(n)
	if n == nil || n.Kind != yaml.MappingNode {
		return nil, p.errorf(at, "%s: want a mapping, found %s", what, describe(n))
	}
	if seenMaps[n] {
		return nil, nil
	}
	seenMaps[n] = true
	var out, merged []pair
	seen := map[string]*yaml.Node{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind == yaml.ScalarNode && k.Tag == "!!merge" {
			sources := []*yaml.Node{v}
			if r := resolve(v); r.Kind == yaml.SequenceNode {
				sources = r.Content
			}
			for _, s := range sources {
				ps, err := p.pairsSeen(s, what, seenMaps)
				if err != nil {
					return nil, err
				}
				merged = append(merged, ps...)
			}
			continue
		}
		if k.Kind != yaml.ScalarNode {
			return nil, p.errorf(k, "%s: keys must be strings, found %s", what, describe(k))
		}
		if first, dup := seen[k.Value]; dup {
			return nil, p.errorf(k, "%s: key %q given twice (first at line %d)", what, k.Value, first.Line)
		}
		seen[k.Value] = k
		out = append(out, pair{k, v})
	}
	for _, m := range merged {
		if _, ok := seen[m.key.Value]; !ok {
			seen[m.key.Value] = m.key
			out = append(out, m)
		}
	}
	return out, nil
}

// fields returns the entries of mapping n by key, refusing any key not in
// allowed: a misspelt key must not silently check nothing.
func (p *parser) fields(n *yaml.Node, what string, allowed ...string) (map[string]pair, error) {
	ps, err := p.pairs(n, what)
	if err != nil {
		return nil, err
	}
	out := make(map[string]pair, len(ps))
	for _, kv := range ps {
		if !slices.Contains(allowed, kv.key.Value) {
			return nil, p.errorf(kv.key, "%s: unknown key %q (want %s)", what, kv.key.Value, oneOf(allowed))
		}
		out[kv.key.Value] = kv
	}
	return out, nil
}

// oneOf lists words as "a, b or c".
func oneOf(words []string) string {
	if len(words) == 1 {
		return words[0]
	}
	return strings.Join(words[:len(words)-1], ", ") + " or " + words[len(words)-1]
}

// str returns the text of a scalar; null is the empty string.
func (p *parser) str(n *yaml.Node, what string) (string, error) {
	r := resolve(n)
	if r == nil || r.Kind != yaml.ScalarNode {
		return "", p.errorf(n, "%s: want a string, found %s", what, describe(r))
	}
	if r.Tag == "!!null" {
		return "", nil
	}
	return r.Value, nil
}

// nonEmpty is str for values that must say something.
func (p *parser) nonEmpty(n *yaml.Node, what string) (string, error) {
	s, err := p.str(n, what)
	if err == nil && s == "" {
		err = p.errorf(n, "%s: empty", what)
	}
	return s, err
}

// count returns a non-negative integer.
func (p *parser) count(n *yaml.Node, what string) (int, error) {
	r := resolve(n)
	var v int
	if r == nil || r.Kind != yaml.ScalarNode || r.Tag != "!!int" || r.Decode(&v) != nil || v < 0 {
		return 0, p.errorf(n, "%s: want a whole number of at least 0, found %s", what, describe(r))
	}
	return v, nil
}

// list returns the items of a sequence.
func (p *parser) list(n *yaml.Node, what string) ([]*yaml.Node, error) {
	r := resolve(n)
	if r == nil || r.Kind != yaml.SequenceNode {
		return nil, p.errorf(n, "%s: want a list, found %s", what, describe(r))
	}
	return r.Content, nil
}

// labels returns a mapping of label names to values.
func (p *parser) labels(n *yaml.Node, what string) (map[string]string, error) {
	ps, err := p.pairs(n, what)
	if err != nil {
		return nil, err
	}
	out := make(map[string]string, len(ps))
	for _, kv := range ps {
		if kv.key.Value == "" {
			return nil, p.errorf(kv.key, "%s: empty label name", what)
		}
		v, err := p.str(kv.value, fmt.Sprintf("%s: label %q", what, kv.key.Value))
		if err != nil {
			return nil, err
		}
		out[kv.key.Value] = v
	}
	return out, nil
}

// writeInPlace writes n out as YAML text on its own, each line as low as it
// can go towards the line it is written on in the file: blank lines pad the
// text wherever the written lines run ahead. Messages about the text (a
// field of the wrong type at line 11) then name lines of the file, exactly
// so unless the layout was compacted (flow style over several lines,
// comments or blank lines within).
func writeInPlace(n *yaml.Node) ([]byte, error) {
	c, err := yamlnode.Expand(n)
	if err != nil {
		return nil, err
	}
	yamlnode.DropComments(c)
	text, err := yaml.Marshal(c)
	if err != nil {
		return nil, err
	}
	var back yaml.Node
	if err := yaml.Unmarshal(text, &back); err != nil || len(back.Content) != 1 {
		return text, nil
	}
	target := map[int]int{}
	yamlnode.PairLines(back.Content[0], c, target)
	var out bytes.Buffer
	line := 1
	for i, l := range bytes.SplitAfter(text, []byte("\n")) {
		if want, ok := target[i+1]; ok && want > line {
			out.Write(bytes.Repeat([]byte("\n"), want-line))
			line = want
		}
		out.Write(l)
		line++
	}
	return out.Bytes(), nil
}
