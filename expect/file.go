package expect

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/prometheus/prometheus/model/labels"
	"gopkg.in/yaml.v3"
)

// File is a parsed test file.
type File struct {
	// Path is the file as it was named to Load or Parse.
	Path  string
	Tests []*Test
}

// Test is one entry of a file's tests: a job, what to evaluate it over, and
// what must come of it.
type Test struct {
	Name string
	Pos  Position
	// Config is the prometheus.yml, resolved against the test file's
	// directory, and Job the job_name in it ("" when the config has one
	// job). Both are empty when ScrapeConfig is given.
	Config, Job string
	// ScrapeConfig is a scrape config written inline, as written. Paths in
	// it are relative to Dir.
	ScrapeConfig *yaml.Node
	// Dir is the test file's directory.
	Dir string
	// OwnNamespace stands for the namespace that namespaces.own_namespace
	// means, as --own-namespace does.
	OwnNamespace string
	// At most one of Snapshot, Objects and Discovered is given. With none,
	// the job's Kubernetes service discovery finds nothing and only its
	// static and file targets are evaluated.
	//
	// Snapshot lists snapshot or manifest files and directories, resolved
	// against the test file's directory.
	Snapshot []string
	// Objects are Kubernetes manifests written inline.
	Objects []Object
	// Discovered are raw discovered label sets that stand for the job's
	// service discovery: none of its service discovery configs is run.
	// It is nil when not given, and empty for "discovered: []".
	Discovered []map[string]string
	// DiscoveredPos is where discovered is written.
	DiscoveredPos Position
	Expect        []*Expectation
	Counts        *Counts
}

// Object is a Kubernetes manifest written inline in a test file.
type Object struct {
	Pos Position
	// YAML is the object on its own, as a manifest file would hold it,
	// placed at the lines where it is written in the test file (blank
	// lines come first), so that a message about line N of it is about
	// line N of the test file.
	YAML []byte
}

// State is what an expectation wants of a target.
type State string

// The states a target can end in, spelt as report.Target spells them.
const (
	Kept    State = "kept"
	Dropped State = "dropped"
	Invalid State = "invalid"
)

// Expectation is one entry of a test's expect list: the targets its
// selectors match (all of Object, Address and Match that are given) must
// all be in State, with the labels or dropping rule given.
type Expectation struct {
	Pos Position
	// Name is the name given, or a description of the expectation.
	Name string
	// Object matches a target's source: NAMESPACE/NAME, NAME, or the
	// source itself (pod/NAMESPACE/NAME).
	Object string
	// Address matches the discovered __address__.
	Address string
	// Match holds matchers on the discovered labels.
	Match []*labels.Matcher
	State State
	// Labels are exactly the labels a kept target's series carry; a name
	// starting with "__" given here is checked too, against the target's
	// final labels.
	Labels map[string]string
	// LabelsInclude must be among the target's final labels.
	LabelsInclude map[string]string
	DroppedBy     *DroppedBy
}

// DroppedBy says which rule must have dropped a target: Rule is its index in
// relabel_configs, or -1 for any; Action its action, or "" for any.
type DroppedBy struct {
	Rule   int
	Action string
}

// Counts are the numbers of the job's targets by state; nil fields are not
// checked.
type Counts struct {
	Pos                                Position
	Discovered, Kept, Dropped, Invalid *int
}

// Load reads and parses the test file at path.
func Load(path string) (*File, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading test file: %w", err)
	}
	return Parse(path, data)
}

const fileShape = "want a mapping with a tests key"

// Parse parses data, the test file at path. Every error is one line and
// starts with FILE:LINE.
func Parse(path string, data []byte) (*File, error) {
	p := &parser{file: path}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var root yaml.Node
	if err := dec.Decode(&root); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%s: no tests: the file is empty; %s", path, fileShape)
		}
		return nil, p.syntaxError(err)
	}
	var next yaml.Node
	switch err := dec.Decode(&next); {
	case err == nil:
		return nil, p.errorf(&next, "a test file holds one YAML document; join the tests into one tests list")
	case !errors.Is(err, io.EOF):
		return nil, p.syntaxError(err)
	}
	top := root.Content[0]
	f, err := p.fields(top, "test file", "tests")
	if err != nil {
		return nil, err
	}
	tests, ok := f["tests"]
	if !ok {
		return nil, p.errorf(top, "no tests key; %s", fileShape)
	}
	items, err := p.list(tests.value, "tests")
	if err != nil {
		return nil, err
	}
	if len(items) == 0 {
		return nil, p.errorf(tests.key, "tests: the list is empty")
	}
	out := &File{Path: path}
	for i, item := range items {
		t, err := p.test(item, i, filepath.Dir(path))
		if err != nil {
			return nil, err
		}
		out.Tests = append(out.Tests, t)
	}
	return out, nil
}
