package promconfig

import "strings"

// flatError is an error whose message was folded onto one line; it still
// unwraps to the original, so errors.Is and errors.As see through it.
type flatError struct {
	msg string
	err error
}

func (e *flatError) Error() string { return e.msg }
func (e *flatError) Unwrap() error { return e.err }

// flat folds a multi-line error message (yaml's "unmarshal errors:" list)
// onto one line, keeping its words: lines after one ending in ':' follow it
// after a space, the others are separated by "; ".
func flat(err error) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	if !strings.ContainsAny(msg, "\r\n") {
		return err
	}
	return &flatError{msg: flatten(msg), err: err}
}

func flatten(s string) string {
	var b strings.Builder
	for _, line := range strings.FieldsFunc(s, func(r rune) bool { return r == '\n' || r == '\r' }) {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		if b.Len() > 0 {
			if strings.HasSuffix(b.String(), ":") {
				b.WriteString(" ")
			} else {
				b.WriteString("; ")
			}
		}
		b.WriteString(line)
	}
	return b.String()
}
