package promconfig

import (
	"errors"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/relabel"
	yamlv2 "go.yaml.in/yaml/v2"
	"gopkg.in/yaml.v3"
)

// ruleFile is the mapping form of a standalone rules file. Its fields are
// decoded strictly, so any other key is an error, as in a Prometheus config.
type ruleFile struct {
	RelabelConfigs []*relabel.Config `yaml:"relabel_configs"`
}

const rulesShape = "want a YAML list of relabel configs or a mapping with a relabel_configs key"

// LoadRules reads a standalone relabel rules file: either a YAML list of
// relabel configs or a mapping whose only key is relabel_configs. Every rule
// is decoded and validated exactly as Prometheus decodes and validates the
// relabel_configs of a scrape config (strict go.yaml.in/yaml/v2 decoding, no
// null entries, Validate with scheme; model.UnsetValidation means UTF-8, the
// Prometheus default). It returns the rules and, in the same order, where each
// is written. An error is one line and names the file, and for a bad rule its
// line and index: `rules.yml:12: rule 3: unknown relabel action "keeep"`.
func LoadRules(path string, scheme model.ValidationScheme) ([]*relabel.Config, []Position, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("reading relabel rules %q: %w", path, err)
	}
	return parseRules(path, data, scheme)
}

func parseRules(path string, data []byte, scheme model.ValidationScheme) ([]*relabel.Config, []Position, error) {
	switch scheme {
	case model.UnsetValidation:
		scheme = model.UTF8Validation
	case model.UTF8Validation, model.LegacyValidation:
	default:
		// Validate would accept it, and applying a rule would then panic.
		return nil, nil, fmt.Errorf("%s: unknown label name validation scheme %v", path, scheme)
	}
	// A lenient decode first, to learn the file's shape and to have each
	// entry on its own should we need to find which one a decoder error is about.
	var shape any
	if err := yamlv2.Unmarshal(data, &shape); err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, explain(data, nil, flat(err)))
	}
	var (
		rules   []*relabel.Config
		entries []any
		err     error
	)
	switch s := shape.(type) {
	case nil:
		return nil, nil, fmt.Errorf("%s: no relabel rules: the file is empty; %s", path, rulesShape)
	case []any:
		entries = s
		err = yamlv2.UnmarshalStrict(data, &rules)
	case map[any]any:
		v, ok := s["relabel_configs"]
		if !ok {
			return nil, nil, fmt.Errorf("%s: no relabel_configs key; %s", path, rulesShape)
		}
		entries, _ = v.([]any)
		var f ruleFile
		err = yamlv2.UnmarshalStrict(data, &f)
		rules = f.RelabelConfigs
	default:
		return nil, nil, fmt.Errorf("%s: %s, found %s", path, rulesShape, describe(shape))
	}

	root, posErr := parseNodes(path, data)
	var positions []Position
	var seq *yaml.Node
	if posErr == nil {
		seq = rulesSequence(body(root))
		positions = itemPositions(path, seq)
	}
	if err != nil {
		return nil, nil, locateDecodeError(path, err, entries, positions, lastLine(seq))
	}
	if posErr != nil {
		return nil, nil, posErr
	}
	if len(positions) != len(rules) {
		return nil, nil, rulePositionsMismatch(path, len(rules), len(positions))
	}
	for i, r := range rules {
		if r == nil { // the same check as ScrapeConfig.UnmarshalYAML
			return nil, nil, fmt.Errorf("%s: rule %d: empty or null target relabeling rule in scrape config", positions[i], i)
		}
		// Validate also sets the rule's name validation scheme; a rule that
		// never went through it panics when a replace rule is applied.
		if err := r.Validate(scheme); err != nil {
			return nil, nil, fmt.Errorf("%s: rule %d: %w", positions[i], i, flat(err))
		}
	}
	return rules, positions, nil
}

// rulesSequence returns the sequence of rules in a rules file of either form.
func rulesSequence(top *yaml.Node) *yaml.Node {
	if top != nil && top.Kind == yaml.MappingNode {
		_, top = lookup(top, "relabel_configs")
	}
	top = resolve(top)
	if top == nil || top.Kind != yaml.SequenceNode {
		return nil
	}
	return top
}

// lastLine returns the last line on which a node of the subtree starts.
func lastLine(n *yaml.Node) int {
	if n == nil {
		return 0
	}
	last := n.Line
	for _, c := range n.Content {
		last = max(last, lastLine(c))
	}
	return last
}

var typeErrorLine = regexp.MustCompile(`^line (\d+): (.*)$`)

// lineBreaks escapes line breaks, to keep an error on one line.
var lineBreaks = strings.NewReplacer("\n", `\n`, "\r", `\r`)

// locateDecodeError turns an error of the strict decode into one line that
// says where the problem is. Field errors carry their line; errors raised by
// the relabel config's own unmarshaler (unknown action, bad regex) do not, so
// the entry is found by decoding each one alone until one fails the same way.
func locateDecodeError(path string, err error, entries []any, positions []Position, end int) error {
	if te, ok := errors.AsType[*yamlv2.TypeError](err); ok {
		msgs := make([]string, 0, len(te.Errors))
		for _, e := range te.Errors {
			// A value quoted in the message may span lines.
			e = lineBreaks.Replace(e)
			m := typeErrorLine.FindStringSubmatch(e)
			if m == nil {
				msgs = append(msgs, fmt.Sprintf("%s: %s", path, e))
				continue
			}
			line, _ := strconv.Atoi(m[1])
			at := Position{File: path, Line: line}
			if i := ruleAt(positions, line, end); i >= 0 {
				msgs = append(msgs, fmt.Sprintf("%s: rule %d: %s", at, i, m[2]))
			} else {
				msgs = append(msgs, fmt.Sprintf("%s: %s", at, m[2]))
			}
		}
		return &flatError{msg: strings.Join(msgs, "; "), err: err}
	}
	if i := failingEntry(err, entries); i >= 0 && i < len(positions) {
		return fmt.Errorf("%s: rule %d: %w", positions[i], i, flat(err))
	}
	return fmt.Errorf("%s: %w", path, flat(err))
}

// ruleAt returns the index of the rule written at line, or -1 when the line
// is outside the rules sequence, which ends on line end.
func ruleAt(positions []Position, line, end int) int {
	if len(positions) == 0 || line < positions[0].Line || line > end {
		return -1
	}
	i := 0
	for j, p := range positions {
		if p.Line <= line {
			i = j
		}
	}
	return i
}

// failingEntry returns the index of the first entry that, decoded alone,
// fails with exactly err's message, or -1.
func failingEntry(err error, entries []any) int {
	for i, e := range entries {
		b, merr := yamlv2.Marshal(e)
		if merr != nil {
			continue
		}
		var c relabel.Config
		if derr := yamlv2.UnmarshalStrict(b, &c); derr != nil && derr.Error() == err.Error() {
			return i
		}
	}
	return -1
}

// describe names the kind of a YAML value decoded into any.
func describe(v any) string {
	switch v.(type) {
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case int, int64, uint64, float64:
		return "a number"
	default:
		return fmt.Sprintf("a %T", v)
	}
}
