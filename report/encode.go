package report

import (
	"maps"
	"slices"
	"strconv"
	"unicode/utf8"
)

// Label is a label's name and value.
type Label struct{ Name, Value string }

// SortedLabels are a target's discovered labels, labels and public labels
// as pairs sorted by name, for JSONStream.TargetSorted: a caller holding
// them in that form need not build maps only to have them sorted again.
type SortedLabels struct {
	Discovered, Labels, Public []Label
	// Seen, if not nil, remembers how the label sets were encoded, for
	// the next target's.
	Seen *Seen
}

// Seen remembers how the last target's label sets were encoded, so that
// the labels the next target has alike, a name and value equal to one of
// those, are copied rather than encoded again: the targets of a pod, or
// of an endpoint slice, share most of their discovered labels. Its user
// promises two things while it remembers them: that the strings of the
// label sets it is given are not memory reused for other text (as unsafe
// conversions allow), for such a string would compare equal to its old
// self; and that the bytes the targets were appended to are not written
// over, for Seen copies from there. Forget lets go of both.
type Seen struct {
	sets [3]seenSet // discovered labels, labels, public labels
}

// seenSet is one label set as last encoded: its labels, and where the
// member of each, without the comma before it, is in enc, the buffer it
// was appended to.
type seenSet struct {
	indent string
	labels []Label
	spans  []span
	enc    []byte
	// next and nextSpans are scratch space for the set being encoded.
	next      []Label
	nextSpans []span
}

// span is where a member is in a buffer.
type span struct{ from, to int }

// Forget forgets the label sets seen so far.
func (s *Seen) Forget() {
	for i := range s.sets {
		s.sets[i].labels, s.sets[i].enc = s.sets[i].labels[:0], nil
	}
}

// appendTarget appends t as json.MarshalIndent(t, prefix, "  ") writes it,
// byte for byte, without reflection: a large run writes millions of
// targets, and encoding/json spent most of its time finding its way
// through the types and sorting map keys. Tests hold the two equal. When
// sorted is not nil, its pairs stand for t's three label maps, which are
// then ignored.
func appendTarget(b []byte, t *Target, sorted *SortedLabels, prefix string) []byte {
	b, _ = appendTargetAt(b, t, sorted, prefix)
	return b
}

// appendTargetAt is appendTarget, also returning the offset in the result
// at which t's duplicateOf member starts, or would start if t had one.
func appendTargetAt(b []byte, t *Target, sorted *SortedLabels, prefix string) ([]byte, int) {
	o := object{b: b, indent: prefix + "  "}
	o.b = append(o.b, '{')
	o.str("source", t.Source)
	o.int("index", t.Index)
	o.str("state", t.State)
	if sorted != nil {
		var seen [3]*seenSet
		if sorted.Seen != nil {
			for i := range seen {
				seen[i] = &sorted.Seen.sets[i]
			}
		}
		o.pairs("discoveredLabels", sorted.Discovered, seen[0])
		o.pairs("labels", sorted.Labels, seen[1])
		if len(sorted.Public) > 0 {
			o.pairs("publicLabels", sorted.Public, seen[2])
		}
	} else {
		o.labels("discoveredLabels", t.DiscoveredLabels)
		o.labels("labels", t.Labels)
		if len(t.PublicLabels) > 0 {
			o.labels("publicLabels", t.PublicLabels)
		}
	}
	if t.ScrapeURL != "" {
		o.str("scrapeURL", t.ScrapeURL)
	}
	dupAt := len(o.b)
	if d := t.DuplicateOf; d != nil {
		o.key("duplicateOf")
		o.b = appendRef(o.b, d, o.indent)
	}
	if r := t.DroppedBy; r != nil {
		o.key("droppedBy")
		o.b = appendRule(o.b, r, o.indent)
	}
	if t.Error != "" {
		o.str("error", t.Error)
	}
	if len(t.Trace) > 0 {
		o.key("trace")
		o.b = appendArray(o.b, t.Trace, o.indent, appendStep)
	}
	return o.end(prefix), dupAt
}

func appendRef(b []byte, r *TargetRef, prefix string) []byte {
	o := object{b: append(b, '{'), indent: prefix + "  "}
	o.str("source", r.Source)
	o.int("index", r.Index)
	return o.end(prefix)
}

func appendRule(b []byte, r *Rule, prefix string) []byte {
	o := object{b: append(b, '{'), indent: prefix + "  "}
	o.int("index", r.Index)
	o.str("action", r.Action)
	if r.File != "" {
		o.str("file", r.File)
	}
	if r.Line != 0 {
		o.int("line", r.Line)
	}
	return o.end(prefix)
}

func appendStep(b []byte, s *Step, prefix string) []byte {
	o := object{b: append(b, '{'), indent: prefix + "  "}
	o.key("rule")
	o.b = appendRule(o.b, &s.Rule, o.indent)
	o.str("result", s.Result)
	if len(s.Changes) > 0 {
		o.key("changes")
		o.b = appendArray(o.b, s.Changes, o.indent, appendChange)
	}
	o.labels("labels", s.Labels)
	return o.end(prefix)
}

func appendChange(b []byte, c *Change, prefix string) []byte {
	o := object{b: append(b, '{'), indent: prefix + "  "}
	o.str("label", c.Label)
	if c.Before != "" {
		o.str("before", c.Before)
	}
	if c.After != "" {
		o.str("after", c.After)
	}
	return o.end(prefix)
}

