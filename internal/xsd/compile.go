package xsd

import (
	"fmt"
	"strconv"
	"strings"
)

// xsNS is the XML Schema namespace.
const xsNS = "http://www.w3.org/2001/XMLSchema"

// element is an element declaration. An element of type xs:anyType has
// neither simple nor complex set and takes any attributes and content.
type element struct {
	name    string
	simple  *simpleType
	complex *complexType
}

// complexType is a compiled complex type.
type complexType struct {
	mixed bool
	attrs []*attribute
	// content is the element content model; nil when the type has none.
	content *particle
	// all is set instead of content for an xs:all model.
	all *particle
	// text is the type of simple content (xs:simpleContent).
	text *simpleType
	// decls are the element declarations of the content model by name;
	// XML Schema requires one type per name within a model.
	decls map[string]*element
}

// attribute is an attribute declaration.
type attribute struct {
	name     string
	typ      *simpleType
	required bool
	fixed    *string
}

// particle is an element, a sequence or a choice with its occurrence
// bounds; max < 0 is unbounded.
type particle struct {
	min, max int
	elem     *element
	group    string // "sequence", "choice" or "all"; "" for an element
	kids     []*particle
}

// compiler turns a schema tree into declarations, compiling named types
// and global elements once, on first use, so recursive references work.
type compiler struct {
	builtins             map[string]*simpleType
	rawElems, rawComplex map[string]*node
	rawSimple            map[string]*node
	elems                map[string]*element
	complexes            map[string]*complexType
	simples              map[string]*simpleType
	simplesInProgress    map[string]bool
}

func newCompiler() *compiler {
	return &compiler{
		builtins: builtins(), rawElems: map[string]*node{}, rawComplex: map[string]*node{}, rawSimple: map[string]*node{},
		elems: map[string]*element{}, complexes: map[string]*complexType{}, simples: map[string]*simpleType{},
		simplesInProgress: map[string]bool{},
	}
}

// checkAttrs fails on an unqualified attribute that is not in allowed.
// Namespace declarations and attributes from other namespaces do not
// change validation and are let through, as XML Schema says.
func checkAttrs(n *node, allowed ...string) error {
	for _, a := range n.attrs {
		if a.Name.Space != "" || isNamespaceDecl(a) {
			continue
		}
		ok := false
		for _, name := range allowed {
			ok = ok || a.Name.Local == name
		}
		if !ok {
			return unsupported(n, fmt.Sprintf("attribute %s", a.Name.Local))
		}
	}
	return nil
}

func unsupported(n *node, what string) error {
	return fmt.Errorf("schema line %d: <xs:%s>: %s is not supported", n.line, n.name.Local, what)
}

// components returns n's children in the XML Schema namespace, leaving
// out annotations; anything from another namespace is an error.
func components(n *node) ([]*node, error) {
	var out []*node
	for _, k := range n.kids {
		if k.name.Space != xsNS {
			return nil, fmt.Errorf("schema line %d: <%s> in <xs:%s> is not an XML Schema element", k.line, k.name.Local, n.name.Local)
		}
		if k.name.Local != "annotation" {
			out = append(out, k)
		}
	}
	if strings.TrimSpace(n.text) != "" {
		return nil, fmt.Errorf("schema line %d: text in <xs:%s>", n.line, n.name.Local)
	}
	return out, nil
}

// qname resolves a QName attribute value against n's namespaces.
func qname(n *node, v string) (space, local string, err error) {
	prefix, local, ok := strings.Cut(v, ":")
	if !ok {
		prefix, local = "", v
	}
	space, found := n.ns[prefix]
	if !found && prefix != "" {
		return "", "", fmt.Errorf("schema line %d: unknown prefix in %q", n.line, v)
	}
	return space, local, nil
}

