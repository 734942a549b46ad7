package report

import (
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"
)

// writeGitHub writes GitHub Actions workflow commands: one ::error,
// ::warning or ::notice line per case with a finding (a failed case is
// always ::error), which GitHub shows as annotations on the file and line,
// then one plain summary line. Absolute paths under wd are made relative
// to it: GitHub matches annotations to files by their path in the checkout.
func writeGitHub(w io.Writer, ci *CI, wd string) error {
	var b strings.Builder
	failed, findings := 0, 0
	for _, c := range ci.Cases {
		if c.Failed {
			failed++
		}
		if c.Finding != nil {
			findings++
		}
		if line := githubCommand(c, wd); line != "" {
			b.WriteString(line + "\n")
		}
	}
	fmt.Fprintf(&b, "%s: %s, %d failed, %s\n", ciTool(ci), plural(len(ci.Cases), "case"), failed, plural(findings, "finding"))
	_, err := io.WriteString(w, b.String())
	return err
}

// githubCommand is the workflow command for one case, or "" for a case
// that passed with nothing to say.
func githubCommand(c Case, wd string) string {
	f := c.Finding
	if f == nil {
		if !c.Failed {
			return ""
		}
		if c.Suite == "" {
			return "::error::" + escapeData(c.Name+": failed")
		}
		return "::error title=" + escapeProperty(c.Suite) + "::" + escapeData(c.Name+": failed")
	}
	cmd := "notice"
	switch {
	case c.Failed || f.Severity == Error:
		cmd = "error"
	case f.Severity == Warning:
		cmd = "warning"
	}
	var props []string
	if f.File != "" {
		file := f.File
		if rel, err := filepath.Rel(wd, file); filepath.IsAbs(file) && err == nil && filepath.IsLocal(rel) {
			file = filepath.ToSlash(rel)
		}
		props = append(props, "file="+escapeProperty(file))
		if f.Line > 0 {
			props = append(props, "line="+strconv.Itoa(f.Line))
		}
	}
	props = append(props, "title="+escapeProperty(strings.TrimSpace(f.ID+" "+f.Name)))
	msg := jobMessage(f)
	if f.Suggestion != "" {
		msg += "\n" + f.Suggestion
	}
	if f.Detail != "" {
		msg += "\n" + strings.TrimRight(f.Detail, "\n")
	}
	return "::" + cmd + " " + strings.Join(props, ",") + "::" + escapeData(msg)
}

// escapeData escapes a workflow command's message as @actions/core's
// escapeData does.
func escapeData(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A").Replace(s)
}

// escapeProperty escapes a workflow command's property value as
// @actions/core's escapeProperty does: as data, and : and , too.
func escapeProperty(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C").Replace(s)
}
