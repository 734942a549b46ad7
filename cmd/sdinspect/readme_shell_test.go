package main

import (
	"errors"
	"strings"
	"testing"
)

// snippetCommand is one command line of a CI snippet's shell script.
type snippetCommand struct {
	// line is the line as written.
	line string
	// args are the words before the first operator, quotes removed;
	// variables are left as written.
	args []string
	// stdout is the file that > or >> sends standard output to.
	stdout string
}

// format is the value of the command's -o or --output flag.
func (c snippetCommand) format() string {
	for i, a := range c.args {
		if (a == "-o" || a == "--output") && i+1 < len(c.args) {
			return c.args[i+1]
		}
		if v, ok := strings.CutPrefix(a, "--output="); ok {
			return v
		}
	}
	return ""
}

// parseScript splits a script into the command lines that start with
// sdinspect or git; shell syntax around them (if, fi, assignments, exit)
// is left out.
func parseScript(t *testing.T, script string) []snippetCommand {
	t.Helper()
	var cmds []snippetCommand
	for _, line := range strings.Split(script, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		c, err := splitCommand(line)
		if err != nil {
			t.Fatalf("%q: %v", line, err)
		}
		if len(c.args) > 0 && (c.args[0] == "sdinspect" || c.args[0] == "git") {
			cmds = append(cmds, c)
		}
	}
	return cmds
}

// splitCommand splits a line into words as a POSIX shell does for the
// subset the snippets use: blanks, single and double quotes, the
// redirections > and >>, and the operators ||, &&, | and ;.
func splitCommand(line string) (snippetCommand, error) {
	c := snippetCommand{line: line}
	var word strings.Builder
	inWord, redirect, ended := false, false, false
	var quote rune
	flush := func() {
		if !inWord {
			return
		}
		switch {
		case redirect:
			c.stdout, redirect = word.String(), false
		case !ended:
			c.args = append(c.args, word.String())
		}
		word.Reset()
		inWord = false
	}
	rs := []rune(line)
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		switch {
		case quote != 0 && r == quote:
			quote = 0
		case quote != 0:
			word.WriteRune(r)
		case r == '\'' || r == '"':
			quote, inWord = r, true
		case r == ' ' || r == '\t':
			flush()
		case r == '>':
			flush()
			if i+1 < len(rs) && rs[i+1] == '>' {
				i++
			}
			redirect = true
		case r == '|' || r == '&' || r == ';':
			flush()
			ended = true
			if i+1 < len(rs) && rs[i+1] == r {
				i++
			}
		default:
			word.WriteRune(r)
			inWord = true
		}
	}
	if quote != 0 {
		return c, errUnclosedQuote
	}
	flush()
	return c, nil
}

var errUnclosedQuote = errors.New("unclosed quote")

func TestReadmeSnippetsSplit(t *testing.T) {
	tests := []struct {
		name, line, stdout string
		args               []string
	}{
		{"plain", "sdinspect test tests/*.yml -o github", "", []string{"sdinspect", "test", "tests/*.yml", "-o", "github"}},
		{"redirect", "sdinspect check -o sarif > check.sarif", "check.sarif", []string{"sdinspect", "check", "-o", "sarif"}},
		{"append, quoted", `sdinspect diff -o markdown >> "$GITHUB_STEP_SUMMARY"`, "$GITHUB_STEP_SUMMARY", []string{"sdinspect", "diff", "-o", "markdown"}},
		{"status kept", "sdinspect test x.yml -o junit > test.xml || status=$?", "test.xml", []string{"sdinspect", "test", "x.yml", "-o", "junit"}},
		{"quotes joined", `git show "origin/$REF:prometheus.yml" > /tmp/base.yml`, "/tmp/base.yml", []string{"git", "show", "origin/$REF:prometheus.yml"}},
		{"single quotes", `echo 'a b'"c" d;e`, "", []string{"echo", "a bc", "d"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := splitCommand(tt.line)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Join(c.args, "|") != strings.Join(tt.args, "|") || c.stdout != tt.stdout {
				t.Errorf("args %q stdout %q, want %q %q", c.args, c.stdout, tt.args, tt.stdout)
			}
		})
	}
	if _, err := splitCommand(`echo "open`); err == nil {
		t.Errorf("an unclosed quote is accepted")
	}
}
