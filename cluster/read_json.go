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
	head, err := f.readHead(data, s, e, loc)
	if err != nil {
		return err
	}
	if head.items[0] < 0 {
		if isListKind(head.kind) {
			// A list without items: nothing to read.
			return nil
		}
		return f.readObject(b, objectRef{data: data, start: s, end: e, pos: pos, loc: loc, head: &head})
	}
	defaults, err := listDefaults(head.apiVersion, head.kind)
	if err != nil {
		return f.errorAt(pos, err)
	}
	is, ie := head.items[0], head.items[1]
	switch data[is] {
	case 'n':
		return nil
	case '[':
	default:
		return f.errorAt(loc.at(is), fmt.Errorf("items of %s is %s, not a list", head.kind, describeJSON(data[is:ie])))
	}
	err = forEachElement(data, is, ie, func(vs, ve int) error {
		return f.readObject(b, objectRef{data: data, start: vs, end: ve, pos: loc.at(vs), loc: loc, defaults: defaults, inList: true})
	})
	return f.scanErr(err, loc)
}

// objectHead is what Read looks at before decoding an object: what it is,
// what it is called, and whether it is a list.
type objectHead struct {
	apiVersion, kind string
	name, namespace  string
	items            [2]int // the bounds of the items value, or -1
}

// readHead reads the head of the JSON object data[s:e].
func (f *fileReader) readHead(data []byte, s, e int, loc locator) (objectHead, error) {
	h := objectHead{items: [2]int{-1, -1}}
	var seen uint8
	err := forEachMember(data, s, e, func(key []byte, vs, ve int) error {
		var bit uint8
		switch string(key) {
		case "apiVersion":
			bit = 1
		case "kind":
			bit = 2
		case "items":
			bit = 4
		case "metadata":
			bit = 8
		default:
			return nil
		}
		if seen&bit != 0 {
			return f.errorAt(loc.at(vs), fmt.Errorf("duplicate field %q", key))
		}
		seen |= bit
		switch bit {
		case 1:
			return f.decodeString(data, vs, ve, loc, "apiVersion", &h.apiVersion)
		case 2:
			return f.decodeString(data, vs, ve, loc, "kind", &h.kind)
		case 4:
			h.items = [2]int{vs, ve}
		case 8:
			// Only for messages: if the metadata is malformed, decoding
			// the object says so, with the right type names.
			var m struct {
				Name      string `json:"name"`
				Namespace string `json:"namespace"`
			}
			if utiljson.Unmarshal(data[vs:ve], &m) == nil {
				h.name, h.namespace = m.Name, m.Namespace
			}
		}
		return nil
	})
	return h, f.scanErr(err, loc)
}

// decodeString decodes the JSON string data[vs:ve], the value of field key.
func (f *fileReader) decodeString(data []byte, vs, ve int, loc locator, key string, into *string) error {
	if err := utiljson.Unmarshal(data[vs:ve], into); err != nil {
		return f.errorAt(loc.at(vs), fmt.Errorf("%s is %s, not a string", key, describeJSON(data[vs:ve])))
	}
	return nil
}

// scanErr places an error of the JSON walkers; errors already placed by
// the callbacks, and nil, pass through.
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
