package report

// Style says how text output is dressed. Color adds ANSI colours; the
// commands set it only when stdout is a terminal and NO_COLOR is unset.
type Style struct{ Color bool }

const (
	ansiRed    = "\x1b[31m"
	ansiGreen  = "\x1b[32m"
	ansiYellow = "\x1b[33m"
	ansiCyan   = "\x1b[36m"
	ansiReset  = "\x1b[0m"
)

func (s Style) paint(code, text string) string {
	if !s.Color {
		return text
	}
	return code + text + ansiReset
}

// Severity renders sev's name, red, yellow or cyan.
func (s Style) Severity(sev Severity) string {
	switch sev {
	case Error:
		return s.paint(ansiRed, string(sev))
	case Warning:
		return s.paint(ansiYellow, string(sev))
	}
	return s.paint(ansiCyan, string(sev))
}

// Good renders text green: a passed test, an added target.
func (s Style) Good(text string) string { return s.paint(ansiGreen, text) }

// Bad renders text red: a failed test, a removed target.
func (s Style) Bad(text string) string { return s.paint(ansiRed, text) }

// Changed renders text yellow: a relabelled target.
func (s Style) Changed(text string) string { return s.paint(ansiYellow, text) }
