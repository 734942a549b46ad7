package main

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"gopkg.in/yaml.v3"
)

// TestExampleTests runs the example test files the README points to: they
// must pass, so that what a new user copies works.
func TestExampleTests(t *testing.T) {
	t.Parallel()
	paths, err := filepath.Glob(filepath.Join("..", "..", "testdata", "examples", "tests", "*.yml"))
	if err != nil || len(paths) < 3 {
		t.Fatalf("want at least 3 example test files, found %v (%v)", paths, err)
	}
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), append([]string{"test"}, paths...), &stdout, &stderr); code != exitOK {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout.String(), stderr.String())
	}
	if stderr.Len() > 0 {
		t.Errorf("stderr:\n%s", stderr.String())
	}
	if !strings.Contains(stdout.String(), " 0 failed\n") {
		t.Errorf("no summary line in:\n%s", stdout.String())
	}
}

// TestTestCIFormats checks that the CI formats of a failing run parse and
// hold one case or result per expectation.
func TestTestCIFormats(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	file := filepath.Join(dir, "t.test.yml")
	writeTestFile(t, file, `tests:
  - name: static
    scrape_config: {job_name: a, static_configs: [{targets: ["a:1", "b:1"]}]}
    expect:
      - {address: "a:1", labels: {job: a, instance: "a:1"}}
      - {address: "b:1", labels: {job: b, instance: "b:1"}}
`)
	run1 := func(format string) []byte {
		var stdout, stderr bytes.Buffer
		if code := run(context.Background(), []string{"test", "-o", format, file}, &stdout, &stderr); code != exitFindings {
			t.Fatalf("-o %s: exit %d, want %d\n%s", format, code, exitFindings, stderr.String())
		}
		return stdout.Bytes()
	}
	var junit struct {
		Tests    int `xml:"tests,attr"`
		Failures int `xml:"failures,attr"`
	}
	if err := xml.Unmarshal(run1("junit"), &junit); err != nil || junit.Tests != 2 || junit.Failures != 1 {
		t.Errorf("junit: %+v, %v; want 2 tests, 1 failure", junit, err)
	}
	var sarif struct {
		Runs []struct {
			Results []struct {
				RuleID    string `json:"ruleId"`
				Locations []struct {
					PhysicalLocation struct {
						Region struct {
							StartLine int `json:"startLine"`
						} `json:"region"`
					} `json:"physicalLocation"`
				} `json:"locations"`
			} `json:"results"`
		} `json:"runs"`
	}
	if err := json.Unmarshal(run1("sarif"), &sarif); err != nil || len(sarif.Runs) != 1 || len(sarif.Runs[0].Results) != 1 {
		t.Fatalf("sarif: %+v, %v; want one result", sarif, err)
	}
	if r := sarif.Runs[0].Results[0]; r.RuleID != "test" || len(r.Locations) != 1 || r.Locations[0].PhysicalLocation.Region.StartLine != 6 {
		t.Errorf("sarif result %+v, want rule test at line 6", r)
	}
	if gh := string(run1("github")); !strings.HasPrefix(gh, "::error file="+file+",line=6,") {
		t.Errorf("github: %q, want an error annotation at line 6", gh)
	}
}

func TestTestErrors(t *testing.T) {
	t.Parallel()
	configs := map[string]string{
		"prometheus.yml": "scrape_configs:\n- job_name: a\n  static_configs: [{targets: [\"a:1\"]}]\n- job_name: b\n",
		"empty.yml":      "global: {scrape_interval: 1m}\n",
		"bad.yml":        "scrape_configs:\n- job_name: a\n- job_name: b\n  relabel_configs:\n  - {action: keep, regex: \"(\"}\n",
	}
	tests := []struct {
		name, file string
		args       []string
		wantCode   int
		wantErr    string
	}{
		{
			name:     "bad config",
			file:     "tests:\n- config: bad.yml\n  job: a\n  counts: {kept: 1}\n",
			wantCode: exitFailed,
			wantErr: `sdinspect: $WORK/t.yml:2: loading config "$WORK/bad.yml": $WORK/bad.yml:5: job "b": relabel_configs[0]: ` +
				"error parsing regexp: missing closing ): `^(?s:()$`",
		},
		{
			name:     "unknown job",
			file:     "tests:\n- config: prometheus.yml\n  job: c\n  counts: {kept: 1}\n",
			wantCode: exitFailed,
			wantErr:  `sdinspect: $WORK/t.yml:2: job "c" not found in $WORK/prometheus.yml; its jobs are "a", "b"`,
		},
		{
			name:     "which job",
			file:     "tests:\n- config: prometheus.yml\n  counts: {kept: 1}\n",
			wantCode: exitFailed,
			wantErr:  `sdinspect: $WORK/t.yml:2: which job? $WORK/prometheus.yml has 2 jobs, give job: one of "a", "b"`,
		},
		{
			name:     "config without jobs",
			file:     "tests:\n- config: empty.yml\n  counts: {kept: 0}\n",
			wantCode: exitFailed,
			wantErr:  `sdinspect: $WORK/t.yml:2: $WORK/empty.yml has no scrape configs: no job to test`,
		},
		{
			name:     "missing snapshot",
			file:     "tests:\n- scrape_config: {job_name: a}\n  snapshot: nowhere.yaml\n  counts: {kept: 1}\n",
			wantCode: exitFailed,
			wantErr:  `sdinspect: $WORK/t.yml:2: reading snapshot "$WORK/nowhere.yaml": no such file or directory`,
		},
		{
			name:     "missing test file",
			file:     "tests: []\n",
			args:     []string{"test", "$WORK/none.yml"},
			wantCode: exitFailed,
			wantErr:  "sdinspect: reading test file: stat $WORK/none.yml: no such file or directory",
		},
		{
			name:     "bad output format",
			file:     "tests: []\n",
			args:     []string{"test", "-o", "table", "$WORK/t.yml"},
			wantCode: exitUsage,
			wantErr:  `sdinspect: invalid argument "table" for "-o, --output" flag: unknown output format "table" (want text, json, junit, sarif, github or markdown)`,
		},
		{
			name:     "no arguments",
			file:     "tests: []\n",
			args:     []string{"test"},
			wantCode: exitUsage,
			wantErr:  "sdinspect: test needs the test files to run (sdinspect test FILE...)",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			work := t.TempDir()
			for name, text := range configs {
				writeTestFile(t, filepath.Join(work, name), text)
			}
			writeTestFile(t, filepath.Join(work, "t.yml"), tt.file)
			args := tt.args
			if args == nil {
				args = []string{"test", "$WORK/t.yml"}
			}
			for i := range args {
				args[i] = strings.ReplaceAll(args[i], "$WORK", work)
			}
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), args, &stdout, &stderr)
			got := strings.ReplaceAll(strings.TrimSpace(stderr.String()), work, "$WORK")
			if code != tt.wantCode || !strings.HasPrefix(got, tt.wantErr) || strings.Contains(got, "\n") || stdout.Len() > 0 {
				t.Errorf("exit %d, stderr %q, stdout %q; want exit %d, one line starting %q", code, got, stdout.String(), tt.wantCode, tt.wantErr)
			}
		})
	}
}

