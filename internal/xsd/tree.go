package xsd

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
)

// node is one element of a parsed document, schema or instance.
type node struct {
	name  xml.Name
	attrs []xml.Attr
	// ns maps the prefixes in scope to namespace URIs ("" is the default
	// namespace), to resolve QNames in attribute values (type="xs:int").
	ns   map[string]string
	kids []*node
	// text is the character data directly inside the element.
	text string
	line int
}

// attr returns the value of the unqualified attribute name.
func (n *node) attr(name string) (string, bool) {
	for _, a := range n.attrs {
		if a.Name.Space == "" && a.Name.Local == name {
			return a.Value, true
		}
	}
	return "", false
}

// parseTree reads a well-formed XML document into a tree; encoding/xml
// rejects what is not well formed, characters XML forbids included.
func parseTree(data []byte) (*node, error) {
	d := xml.NewDecoder(bytes.NewReader(data))
	var root *node
	var stack []*node
	var text []*strings.Builder
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("reading XML: %w", err)
		}
		line, _ := d.InputPos()
		switch t := tok.(type) {
		case xml.StartElement:
			n := &node{name: t.Name, attrs: t.Attr, line: line}
			parent := map[string]string{}
			if len(stack) > 0 {
				top := stack[len(stack)-1]
				parent = top.ns
				top.kids = append(top.kids, n)
			} else if root == nil {
				root = n
			}
			n.ns = scope(parent, t.Attr)
			stack = append(stack, n)
			text = append(text, &strings.Builder{})
		case xml.EndElement:
			top := stack[len(stack)-1]
			top.text = text[len(text)-1].String()
			stack, text = stack[:len(stack)-1], text[:len(text)-1]
		case xml.CharData:
			if len(text) > 0 {
				text[len(text)-1].Write(t)
			} else if len(bytes.TrimSpace(t)) > 0 {
				return nil, fmt.Errorf("line %d: text outside the root element", line)
			}
		}
	}
	if root == nil {
		return nil, errors.New("reading XML: no root element")
	}
	return root, nil
}

// scope adds the namespace declarations among attrs to the parent's.
func scope(parent map[string]string, attrs []xml.Attr) map[string]string {
	var ns map[string]string
	for _, a := range attrs {
		prefix, ok := "", false
		switch {
		case a.Name.Space == "xmlns":
			prefix, ok = a.Name.Local, true
		case a.Name.Space == "" && a.Name.Local == "xmlns":
			ok = true
		}
		if !ok {
			continue
		}
		if ns == nil {
			ns = make(map[string]string, len(parent)+1)
			for k, v := range parent {
				ns[k] = v
			}
		}
		ns[prefix] = a.Value
	}
	if ns == nil {
		return parent
	}
	return ns
}

// isNamespaceDecl reports whether a is an xmlns or xmlns:p attribute.
func isNamespaceDecl(a xml.Attr) bool {
	return a.Name.Space == "xmlns" || (a.Name.Space == "" && a.Name.Local == "xmlns")
}
