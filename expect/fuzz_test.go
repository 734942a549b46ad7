package expect

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// FuzzParse holds Parse to its contract on any input: an error is one line
// naming the file, and a parsed file is complete enough to run, with every
// position it records on a line of the file.
func FuzzParse(f *testing.F) {
	examples, _ := filepath.Glob(filepath.Join("..", "testdata", "examples", "tests", "*.yml"))
	for _, path := range examples {
		data, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte("tests:\n- config: p.yml\n  expect: [{match: '{a=~\"b\"}', dropped_by: {rule: 1}}]\n"))
	f.Add([]byte("tests:\n- scrape_config: {job_name: a}\n  discovered: [{a: b, <<: {c: d}}]\n  counts: {kept: 1}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := Parse("t.yml", data)
		if err != nil {
			if msg := err.Error(); !strings.HasPrefix(msg, "t.yml") || strings.ContainsAny(msg, "\r\n") {
				t.Fatalf("error not one line naming the file: %q", msg)
			}
			return
		}
		if len(file.Tests) == 0 {
			t.Fatal("no tests and no error")
		}
		lines := yamlLines(data)
		for _, tt := range file.Tests {
			checkParsedTest(t, tt)
			checkPositions(t, tt, lines)
		}
	})
}

func checkParsedTest(t *testing.T, tt *Test) {
	t.Helper()
	switch {
	case tt.Name == "" || tt.Pos.Line < 1:
		t.Fatalf("test without name or line: %+v", tt)
	case (tt.Config == "") == (tt.ScrapeConfig == nil):
		t.Fatalf("test %q: want exactly one of config and scrape_config", tt.Name)
	case len(tt.Expect) == 0 && tt.Counts == nil:
		t.Fatalf("test %q: nothing to check", tt.Name)
	}
	inputs := 0
	for _, given := range []bool{tt.Snapshot != nil, tt.Objects != nil, tt.Discovered != nil} {
		if given {
			inputs++
		}
	}
	if inputs > 1 {
		t.Fatalf("test %q: %d inputs", tt.Name, inputs)
	}
	for _, e := range tt.Expect {
		switch {
		case e.Object == "" && e.Address == "" && e.Match == nil:
			t.Fatalf("expectation at line %d selects nothing", e.Pos.Line)
		case !slices.Contains([]State{Kept, Dropped, Invalid}, e.State):
			t.Fatalf("expectation at line %d: state %q", e.Pos.Line, e.State)
		case e.State != Kept && (e.Labels != nil || e.LabelsInclude != nil):
			t.Fatalf("expectation at line %d: labels on a %s target", e.Pos.Line, e.State)
		case e.State != Dropped && e.DroppedBy != nil:
			t.Fatalf("expectation at line %d: dropped_by on a %s target", e.Pos.Line, e.State)
		case e.Name == "":
			t.Fatalf("expectation at line %d has no name", e.Pos.Line)
		}
	}
}

// checkPositions checks that every position of tt is a line of a file of
// the given number of lines.
func checkPositions(t *testing.T, tt *Test, lines int) {
	t.Helper()
	pos := []Position{tt.Pos}
	if tt.Discovered != nil {
		pos = append(pos, tt.DiscoveredPos)
	}
	if tt.Counts != nil {
		pos = append(pos, tt.Counts.Pos)
	}
	for _, o := range tt.Objects {
		pos = append(pos, o.Pos)
	}
	for _, e := range tt.Expect {
		pos = append(pos, e.Pos)
	}
	for _, p := range pos {
		if p.File != "t.yml" || p.Line < 1 || p.Line > lines {
			t.Fatalf("test %q: position %s is not a line of the %d-line file", tt.Name, p, lines)
		}
	}
}

// yamlLines counts the lines of data as YAML does: "\r\n", "\r", "\n",
// NEL, LS and PS each end one.
func yamlLines(data []byte) int {
	s := strings.ReplaceAll(string(data), "\r\n", "\n")
	n := 1
	for _, r := range s {
		switch r {
		case '\r', '\n', '\u0085', '\u2028', '\u2029':
			n++
		}
	}
	return n
}
