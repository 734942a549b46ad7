package lint

import (
	"regexp/syntax"
	"strings"
	"unicode"

	promrelabel "github.com/prometheus/prometheus/model/relabel"
)

// compiled parses the regex exactly as Prometheus compiled it, anchors and
// (?s) included. ok is false if it cannot be parsed, which loading would
// have refused already.
func compiled(re promrelabel.Regexp) (*syntax.Regexp, bool) {
	if re.Regexp == nil {
		return nil, false
	}
	parsed, err := syntax.Parse(re.Regexp.String(), syntax.Perl)
	if err != nil {
		return nil, false
	}
	return parsed.Simplify(), true
}

// matchesEverything reports whether re, as Prometheus compiled it, matches
// every string. It decides from the regex's structure and answers false
// when unsure, so a finding built on it is never a guess.
func matchesEverything(re promrelabel.Regexp) bool {
	parsed, ok := compiled(re)
	return ok && matchesAll(parsed)
}

// matchesAll reports whether re matches every string, the empty one too.
func matchesAll(re *syntax.Regexp) bool {
	return matchesEmpty(re, wholeText) && matchesNonEmpty(re)
}

// emptyAt is where a sub-expression has to match the empty string: at the
// start or the end of a non-empty text, or as the whole of an empty text.
type emptyAt int

const (
	textStart emptyAt = iota
	textEnd
	wholeText
)

// matchesEmpty reports whether re matches "" at the given place. Zero-width
// assertions other than ^ and $ (word boundaries) count as not matching.
func matchesEmpty(re *syntax.Regexp, at emptyAt) bool {
	switch re.Op {
	case syntax.OpEmptyMatch, syntax.OpStar, syntax.OpQuest:
		return true
	case syntax.OpBeginLine, syntax.OpBeginText:
		return at != textEnd
	case syntax.OpEndLine, syntax.OpEndText:
		return at != textStart
	case syntax.OpCapture, syntax.OpPlus:
		return matchesEmpty(re.Sub[0], at)
	case syntax.OpConcat:
		for _, s := range re.Sub {
			if !matchesEmpty(s, at) {
				return false
			}
		}
		return true
	case syntax.OpAlternate:
		for _, s := range re.Sub {
			if matchesEmpty(s, at) {
				return true
			}
		}
	}
	return false
}

// matchesNonEmpty reports whether re matches every non-empty string.
func matchesNonEmpty(re *syntax.Regexp) bool {
	switch re.Op {
	case syntax.OpStar, syntax.OpPlus:
		return matchesAnyRune(re.Sub[0]) || matchesNonEmpty(re.Sub[0])
	case syntax.OpCapture, syntax.OpQuest:
		return matchesNonEmpty(re.Sub[0])
	case syntax.OpAlternate:
		for _, s := range re.Sub {
			if matchesNonEmpty(s) {
				return true
			}
		}
	case syntax.OpConcat:
		// One part takes the whole text; every part before it must match
		// "" at the start, every part after it "" at the end.
		for i, s := range re.Sub {
			if !matchesNonEmpty(s) {
				continue
			}
			ok := true
			for j, o := range re.Sub {
				if j < i {
					ok = ok && matchesEmpty(o, textStart)
				} else if j > i {
					ok = ok && matchesEmpty(o, textEnd)
				}
			}
			if ok {
				return true
			}
		}
	}
	return false
}

// matchesAnyRune reports whether re matches every single character.
func matchesAnyRune(re *syntax.Regexp) bool {
	switch re.Op {
	case syntax.OpAnyChar:
		return true
	case syntax.OpCapture:
		return matchesAnyRune(re.Sub[0])
	case syntax.OpCharClass:
		// A class is a sorted list of disjoint ranges.
		next := rune(0)
		for i := 0; i+1 < len(re.Rune); i += 2 {
			if re.Rune[i] > next {
				return false
			}
			next = max(next, re.Rune[i+1]+1)
		}
		return next > unicode.MaxRune
	case syntax.OpAlternate:
		for _, s := range re.Sub {
			if matchesAnyRune(s) {
				return true
			}
		}
	}
	return false
}

// isWholeGroup reports whether re, between Prometheus's anchors (and any
// the user wrote), is nothing but capture group 1, so that $1 is always
// the whole value it matched.
func isWholeGroup(re promrelabel.Regexp) bool {
	if re.Regexp == nil {
		return false
	}
	// Not simplified: simplification may reshape the group's contents but
	// we only look at the top.
	parsed, err := syntax.Parse(re.Regexp.String(), syntax.Perl)
	if err != nil || parsed.Op != syntax.OpConcat {
		return false
	}
	var groups []*syntax.Regexp
	for _, s := range parsed.Sub {
		switch s.Op {
		case syntax.OpBeginText, syntax.OpBeginLine, syntax.OpEndText, syntax.OpEndLine:
		default:
			groups = append(groups, s)
		}
	}
	return len(groups) == 1 && groups[0].Op == syntax.OpCapture && groups[0].Cap == 1
}

// isGroupOne reports whether a replacement is exactly a reference to
// group 1.
func isGroupOne(replacement string) bool {
	return replacement == "$1" || replacement == "${1}"
}

// anchors returns which redundant anchors the regex as written carries: a
// leading ^ and a trailing unescaped $. stripped is the regex without them.
func anchors(written string) (leading, trailing bool, stripped string) {
	s := written
	if strings.HasPrefix(s, "^") {
		leading, s = true, s[1:]
	}
	if strings.HasSuffix(s, "$") {
		backslashes := len(s) - 1 - len(strings.TrimRight(s[:len(s)-1], `\`))
		if backslashes%2 == 0 {
			trailing, s = true, s[:len(s)-1]
		}
	}
	return leading, trailing, s
}
