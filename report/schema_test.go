package report_test

import (
	"bytes"
	"encoding/json"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/sdinspect/sdinspect/internal/schemadir"
	"github.com/sdinspect/sdinspect/internal/xsd"
	"github.com/sdinspect/sdinspect/report"
)

// schemaCases are CI results that exercise every path of the renderers.
func schemaCases() map[string]*report.CI {
	odd := "ctl\x01 <&> \"q\" ]]> 100% a,b:c\r\nline2 🙂 \xff"
	return map[string]*report.CI{
		"sample": sampleCI(),
		"empty":  {Command: "test"},
		"no command, no version, failed without finding": {Cases: []report.Case{{Name: "x", Failed: true}, {Name: "y"}}},
		"odd text everywhere": {Command: "diff", Version: odd, Rules: []report.RuleInfo{{ID: odd, Name: odd, Description: odd, Severity: "bogus"}},
			Cases: []report.Case{{Suite: odd, Name: odd, Failed: true, Finding: &report.Finding{
				ID: odd, Name: odd, Severity: report.Info, Job: odd, File: odd, Line: 1, Message: odd, Suggestion: odd, Detail: odd,
			}}}},
		"paths": {Command: "check", Cases: []report.Case{
			{Suite: "a", Name: "abs", Finding: &report.Finding{ID: "SD001", Severity: report.Error, File: "/etc/prometheus/prometheus.yml", Line: 3, Message: "m"}},
			{Suite: "a", Name: "spaces", Finding: &report.Finding{ID: "SD001", Severity: report.Warning, File: "my dir/p #1.yml", Message: "m"}},
			{Suite: "a", Name: "colon", Finding: &report.Finding{ID: "SD001", Severity: report.Info, File: "c:onfig.yml", Line: 9, Message: "m"}},
		}},
	}
}

func validateSARIF(s *jsonschema.Schema, out []byte) error {
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(out))
	if err != nil {
		return err
	}
	return s.Validate(inst)
}

func TestSARIFSchema(t *testing.T) {
	s := schemadir.SARIFValidator(t)
	for name, ci := range schemaCases() {
		t.Run(name, func(t *testing.T) {
			var b bytes.Buffer
			if err := report.WriteCI(&b, report.SARIF, ci); err != nil {
				t.Fatal(err)
			}
			if err := validateSARIF(s, b.Bytes()); err != nil {
				t.Errorf("the output does not validate: %v\n%s", err, b.String())
			}
		})
	}
}

// TestSARIFSchemaRejects shows that the validation can fail: each broken
// variant of a valid log must be refused.
func TestSARIFSchemaRejects(t *testing.T) {
	s := schemadir.SARIFValidator(t)
	var b bytes.Buffer
	if err := report.WriteCI(&b, report.SARIF, sampleCI()); err != nil {
		t.Fatal(err)
	}
	result := func(m map[string]any) map[string]any {
		return m["runs"].([]any)[0].(map[string]any)["results"].([]any)[0].(map[string]any)
	}
	location := func(m map[string]any) map[string]any {
		return result(m)["locations"].([]any)[0].(map[string]any)["physicalLocation"].(map[string]any)
	}
	tests := []struct {
		name    string
		breakIt func(map[string]any)
	}{
		{"no version", func(m map[string]any) { delete(m, "version") }},
		{"version 2.0.0", func(m map[string]any) { m["version"] = "2.0.0" }},
		{"unknown top-level property", func(m map[string]any) { m["extra"] = true }},
		{"level fatal", func(m map[string]any) { result(m)["level"] = "fatal" }},
		{"no message", func(m map[string]any) { delete(result(m), "message") }},
		{"negative rule index", func(m map[string]any) { result(m)["ruleIndex"] = -2 }},
		{"start line 0", func(m map[string]any) { location(m)["region"] = map[string]any{"startLine": 0} }},
		{"uri that is no URI reference", func(m map[string]any) {
			location(m)["artifactLocation"] = map[string]any{"uri": "a b\\c%zz"}
		}},
		{"no tool", func(m map[string]any) { delete(m["runs"].([]any)[0].(map[string]any), "tool") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var m map[string]any
			if err := json.Unmarshal(b.Bytes(), &m); err != nil {
				t.Fatal(err)
			}
			tt.breakIt(m)
			broken, err := json.Marshal(m)
			if err != nil {
				t.Fatal(err)
			}
			if err := validateSARIF(s, broken); err == nil {
				t.Errorf("a broken log validates:\n%s", broken)
			}
		})
	}
}

func junitSchema(t *testing.T) *xsd.Schema {
	t.Helper()
	data, err := os.ReadFile("testdata/schema/junit-10.xsd")
	if err != nil {
		t.Fatal(err)
	}
	s, err := xsd.Parse(data)
	if err != nil {
		t.Fatalf("compiling junit-10.xsd: %v", err)
	}
	return s
}

func TestJUnitSchema(t *testing.T) {
	s := junitSchema(t)
	for name, ci := range schemaCases() {
		t.Run(name, func(t *testing.T) {
			var b bytes.Buffer
			if err := report.WriteCI(&b, report.JUnit, ci); err != nil {
				t.Fatal(err)
			}
			if err := s.Validate(b.Bytes()); err != nil {
				t.Errorf("the output does not validate: %v\n%s", err, b.String())
			}
		})
	}
}

// TestJUnitSchemaRejects shows that the validation can fail: each broken
// variant of a valid report must be refused.
func TestJUnitSchemaRejects(t *testing.T) {
	s := junitSchema(t)
	var b bytes.Buffer
	if err := report.WriteCI(&b, report.JUnit, sampleCI()); err != nil {
		t.Fatal(err)
	}
	valid := b.String()
	tests := []struct {
		name, re, repl string
	}{
		{"testsuite without tests", `(<testsuite name="pods") tests="3"`, "$1"},
		{"testcase without name", `<testcase name="no findings"`, "<testcase"},
		{"testcase with a file attribute", `(<testcase name="no findings")`, `$1 file="prometheus.yml"`},
		{"failure renamed", `(?s)<failure (.*?)</failure>`, "<fail $1</fail>"},
		{"testcase outside a testsuite", `(?s)</testsuite>\s*</testsuites>`, `</testsuite><testcase name="x"/></testsuites>`},
		{"text in a testcase", `<testcase name="no findings" classname="nodes"/>`, `<testcase name="no findings" classname="nodes">stray</testcase>`},
		{"bad time", `(<testsuite name="nodes")`, `$1 time="1.5s"`},
		{"root is not testsuites", `(?s)^.*$`, `<report/>`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			broken := regexp.MustCompile(tt.re).ReplaceAllString(valid, tt.repl)
			if broken == valid {
				t.Fatalf("the edit %q changed nothing", tt.re)
			}
			if err := s.Validate([]byte(broken)); err == nil {
				t.Errorf("a broken report validates:\n%s", broken)
			} else if strings.TrimSpace(err.Error()) == "" {
				t.Errorf("empty error")
			}
		})
	}
}
