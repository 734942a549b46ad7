package main

import (
	"fmt"

	"github.com/sdinspect/sdinspect/report"
)

// formatFlag is -o/--output: a typed enum, so a bad value is a usage error.
type formatFlag struct{ report.Format }

func (f *formatFlag) Set(s string) error { return f.UnmarshalText([]byte(s)) }
func (f *formatFlag) Type() string       { return "table|json|yaml" }

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
