package xsd

import (
	"fmt"
	"slices"
	"strings"
)

// xsiNS is the XML Schema instance namespace.
const xsiNS = "http://www.w3.org/2001/XMLSchema-instance"

// validator walks a document, collecting every violation.
type validator struct {
	errs []error
}

func (v *validator) fail(n *node, path, format string, args ...any) {
	v.errs = append(v.errs, fmt.Errorf("line %d: %s: %s", n.line, path, fmt.Sprintf(format, args...)))
}

// element validates n against its declaration e.
func (v *validator) element(n *node, e *element, parent string) {
	path := parent + "/" + n.name.Local
	switch {
	case e.simple == nil && e.complex == nil:
		return // xs:anyType
	case e.simple != nil:
		v.attributes(n, path, nil)
		if len(n.kids) > 0 {
			v.fail(n.kids[0], path, "element <%s> not allowed: the content is simple", n.kids[0].name.Local)
		}
		if err := e.simple.validate(n.text); err != nil {
			v.fail(n, path, "%v", err)
		}
		return
	}
	t := e.complex
	v.attributes(n, path, t.attrs)
	switch {
	case t.text != nil:
		if len(n.kids) > 0 {
			v.fail(n.kids[0], path, "element <%s> not allowed: the content is simple", n.kids[0].name.Local)
		}
		if err := t.text.validate(n.text); err != nil {
			v.fail(n, path, "%v", err)
		}
		return
	case t.mixed:
	case t.content == nil && t.all == nil:
		if n.text != "" {
			v.fail(n, path, "text not allowed: the content is empty")
		}
	case strings.TrimSpace(n.text) != "":
		v.fail(n, path, "text %q not allowed: the content is elements only", strings.TrimSpace(n.text))
	}
	if !v.content(n, t, path) {
		return
	}
	for _, k := range n.kids {
		v.element(k, t.decls[k.name.Local], path)
	}
}

// attributes checks n's attributes against decls: each one declared, the
// required ones present, every value valid.
func (v *validator) attributes(n *node, path string, decls []*attribute) {
	for _, a := range n.attrs {
		if isNamespaceDecl(a) {
			continue
		}
		if a.Name.Space == xsiNS && (a.Name.Local == "noNamespaceSchemaLocation" || a.Name.Local == "schemaLocation") {
			continue
		}
		i := slices.IndexFunc(decls, func(d *attribute) bool { return a.Name.Space == "" && d.name == a.Name.Local })
		if i < 0 {
			v.fail(n, path, "attribute %s is not declared", a.Name.Local)
			continue
		}
		d := decls[i]
		if err := d.typ.validate(a.Value); err != nil {
			v.fail(n, path, "attribute %s: %v", a.Name.Local, err)
		}
		if d.fixed != nil && normalize(a.Value, d.typ.whiteSpaceOf()) != normalize(*d.fixed, d.typ.whiteSpaceOf()) {
			v.fail(n, path, "attribute %s must be %q", a.Name.Local, *d.fixed)
		}
	}
	for _, d := range decls {
		if _, ok := n.attr(d.name); d.required && !ok {
			v.fail(n, path, "required attribute %s is missing", d.name)
		}
	}
}

// content checks the sequence of n's child elements against t's model,
// and reports whether it matched, so that the children can be checked.
func (v *validator) content(n *node, t *complexType, path string) bool {
	names := make([]string, len(n.kids))
	for i, k := range n.kids {
		if k.name.Space != "" || t.decls[k.name.Local] == nil {
			v.fail(k, path, "element <%s> is not allowed here", k.name.Local)
			return false
		}
		names[i] = k.name.Local
	}
	if t.all != nil {
		return v.allContent(n, t.all, names, path)
	}
	if t.content == nil {
		if len(n.kids) > 0 {
			v.fail(n.kids[0], path, "element <%s> not allowed: the content is empty", names[0])
			return false
		}
		return true
	}
	m := &matcher{names: names}
	if m.repeat(t.content, 0)[len(names)] {
		return true
	}
	if m.farthest < len(names) {
		v.fail(n.kids[m.farthest], path, "element <%s> is not expected here", names[m.farthest])
	} else {
		v.fail(n, path, "content ends too early: an element is missing after the last one")
	}
	return false
}

// allContent checks an xs:all model: each element at most once, in any
// order, the required ones present.
func (v *validator) allContent(n *node, all *particle, names []string, path string) bool {
	ok := true
	seen := map[string]int{}
	for i, name := range names {
		if seen[name]++; seen[name] > 1 {
			v.fail(n.kids[i], path, "element <%s> appears more than once", name)
			ok = false
		}
	}
	if len(names) == 0 && all.min == 0 {
		return ok
	}
	for _, p := range all.kids {
		if p.min > 0 && seen[p.elem.name] == 0 {
			v.fail(n, path, "required element <%s> is missing", p.elem.name)
			ok = false
		}
	}
	return ok
}

// matcher matches a list of element names against a content model by
// tracking every position a particle can end at, so that ambiguous and
// nested models need no backtracking.
type matcher struct {
	names []string
	// farthest is the furthest position any particle reached, where the
	// first unexpected element stands.
	farthest int
}

type positions map[int]bool

// repeat returns the positions at which p, with its occurrence bounds,
// can end when it starts at start.
func (m *matcher) repeat(p *particle, start int) positions {
	out := positions{}
	if p.min == 0 {
		out[start] = true
	}
	reach, seen := positions{start: true}, positions{}
	for i := 1; p.max < 0 || i <= p.max; i++ {
		next := positions{}
		for s := range reach {
			for e := range m.once(p, s) {
				next[e] = true
			}
		}
		if len(next) == 0 {
			break
		}
		grew := false
		for e := range next {
			if i >= p.min && !seen[e] {
				out[e], seen[e], grew = true, true, true
			}
		}
		if i >= p.min && !grew {
			// Every position of this round was reached in an earlier round
			// past min, whose successors are all in out already.
			break
		}
		reach = next
	}
	return out
}

// once returns the positions at which one occurrence of p can end.
func (m *matcher) once(p *particle, start int) positions {
	out := positions{}
	switch {
	case p.elem != nil:
		if start < len(m.names) && m.names[start] == p.elem.name {
			out[start+1] = true
			m.farthest = max(m.farthest, start+1)
		}
	case p.group == "sequence":
		out[start] = true
		for _, k := range p.kids {
			next := positions{}
			for s := range out {
				for e := range m.repeat(k, s) {
					next[e] = true
				}
			}
			out = next
		}
	case p.group == "choice":
		for _, k := range p.kids {
			for e := range m.repeat(k, start) {
				out[e] = true
			}
		}
	}
	return out
}
