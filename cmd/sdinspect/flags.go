package main

import (
	"fmt"
	"slices"
	"strings"

	"github.com/sdinspect/sdinspect/report"
)

// formatFlag is -o/--output: a typed enum limited to what the command
// writes, so a bad value is a usage error.
type formatFlag struct {
	report.Format
	allowed []report.Format
}

func newFormatFlag(def report.Format, allowed []report.Format) formatFlag {
	return formatFlag{Format: def, allowed: allowed}
}

func (f *formatFlag) Set(s string) error {
	var v report.Format
	if err := v.UnmarshalText([]byte(s)); err != nil || !slices.Contains(f.allowed, v) {
		return fmt.Errorf("unknown output format %q (want %s)", s, f.names(", ", " or "))
	}
	f.Format = v
	return nil
}

func (f *formatFlag) Type() string { return f.names("|", "|") }

// names lists the allowed formats: "a, b or c".
func (f *formatFlag) names(sep, last string) string {
	s := make([]string, len(f.allowed))
	for i, v := range f.allowed {
		s[i] = string(v)
	}
	if len(s) == 1 {
		return s[0]
	}
	return strings.Join(s[:len(s)-1], sep) + last + s[len(s)-1]
}

// showFlag is --show.
type showFlag string

const (
	showAll     showFlag = "all"
	showKept    showFlag = "kept"
	showDropped showFlag = "dropped"
)

func (f *showFlag) String() string { return string(*f) }
func (f *showFlag) Type() string   { return "kept|dropped|all" }
func (f *showFlag) Set(s string) error {
	switch v := showFlag(s); v {
	case showAll, showKept, showDropped:
		*f = v
		return nil
	}
	return fmt.Errorf("unknown value %q (want kept, dropped or all)", s)
}

// keeps reports whether a target in state is shown. "dropped" shows every
// target that is not scraped: dropped by a rule or invalid.
func (f showFlag) keeps(state string) bool {
	switch f {
	case showKept:
		return state == "kept"
	case showDropped:
		return state != "kept"
	}
	return true
}
