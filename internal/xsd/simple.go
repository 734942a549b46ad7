package xsd

import (
	"fmt"
	"math/big"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// simpleType is a built-in type or a restriction of one.
type simpleType struct {
	name string
	// base is the type this one restricts; nil for a built-in.
	base *simpleType
	// builtin checks a built-in type's lexical space; nil when base is set.
	builtin func(string) error
	// whiteSpace is preserve, replace or collapse; "" inherits the base's.
	whiteSpace string
	// The facets of this restriction step: patterns are alternatives,
	// the other facets all hold.
	patterns             []*regexp.Regexp
	patternSrc           []string
	minLength, maxLength int // -1 when unset
	enumeration          []string
}

// whiteSpaceOf is the whiteSpace facet in force for t.
func (t *simpleType) whiteSpaceOf() string {
	for ; t != nil; t = t.base {
		if t.whiteSpace != "" {
			return t.whiteSpace
		}
	}
	return "preserve"
}

// validate checks a value against t and every type it restricts.
func (t *simpleType) validate(v string) error {
	v = normalize(v, t.whiteSpaceOf())
	for s := t; s != nil; s = s.base {
		if err := s.facets(v); err != nil {
			return err
		}
	}
	return nil
}

func (t *simpleType) facets(v string) error {
	if t.builtin != nil {
		if err := t.builtin(v); err != nil {
			return fmt.Errorf("%q is not a valid %s: %w", v, t.name, err)
		}
		return nil
	}
	n := len([]rune(v))
	if t.minLength >= 0 && n < t.minLength {
		return fmt.Errorf("%q is shorter than %d characters (%s)", v, t.minLength, t.name)
	}
	if t.maxLength >= 0 && n > t.maxLength {
		return fmt.Errorf("%q is longer than %d characters (%s)", v, t.maxLength, t.name)
	}
	if len(t.enumeration) > 0 && !slices.Contains(t.enumeration, v) {
		return fmt.Errorf("%q is not one of %q (%s)", v, t.enumeration, t.name)
	}
	if len(t.patterns) > 0 && !slices.ContainsFunc(t.patterns, func(re *regexp.Regexp) bool { return re.MatchString(v) }) {
		return fmt.Errorf("%q does not match the pattern %q (%s)", v, strings.Join(t.patternSrc, "|"), t.name)
	}
	return nil
}

// normalize applies a whiteSpace facet: replace turns tabs and line
// breaks into spaces, collapse also trims and squeezes runs of spaces.
func normalize(v, ws string) string {
	if ws == "preserve" {
		return v
	}
	v = strings.Map(func(r rune) rune {
		if r == '\t' || r == '\n' || r == '\r' {
			return ' '
		}
		return r
	}, v)
	if ws == "collapse" {
		v = strings.Join(strings.Fields(v), " ")
	}
	return v
}

var (
	integerRe  = regexp.MustCompile(`^[+-]?[0-9]+$`)
	decimalRe  = regexp.MustCompile(`^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)$`)
	dateTimeRe = regexp.MustCompile(`^-?([0-9]{4,})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})(\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})?$`)
)

// builtins returns the built-in types this package knows, by local name
// in the XML Schema namespace. A schema naming any other is refused.
func builtins() map[string]*simpleType {
	anything := func(string) error { return nil }
	integer := func(lo, hi *big.Int) func(string) error {
		return func(v string) error {
			if !integerRe.MatchString(v) {
				return fmt.Errorf("not an integer")
			}
			n, _ := new(big.Int).SetString(strings.TrimPrefix(v, "+"), 10)
			if (lo != nil && n.Cmp(lo) < 0) || (hi != nil && n.Cmp(hi) > 0) {
				return fmt.Errorf("out of range")
			}
			return nil
		}
	}
	types := map[string]*simpleType{
		"string":             {builtin: anything, whiteSpace: "preserve"},
		"normalizedString":   {builtin: anything, whiteSpace: "replace"},
		"token":              {builtin: anything, whiteSpace: "collapse"},
		"anyURI":             {builtin: anything, whiteSpace: "collapse"},
		"boolean":            {builtin: oneOf("true", "false", "1", "0"), whiteSpace: "collapse"},
		"decimal":            {builtin: matches(decimalRe), whiteSpace: "collapse"},
		"integer":            {builtin: integer(nil, nil), whiteSpace: "collapse"},
		"nonNegativeInteger": {builtin: integer(big.NewInt(0), nil), whiteSpace: "collapse"},
		"positiveInteger":    {builtin: integer(big.NewInt(1), nil), whiteSpace: "collapse"},
		"long":               {builtin: integer(big.NewInt(-1<<63), big.NewInt(1<<63-1)), whiteSpace: "collapse"},
		"int":                {builtin: integer(big.NewInt(-1<<31), big.NewInt(1<<31-1)), whiteSpace: "collapse"},
		"short":              {builtin: integer(big.NewInt(-1<<15), big.NewInt(1<<15-1)), whiteSpace: "collapse"},
		"dateTime":           {builtin: dateTime, whiteSpace: "collapse"},
	}
	for name, t := range types {
		t.name = "xs:" + name
		t.minLength, t.maxLength = -1, -1
	}
	return types
}

func oneOf(vals ...string) func(string) error {
	return func(v string) error {
		if !slices.Contains(vals, v) {
			return fmt.Errorf("want one of %q", vals)
		}
		return nil
	}
}

func matches(re *regexp.Regexp) func(string) error {
	return func(v string) error {
		if !re.MatchString(v) {
			return fmt.Errorf("bad lexical form")
		}
		return nil
	}
}

func dateTime(v string) error {
	m := dateTimeRe.FindStringSubmatch(v)
	if m == nil {
		return fmt.Errorf("want YYYY-MM-DDThh:mm:ss")
	}
	num := func(i int) int { n, _ := strconv.Atoi(m[i]); return n }
	month, day, hour, minute, sec := num(2), num(3), num(4), num(5), num(6)
	endOfDay := hour == 24 && minute == 0 && sec == 0 && strings.Trim(m[7], ".0") == ""
	if month < 1 || month > 12 || day < 1 || day > 31 || (hour > 23 && !endOfDay) || minute > 59 || sec > 59 {
		return fmt.Errorf("a field is out of range")
	}
	return nil
}

// translateRegex turns an XML Schema regular expression into an anchored
// Go one. It refuses what it cannot translate faithfully: the name-
// character escapes \i \I \c \C, \w \W, Unicode blocks (\p{IsX}) and
// character class subtraction.
func translateRegex(x string) (*regexp.Regexp, error) {
	var b strings.Builder
	inClass := false
	rs := []rune(x)
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		switch {
		case r == '\\':
			if i+1 >= len(rs) {
				return nil, fmt.Errorf("pattern %q ends in a backslash", x)
			}
			i++
			esc, err := translateEscape(rs, &i, inClass)
			if err != nil {
				return nil, fmt.Errorf("pattern %q: %w", x, err)
			}
			b.WriteString(esc)
		case inClass && r == '-' && i+1 < len(rs) && rs[i+1] == '[':
			return nil, fmt.Errorf("pattern %q: character class subtraction is not supported", x)
		case inClass && r == ']':
			inClass = false
			b.WriteRune(r)
		case !inClass && r == '[':
			inClass = true
			b.WriteRune(r)
			if i+1 < len(rs) && rs[i+1] == '^' {
				b.WriteRune('^')
				i++
			}
		case !inClass && (r == '^' || r == '$'):
			// Ordinary characters in XML Schema, anchors in Go.
			b.WriteString(`\` + string(r))
		default:
			b.WriteRune(r)
		}
	}
	re, err := regexp.Compile(`^(?:` + b.String() + `)$`)
	if err != nil {
		return nil, fmt.Errorf("pattern %q: %w", x, err)
	}
	return re, nil
}

// translateEscape translates the escape whose letter is rs[*i], moving *i
// past a \p{...} property name.
func translateEscape(rs []rune, i *int, inClass bool) (string, error) {
	switch c := rs[*i]; c {
	case 'n', 'r', 't', '\\', '|', '.', '-', '^', '?', '*', '+', '{', '}', '(', ')', '[', ']':
		return `\` + string(c), nil
	case 'd':
		return `\p{Nd}`, nil
	case 'D':
		return `\P{Nd}`, nil
	case 's':
		if inClass {
			return ` \t\n\r`, nil
		}
		return `[ \t\n\r]`, nil
	case 'S':
		if inClass {
			return "", fmt.Errorf(`\S inside a character class is not supported`)
		}
		return `[^ \t\n\r]`, nil
	case 'p', 'P':
		end := slices.Index(rs[*i:], '}')
		if *i+1 >= len(rs) || rs[*i+1] != '{' || end < 0 {
			return "", fmt.Errorf(`\%c without {name}`, c)
		}
		name := string(rs[*i+2 : *i+end])
		if strings.HasPrefix(name, "Is") {
			return "", fmt.Errorf(`Unicode block \%c{%s} is not supported`, c, name)
		}
		*i += end
		return `\` + string(c) + "{" + name + "}", nil
	}
	return "", fmt.Errorf(`escape \%c is not supported`, rs[*i])
}