// appendArray appends a non-empty slice, each element by appendElem.
func appendArray[T any](b []byte, s []T, prefix string, appendElem func([]byte, *T, string) []byte) []byte {
	b = append(b, '[')
	inner := prefix + "  "
	for i := range s {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '\n')
		b = append(b, inner...)
		b = appendElem(b, &s[i], inner)
	}
	b = append(b, '\n')
	b = append(b, prefix...)
	return append(b, ']')
}

// object appends the members of a JSON object, each on its own line at
// indent.
type object struct {
	b      []byte
	indent string
	n      int
}

func (o *object) key(k string) {
	if o.n > 0 {
		o.b = append(o.b, ',')
	}
	o.n++
	o.b = append(o.b, '\n')
	o.b = append(o.b, o.indent...)
	o.b = appendString(o.b, k)
	o.b = append(o.b, ':', ' ')
}

func (o *object) str(k, v string) {
	o.key(k)
	o.b = appendString(o.b, v)
}

func (o *object) int(k string, v int) {
	o.key(k)
	o.b = strconv.AppendInt(o.b, int64(v), 10)
}

// labels appends a map as encoding/json does: null when nil, keys sorted.
func (o *object) labels(k string, m map[string]string) {
	o.key(k)
	switch {
	case m == nil:
		o.b = append(o.b, "null"...)
		return
	case len(m) == 0:
		o.b = append(o.b, '{', '}')
		return
	}
	inner := object{b: append(o.b, '{'), indent: o.indent + "  "}
	for _, name := range slices.Sorted(maps.Keys(m)) {
		inner.str(name, m[name])
	}
	o.b = inner.end(o.indent)
}

// pairs appends labels sorted by name as an object. With seen, a label
// equal to one of the set seen last is copied from there, and seen
// becomes ls.
func (o *object) pairs(k string, ls []Label, seen *seenSet) {
	o.key(k)
	inner := object{b: append(o.b, '{'), indent: o.indent + "  "}
	if seen == nil {
		for _, l := range ls {
			inner.str(l.Name, l.Value)
		}
		o.b = inner.end(o.indent)
		return
	}
	if seen.indent != inner.indent {
		seen.indent, seen.labels = inner.indent, seen.labels[:0]
	}
	seen.nextSpans = seen.nextSpans[:0]
	j := 0 // seen.labels[:j] are named before l
	for _, l := range ls {
		// Equal names are the rule, so they are looked for first.
		same := false
		for ; j < len(seen.labels); j++ {
			if s := seen.labels[j]; s.Name == l.Name {
				same = s.Value == l.Value
				break
			} else if s.Name > l.Name {
				break
			}
		}
		if same {
			if inner.n > 0 {
				inner.b = append(inner.b, ',')
			}
			inner.n++
			from := len(inner.b)
			sp := seen.spans[j]
			inner.b = append(inner.b, seen.enc[sp.from:sp.to]...)
			seen.nextSpans = append(seen.nextSpans, span{from, len(inner.b)})
			continue
		}
		from := len(inner.b)
		if inner.n > 0 {
			from++ // key's comma
		}
		inner.str(l.Name, l.Value)
		seen.nextSpans = append(seen.nextSpans, span{from, len(inner.b)})
	}
	// What was appended becomes the set seen.
	seen.enc = inner.b
	seen.spans, seen.nextSpans = seen.nextSpans, seen.spans
	seen.next = append(seen.next[:0], ls...)
	seen.labels, seen.next = seen.next, seen.labels
	o.b = inner.end(o.indent)
}

// end closes the object, whose own line starts at prefix.
func (o *object) end(prefix string) []byte {
	if o.n == 0 {
		return append(o.b, '}')
	}
	o.b = append(o.b, '\n')
	o.b = append(o.b, prefix...)
	return append(o.b, '}')
}

// plain holds the ASCII bytes appendString copies as they are.
var plain = func() (t [utf8.RuneSelf]bool) {
	for c := range t {
		t[c] = c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&'
	}
	return t
}()

// plainWords returns the length of the longest run of 8-byte words at the
// start of s whose bytes are all plain, looking at a word at a time: label
// names and values are mostly plain ASCII.
func plainWords(s string) int {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	// has reports whether a byte of w is zero; exact, as to whether.
	has := func(w uint64) uint64 { return (w - ones) & ^w & highs }
	i := 0
	for ; i+8 <= len(s); i += 8 {
		c := s[i : i+8]
		w := uint64(c[0]) | uint64(c[1])<<8 | uint64(c[2])<<16 | uint64(c[3])<<24 |
			uint64(c[4])<<32 | uint64(c[5])<<40 | uint64(c[6])<<48 | uint64(c[7])<<56
		notPlain := w&highs | // not ASCII
			(w-ones*0x20)&^w&highs | // a control character
			has(w^(ones*'"')) | has(w^(ones*'\\')) | has(w^(ones*'<')) | has(w^(ones*'>')) | has(w^(ones*'&'))
		if notPlain != 0 {
			break
		}
	}
	return i
}

// appendString appends s quoted as encoding/json quotes it with HTML
// escaping on: <, > and & as \u003c, \u003e and \u0026, U+2028 and U+2029
// escaped, invalid UTF-8 replaced by U+FFFD.
func appendString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := plainWords(s); i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if plain[c] {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xf])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
