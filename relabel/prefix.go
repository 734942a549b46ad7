package relabel

import (
	"regexp/syntax"
	"strings"

	promrelabel "github.com/prometheus/prometheus/model/relabel"
)

// maxPrefixes bounds the prefixes prefixesOf returns.
const maxPrefixes = 16

// prefixesOf returns texts of which every name r's regex matches starts
// with one, nil if it finds none: the regex is anchored at the start, so a
// name without one of those prefixes needs no regex, nor a look in the
// remembered verdicts (names.go). Zero-width assertions are taken as
// matching the empty text, which only makes more names pass. exact reports
// whether the regex matches no name but those texts themselves.
func prefixesOf(r *promrelabel.Config) (ps []string, exact bool) {
	if r.Regex.Regexp == nil {
		return nil, false
	}
	re, err := syntax.Parse(r.Regex.Regexp.String(), syntax.Perl)
	if err != nil {
		return nil, false
	}
	ps, exact = prefixes(re)
	for _, p := range ps {
		if p == "" {
			return nil, false
		}
	}
	return ps, exact
}

// prefixes returns texts every match of re starts with one of, and
// whether re matches exactly those texts.
func prefixes(re *syntax.Regexp) (ps []string, exact bool) {
	switch re.Op {
	case syntax.OpLiteral:
		if re.Flags&syntax.FoldCase != 0 {
			return []string{""}, false
		}
		return []string{string(re.Rune)}, true
	case syntax.OpEmptyMatch, syntax.OpBeginLine, syntax.OpEndLine, syntax.OpBeginText, syntax.OpEndText,
		syntax.OpWordBoundary, syntax.OpNoWordBoundary:
		return []string{""}, true
	case syntax.OpCapture:
		return prefixes(re.Sub[0])
	case syntax.OpAlternate:
		exact = true
		for _, sub := range re.Sub {
			sps, sexact := prefixes(sub)
			ps = append(ps, sps...)
			exact = exact && sexact
		}
		if len(ps) > maxPrefixes {
			return []string{""}, false
		}
		return ps, exact
	case syntax.OpConcat:
		ps = []string{""}
		for _, sub := range re.Sub {
			sps, sexact := prefixes(sub)
			if len(ps)*len(sps) > maxPrefixes {
				return ps, false
			}
			var next []string
			for _, p := range ps {
				for _, s := range sps {
					next = append(next, p+s)
				}
			}
			ps = next
			if !sexact {
				return ps, false
			}
		}
		return ps, true
	}
	return []string{""}, false
}

// mayMatch reports whether name starts with one of ps, or ps is nil.
func mayMatch(ps []string, name string) bool {
	if ps == nil {
		return true
	}
	for _, p := range ps {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}
