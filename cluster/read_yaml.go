package cluster

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	utiljson "k8s.io/apimachinery/pkg/util/json"
	"sigs.k8s.io/yaml"
)

// readYAML reads a stream of YAML documents, one document at a time; size
// is the stream's length, if known.
func (f *fileReader) readYAML(br *bufio.Reader, size int64) error {
	d := &docReader{r: br, size: size}
	for {
		doc, line, err := d.next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return f.errorAt(position{line: d.line}, err)
		}
		if err := f.readYAMLDoc(doc, line); err != nil {
			return err
		}
	}
}

// docReader splits a YAML stream into documents at "---" lines, by the
// rules of k8s.io/apimachinery/pkg/util/yaml's YAMLReader, which kubectl
// uses. Unlike YAMLReader, it tells the line each document starts on:
// YAMLReader drops separator lines without counting them.
type docReader struct {
	r    *bufio.Reader
	size int64 // the stream's length, or 0 if unknown
	line int   // lines read so far
	buf  []byte
	eof  bool
}

// bigDocument is the size from which a document is taken to be most of its
// file, as a kubectl list is.
const bigDocument = 1 << 20

// append appends p to the document buffer. Once a document is big, the
// buffer grows to the file's size at once, rather than doubling: a list of
// hundreds of megabytes is then held once, not up to twice.
func (d *docReader) append(p []byte) {
	need := len(d.buf) + len(p)
	if need > cap(d.buf) && need > bigDocument && d.size >= int64(need) && d.size < 1<<40 {
		// One more byte for a newline added to a last line without one.
		grown := make([]byte, len(d.buf), d.size+1)
		copy(grown, d.buf)
		d.buf = grown
	}
	d.buf = append(d.buf, p...)
}

// next returns the next document, valid until the following call, and the
// line of the file it starts on. Every line of it ends in "\n".
func (d *docReader) next() ([]byte, int, error) {
	d.buf = d.buf[:0]
	first := d.line + 1
	for !d.eof {
		start := len(d.buf)
		for {
			chunk, err := d.r.ReadSlice('\n')
			d.append(chunk)
			if errors.Is(err, bufio.ErrBufferFull) {
				continue
			}
			if errors.Is(err, io.EOF) {
				d.eof = true
			} else if err != nil {
				return nil, 0, err
			}
			break
		}
		if len(d.buf) == start {
			break
		}
		d.line++
		if d.line == 1 && bytes.HasPrefix(d.buf, []byte(utf8BOM)) {
			d.buf = d.buf[:copy(d.buf, d.buf[len(utf8BOM):])]
		}
		d.buf = bytes.TrimSuffix(d.buf, []byte("\n"))
		d.buf = append(bytes.TrimSuffix(d.buf, []byte("\r")), '\n')
		line := d.buf[start:]
		if !bytes.HasPrefix(line, []byte("---")) {
			continue
		}
		if rest := bytes.TrimSpace(line[3:]); len(rest) > 0 && rest[0] != '#' {
			return nil, 0, fmt.Errorf("invalid document separator %q", bytes.TrimSpace(line))
		}
		d.buf = d.buf[:start]
		if start > 0 {
			return d.buf, first, nil
		}
		first = d.line + 1
	}
	if len(d.buf) > 0 {
		return d.buf, first, nil
	}
	return nil, 0, io.EOF
}

// errSplit says that a document cannot be read item by item and has to be
// converted as a whole.
var errSplit = errors.New("document cannot be split into list items")

// readYAMLDoc reads one YAML document that starts on line first.
func (f *fileReader) readYAMLDoc(doc []byte, first int) error {
	n := firstContentLine(doc)
	if n == 0 {
		return nil
	}
	content := first + n - 1
	if layout, ok := findList(doc); ok && !f.wholeDocuments {
		b, err := f.readYAMLList(doc, first, layout)
		if err == nil {
			return f.commit(b)
		}
		if !errors.Is(err, errSplit) {
			return err
		}
	}
	// Whatever made splitting fail, the conversion of the whole document
	// decides: it reports real syntax errors, and reads what splitting
	// cannot (such as anchors used across list items).
	j, err := yaml.YAMLToJSONStrict(doc)
	if err != nil {
		last := first + bytes.Count(doc, []byte("\n")) - 1
		pos, ok := readerProblemPos(err, doc, first)
		if !ok {
			pos = yamlErrorPos(err, first, content, last)
		}
		return f.errorAt(pos, yamlErrorMessage(err))
	}
	if bytes.Equal(j, []byte("null")) {
		return nil
	}
	loc := &yamlText{text: doc, first: first, json: j, root: 0, rootPos: position{line: content}}
	b := newBatch()
	if err := f.readValue(b, j, 0, len(j), loc); err != nil {
		return err
	}
	return f.commit(b)
}