// occurs reads minOccurs and maxOccurs (default 1 and 1).
func occurs(n *node) (lo, hi int, err error) {
	lo, hi = 1, 1
	if v, ok := n.attr("minOccurs"); ok {
		if lo, err = strconv.Atoi(v); err != nil || lo < 0 {
			return 0, 0, fmt.Errorf("schema line %d: bad minOccurs %q", n.line, v)
		}
	}
	if v, ok := n.attr("maxOccurs"); ok {
		if v == "unbounded" {
			return lo, -1, nil
		}
		if hi, err = strconv.Atoi(v); err != nil || hi < 0 {
			return 0, 0, fmt.Errorf("schema line %d: bad maxOccurs %q", n.line, v)
		}
	}
	if hi < lo {
		return 0, 0, fmt.Errorf("schema line %d: maxOccurs %d is less than minOccurs %d", n.line, hi, lo)
	}
	return lo, hi, nil
}

// typeRef resolves a type="..." reference: a built-in or a named type of
// this schema. Both results nil means xs:anyType.
func (c *compiler) typeRef(n *node, v string) (*simpleType, *complexType, error) {
	space, local, err := qname(n, v)
	if err != nil {
		return nil, nil, err
	}
	switch space {
	case xsNS:
		if local == "anyType" {
			return nil, nil, nil
		}
		if local == "anySimpleType" {
			return c.builtins["string"], nil, nil
		}
		if t, ok := c.builtins[local]; ok {
			return t, nil, nil
		}
		return nil, nil, unsupported(n, fmt.Sprintf("built-in type xs:%s", local))
	case "":
		if _, ok := c.rawSimple[local]; ok {
			t, err := c.namedSimple(local)
			return t, nil, err
		}
		if _, ok := c.rawComplex[local]; ok {
			t, err := c.namedComplex(local)
			return nil, t, err
		}
	}
	return nil, nil, fmt.Errorf("schema line %d: type %q is not defined", n.line, v)
}

func (c *compiler) namedSimple(name string) (*simpleType, error) {
	if t, ok := c.simples[name]; ok {
		return t, nil
	}
	if c.simplesInProgress[name] {
		return nil, fmt.Errorf("schema: simple type %q is derived from itself", name)
	}
	c.simplesInProgress[name] = true
	t, err := c.simpleType(c.rawSimple[name], name)
	if err != nil {
		return nil, err
	}
	c.simples[name] = t
	return t, nil
}

// namedComplex compiles a named complex type; the struct is registered
// before it is filled, so a type may contain itself.
func (c *compiler) namedComplex(name string) (*complexType, error) {
	if t, ok := c.complexes[name]; ok {
		return t, nil
	}
	t := &complexType{}
	c.complexes[name] = t
	return t, c.fillComplex(t, c.rawComplex[name])
}

// globalElement compiles a global element declaration, registering it
// before its type so that it may contain itself (testsuite in testsuite).
func (c *compiler) globalElement(name string) (*element, error) {
	if e, ok := c.elems[name]; ok {
		return e, nil
	}
	n, ok := c.rawElems[name]
	if !ok {
		return nil, fmt.Errorf("schema: element %q is not declared", name)
	}
	if err := checkAttrs(n, "name", "type"); err != nil {
		return nil, err
	}
	e := &element{name: name}
	c.elems[name] = e
	return e, c.elementType(e, n)
}

// elementType fills e's type from n's type attribute or inline type.
func (c *compiler) elementType(e *element, n *node) error {
	kids, err := components(n)
	if err != nil {
		return err
	}
	if v, ok := n.attr("type"); ok {
		if len(kids) > 0 {
			return unsupported(n, "a type attribute and an inline type together")
		}
		e.simple, e.complex, err = c.typeRef(n, v)
		return err
	}
	switch {
	case len(kids) == 0:
		return nil // xs:anyType
	case len(kids) > 1:
		return unsupported(n, fmt.Sprintf("<xs:%s> here", kids[1].name.Local))
	case kids[0].name.Local == "complexType":
		e.complex = &complexType{}
		return c.fillComplex(e.complex, kids[0])
	case kids[0].name.Local == "simpleType":
		e.simple, err = c.simpleType(kids[0], "")
		return err
	}
	return unsupported(n, fmt.Sprintf("<xs:%s> here", kids[0].name.Local))
}
