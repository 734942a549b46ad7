package cluster

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// The functions here walk JSON text without decoding it, so that a list's
// items can be taken one at a time from a document of hundreds of
// megabytes. Except for skipValue, they expect text that is known to be
// valid (checked with json.Valid, or written by a YAML converter) and
// report an error instead of panicking if it is not.

// scanError is a problem found while scanning JSON text, at a byte offset.
type scanError struct {
	off int
	msg string
}

func (e *scanError) Error() string { return e.msg }

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// skipSpace returns the offset of the first byte at or after i that is not
// JSON white space.
func skipSpace(data []byte, i int) int {
	for i < len(data) && isSpace(data[i]) {
		i++
	}
	return i
}

// skipValue returns the end of the JSON value that starts at data[i]. It
// follows only strings and brackets, to find where a value ends even in
// text that is cut short; whether the value is valid is for json.Valid.
func skipValue(data []byte, i int) (int, error) {
	if i >= len(data) {
		return i, &scanError{off: len(data), msg: "unexpected end of file; is the file cut short?"}
	}
	switch data[i] {
	case '"':
		return skipString(data, i)
	case '{', '[':
		depth := 0
		for i < len(data) {
			switch data[i] {
			case '"':
				end, err := skipString(data, i)
				if err != nil {
					return end, err
				}
				i = end
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1, nil
				}
			}
			i++
		}
		return i, &scanError{off: len(data), msg: "unexpected end of file inside a JSON value; is the file cut short?"}
	case '}', ']', ',', ':':
		return i, &scanError{off: i, msg: fmt.Sprintf("unexpected %q", data[i])}
	}
	j := i
	for j < len(data) && !isSpace(data[j]) && strings.IndexByte(`{}[],:"`, data[j]) < 0 {
		j++
	}
	return j, nil
}

// skipString returns the end of the JSON string that starts at data[i].
func skipString(data []byte, i int) (int, error) {
	for j := i + 1; j < len(data); j++ {
		switch data[j] {
		case '\\':
			j++
		case '"':
			return j + 1, nil
		}
	}
	return len(data), &scanError{off: len(data), msg: "unexpected end of file inside a JSON string; is the file cut short?"}
}

// forEachMember calls fn with the key and the bounds of the value of each
// member of the JSON object data[s:e], in order. The key is only valid
// during the call.
func forEachMember(data []byte, s, e int, fn func(key []byte, vs, ve int) error) error {
	data = data[:e]
	i := skipSpace(data, s+1)
	if i < len(data) && data[i] == '}' {
		return nil
	}
	for i < len(data) {
		ke, err := skipString(data, i)
		if err != nil {
			return err
		}
		var key []byte
		if raw := data[i:ke]; bytes.IndexByte(raw, '\\') < 0 && len(raw) >= 2 {
			key = raw[1 : len(raw)-1]
		} else {
			var unquoted string
			if err := json.Unmarshal(raw, &unquoted); err != nil {
				return &scanError{off: i, msg: err.Error()}
			}
			key = []byte(unquoted)
		}
		i = skipSpace(data, ke)
		if i >= len(data) || data[i] != ':' {
			return &scanError{off: i, msg: "malformed JSON object"}
		}
		vs := skipSpace(data, i+1)
		ve, err := skipValue(data, vs)
		if err != nil {
			return err
		}
		if err := fn(key, vs, ve); err != nil {
			return err
		}
		i = skipSpace(data, ve)
		if i < len(data) && data[i] == ',' {
			i = skipSpace(data, i+1)
			continue
		}
		if i < len(data) && data[i] == '}' {
			return nil
		}
		break
	}
	return &scanError{off: i, msg: "malformed JSON object"}
}

// forEachElement calls fn with the bounds of each element of the JSON array
// data[s:e], in order.
func forEachElement(data []byte, s, e int, fn func(vs, ve int) error) error {
	data = data[:e]
	i := skipSpace(data, s+1)
	if i < len(data) && data[i] == ']' {
		return nil
	}
	for i < len(data) {
		ve, err := skipValue(data, i)
		if err != nil {
			return err
		}
		if err := fn(i, ve); err != nil {
			return err
		}
		i = skipSpace(data, ve)
		if i < len(data) && data[i] == ',' {
			i = skipSpace(data, i+1)
			continue
		}
		if i < len(data) && data[i] == ']' {
			return nil
		}
		break
	}
	return &scanError{off: i, msg: "malformed JSON array"}
}

// jsonPathAt returns the path (object keys as strings, array indexes as
// ints) of the innermost value of the JSON text data that contains the byte
// at offset off, and the offset that value starts at.
func jsonPathAt(data []byte, off int) (path []any, start int) {
	// found stops a walk once the value holding off has been seen.
	found := errors.New("found")
	s := skipSpace(data, 0)
	for {
		e, err := skipValue(data, s)
		if err != nil || off < s || off >= e {
			return path, start
		}
		start = s
		next := -1
		switch data[s] {
		case '{':
			_ = forEachMember(data, s, e, func(key []byte, vs, ve int) error {
				if off >= vs && off < ve {
					path = append(path, string(key))
					next = vs
					return found
				}
				return nil
			})
		case '[':
			i := 0
			_ = forEachElement(data, s, e, func(vs, ve int) error {
				if off >= vs && off < ve {
					path = append(path, i)
					next = vs
					return found
				}
				i++
				return nil
			})
		}
		if next < 0 {
			return path, start
		}
		s = next
	}
}
