package report

import (
	"fmt"
	"io"
	"os"
	"strings"
)

// WriteCI renders ci in one of the CI formats: junit (JUnit XML as Jenkins
// and GitLab read it), sarif (SARIF 2.1.0 for GitHub code scanning) or
// github (GitHub Actions workflow commands, which annotate the diff).
// Nothing in the output depends on the time or the machine, except that
// SARIF and github make absolute file paths under the working directory
// relative, as GitHub wants paths from the checkout's root.
func WriteCI(w io.Writer, f Format, ci *CI) error {
	switch f {
	case JUnit:
		return writeJUnit(w, ci)
	case SARIF, GitHub:
		wd, err := os.Getwd()
		if err != nil {
			return fmt.Errorf("finding the working directory for %s paths: %w", f, err)
		}
		if f == GitHub {
			return writeGitHub(w, ci, wd)
		}
		return writeSARIF(w, ci, wd)
	}
	return fmt.Errorf("%s is not a CI format (want junit, sarif or github)", f)
}

// findingText is the whole of a finding as plain lines: what, where,
// which job, the message, the suggestion and the detail.
func findingText(f *Finding) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s (%s)", f.ID, f.Name, f.Severity)
	if loc := f.Location(); loc != "" {
		fmt.Fprintf(&b, " at %s", loc)
	}
	b.WriteString("\n")
	if f.Job != "" {
		fmt.Fprintf(&b, "job: %s\n", f.Job)
	}
	b.WriteString(f.Message + "\n")
	if f.Suggestion != "" {
		b.WriteString(f.Suggestion + "\n")
	}
	if f.Detail != "" {
		b.WriteString(strings.TrimRight(f.Detail, "\n") + "\n")
	}
	return b.String()
}

// jobMessage prefixes the message with the job, which the CI views show
// nowhere else.
func jobMessage(f *Finding) string {
	if f.Job == "" {
		return f.Message
	}
	return fmt.Sprintf("job %q: %s", f.Job, f.Message)
}

// ciTool names the run: "sdinspect check", or "sdinspect".
func ciTool(ci *CI) string {
	if ci.Command == "" {
		return "sdinspect"
	}
	return "sdinspect " + ci.Command
}