// readYAMLList reads a list document item by item: its header (the
// document with an empty list for its items) first, for the list's kind,
// then each item on its own. It
// returns errSplit if a part does not convert on its own.
func (f *fileReader) readYAMLList(doc []byte, first int, l listLayout) (*batch, error) {
	hj, err := yaml.YAMLToJSONStrict(l.header(doc))
	if err != nil || len(hj) == 0 {
		return nil, errSplit
	}
	var apiVersion, kindName string
	if hj[0] == '{' {
		hasItems := false
		// A kind that is not a string is left for the whole document's
		// reading to report, with its line.
		err := forEachMember(hj, 0, len(hj), func(key []byte, vs, ve int) error {
			switch string(key) {
			case "items":
				// The empty list the header put there, or the header
				// does not read as the document does.
				if string(hj[vs:ve]) != "[]" {
					return errSplit
				}
				hasItems = true
			case "apiVersion":
				return utiljson.Unmarshal(hj[vs:ve], &apiVersion)
			case "kind":
				return utiljson.Unmarshal(hj[vs:ve], &kindName)
			}
			return nil
		})
		if err != nil || !hasItems {
			return nil, errSplit
		}
	} else {
		return nil, errSplit
	}
	defaults, err := listDefaults(apiVersion, kindName)
	if err != nil {
		// Most likely the file is cut short, and a syntax error in the
		// last item says more; converting the whole document finds it,
		// or reports this error if there is none.
		return nil, errSplit
	}
	b := newBatch()
	for _, it := range l.items {
		chunk := doc[it.start:it.end]
		j, err := yaml.YAMLToJSONStrict(chunk)
		if err != nil {
			return nil, errSplit
		}
		// An entry of a block sequence converts to an array of one value.
		if len(j) < 2 || j[0] != '[' {
			return nil, errSplit
		}
		ve, err := skipValue(j, 1)
		if err != nil || ve != len(j)-1 {
			return nil, errSplit
		}
		line := first + it.line - 1
		loc := &yamlText{text: chunk, first: line, json: j, root: 1, rootPos: position{line: line + entryContentLine(chunk)}}
		o := objectRef{data: j, start: 1, end: ve, pos: loc.rootPos, loc: loc, defaults: defaults, inList: true}
		if err := f.readObject(b, o); err != nil {
			return nil, err
		}
	}
	return b, nil
}

// firstContentLine returns the number, counted from 1, of the first line of
// doc that is neither blank, nor a comment, nor a document end marker, or 0
// if there is none.
func firstContentLine(doc []byte) int {
	n := 0
	for len(doc) > 0 {
		n++
		line := doc
		if i := bytes.IndexByte(doc, '\n'); i >= 0 {
			line, doc = doc[:i], doc[i+1:]
		} else {
			doc = nil
		}
		line = bytes.TrimLeft(line, " \t")
		// "..." ends a document; on its own it holds nothing.
		if len(line) > 0 && line[0] != '#' && !bytes.Equal(line, []byte("...")) {
			return n
		}
	}
	return 0
}

// yamlErrorPos returns where a YAML conversion error of a document points:
// its lines run from first to last, and content is its first content line,
// the answer when the error does not say. go-yaml reports lines as
// "line N: ..." counted within the document; for errors of its parser
// (rather than its scanner), N is one less than the line of the offending
// token, which is corrected here.
func yamlErrorPos(err error, first, content, last int) position {
	msg := yamlErrorText(err)
	rest, ok := strings.CutPrefix(msg, "line ")
	if !ok {
		// go-yaml leaves the line out for problems on the document's first
		// line, which is then its first content line, and for problems
		// that have no place, such as an unknown anchor.
		return position{line: content}
	}
	digits, problem, ok := strings.Cut(rest, ": ")
	n, convErr := strconv.Atoi(digits)
	if !ok || convErr != nil || n < 1 {
		return position{line: content}
	}
	if isYAMLParserProblem(problem) {
		n++
	}
	// The end of the stream is on the line after the last one; point at
	// the last line, where whatever was left open is.
	return position{line: min(first+n-1, last)}
}

// isYAMLParserProblem reports whether problem is one of the messages of
// go-yaml v2's parser (parserc.go), whose lines are counted from 0.
func isYAMLParserProblem(problem string) bool {
	switch problem {
	case "did not find expected <stream-start>",
		"did not find expected <document start>",
		"found undefined tag handle",
		"did not find expected node content",
		"did not find expected '-' indicator",
		"did not find expected key",
		"did not find expected ',' or ']'",
		"did not find expected ',' or '}'",
		"found duplicate %YAML directive",
		"found incompatible YAML document",
		"found duplicate %TAG directive":
		return true
	}
	return false
}

// yamlErrorMessage returns a YAML conversion error without the line
// yamlErrorPos has taken from it.
func yamlErrorMessage(err error) error {
	msg := yamlErrorText(err)
	if rest, ok := strings.CutPrefix(msg, "line "); ok {
		if _, after, ok := strings.Cut(rest, ": "); ok {
			msg = after
		}
	}
	return errors.New(msg)
}

// yamlErrorText strips go-yaml's prefixes from err, keeping the first of
// several unmarshal errors.
func yamlErrorText(err error) string {
	msg := strings.TrimPrefix(err.Error(), "error converting YAML to JSON: ")
	msg = strings.TrimPrefix(msg, "yaml: ")
	if rest, ok := strings.CutPrefix(msg, "unmarshal errors:\n"); ok {
		msg, _, _ = strings.Cut(strings.TrimSpace(rest), "\n")
	}
	return msg
}
