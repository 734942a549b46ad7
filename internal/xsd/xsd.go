// Package xsd validates XML documents against a W3C XML Schema 1.0, for
// tests that hold sdinspect's JUnit output to a published JUnit schema.
//
// It interprets the subset of XML Schema that such schemas use: global and
// local elements (name, ref, type, minOccurs, maxOccurs), named and
// anonymous complex types (sequence, choice and all, nested, with their
// occurrence bounds; mixed content; simpleContent extensions), attributes
// (use="required", fixed), and simple types restricting the built-ins
// string, normalizedString, token, anyURI, boolean, decimal, integer,
// nonNegativeInteger, positiveInteger, long, int, short and dateTime with
// the facets pattern, enumeration, whiteSpace, length, minLength and
// maxLength. Parse refuses a schema that uses anything else (a target
// namespace, complexContent, groups, wildcards, other facets or types),
// so that a validation never passes because a rule was skipped.
//
// An element of type xs:anyType accepts any attributes and content
// without looking inside.
package xsd

import (
	"errors"
	"fmt"
	"maps"
	"slices"
)

// Schema is a compiled schema; its global elements may be document roots.
type Schema struct {
	elements map[string]*element
}

// Parse compiles an XML Schema document.
func Parse(data []byte) (*Schema, error) {
	root, err := parseTree(data)
	if err != nil {
		return nil, fmt.Errorf("reading schema: %w", err)
	}
	if root.name.Space != xsNS || root.name.Local != "schema" {
		return nil, fmt.Errorf("reading schema: the root is <%s>, not <xs:schema>", root.name.Local)
	}
	if _, ok := root.attr("targetNamespace"); ok {
		return nil, unsupported(root, "targetNamespace")
	}
	// Without a target namespace the form defaults change nothing.
	if err := checkAttrs(root, "elementFormDefault", "attributeFormDefault", "version"); err != nil {
		return nil, err
	}
	kids, err := components(root)
	if err != nil {
		return nil, err
	}
	c := newCompiler()
	for _, k := range kids {
		name, ok := k.attr("name")
		if !ok {
			return nil, unsupported(k, "a top-level component without a name")
		}
		var table map[string]*node
		switch k.name.Local {
		case "element":
			table = c.rawElems
		case "complexType":
			table = c.rawComplex
		case "simpleType":
			table = c.rawSimple
		default:
			return nil, unsupported(root, fmt.Sprintf("<xs:%s>", k.name.Local))
		}
		if _, dup := table[name]; dup {
			return nil, fmt.Errorf("schema line %d: %s %q is defined twice", k.line, k.name.Local, name)
		}
		table[name] = k
	}
	// Compile everything now, so that a schema this package cannot read
	// fails here and not on the first document that happens to use it.
	for _, name := range slices.Sorted(maps.Keys(c.rawSimple)) {
		if _, err := c.namedSimple(name); err != nil {
			return nil, err
		}
	}
	for _, name := range slices.Sorted(maps.Keys(c.rawComplex)) {
		if _, err := c.namedComplex(name); err != nil {
			return nil, err
		}
	}
	for _, name := range slices.Sorted(maps.Keys(c.rawElems)) {
		if _, err := c.globalElement(name); err != nil {
			return nil, err
		}
	}
	return &Schema{elements: c.elems}, nil
}

// Validate checks doc against s: well-formed XML whose root is a global
// element of s and whose every element and attribute s declares, in the
// order and numbers its content models allow, with valid values. The
// error lists every violation, each with its line and element path.
func (s *Schema) Validate(doc []byte) error {
	root, err := parseTree(doc)
	if err != nil {
		return err
	}
	e, ok := s.elements[root.name.Local]
	if root.name.Space != "" || !ok {
		return fmt.Errorf("line %d: root element <%s> is not declared in the schema", root.line, root.name.Local)
	}
	v := &validator{}
	v.element(root, e, "")
	return errors.Join(v.errs...)
}
