package promconfig

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
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
	if line, column, ok := badCharacter(data); ok && readerProblem(msg) {
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

// readerProblem reports whether msg is one of go-yaml's reader errors,
// which name no line.
func readerProblem(msg string) bool {
	for _, p := range []string{"invalid leading UTF-8 octet", "incomplete UTF-8 octet sequence", "invalid trailing UTF-8 octet",
		"invalid length of a UTF-8 sequence", "invalid Unicode character", "control characters are not allowed"} {
		if strings.HasSuffix(msg, "yaml: "+p) {
			return true
		}
	}
	return false
}

// badCharacter returns the line and column of the first byte of data that
// is not UTF-8 or a character YAML allows, if there is one.
func badCharacter(data []byte) (line, column int, ok bool) {
	line, column = 1, 1
	for i := 0; i < len(data); {
		r, size := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && size <= 1 || !yamlAllows(r) {
			return line, column, true
		}
		if r == '\n' {
			line, column = line+1, 1
		} else {
			column++
		}
		i += size
	}
	return 0, 0, false
}

// yamlAllows reports whether YAML allows r in a stream (the printable
// characters of YAML 1.1, as go-yaml's reader checks them).
func yamlAllows(r rune) bool {
	switch {
	case r == 0x09, r == 0x0A, r == 0x0D, r >= 0x20 && r <= 0x7E, r == 0x85,
		r >= 0xA0 && r <= 0xD7FF, r >= 0xE000 && r <= 0xFFFD, r >= 0x10000 && r <= 0x10FFFF:
		return true
	}
	return false
}
