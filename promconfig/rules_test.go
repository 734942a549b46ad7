package promconfig_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/relabel"
	yamlv2 "go.yaml.in/yaml/v2"

	"github.com/sdinspect/sdinspect/promconfig"
)

func TestLoadRules(t *testing.T) {
	t.Parallel()
	_, marked := markedPositions(t, "testdata/rules")
	tests := []struct {
		name    string
		actions []relabel.Action
	}{
		{name: "list", actions: []relabel.Action{relabel.Keep, relabel.Replace, relabel.LabelMap, relabel.LabelDrop}},
		{name: "mapping", actions: []relabel.Action{relabel.Drop, relabel.Replace}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rules, pos, err := promconfig.LoadRules("testdata/rules/"+tt.name+".yml", model.UTF8Validation)
			if err != nil {
				t.Fatal(err)
			}
			var actions []relabel.Action
			for _, r := range rules {
				actions = append(actions, r.Action)
				if r.NameValidationScheme != model.UTF8Validation {
					t.Errorf("rule %v: name validation scheme %v, want utf8", r.Action, r.NameValidationScheme)
				}
			}
			if diff := cmp.Diff(tt.actions, actions); diff != "" {
				t.Errorf("actions (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(marked[tt.name], pos); diff != "" {
				t.Errorf("positions (-want +got):\n%s", diff)
			}
		})
	}
}

func TestLoadRulesNameValidation(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		scheme  model.ValidationScheme
		want    model.ValidationScheme
		wantErr string
	}{
		{name: "utf8", scheme: model.UTF8Validation, want: model.UTF8Validation},
		{name: "unset means utf8", scheme: model.UnsetValidation, want: model.UTF8Validation},
		{name: "legacy", scheme: model.LegacyValidation,
			wantErr: `testdata/rules/dotted.yml:1: rule 0: "foo.bar" is invalid 'target_label' for replace action`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rules, _, err := promconfig.LoadRules("testdata/rules/dotted.yml", tt.scheme)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("error %v, want %s", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(rules) != 1 || rules[0].TargetLabel != "foo.bar" || rules[0].NameValidationScheme != tt.want {
				t.Errorf("rules %+v, want one with target foo.bar validated as %v", rules, tt.want)
			}
		})
	}
}

// prometheusRules decodes a list of rules the way the spec (§7.3) says
// Prometheus's own code does, for its error.
func prometheusRules(path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var cfgs []*relabel.Config
	if err := yamlv2.UnmarshalStrict(b, &cfgs); err != nil {
		return err
	}
	for _, c := range cfgs {
		if c == nil {
			return errors.New("empty or null target relabeling rule in scrape config")
		}
		if err := c.Validate(model.UTF8Validation); err != nil {
			return err
		}
	}
	return nil
}

var yamlErrLine = regexp.MustCompile(`^line (\d+): (.*)$`)

// samePrometheusError checks that our one-line error says what Prometheus
// says: its message at the end, or for yaml's list of field errors, each one
// at its file:line.
func samePrometheusError(t *testing.T, path string, got, prom error) {
	t.Helper()
	if te, ok := errors.AsType[*yamlv2.TypeError](prom); ok {
		for _, e := range te.Errors {
			m := yamlErrLine.FindStringSubmatch(e)
			if m == nil || !regexp.MustCompile(regexp.QuoteMeta(path+":"+m[1]+": ")+`(rule \d+: )?`+regexp.QuoteMeta(m[2])).MatchString(got.Error()) {
				t.Errorf("error %q does not say Prometheus's %q", got, e)
			}
		}
		return
	}
	if !strings.HasSuffix(got.Error(), ": "+prom.Error()) {
		t.Errorf("error %q does not end with Prometheus's %q", got, prom)
	}
}

func TestLoadRulesErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		want string
		// prometheus marks a list Prometheus's own decoding rejects.
		prometheus bool
	}{
		{name: "syntax", prometheus: true, want: `syntax.yml: yaml: line 2: did not find expected node content`},
		{name: "unknown-action", prometheus: true, want: `unknown-action.yml:3: rule 1: unknown relabel action "keeep"`},
		{name: "bad-regex", prometheus: true, want: "bad-regex.yml:4: rule 1: error parsing regexp: missing closing ): `^(?s:(unclosed)$`"},
		{name: "unknown-field", prometheus: true,
			want: `unknown-field.yml:4: rule 1: field regexp not found in type relabel.plain; testdata/rules/unknown-field.yml:6: rule 1: field target not found in type relabel.plain`},
		{name: "duplicate-key", prometheus: true, want: `duplicate-key.yml:3: rule 0: field action already set in type relabel.plain`},
		{name: "type-error", prometheus: true, want: "type-error.yml:2: rule 0: cannot unmarshal !!int `12` into model.LabelNames"},
		{name: "null-entry", prometheus: true, want: `null-entry.yml:3: rule 1: empty or null target relabeling rule in scrape config`},
		{name: "no-target", prometheus: true, want: `no-target.yml:3: rule 1: relabel configuration for replace action requires 'target_label' value`},
		{name: "empty-label", prometheus: true, want: `empty-label.yml:1: rule 0: "" is not a valid label name`},
		{name: "keepequal-regex", prometheus: true,
			want: "keepequal-regex.yml:1: rule 0: keepequal action requires only 'source_labels' and `target_label`, and no other fields"},
		{name: "hashmod", want: `hashmod.yml:4: rule 1: relabel configuration for hashmod requires non-zero modulus`},
		{name: "extra-key", want: `extra-key.yml:1: field job_name not found in type promconfig.ruleFile`},
		{name: "no-relabel-key", want: `no-relabel-key.yml: no relabel_configs key; want a YAML list of relabel configs or a mapping with a relabel_configs key`},
		{name: "empty", want: `empty.yml: no relabel rules: the file is empty; want a YAML list of relabel configs or a mapping with a relabel_configs key`},
		{name: "comments-only", want: `comments-only.yml: no relabel rules: the file is empty; want a YAML list of relabel configs or a mapping with a relabel_configs key`},
		{name: "scalar", want: `scalar.yml: want a YAML list of relabel configs or a mapping with a relabel_configs key, found a string`},
		{name: "missing", want: `missing.yml": open testdata/rules/missing.yml: no such file or directory`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			path := "testdata/rules/" + tt.name + ".yml"
			rules, pos, err := promconfig.LoadRules(path, model.UTF8Validation)
			if err == nil {
				t.Fatalf("LoadRules returned %d rules, %d positions and no error", len(rules), len(pos))
			}
			want := "testdata/rules/" + tt.want
			if tt.name == "missing" {
				want = `reading relabel rules "` + want
			}
			if err.Error() != want {
				t.Errorf("error\n got: %s\nwant: %s", err, want)
			}
			if tt.prometheus {
				prom := prometheusRules(path)
				if prom == nil {
					t.Fatal("Prometheus's decoding accepts the file")
				}
				samePrometheusError(t, path, err, prom)
			}
		})
	}
}

func TestLoadRulesEmptyList(t *testing.T) {
	t.Parallel()
	rules, pos, err := promconfig.LoadRules("testdata/rules/empty-list.yml", model.UTF8Validation)
	if err != nil || len(rules) != 0 || len(pos) != 0 {
		t.Errorf("got %d rules, %d positions, error %v; want an explicit empty list to be no rules", len(rules), len(pos), err)
	}
}

// FuzzLoadRules checks, for any file: an error is one line that names the
// file, and any line of it it names is a line of the file; success gives
// one position per rule, each on a line of the file where the rule's
// mapping or first key starts (see FuzzLoad), and rules that went through
// Validate.
func FuzzLoadRules(f *testing.F) {
	seeds, err := filepath.Glob("testdata/rules/*.yml")
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range seeds {
		b, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, false)
	}
	f.Add([]byte("- &r {action: keep, source_labels: [a]}\n- *r\n"), true)
	f.Add([]byte("relabel_configs:\n- <<: {action: drop}\n  source_labels: [x]\n"), false)
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte, legacy bool) {
		scheme := model.UTF8Validation
		if legacy {
			scheme = model.LegacyValidation
		}
		path := filepath.Join(dir, fmt.Sprintf("rules-%d.yml", len(data)))
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		rules, pos, err := promconfig.LoadRules(path, scheme)
		if err != nil {
			if msg := err.Error(); strings.ContainsAny(msg, "\n\r") || !strings.Contains(msg, path) {
				t.Fatalf("error not on one line naming the file: %q", msg)
			}
			checkNamedLines(t, err.Error(), path, data)
			return
		}
		if len(pos) != len(rules) {
			t.Fatalf("%d positions for %d rules", len(pos), len(rules))
		}
		x := indexLines(t, data)
		for i, p := range pos {
			if p.File != path || !x.holdsMapping(p.Line) {
				t.Fatalf("rule %d at %s: not a line of the %d-line file where a rule starts: %q", i, p, len(x.lines), x.text(p.Line))
			}
			if rules[i] == nil || rules[i].NameValidationScheme != scheme {
				t.Fatalf("rule %d: %+v was not validated with %v", i, rules[i], scheme)
			}
		}
	})
}

func TestLoadRulesUnknownScheme(t *testing.T) {
	t.Parallel()
	_, _, err := promconfig.LoadRules("testdata/rules/list.yml", model.ValidationScheme(42))
	if want := "testdata/rules/list.yml: unknown label name validation scheme"; err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("error %v, want one starting %q", err, want)
	}
}