func writeTestFile(t *testing.T, path, text string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestReadmeTestExamples holds the README's examples of test files to
// what sdinspect does: the complete example runs, passing, with the output
// shown, and fails as shown once it wants one more label; the example
// against a prometheus.yml is one of the tests of testdata/examples/tests,
// which TestExampleTests runs.
func TestReadmeTestExamples(t *testing.T) {
	t.Parallel()
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(readme), "\n#### A complete example\n")
	if !ok {
		t.Fatal("no complete example in the README")
	}
	blocks := fencedBlocks(section)
	if len(blocks) < 4 {
		t.Fatalf("%d code blocks after the complete example, want the test file, its output, its failure and a test against a prometheus.yml", len(blocks))
	}
	dir := t.TempDir()
	runExample := func(text string, wantCode int) string {
		writeTestFile(t, filepath.Join(dir, "web.test.yml"), text)
		var stdout, stderr bytes.Buffer
		if code := run(context.Background(), []string{"test", filepath.Join(dir, "web.test.yml")}, &stdout, &stderr); code != wantCode {
			t.Fatalf("exit %d, want %d\n%s%s", code, wantCode, stdout.String(), stderr.String())
		}
		return strings.ReplaceAll(stdout.String(), dir+string(filepath.Separator), "")
	}
	shown, ok := strings.CutPrefix(blocks[1], "$ sdinspect test web.test.yml\n")
	if !ok {
		t.Fatalf("the output block does not start with the command: %q", blocks[1])
	}
	if got := runExample(blocks[0], exitOK); got != shown {
		t.Errorf("the README shows:\n%s\nsdinspect prints:\n%s", shown, got)
	}
	broken := strings.Replace(blocks[0], "pod: web-0}", "pod: web-0, team: web}", 1)
	got := runExample(broken, exitFindings)
	// The README leaves out lines where it shows "...".
	rest := got
	for _, line := range strings.Split(strings.TrimSuffix(blocks[2], "\n"), "\n") {
		if strings.TrimSpace(line) == "..." {
			continue
		}
		i := strings.Index(rest, line+"\n")
		if i < 0 {
			t.Fatalf("README line %q not in the output, in order:\n%s", line, got)
		}
		rest = rest[i+len(line)+1:]
	}
	var snippet, examples struct{ Tests []any }
	if err := yaml.Unmarshal([]byte(blocks[3]), &snippet); err != nil || len(snippet.Tests) != 1 {
		t.Fatalf("the prometheus.yml example: %v, %d tests", err, len(snippet.Tests))
	}
	data, err := os.ReadFile(filepath.Join("..", "..", "testdata", "examples", "tests", "pods.test.yml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(data, &examples); err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(examples.Tests, func(x any) bool { return cmp.Equal(x, snippet.Tests[0]) }) {
		t.Errorf("the README's test against a prometheus.yml is not one of testdata/examples/tests/pods.test.yml's:\n%s", blocks[3])
	}
}

// fencedBlocks returns the contents of the ``` code blocks of a Markdown text.
func fencedBlocks(md string) []string {
	var out []string
	for {
		_, rest, ok := strings.Cut(md, "```")
		if !ok {
			return out
		}
		_, rest, _ = strings.Cut(rest, "\n") // the info string
		block, after, ok := strings.Cut(rest, "```")
		if !ok {
			return out
		}
		out = append(out, block)
		md = after
	}
}
