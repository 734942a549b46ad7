package cluster

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/runtime/schema"
	utiljson "k8s.io/apimachinery/pkg/util/json"
)

// readJSONFile reads a file of JSON values: objects, lists, or arrays of
// them, one after the other.
//
// The file is read into memory once; a list's items are then decoded one at
// a time straight from that text, so the raw items are never copied.
func (f *fileReader) readJSONFile(br *bufio.Reader, size int64) error {
	var buf bytes.Buffer
	if size > 0 && size < 1<<40 {
		buf.Grow(int(size) + bytes.MinRead)
	}
	if _, err := buf.ReadFrom(br); err != nil {
		return fmt.Errorf("reading snapshot %q: %w", f.name, pathErr(err))
	}
	data := buf.Bytes()
	if bytes.HasPrefix(data, []byte(utf8BOM)) {
		// Blank it out rather than slice it off, to keep offsets.
		copy(data, "   ")
	}
	text := &jsonText{data: data, line: 1}
	for i := skipSpace(data, 0); i < len(data); i = skipSpace(data, i) {
		end, err := skipValue(data, i)
		if err != nil {
			var se *scanError
			if errors.As(err, &se) {
				return f.errorAt(text.at(se.off), err)
			}
			return f.errorAt(text.at(i), err)
		}
		if !json.Valid(data[i:end]) {
			return f.jsonSyntaxError(text, i, end)
		}
		b := newBatch()
		if err := f.readValue(b, data, i, end, text); err != nil {
			return err
		}
		if err := f.commit(b); err != nil {
			return err
		}
		i = end
	}
	return nil
}

// jsonSyntaxError returns the error of the invalid JSON value data[s:e].
func (f *fileReader) jsonSyntaxError(text *jsonText, s, e int) error {
	var v struct{}
	err := json.Unmarshal(text.data[s:e], &v)
	var se *json.SyntaxError
	if errors.As(err, &se) {
		// Offset counts the bytes read, the bad one included.
		return f.errorAt(text.at(s+max(int(se.Offset)-1, 0)), se)
	}
	return f.errorAt(text.at(s), errors.New("invalid JSON"))
}

// jsonText locates offsets of a JSON file. It counts lines forward from
// the last offset asked about, since objects are visited in order.
type jsonText struct {
	data []byte
	// The last offset asked about, its line, and where that line starts.
	off, line, lineStart int
}

func (t *jsonText) at(off int) position {
	off = min(max(off, 0), len(t.data))
	if off < t.off {
		t.off, t.line, t.lineStart = 0, 1, 0
	}
	for {
		nl := bytes.IndexByte(t.data[t.off:off], '\n')
		if nl < 0 {
			break
		}
		t.line++
		t.off += nl + 1
		t.lineStart = t.off
	}
	t.off = off
	return position{line: t.line, column: off - t.lineStart + 1}
}

// readValue reads the JSON value data[s:e]: an object, a list, or an array
// of objects and lists.
func (f *fileReader) readValue(b *batch, data []byte, s, e int, loc locator) error {
	if data[s] != '[' {
		return f.readObjectOrList(b, data, s, e, loc)
	}
	return forEachElement(data, s, e, func(vs, ve int) error {
		return f.readObjectOrList(b, data, vs, ve, loc)
	})
}

// readObjectOrList reads the JSON value data[s:e], which is an object or a
// list of objects. As in Kubernetes's own unstructured decoding, an object
// with an items field is a list.
func (f *fileReader) readObjectOrList(b *batch, data []byte, s, e int, loc locator) error {
	pos := loc.at(s)
	if data[s] != '{' {
		return f.errorAt(pos, fmt.Errorf("found %s where a Kubernetes object or list was expected", describeJSON(data[s:e])))
	}
	var apiVersion, kindName string
	items := [2]int{-1, -1}
	seen := map[string]bool{}
	err := forEachMember(data, s, e, func(key string, vs, ve int) error {
		switch key {
		case "apiVersion", "kind", "items":
		default:
			return nil
		}
		if seen[key] {
			return f.errorAt(loc.at(vs), fmt.Errorf("duplicate field %q", key))
		}
		seen[key] = true
		switch key {
		case "items":
			items = [2]int{vs, ve}
			return nil
		case "apiVersion":
			return f.decodeString(data, vs, ve, loc, key, &apiVersion)
		default:
			return f.decodeString(data, vs, ve, loc, key, &kindName)
		}
	})
	if err != nil {
		return f.scanErr(err, loc)
	}
	if items[0] < 0 {
		if isListKind(kindName) {
			// A list without items: nothing to read.
			return nil
		}
		return f.readObject(b, objectRef{data: data, start: s, end: e, pos: pos, loc: loc})
	}
	defaults, err := listDefaults(apiVersion, kindName)
	if err != nil {
		return f.errorAt(pos, err)
	}
	switch data[items[0]] {
	case 'n':
		return nil
	case '[':
	default:
		return f.errorAt(loc.at(items[0]), fmt.Errorf("items of %s is %s, not a list", kindName, describeJSON(data[items[0]:items[1]])))
	}
	err = forEachElement(data, items[0], items[1], func(vs, ve int) error {
		return f.readObject(b, objectRef{data: data, start: vs, end: ve, pos: loc.at(vs), loc: loc, defaults: defaults, inList: true})
	})
	return f.scanErr(err, loc)
}

// decodeString decodes the JSON string data[vs:ve], the value of field key.
func (f *fileReader) decodeString(data []byte, vs, ve int, loc locator, key string, into *string) error {
	if err := utiljson.Unmarshal(data[vs:ve], into); err != nil {
		return f.errorAt(loc.at(vs), fmt.Errorf("%s is %s, not a string", key, describeJSON(data[vs:ve])))
	}
	return nil
}

// scanErr places an error of the JSON walkers; errors already placed by
// the callbacks pass through.
func (f *fileReader) scanErr(err error, loc locator) error {
	var se *scanError
	if errors.As(err, &se) {
		return f.errorAt(loc.at(se.off), err)
	}
	return err
}

// listDefaults checks the kind of a list and returns the kind and version
// it gives items that name neither: a PodList's items are Pods.
func listDefaults(apiVersion, kindName string) (*schema.GroupVersionKind, error) {
	switch {
	case kindName == "":
		// kubectl writes a list's kind after its items.
		return nil, errors.New("list has no kind; is the file cut short?")
	case kindName == "List":
		return nil, nil
	case !isListKind(kindName):
		return nil, fmt.Errorf("object of kind %q has items, but is not a list", kindName)
	case apiVersion == "":
		return nil, fmt.Errorf("%s has no apiVersion", kindName)
	}
	gv, err := schema.ParseGroupVersion(apiVersion)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", kindName, err)
	}
	gvk := gv.WithKind(strings.TrimSuffix(kindName, "List"))
	return &gvk, nil
}

// isListKind reports whether objects of kind kindName are lists: List, or
// a typed list such as PodList.
func isListKind(kindName string) bool {
	return kindName == "List" || strings.HasSuffix(kindName, "List") && isKindName(kindName)
}

// isKindName reports whether s looks like a Kubernetes kind: a letter
// followed by letters and digits.
func isKindName(s string) bool {
	for i, c := range []byte(s) {
		isLetter := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
		if !isLetter && (i == 0 || c < '0' || c > '9') {
			return false
		}
	}
	return s != ""
}
