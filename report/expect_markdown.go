package report

import (
	"fmt"
	"strings"
)

// writeTestMarkdown writes r as a pull-request comment: a headline, a table
// of the tests, and the failures with their label diffs and, folded, their
// traces.
func writeTestMarkdown(b *strings.Builder, r *TestReport) {
	s := r.Summary
	if s.Failed == 0 {
		fmt.Fprintf(b, "### sdinspect test: all %s passed\n\n", plural(s.Expectations, "expectation"))
	} else {
		fmt.Fprintf(b, "### sdinspect test: %d of %s failed\n\n", s.Failed, plural(s.Expectations, "expectation"))
	}
	b.WriteString("| | Test | Job | Expectations | Where |\n|---|---|---|---|---|\n")
	for _, g := range r.Tests {
		failed := 0
		for _, e := range g.Expectations {
			if !e.Passed {
				failed++
			}
		}
		mark, count := "✅", fmt.Sprintf("%d passed", len(g.Expectations))
		if failed > 0 {
			mark, count = "❌", fmt.Sprintf("%d of %d failed", failed, len(g.Expectations))
		}
		fmt.Fprintf(b, "| %s | %s | %s | %s | %s |\n", mark, mdText(g.Name), mdCode(g.Job), count, mdCode(fmt.Sprintf("%s:%d", g.File, g.Line)))
	}
	if s.Failed == 0 {
		return
	}
	b.WriteString("\n#### Failures\n")
	for _, g := range r.Tests {
		for _, e := range g.Expectations {
			if !e.Passed {
				writeMarkdownFailure(b, g, e)
			}
		}
	}
}

func writeMarkdownFailure(b *strings.Builder, g TestGroup, e TestExpectation) {
	fmt.Fprintf(b, "\n##### %s %s\n\n", mdCode(fmt.Sprintf("%s:%d", e.File, e.Line)), mdText(g.Name))
	fmt.Fprintf(b, "Expected: %s\n\n", mdText(e.Name))
	fmt.Fprintf(b, "%s\n", mdText(e.Message))
	if len(e.Candidates) > 0 {
		b.WriteString("\nSome of the job's targets, nearest first:\n")
		for _, c := range e.Candidates {
			fmt.Fprintf(b, "- %s\n", mdCode(c))
		}
	}
	for _, f := range e.Failures {
		if f.Target == nil {
			continue
		}
		if f.Message != e.Message {
			fmt.Fprintf(b, "\n%s\n", mdText(f.Message))
		}
		if len(f.Diff) > 0 {
			b.WriteString("\n")
			b.WriteString(fenced("diff", strings.Join(diffLines(f.Diff), "\n")+"\n"))
		}
		var trace strings.Builder
		_ = WriteExplain(&trace, g.Job, *f.Target)
		fmt.Fprintf(b, "\n<details><summary>Trace of %s #%d</summary>\n\n%s\n</details>\n", htmlText(f.Target.Source), f.Target.Index, fenced("", trace.String()))
	}
}

// mdText escapes what Markdown would otherwise format: label names such as
// __address__ would turn bold.
var mdEscaper = strings.NewReplacer(
	`\`, `\\`, "`", "\\`", "*", `\*`, "_", `\_`, "[", `\[`, "]", `\]`,
	"<", `&lt;`, ">", `&gt;`, "|", `\|`, "#", `\#`, "\n", " ",
)

func mdText(s string) string { return mdEscaper.Replace(s) }

var htmlEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

func htmlText(s string) string { return htmlEscaper.Replace(s) }

// mdCode renders s as inline code, fenced with more backticks than it holds.
func mdCode(s string) string {
	s = strings.ReplaceAll(strings.ReplaceAll(s, "|", `\|`), "\n", " ")
	fence := strings.Repeat("`", longestRun(s, '`')+1)
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") {
		return fence + " " + s + " " + fence
	}
	return fence + s + fence
}

// fenced renders text, which ends in a newline, as a code block.
func fenced(lang, text string) string {
	fence := strings.Repeat("`", max(3, longestRun(text, '`')+1))
	return fence + lang + "\n" + text + fence + "\n"
}

func longestRun(s string, c byte) int {
	longest, run := 0, 0
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	return longest
}
