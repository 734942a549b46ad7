package xsd

import (
	"fmt"
	"strconv"
)

// fillComplex compiles an xs:complexType into t.
func (c *compiler) fillComplex(t *complexType, n *node) error {
	if err := checkAttrs(n, "name", "mixed"); err != nil {
		return err
	}
	if v, ok := n.attr("mixed"); ok {
		t.mixed = v == "true" || v == "1"
	}
	t.decls = map[string]*element{}
	kids, err := components(n)
	if err != nil {
		return err
	}
	for i, k := range kids {
		switch k.name.Local {
		case "sequence", "choice", "all":
			if i != 0 {
				return unsupported(n, fmt.Sprintf("<xs:%s> after attributes", k.name.Local))
			}
			p, err := c.group(k, t.decls, k.name.Local == "all")
			if err != nil {
				return err
			}
			if k.name.Local == "all" {
				t.all = p
			} else {
				t.content = p
			}
		case "attribute":
			a, err := c.attribute(k)
			if err != nil {
				return err
			}
			t.attrs = append(t.attrs, a)
		case "simpleContent":
			if i != 0 || len(kids) > 1 {
				return unsupported(n, "<xs:simpleContent> with other content")
			}
			if err := c.simpleContent(t, k); err != nil {
				return err
			}
		default:
			return unsupported(n, fmt.Sprintf("<xs:%s>", k.name.Local))
		}
	}
	return nil
}

// simpleContent compiles an xs:simpleContent extension: text of a simple
// type, plus attributes.
func (c *compiler) simpleContent(t *complexType, n *node) error {
	if err := checkAttrs(n); err != nil {
		return err
	}
	kids, err := components(n)
	if err != nil {
		return err
	}
	if len(kids) != 1 || kids[0].name.Local != "extension" {
		return unsupported(n, "anything but one <xs:extension>")
	}
	ext := kids[0]
	if err := checkAttrs(ext, "base"); err != nil {
		return err
	}
	base, ok := ext.attr("base")
	if !ok {
		return fmt.Errorf("schema line %d: <xs:extension> without base", ext.line)
	}
	simple, _, err := c.typeRef(ext, base)
	if err != nil {
		return err
	}
	if simple == nil {
		return unsupported(ext, fmt.Sprintf("base %q, which is not a simple type", base))
	}
	t.text = simple
	attrs, err := components(ext)
	if err != nil {
		return err
	}
	for _, k := range attrs {
		if k.name.Local != "attribute" {
			return unsupported(ext, fmt.Sprintf("<xs:%s>", k.name.Local))
		}
		a, err := c.attribute(k)
		if err != nil {
			return err
		}
		t.attrs = append(t.attrs, a)
	}
	return nil
}

// group compiles a sequence, choice or all and the particles in it,
// recording each element declaration in decls.
func (c *compiler) group(n *node, decls map[string]*element, all bool) (*particle, error) {
	if err := checkAttrs(n, "minOccurs", "maxOccurs"); err != nil {
		return nil, err
	}
	lo, hi, err := occurs(n)
	if err != nil {
		return nil, err
	}
	if all && (lo > 1 || hi != 1) {
		return nil, fmt.Errorf("schema line %d: <xs:all> occurs at most once", n.line)
	}
	p := &particle{min: lo, max: hi, group: n.name.Local}
	kids, err := components(n)
	if err != nil {
		return nil, err
	}
	for _, k := range kids {
		var kp *particle
		switch {
		case k.name.Local == "element":
			kp, err = c.localElement(k, decls)
		case !all && (k.name.Local == "sequence" || k.name.Local == "choice"):
			kp, err = c.group(k, decls, false)
		default:
			return nil, unsupported(n, fmt.Sprintf("<xs:%s>", k.name.Local))
		}
		if err != nil {
			return nil, err
		}
		if all && kp.max > 1 {
			return nil, fmt.Errorf("schema line %d: an element in <xs:all> occurs at most once", k.line)
		}
		p.kids = append(p.kids, kp)
	}
	return p, nil
}

// localElement compiles an element particle: a reference to a global
// element, or a local declaration.
func (c *compiler) localElement(n *node, decls map[string]*element) (*particle, error) {
	lo, hi, err := occurs(n)
	if err != nil {
		return nil, err
	}
	var e *element
	if ref, ok := n.attr("ref"); ok {
		if err := checkAttrs(n, "ref", "minOccurs", "maxOccurs"); err != nil {
			return nil, err
		}
		space, local, err := qname(n, ref)
		if err != nil {
			return nil, err
		}
		if space != "" {
			return nil, fmt.Errorf("schema line %d: element %q is not in this schema", n.line, ref)
		}
		if e, err = c.globalElement(local); err != nil {
			return nil, err
		}
	} else {
		if err := checkAttrs(n, "name", "type", "minOccurs", "maxOccurs"); err != nil {
			return nil, err
		}
		name, ok := n.attr("name")
		if !ok {
			return nil, fmt.Errorf("schema line %d: <xs:element> without name or ref", n.line)
		}
		e = &element{name: name}
		if err := c.elementType(e, n); err != nil {
			return nil, err
		}
	}
	if prev, ok := decls[e.name]; ok && prev != e && (prev.simple != e.simple || prev.complex != e.complex) {
		return nil, fmt.Errorf("schema line %d: element %q is declared twice in one content model with different types", n.line, e.name)
	}
	decls[e.name] = e
	return &particle{min: lo, max: hi, elem: e}, nil
}

