package report_test

import (
	"bytes"
	"encoding/xml"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sdinspect/sdinspect/report"
)

// ciRules stands for lint.Rules, which report cannot import.
var ciRules = []report.RuleInfo{
	{ID: "SD001", Name: "unknown-source-label", Severity: report.Error, Description: "A source label that can never be set."},
	{ID: "SD006", Name: "anchored-regex", Severity: report.Info, Description: "A regex anchored with ^ or $.\nPrometheus anchors every regex."},
	{ID: "SD007", Name: "no-effect", Severity: report.Warning, Description: "A rule that changes nothing."},
}

// sampleCI has a failed finding, a passed finding, a clean job and a
// finding without a file, in two suites.
func sampleCI() *report.CI {
	return &report.CI{Command: "check", Version: "1.2.3", Rules: ciRules, Cases: []report.Case{
		{Suite: "pods", Name: "SD001 unknown-source-label at prometheus.yml:12", Failed: true, Finding: &report.Finding{
			ID: "SD001", Name: "unknown-source-label", Severity: report.Error, Job: "pods",
			File: "prometheus.yml", Line: 12, Rule: new(2),
			Message:    "source label __meta_kubernetes_pod_labl_app is never set",
			Suggestion: "did you mean __meta_kubernetes_pod_label_app?",
			Detail:     "roles: pod\nset by no earlier rule",
		}},
		{Suite: "pods", Name: "SD006 anchored-regex at prometheus.yml:20", Finding: &report.Finding{
			ID: "SD006", Name: "anchored-regex", Severity: report.Info, Job: "pods",
			File: "prometheus.yml", Line: 20, Message: `regex "^web$" is anchored already`,
		}},
		{Suite: "nodes", Name: "no findings"},
		{Suite: "pods", Name: "SD007 no-effect", Finding: &report.Finding{
			ID: "SD007", Name: "no-effect", Severity: report.Warning, Job: "pods", Message: "rule 3 changes nothing",
		}},
	}}
}

func TestWriteJUnit(t *testing.T) {
	tests := []struct {
		name string
		ci   *report.CI
		want string
	}{
		{
			name: "no cases",
			ci:   &report.CI{Command: "test"},
			want: `<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="sdinspect test" tests="0" failures="0" errors="0">
</testsuites>
`,
		},
		{
			name: "suites in first-appearance order, failure, system-out, clean case",
			ci:   sampleCI(),
			want: `<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="sdinspect check" tests="4" failures="1" errors="0">
  <testsuite name="pods" tests="3" failures="1" errors="0" skipped="0">
    <testcase name="SD001 unknown-source-label at prometheus.yml:12" classname="pods">
      <failure message="prometheus.yml:12: job &quot;pods&quot;: source label __meta_kubernetes_pod_labl_app is never set" type="SD001">SD001 unknown-source-label (error) at prometheus.yml:12
job: pods
source label __meta_kubernetes_pod_labl_app is never set
did you mean __meta_kubernetes_pod_label_app?
roles: pod
set by no earlier rule
</failure>
    </testcase>
    <testcase name="SD006 anchored-regex at prometheus.yml:20" classname="pods">
      <system-out>SD006 anchored-regex (info) at prometheus.yml:20
job: pods
regex "^web$" is anchored already
</system-out>
    </testcase>
    <testcase name="SD007 no-effect" classname="pods">
      <system-out>SD007 no-effect (warning)
job: pods
rule 3 changes nothing
</system-out>
    </testcase>
  </testsuite>
  <testsuite name="nodes" tests="1" failures="0" errors="0" skipped="0">
    <testcase name="no findings" classname="nodes"/>
  </testsuite>
</testsuites>
`,
		},
		{
			name: "failed case without a finding, unnamed suite",
			ci:   &report.CI{Command: "test", Cases: []report.Case{{Name: "web keeps port 8080", Failed: true}}},
			want: `<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="sdinspect test" tests="1" failures="1" errors="0">
  <testsuite name="sdinspect test" tests="1" failures="1" errors="0" skipped="0">
    <testcase name="web keeps port 8080" classname="sdinspect test">
      <failure message="web keeps port 8080: failed"></failure>
    </testcase>
  </testsuite>
</testsuites>
`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := report.WriteCI(&b, report.JUnit, tt.ci); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, b.String()); diff != "" {
				t.Errorf("junit (-want +got):\n%s", diff)
			}
		})
	}
}

// junitDoc is what a JUnit reader takes from the XML.
type junitDoc struct {
	Suites []struct {
		Name  string `xml:"name,attr"`
		Cases []struct {
			Name    string `xml:"name,attr"`
			Failure *struct {
				Message string `xml:"message,attr"`
				Type    string `xml:"type,attr"`
				Text    string `xml:",chardata"`
			} `xml:"failure"`
			Out string `xml:"system-out"`
		} `xml:"testcase"`
	} `xml:"testsuite"`
}

