package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/rhysd/actionlint"
	"github.com/santhosh-tekuri/jsonschema/v6"
	"gopkg.in/yaml.v3"

	"github.com/sdinspect/sdinspect/internal/schemadir"
	"github.com/sdinspect/sdinspect/internal/xsd"
)

// TestReadmeSnippets holds the README's ready-made CI jobs to what GitHub
// Actions and GitLab CI accept, and runs every sdinspect command in them
// for real, in testdata/examples, which is laid out as the jobs expect
// (prometheus.yml, cluster.yaml, tests/*.yml).
//
// The syntax check of the GitHub workflow is actionlint, which knows the
// workflow syntax, the expression language and the inputs of popular
// actions (checkout and setup-go among them). The GitLab job gets
// gitlabCheck, a keyword check written from GitLab's CI/CD YAML reference
// (not GitLab's JSON schema: no Go module ships it). Each check is shown
// to refuse broken variants. The SARIF the commands write is validated
// against the OASIS SARIF 2.1.0 schema (see internal/schemadir), their
// JUnit against junit-10.xsd.
func TestReadmeSnippets(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	junitXSD, err := os.ReadFile("../../report/testdata/schema/junit-10.xsd")
	if err != nil {
		t.Fatal(err)
	}
	junit, err := xsd.Parse(junitXSD)
	if err != nil {
		t.Fatal(err)
	}
	sarif := schemadir.SARIFValidator(t)
	tests := []struct {
		name, heading, check string
		scripts              func(t *testing.T, doc map[string]any) []string
		structure            func(t *testing.T, doc map[string]any, cmds []snippetCommand)
		syntax               func(t *testing.T, block []byte, doc map[string]any)
	}{
		{"GitHub Actions", "#### GitHub Actions", "actionlint", githubScripts, githubStructure, actionlintClean},
		{"GitLab CI", "#### GitLab CI", "keywords", gitlabScripts, gitlabStructure, gitlabKeywordsClean},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			block := yamlBlockAfter(t, readme, tt.heading)
			var doc map[string]any
			if err := yaml.Unmarshal(block, &doc); err != nil {
				t.Fatalf("the snippet is not YAML: %v", err)
			}
			var cmds []snippetCommand
			for _, script := range tt.scripts(t, doc) {
				cmds = append(cmds, parseScript(t, script)...)
			}
			t.Run("structure", func(t *testing.T) { tt.structure(t, doc, cmds) })
			t.Run(tt.check, func(t *testing.T) { tt.syntax(t, block, doc) })
			t.Run("commands", func(t *testing.T) { runSnippetCommands(t, cmds, junit, sarif) })
		})
	}
}

// yamlBlockAfter returns the first ```yaml block after heading.
func yamlBlockAfter(t *testing.T, readme []byte, heading string) []byte {
	t.Helper()
	_, rest, ok := bytes.Cut(readme, []byte("\n"+heading+"\n"))
	if !ok {
		t.Fatalf("README has no heading %q", heading)
	}
	before, rest, ok := bytes.Cut(rest, []byte("\n```yaml\n"))
	if !ok || bytes.Contains(before, []byte("\n#")) {
		t.Fatalf("no ```yaml block between %q and the next heading", heading)
	}
	block, _, ok := bytes.Cut(rest, []byte("\n```\n"))
	if !ok {
		t.Fatalf("the ```yaml block after %q is not closed", heading)
	}
	return append(block, '\n')
}

