package promconfig

import (
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/sdinspect/sdinspect/internal/yamlnode"
)

// explained is an error of Prometheus's loader with what its message leaves
// out added; it unwraps to the loader's error.
type explained struct {
	err  error
	more string
}

func (e *explained) Error() string { return e.err.Error() + e.more }
func (e *explained) Unwrap() error { return e.err }

// explain adds to err, an error loading the file data (parsed as root,
// nil if yaml.v3 could not), what a user needs and the YAML decoder does
// not say: where the byte that is not UTF-8 text is, and what the file
// holds when its top level is not a Prometheus config at all.
func explain(data []byte, root *yaml.Node, err error) error {
	msg := err.Error()
	if line, column, ok := yamlnode.BadCharacter(data); ok && readerProblem(msg) {
		return &explained{err: err, more: fmt.Sprintf(" at line %d, column %d", line, column)}
	}
	top := body(root)
	if top == nil || !strings.Contains(msg, "config.plain") {
		return err
	}
	switch {
	case top.Kind == yaml.SequenceNode:
		return &explained{err: err, more: "; the file is a YAML list, and a Prometheus config is a mapping (global:, scrape_configs:, ...)"}
	case top.Kind == yaml.ScalarNode:
		return &explained{err: err, more: "; the file is a single value, and a Prometheus config is a mapping (global:, scrape_configs:, ...)"}
	}
	if _, kind := lookup(top, "kind"); kind != nil {
		if _, v := lookup(top, "apiVersion"); v != nil && resolve(kind).Kind == yaml.ScalarNode {
			return &explained{err: err, more: fmt.Sprintf("; the file holds Kubernetes objects (kind: %s), not a Prometheus config: give it to --from", resolve(kind).Value)}
		}
	}
	return err
}

// readerProblem reports whether msg ends with one of go-yaml's reader
// errors, which name no line.
func readerProblem(msg string) bool {
	i := strings.LastIndex(msg, "yaml: ")
	return i >= 0 && yamlnode.IsReaderError(msg[i+len("yaml: "):])
}