// TestJUnitText holds the escaping to what a parser reads back: any text
// survives, except characters XML 1.0 cannot carry, which are dropped.
func TestJUnitText(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"markup", `a <b> & "c" 'd' ]]>`, `a <b> & "c" 'd' ]]>`},
		{"line breaks and tabs", "one\ttwo\r\nthree\rfour\n", "one\ttwo\r\nthree\rfour\n"},
		{"control characters", "bell\a nul\x00 esc\x1b del\x7f", "bell nul esc del\x7f"},
		{"non-characters", "a\uFFFEb\uFFFFc", "abc"},
		{"invalid UTF-8", "a\xffb", "a\uFFFDb"},
		{"non-BMP", "🙂 é 中", "🙂 é 中"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &report.Finding{ID: "SD001", Severity: report.Error, Message: tt.in, Detail: tt.in}
			ci := &report.CI{Cases: []report.Case{
				{Suite: tt.in, Name: tt.in, Failed: true, Finding: f},
				{Suite: tt.in, Name: "passed", Finding: f},
			}}
			var b bytes.Buffer
			if err := report.WriteCI(&b, report.JUnit, ci); err != nil {
				t.Fatal(err)
			}
			var doc junitDoc
			if err := xml.Unmarshal(b.Bytes(), &doc); err != nil {
				t.Fatalf("the output does not parse: %v\n%s", err, b.String())
			}
			got := doc.Suites[0]
			c := got.Cases[0]
			for what, v := range map[string]string{"suite name": got.Name, "case name": c.Name, "failure message": c.Failure.Message} {
				if v != tt.want && !strings.HasSuffix(v, tt.want) {
					t.Errorf("%s = %q, want it to end in %q", what, v, tt.want)
				}
			}
			for what, v := range map[string]string{"failure text": c.Failure.Text, "system-out": got.Cases[1].Out} {
				if !strings.Contains(v, "\n"+tt.want+"\n") && !strings.Contains(v, "\n"+tt.want) {
					t.Errorf("%s = %q, want it to hold %q", what, v, tt.want)
				}
			}
		})
	}
}

func TestWriteGitHub(t *testing.T) {
	tests := []struct {
		name string
		ci   *report.CI
		want string
	}{
		{
			name: "levels, properties, detail and summary",
			ci:   sampleCI(),
			want: "::error file=prometheus.yml,line=12,title=SD001 unknown-source-label::job \"pods\": source label __meta_kubernetes_pod_labl_app is never set%0Adid you mean __meta_kubernetes_pod_label_app?%0Aroles: pod%0Aset by no earlier rule\n" +
				"::notice file=prometheus.yml,line=20,title=SD006 anchored-regex::job \"pods\": regex \"^web$\" is anchored already\n" +
				"::warning title=SD007 no-effect::job \"pods\": rule 3 changes nothing\n" +
				"sdinspect check: 4 cases, 1 failed, 3 findings\n",
		},
		{
			name: "a failed case is an error whatever the severity",
			ci: &report.CI{Command: "diff", Cases: []report.Case{{Suite: "pods", Name: "changed", Failed: true, Finding: &report.Finding{
				ID: "DIFF", Name: "changed-target", Severity: report.Info, File: "new.yml", Message: "target changed",
			}}}},
			want: "::error file=new.yml,title=DIFF changed-target::target changed\nsdinspect diff: 1 case, 1 failed, 1 finding\n",
		},
		{
			name: "escaping as the Actions toolkit does",
			ci: &report.CI{Command: "check", Cases: []report.Case{{Suite: "a", Name: "x", Finding: &report.Finding{
				ID: "SD001", Name: "a,b:c", Severity: report.Warning, File: "dir, with:colon/100%.yml", Line: 3,
				Message: "50% done: a,b\r\nnext", Detail: "::error::injected",
			}}}},
			want: "::warning file=dir%2C with%3Acolon/100%25.yml,line=3,title=SD001 a%2Cb%3Ac::50%25 done: a,b%0D%0Anext%0A::error::injected\n" +
				"sdinspect check: 1 case, 0 failed, 1 finding\n",
		},
		{
			name: "failed case without a finding, no line without a file",
			ci: &report.CI{Command: "test", Cases: []report.Case{
				{Suite: "web", Name: "keeps 8080", Failed: true},
				{Name: "bare", Failed: true},
				{Suite: "web", Name: "passes"},
				{Suite: "web", Name: "line only", Finding: &report.Finding{ID: "T1", Severity: report.Info, Line: 4, Message: "m"}},
			}},
			want: "::error title=web::keeps 8080: failed\n::error::bare: failed\n::notice title=T1::m\nsdinspect test: 4 cases, 2 failed, 1 finding\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := report.WriteCI(&b, report.GitHub, tt.ci); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, b.String()); diff != "" {
				t.Errorf("github (-want +got):\n%s", diff)
			}
		})
	}
}

func TestWriteCIFormats(t *testing.T) {
	tests := []struct {
		name    string
		format  report.Format
		wantErr bool
	}{
		{"junit", report.JUnit, false},
		{"sarif", report.SARIF, false},
		{"github", report.GitHub, false},
		{"json is not a CI format", report.JSON, true},
		{"markdown is not a CI format", report.Markdown, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var first, second bytes.Buffer
			err := report.WriteCI(&first, tt.format, sampleCI())
			if (err != nil) != tt.wantErr {
				t.Fatalf("WriteCI: %v, want error %v", err, tt.wantErr)
			}
			if err != nil {
				return
			}
			if err := report.WriteCI(&second, tt.format, sampleCI()); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(first.Bytes(), second.Bytes()) {
				t.Errorf("two renderings of the same input differ")
			}
		})
	}
}

// GitHub matches annotations by the path in the checkout: an absolute path
// under the working directory becomes relative; one outside stays as is.
func TestWriteGitHubPaths(t *testing.T) {
	wd := t.TempDir()
	t.Chdir(wd)
	ci := &report.CI{Command: "check", Cases: []report.Case{
		{Suite: "a", Finding: &report.Finding{ID: "SD001", Severity: report.Error, File: filepath.Join(wd, "conf", "prometheus.yml"), Line: 3, Message: "in"}},
		{Suite: "a", Finding: &report.Finding{ID: "SD001", Severity: report.Error, File: "/etc/prometheus/prometheus.yml", Line: 4, Message: "out"}},
	}}
	var b strings.Builder
	if err := report.WriteCI(&b, report.GitHub, ci); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"::error file=conf/prometheus.yml,line=3,", "::error file=/etc/prometheus/prometheus.yml,line=4,"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, b.String())
		}
	}
}