// attribute compiles an attribute declaration.
func (c *compiler) attribute(n *node) (*attribute, error) {
	if err := checkAttrs(n, "name", "type", "use", "default", "fixed"); err != nil {
		return nil, err
	}
	name, ok := n.attr("name")
	if !ok {
		return nil, unsupported(n, "an attribute without a name (ref)")
	}
	a := &attribute{name: name, typ: c.builtins["string"]}
	switch use, _ := n.attr("use"); use {
	case "required":
		a.required = true
	case "", "optional":
	default:
		return nil, unsupported(n, fmt.Sprintf("use=%q", use))
	}
	if v, ok := n.attr("fixed"); ok {
		a.fixed = &v
	}
	kids, err := components(n)
	if err != nil {
		return nil, err
	}
	v, hasType := n.attr("type")
	switch {
	case hasType && len(kids) == 0:
		simple, _, err := c.typeRef(n, v)
		if err != nil {
			return nil, err
		}
		if simple == nil {
			return nil, fmt.Errorf("schema line %d: attribute %q has a complex type", n.line, name)
		}
		a.typ = simple
	case !hasType && len(kids) == 1 && kids[0].name.Local == "simpleType":
		if a.typ, err = c.simpleType(kids[0], ""); err != nil {
			return nil, err
		}
	case len(kids) > 0:
		return nil, unsupported(n, "this content")
	}
	return a, nil
}

// simpleType compiles an xs:simpleType: a restriction with facets.
func (c *compiler) simpleType(n *node, name string) (*simpleType, error) {
	if err := checkAttrs(n, "name"); err != nil {
		return nil, err
	}
	kids, err := components(n)
	if err != nil {
		return nil, err
	}
	if len(kids) != 1 || kids[0].name.Local != "restriction" {
		return nil, unsupported(n, "anything but one <xs:restriction> (list, union)")
	}
	r := kids[0]
	if err := checkAttrs(r, "base"); err != nil {
		return nil, err
	}
	facets, err := components(r)
	if err != nil {
		return nil, err
	}
	if name == "" {
		name = fmt.Sprintf("the type on schema line %d", n.line)
	}
	t := &simpleType{name: name, minLength: -1, maxLength: -1}
	if base, ok := r.attr("base"); ok {
		simple, _, err := c.typeRef(r, base)
		if err != nil {
			return nil, err
		}
		if simple == nil {
			return nil, unsupported(r, fmt.Sprintf("base %q, which is not a simple type", base))
		}
		t.base = simple
	} else if len(facets) > 0 && facets[0].name.Local == "simpleType" {
		if t.base, err = c.simpleType(facets[0], ""); err != nil {
			return nil, err
		}
		facets = facets[1:]
	} else {
		return nil, fmt.Errorf("schema line %d: <xs:restriction> without base", r.line)
	}
	for _, f := range facets {
		if err := t.facet(f); err != nil {
			return nil, err
		}
	}
	return t, nil
}

// facet adds one facet of a restriction to t.
func (t *simpleType) facet(f *node) error {
	if err := checkAttrs(f, "value", "fixed"); err != nil {
		return err
	}
	v, ok := f.attr("value")
	if !ok {
		return fmt.Errorf("schema line %d: <xs:%s> without value", f.line, f.name.Local)
	}
	switch f.name.Local {
	case "pattern":
		re, err := translateRegex(v)
		if err != nil {
			return fmt.Errorf("schema line %d: %w", f.line, err)
		}
		t.patterns, t.patternSrc = append(t.patterns, re), append(t.patternSrc, v)
	case "enumeration":
		t.enumeration = append(t.enumeration, v)
	case "whiteSpace":
		if v != "preserve" && v != "replace" && v != "collapse" {
			return fmt.Errorf("schema line %d: bad whiteSpace %q", f.line, v)
		}
		t.whiteSpace = v
	case "minLength", "maxLength", "length":
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return fmt.Errorf("schema line %d: bad %s %q", f.line, f.name.Local, v)
		}
		if f.name.Local != "maxLength" {
			t.minLength = n
		}
		if f.name.Local != "minLength" {
			t.maxLength = n
		}
	default:
		return unsupported(f, "this facet")
	}
	return nil
}
