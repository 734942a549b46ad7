package lint_test

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sdinspect/sdinspect/lint"
	"github.com/sdinspect/sdinspect/promconfig"
	"github.com/sdinspect/sdinspect/report"
)

// cfgFinding is the part of a config finding the tests compare.
type cfgFinding struct {
	ID, Job    string
	Line, Rule int
	Message    string
	Suggestion string
}

// cfgCheck loads the config at path with Prometheus's loader, as check
// does, and returns its config findings (no objects given).
func cfgCheck(t *testing.T, path string) []report.Finding {
	t.Helper()
	cfg, err := promconfig.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	jobs := make([]lint.Job, len(cfg.Jobs))
	for i, j := range cfg.Jobs {
		jobs[i].Config = j
	}
	return lint.Check(jobs)
}

// cfgCompact drops what every finding of a file shares, after checking
// it: the file, and the name and severity that go with the ID.
func cfgCompact(t *testing.T, path string, fs []report.Finding) []cfgFinding {
	t.Helper()
	out := []cfgFinding{}
	for _, f := range fs {
		if f.File != path {
			t.Errorf("%s finding at %s, want file %s", f.ID, f.Location(), path)
		}
		rule := -1
		if f.Rule != nil {
			rule = *f.Rule
		}
		out = append(out, cfgFinding{ID: f.ID, Job: f.Job, Line: f.Line, Rule: rule, Message: f.Message, Suggestion: f.Suggestion})
	}
	return out
}

// cfgLine returns the 1-based line of text holding mark, which must occur
// exactly once.
func cfgLine(t *testing.T, text, mark string) int {
	t.Helper()
	line := 0
	for i, l := range strings.Split(text, "\n") {
		if strings.Contains(l, mark) {
			if line != 0 {
				t.Fatalf("mark %q occurs twice", mark)
			}
			line = i + 1
		}
	}
	if line == 0 {
		t.Fatalf("mark %q not found", mark)
	}
	return line
}

// cfgWant is an expected finding of a table case: the rule it points at
// is the one whose "- " line carries the comment mark.
type cfgWant struct {
	id         string
	mark       string
	rule       int
	message    string
	suggestion string
}

func TestConfigFindings(t *testing.T) {
	for _, tt := range configCases {
		t.Run(tt.name, func(t *testing.T) {
			text := "scrape_configs:\n  - job_name: j\n" + strings.TrimPrefix(tt.job, "\n") + "\n"
			path := filepath.Join(t.TempDir(), "prometheus.yml")
			if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
				t.Fatal(err)
			}
			for name, content := range tt.files {
				if err := os.WriteFile(filepath.Join(filepath.Dir(path), name), []byte(content), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			want := []cfgFinding{}
			for _, w := range tt.want {
				want = append(want, cfgFinding{ID: w.id, Job: "j", Line: cfgLine(t, text, w.mark), Rule: w.rule,
					Message: w.message, Suggestion: w.suggestion})
			}
			got := cfgCompact(t, path, cfgCheck(t, path))
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("findings (-want +got):\n%s\nconfig:\n%s", diff, text)
			}
		})
	}
}

// TestConfigNoFalsePositives checks configs written the way people write
// them: the clean one must give nothing. The bundled example gives one
// finding: the rule the Prometheus Operator renders to set pod from the
// endpoint's target reference, which its next pod rule always overwrites.
func TestConfigNoFalsePositives(t *testing.T) {
	tests := []struct {
		name, path string
		want       func(text string) []cfgFinding
	}{
		{"clean", filepath.Join("testdata", "clean", "prometheus.yml"), func(string) []cfgFinding { return []cfgFinding{} }},
		// Its Prometheus Operator job sets pod twice, the first time only
		// for endpoints whose target is a pod: not dead, not reported.
		{"bundled example", filepath.Join("..", "testdata", "examples", "prometheus.yml"), func(string) []cfgFinding { return []cfgFinding{} }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			text, err := os.ReadFile(tt.path)
			if err != nil {
				t.Fatal(err)
			}
			got := cfgCompact(t, tt.path, cfgCheck(t, tt.path))
			if diff := cmp.Diff(tt.want(string(text)), got); diff != "" {
				t.Errorf("findings (-want +got):\n%s", diff)
			}
		})
	}
}

// TestConfigDefects checks testdata/defects/prometheus.yml, where the rule
// of each config finding ID carries a "# SD00n" comment: exactly those
// findings, at those lines.
func TestConfigDefects(t *testing.T) {
	path := filepath.Join("testdata", "defects", "prometheus.yml")
	text, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var want, got []string
	for _, r := range lint.Rules {
		// SD102 too: a rule that drops everything needs no targets to show it.
		if strings.HasPrefix(r.ID, "SD0") || r.ID == lint.KeepsNothing {
			want = append(want, fmt.Sprintf("%s at line %d", r.ID, cfgLine(t, string(text), "# "+r.ID)))
		}
	}
	for _, f := range cfgCheck(t, path) {
		got = append(got, fmt.Sprintf("%s at line %d", f.ID, f.Line))
		if f.Message == "" || f.File != path {
			t.Errorf("%s: empty message or wrong file: %+v", f.ID, f)
		}
	}
	slices.Sort(want)
	slices.Sort(got)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("findings (-want +got):\n%s", diff)
	}
}
