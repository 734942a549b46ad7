package yamlnode

import "unicode/utf8"

// readerErrors are the errors of go-yaml's reader: a byte that is not
// UTF-8, or a character YAML does not allow. go-yaml gives them no line.
var readerErrors = []string{"invalid leading UTF-8 octet", "incomplete UTF-8 octet sequence", "invalid trailing UTF-8 octet",
	"invalid length of a UTF-8 sequence", "invalid Unicode character", "control characters are not allowed"}

// IsReaderError reports whether text, a go-yaml error message without its
// "yaml: " prefix, is one of its reader's errors, whose place BadCharacter
// finds.
func IsReaderError(text string) bool {
	for _, e := range readerErrors {
		if text == e {
			return true
		}
	}
	return false
}

// BadCharacter returns the line and column, counted from 1, of the first
// byte of data that is not UTF-8 or a character YAML allows, if there is
// one.
func BadCharacter(data []byte) (line, column int, ok bool) {
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
