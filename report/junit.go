package report

import (
	"fmt"
	"io"
	"strings"
)

// junitSuite is one <testsuite>: the cases of one Case.Suite.
type junitSuite struct {
	name     string
	cases    []Case
	failures int
}

// junitSuites groups the cases by suite, suites in the order they first
// appear, cases in their order.
func junitSuites(ci *CI) []junitSuite {
	var suites []junitSuite
	index := map[string]int{}
	for _, c := range ci.Cases {
		name := c.Suite
		if name == "" {
			name = ciTool(ci)
		}
		i, ok := index[name]
		if !ok {
			i = len(suites)
			index[name] = i
			suites = append(suites, junitSuite{name: name})
		}
		suites[i].cases = append(suites[i].cases, c)
		if c.Failed {
			suites[i].failures++
		}
	}
	return suites
}

// writeJUnit writes the JUnit XML that Jenkins and GitLab read. It has no
// timestamp, host name or time, so that the same run gives the same bytes;
// every attribute it writes is one the Jenkins xunit plugin's junit-10.xsd
// declares (no testcase file attribute: that schema has none, so the
// finding's file:line goes in the failure message).
func writeJUnit(w io.Writer, ci *CI) error {
	suites := junitSuites(ci)
	failures := 0
	for _, s := range suites {
		failures += s.failures
	}
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	fmt.Fprintf(&b, "<testsuites name=%s tests=\"%d\" failures=\"%d\" errors=\"0\">\n", xmlAttr(ciTool(ci)), len(ci.Cases), failures)
	for _, s := range suites {
		fmt.Fprintf(&b, "  <testsuite name=%s tests=\"%d\" failures=\"%d\" errors=\"0\" skipped=\"0\">\n", xmlAttr(s.name), len(s.cases), s.failures)
		for _, c := range s.cases {
			writeJUnitCase(&b, s.name, c)
		}
		b.WriteString("  </testsuite>\n")
	}
	b.WriteString("</testsuites>\n")
	_, err := io.WriteString(w, b.String())
	return err
}

func writeJUnitCase(b *strings.Builder, suite string, c Case) {
	name := c.Name
	if name == "" && c.Finding != nil {
		name = c.Finding.ID
	}
	fmt.Fprintf(b, "    <testcase name=%s classname=%s", xmlAttr(name), xmlAttr(suite))
	f := c.Finding
	switch {
	case c.Failed && f == nil:
		fmt.Fprintf(b, ">\n      <failure message=%s></failure>\n    </testcase>\n", xmlAttr(name+": failed"))
	case c.Failed:
		fmt.Fprintf(b, ">\n      <failure message=%s type=%s>%s</failure>\n    </testcase>\n",
			xmlAttr(failureMessage(f)), xmlAttr(f.ID), xmlText(findingText(f)))
	case f != nil:
		fmt.Fprintf(b, ">\n      <system-out>%s</system-out>\n    </testcase>\n", xmlText(findingText(f)))
	default:
		b.WriteString("/>\n")
	}
}

// failureMessage is the one line a JUnit viewer shows for a failure:
// where, the job, and what.
func failureMessage(f *Finding) string {
	msg := jobMessage(f)
	if loc := f.Location(); loc != "" {
		msg = loc + ": " + msg
	}
	return msg
}

// xmlAttr quotes s as an attribute value. Tabs and line breaks are written
// as character references: a parser would turn them into spaces otherwise.
func xmlAttr(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range xmlChars(s) {
		switch r {
		case '&':
			b.WriteString("&amp;")
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '"':
			b.WriteString("&quot;")
		case '\t':
			b.WriteString("&#x9;")
		case '\n':
			b.WriteString("&#xA;")
		case '\r':
			b.WriteString("&#xD;")
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// xmlText escapes s as character data. A carriage return is written as a
// reference: a parser would turn a raw one into a newline.
func xmlText(s string) string {
	var b strings.Builder
	for _, r := range xmlChars(s) {
		switch r {
		case '&':
			b.WriteString("&amp;")
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '\r':
			b.WriteString("&#xD;")
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// xmlChars drops what XML 1.0 cannot carry at all, not even as a
// character reference: control characters other than tab, newline and
// carriage return, surrogates, U+FFFE and U+FFFF. Bytes that are not UTF-8
// become U+FFFD.
func xmlChars(s string) []rune {
	rs := []rune(strings.ToValidUTF8(s, "\uFFFD"))
	out := rs[:0]
	for _, r := range rs {
		if isXMLChar(r) {
			out = append(out, r)
		}
	}
	return out
}

func isXMLChar(r rune) bool {
	switch {
	case r == '\t', r == '\n', r == '\r':
		return true
	case r < 0x20:
		return false
	case r <= 0xD7FF:
		return true
	case r < 0xE000:
		return false
	case r <= 0xFFFD:
		return true
	}
	return r >= 0x10000 && r <= 0x10FFFF
}
