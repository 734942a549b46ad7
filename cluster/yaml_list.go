package cluster

import (
	"bytes"

	yamlv3 "gopkg.in/yaml.v3"
)

// listLayout is where a YAML list document keeps its items: a top-level
// "items:" line followed by a block sequence, as kubectl writes it.
type listLayout struct {
	// doc[keyStart:blockEnd] holds the "items:" line and all of its
	// entries; the rest of the document is the list's header.
	keyStart, blockEnd int
	items              []textSpan
}

// header returns the document with an empty list for its items, for the
// list's kind. The "items:" key stays where it was, so that the lines
// after the items mean what they mean in the whole document; the rest of
// its line and the comments before the first entry stay as comments:
// every byte of the document must still be seen by the YAML parser, which
// rejects control characters even in comments.
func (l listLayout) header(doc []byte) []byte {
	firstEntry := l.blockEnd
	if len(l.items) > 0 {
		firstEntry = l.items[0].start
	}
	key := l.keyStart + len(emptyItems) - len(" [] #")
	h := make([]byte, 0, len(doc)+len(emptyItems))
	h = append(h, doc[:l.keyStart]...)
	h = append(h, emptyItems...)
	h = append(h, doc[key:firstEntry]...)
	return append(h, doc[l.blockEnd:]...)
}

// emptyItems replaces a list's "items:" in its header.
const emptyItems = "items: [] #"

// textSpan is a part of a document and the line, counted from 1 within the
// document, that it starts on.
type textSpan struct {
	start, end, line int
}

// findList finds the items of a list document by looking at indentation
// only, so that a list of a hundred thousand items is not parsed as one
// YAML tree. It recognises the block layout kubectl writes (a top-level
// "items:" line, then entries starting with "- " at one indentation) and
// gives up on anything else, which is then converted as a whole. The split
// is checked by converting each part: a part cut in the wrong place does not
// convert on its own, and the whole document is converted instead.
func findList(doc []byte) (listLayout, bool) {
	var l listLayout
	const (
		before = iota
		inBlock
		after
	)
	state := before
	dash := -1 // indentation of the entries' "-"
	line := 0
	for off := 0; off < len(doc); {
		end := len(doc)
		if i := bytes.IndexByte(doc[off:], '\n'); i >= 0 {
			end = off + i + 1
		}
		text := doc[off:end]
		line++
		indent := 0
		for indent < len(text) && text[indent] == ' ' {
			indent++
		}
		rest := text[indent:]
		blank := len(rest) == 0 || rest[0] == '\n' || rest[0] == '\r' || rest[0] == '#'
		if !blank && rest[0] == '\t' {
			return l, false
		}
		if state == inBlock && !blank {
			switch {
			case dash < 0 && isEntry(rest):
				dash = indent
				l.items = append(l.items, textSpan{start: off, line: line})
			case dash >= 0 && indent == dash && isEntry(rest):
				l.items[len(l.items)-1].end = off
				l.items = append(l.items, textSpan{start: off, line: line})
			case dash >= 0 && indent > dash:
				// More of the current entry.
			case indent == 0:
				// The next top-level key ends the block.
				if len(l.items) > 0 {
					l.items[len(l.items)-1].end = off
				}
				l.blockEnd = off
				state = after
			default:
				return l, false
			}
		}
		if state != inBlock && !blank && indent == 0 {
			switch {
			case isEntry(rest):
				// A document that is a sequence, or malformed.
				return l, false
			case isItemsKey(rest):
				if state == after {
					return l, false
				}
				state = inBlock
				l.keyStart = off
			}
		}
		off = end
	}
	switch state {
	case before:
		return l, false
	case inBlock:
		if len(l.items) > 0 {
			l.items[len(l.items)-1].end = len(doc)
		}
		l.blockEnd = len(doc)
	}
	return l, true
}

// entryContentLine returns on which line, counted from 0, the value of a
// block sequence entry starts: the line of the first character after the
// "-" that is not white space or in a comment. It is where a YAML parser
// places the entry's node, so objects read item by item and objects of a
// document read as a whole get the same positions.
func entryContentLine(entry []byte) int {
	line := 0
	inComment := false
	dash := bytes.IndexByte(entry, '-')
	for _, c := range entry[dash+1:] {
		switch {
		case c == '\n':
			line++
			inComment = false
		case inComment, c == ' ', c == '\t', c == '\r':
		case c == '#':
			inComment = true
		default:
			return line
		}
	}
	return 0
}

// isEntry reports whether a line, without its indentation, starts a block
// sequence entry.
func isEntry(rest []byte) bool {
	return len(rest) > 0 && rest[0] == '-' && (len(rest) == 1 || rest[1] == ' ' || rest[1] == '\t' || rest[1] == '\n' || rest[1] == '\r')
}

// isItemsKey reports whether a top-level line is "items:" with its value
// on the following lines.
func isItemsKey(rest []byte) bool {
	after, ok := bytes.CutPrefix(rest, []byte("items:"))
	if !ok {
		return false
	}
	if len(after) > 0 && after[0] != ' ' && after[0] != '\t' && after[0] != '\n' && after[0] != '\r' {
		// "items:x" is a plain scalar, not a key.
		return false
	}
	after = bytes.TrimLeft(after, " \t\r\n")
	return len(after) == 0 || after[0] == '#'
}

// yamlText locates offsets of JSON converted from YAML text: it finds the
// value's path in the JSON, then that path in the YAML, which is parsed only
// when a position other than the root's is asked for (that is, for errors,
// and for items of lists converted as a whole).
type yamlText struct {
	text  []byte // the YAML
	first int    // the line of the file text starts on
	json  []byte // text converted to JSON
	// The position of the value at offset root of the JSON is known
	// without parsing.
	root    int
	rootPos position

	parsed bool
	node   *yamlv3.Node
}

func (y *yamlText) at(off int) position {
	if off == y.root {
		return y.rootPos
	}
	if !y.parsed {
		y.parsed = true
		var n yamlv3.Node
		if err := yamlv3.Unmarshal(y.text, &n); err == nil {
			y.node = &n
		}
	}
	path, _ := jsonPathAt(y.json, off)
	line := nodeLine(y.node, path)
	if line == 0 {
		return y.rootPos
	}
	return position{line: y.first + line - 1}
}

// nodeLine returns the line of the value at path under n, or of the
// deepest part of the path found; for a value in a mapping, the line of its
// key. It returns 0 if n is nil.
func nodeLine(n *yamlv3.Node, path []any) int {
	if n == nil {
		return 0
	}
	if n.Kind == yamlv3.DocumentNode && len(n.Content) == 1 {
		n = n.Content[0]
	}
	line := n.Line
	for _, p := range path {
		for n.Kind == yamlv3.AliasNode && n.Alias != nil {
			n = n.Alias
		}
		switch p := p.(type) {
		case int:
			if n.Kind != yamlv3.SequenceNode || p >= len(n.Content) {
				return line
			}
			n = n.Content[p]
			line = n.Line
		case string:
			if n.Kind != yamlv3.MappingNode {
				return line
			}
			found := false
			for i := 0; i+1 < len(n.Content); i += 2 {
				if n.Content[i].Value == p {
					line = n.Content[i].Line
					n = n.Content[i+1]
					found = true
					break
				}
			}
			if !found {
				return line
			}
		}
	}
	return line
}