// actionlintClean lints the workflow with actionlint, and shows that the
// lint can fail: each broken variant must draw an error.
func actionlintClean(t *testing.T, block []byte, _ map[string]any) {
	// No shellcheck or pyflakes: what they say depends on the machine.
	l, err := actionlint.NewLinter(io.Discard, &actionlint.LinterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	errs, err := l.Lint(".github/workflows/sdinspect.yml", block, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range errs {
		t.Errorf("actionlint: line %d: %s [%s]", e.Line, e.Message, e.Kind)
	}
	// kind is the actionlint rule that must report the break.
	broken := []struct{ name, old, new, kind string }{
		{"bogus job key", "    runs-on: ubuntu-latest\n", "    runs-on: ubuntu-latest\n    bogus-key: 1\n", "syntax-check"},
		{"bogus step key", "      - run: go install", "      - bogus-key: 1\n        run: go install", "syntax-check"},
		{"unclosed if expression", "if: always()", "if: always((", "expression"},
		{"unknown function in if", "if: always()", "if: allways()", "expression"},
		{"unknown event", "  pull_request:\n", "  pull_requests:\n", "events"},
		// actionlint knows the inputs of checkout and setup-go, not those
		// of upload-sarif: githubStructure checks its sarif_file.
		{"unknown input of checkout", "fetch-depth:", "fetch-depths:", "action"},
	}
	for _, b := range broken {
		t.Run("refuses "+b.name, func(t *testing.T) {
			workflow := bytes.Replace(block, []byte(b.old), []byte(b.new), 1)
			if bytes.Equal(workflow, block) {
				t.Fatalf("the edit %q changed nothing", b.old)
			}
			errs, err := l.Lint("broken.yml", workflow, nil)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.ContainsFunc(errs, func(e *actionlint.Error) bool { return e.Kind == b.kind }) {
				t.Errorf("actionlint reports no %s error for a workflow with a %s (errors: %v):\n%s", b.kind, b.name, errs, workflow)
			}
		})
	}
}

// gitlabKeywordsClean runs gitlabCheck on the job; TestGitLabCheck shows
// the check refusing broken files.
func gitlabKeywordsClean(t *testing.T, _ []byte, doc map[string]any) {
	if err := gitlabCheck(doc); err != nil {
		t.Errorf("the job breaks GitLab's CI/CD YAML reference: %v", err)
	}
}

func githubScripts(t *testing.T, doc map[string]any) []string {
	var scripts []string
	for _, step := range githubSteps(t, doc) {
		if run, ok := step["run"].(string); ok {
			scripts = append(scripts, run)
		}
	}
	return scripts
}

func githubSteps(t *testing.T, doc map[string]any) []map[string]any {
	t.Helper()
	jobs, _ := doc["jobs"].(map[string]any)
	if len(jobs) != 1 {
		t.Fatalf("want one job, got %d", len(jobs))
	}
	var steps []map[string]any
	for _, j := range jobs {
		list, _ := j.(map[string]any)["steps"].([]any)
		for _, s := range list {
			steps = append(steps, s.(map[string]any))
		}
	}
	return steps
}

// githubStructure checks what makes the workflow work: code scanning may
// be written to, the base branch is fetched, every step after the first
// that may exit 3 still runs, and the SARIF uploaded is the one written.
func githubStructure(t *testing.T, doc map[string]any, cmds []snippetCommand) {
	if perm, _ := doc["permissions"].(map[string]any); perm["security-events"] != "write" {
		t.Errorf("permissions %v: upload-sarif needs security-events: write", doc["permissions"])
	}
	steps := githubSteps(t, doc)
	sarif := outputOf(cmds, "sarif")
	if sarif == "" {
		t.Errorf("no step writes -o sarif to a file")
	}
	mayFail, uploads := false, 0
	for i, s := range steps {
		uses, _ := s["uses"].(string)
		with, _ := s["with"].(map[string]any)
		if strings.HasPrefix(uses, "actions/checkout@") && with["fetch-depth"] != 0 {
			t.Errorf("checkout without fetch-depth: 0: git show origin/<base> finds no base branch")
		}
		cond, _ := s["if"].(string)
		if mayFail && !strings.Contains(cond, "always()") {
			t.Errorf("step %d runs after a step that may exit 3 but has if: %q, not always()", i, cond)
		}
		if strings.HasPrefix(uses, "github/codeql-action/upload-sarif@") {
			uploads++
			if with["sarif_file"] != sarif {
				t.Errorf("upload-sarif uploads %v, the check writes %q", with["sarif_file"], sarif)
			}
		}
		if run, _ := s["run"].(string); strings.Contains(run, "sdinspect check") || strings.Contains(run, "sdinspect test") {
			mayFail = true
		}
	}
	if uploads != 1 {
		t.Errorf("%d upload-sarif steps, want 1", uploads)
	}
}

func gitlabJob(t *testing.T, doc map[string]any) map[string]any {
	t.Helper()
	if len(doc) != 1 {
		t.Fatalf("want one job, got %d keys", len(doc))
	}
	for _, j := range doc {
		return j.(map[string]any)
	}
	return nil
}

func gitlabScripts(t *testing.T, doc map[string]any) []string {
	job := gitlabJob(t, doc)
	var scripts []string
	for _, key := range []string{"before_script", "script"} {
		list, _ := job[key].([]any)
		for _, s := range list {
			scripts = append(scripts, s.(string))
		}
	}
	return scripts
}

// gitlabStructure checks what makes the job work: a Go image, every
// sdinspect exit status kept until the end, the JUnit reports uploaded
// whatever the outcome, and every file written -o junit among them.
func gitlabStructure(t *testing.T, doc map[string]any, cmds []snippetCommand) {
	job := gitlabJob(t, doc)
	if image, _ := job["image"].(string); !strings.HasPrefix(image, "golang:") {
		t.Errorf("image %q: go install needs a golang image", image)
	}
	script, _ := job["script"].([]any)
	if len(script) == 0 || script[len(script)-1] != "exit $status" {
		t.Errorf("the script does not end in exit $status: the job would not fail on findings")
	}
	for _, c := range cmds {
		if c.args[0] == "sdinspect" && !strings.HasSuffix(c.line, "|| status=$?") {
			t.Errorf("%q stops the script on exit 3 before the reports are written; end it in || status=$?", c.line)
		}
	}
	artifacts, _ := job["artifacts"].(map[string]any)
	if artifacts["when"] != "always" {
		t.Errorf("artifacts:when is %v, want always: a failed job must still upload its reports", artifacts["when"])
	}
	reports, _ := artifacts["reports"].(map[string]any)
	var junit []string
	for _, f := range reports["junit"].([]any) {
		junit = append(junit, f.(string))
	}
	for _, c := range cmds {
		if c.format() == "junit" && !slices.Contains(junit, c.stdout) {
			t.Errorf("%q writes %q, which artifacts:reports:junit (%q) does not upload", c.line, c.stdout, junit)
		}
	}
}

// outputOf is the file the first command writing format redirects to.
func outputOf(cmds []snippetCommand, format string) string {
	for _, c := range cmds {
		if c.format() == format {
			return c.stdout
		}
	}
	return ""
}

var errNoSnippetCommands = errors.New("no sdinspect command")

// runSnippetCommands runs the sdinspect commands in testdata/examples,
// with `git show REF:FILE > OUT` standing for FILE as it is (the base of
// the diff is then the head) and /tmp/ files in a temporary directory.
func runSnippetCommands(t *testing.T, cmds []snippetCommand, junit *xsd.Schema, sarif *jsonschema.Schema) {
	tmp := t.TempDir()
	t.Chdir("../../testdata/examples")
	n := 0
	for _, c := range cmds {
		switch c.args[0] {
		case "git":
			if len(c.args) == 3 && c.args[1] == "show" {
				_, file, _ := strings.Cut(c.args[2], ":")
				data, err := os.ReadFile(file)
				if err != nil {
					t.Fatal(err)
				}
				writeFile(t, inTmp(tmp, c.stdout), string(data))
			}
		case "sdinspect":
			n++
			t.Run(strings.Join(c.args[1:min(3, len(c.args))], " "), func(t *testing.T) {
				runSnippetCommand(t, c, tmp, junit, sarif)
			})
		}
	}
	if n == 0 {
		t.Fatal(errNoSnippetCommands)
	}
}

func runSnippetCommand(t *testing.T, c snippetCommand, tmp string, junit *xsd.Schema, sarif *jsonschema.Schema) {
	var args []string
	for _, a := range c.args[1:] {
		matches, _ := filepath.Glob(a)
		switch {
		case strings.ContainsAny(a, "*?[") && len(matches) > 0:
			args = append(args, matches...)
		default:
			args = append(args, inTmp(tmp, a))
		}
	}
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), args, &stdout, &stderr)
	if code != exitOK && code != exitFindings {
		t.Fatalf("%q exits %d:\n%s", c.line, code, stderr.String())
	}
	out := stdout.Bytes()
	switch c.format() {
	case "junit":
		if err := junit.Validate(out); err != nil {
			t.Errorf("%q writes JUnit that junit-10.xsd refuses: %v", c.line, err)
		}
	case "sarif":
		inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(out))
		if err != nil {
			t.Fatalf("%q writes no JSON: %v", c.line, err)
		}
		if err := sarif.Validate(inst); err != nil {
			t.Errorf("%q writes SARIF the SARIF 2.1.0 schema refuses: %v", c.line, err)
		}
	case "github":
		command := regexp.MustCompile(`^::(error|warning|notice)( [^:]*)?::`)
		lines := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
		for _, l := range lines[:len(lines)-1] {
			if !command.MatchString(l) {
				t.Errorf("%q writes %q, not a workflow command", c.line, l)
			}
		}
		if last := lines[len(lines)-1]; !strings.HasPrefix(last, "sdinspect ") {
			t.Errorf("%q ends in %q, not the summary", c.line, last)
		}
	case "markdown":
		if !bytes.HasPrefix(out, []byte("#")) {
			t.Errorf("%q writes no Markdown heading first:\n%s", c.line, out)
		}
	}
}

func inTmp(tmp, path string) string {
	if rest, ok := strings.CutPrefix(path, "/tmp/"); ok {
		return filepath.Join(tmp, rest)
	}
	return path
}
