package report_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sdinspect/sdinspect/report"
)

func checkSample() *report.CheckReport {
	rule := 2
	findings := []report.Finding{
		{ID: "SD001", Name: "unknown-source-label", Severity: report.Error, Job: "pods", File: "prometheus.yml", Line: 9, Rule: &rule,
			Message:    "rule 2 (keep) reads __meta_kubernetes_endpoint_port_name, which role endpointslice never produces",
			Suggestion: "did you mean __meta_kubernetes_endpointslice_port_name?"},
		{ID: "SD105", Name: "duplicate-targets", Severity: report.Warning, Job: "pods", File: "prometheus.yml", Line: 3,
			Message: "2 kept targets have the same labels as an earlier one", Detail: "pod/shop/web-0 #1\npod/shop/web-1 #0"},
		{ID: "SD006", Name: "anchored-regex", Severity: report.Info, Job: "nodes", File: "prometheus.yml", Line: 20,
			Message: "rule 0 (drop): regex ^virtual$ is anchored | already"},
	}
	return &report.CheckReport{
		APIVersion: report.APIVersion, Kind: report.CheckKind, FailOn: report.Warning, Objects: "files",
		Summary: report.NewCheckSummary(findings, report.Warning),
		Jobs: []report.CheckJob{
			{Job: "nodes", File: "prometheus.yml", Line: 18, Cost: &report.Cost{Listed: map[string]int{"nodes": 3}, Discovered: 3, Kept: 2}},
			{Job: "pods", File: "prometheus.yml", Line: 3, Cost: &report.Cost{Listed: map[string]int{"pods": 40, "namespaces": 2}, Discovered: 80, Kept: 4}},
			{Job: "static", File: "prometheus.yml", Line: 30, Cost: &report.Cost{Listed: map[string]int{}, Discovered: 1, Kept: 1}},
		},
		Findings: findings,
	}
}

func TestNewCheckSummary(t *testing.T) {
	findings := checkSample().Findings
	tests := []struct {
		name   string
		failOn report.Severity
		want   report.CheckSummary
	}{
		{name: "info", failOn: report.Info, want: report.CheckSummary{Errors: 1, Warnings: 1, Infos: 1, Failing: 3}},
		{name: "warning", failOn: report.Warning, want: report.CheckSummary{Errors: 1, Warnings: 1, Infos: 1, Failing: 2}},
		{name: "error", failOn: report.Error, want: report.CheckSummary{Errors: 1, Warnings: 1, Infos: 1, Failing: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, report.NewCheckSummary(findings, tt.failOn)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestWriteCheckText(t *testing.T) {
	var b bytes.Buffer
	if err := report.WriteCheck(&b, report.Text, checkSample(), report.Style{}); err != nil {
		t.Fatal(err)
	}
	want := `prometheus.yml:9: error SD001 unknown-source-label: job "pods": rule 2 (keep) reads __meta_kubernetes_endpoint_port_name, which role endpointslice never produces
    did you mean __meta_kubernetes_endpointslice_port_name?
prometheus.yml:3: warning SD105 duplicate-targets: job "pods": 2 kept targets have the same labels as an earlier one
    pod/shop/web-0 #1
    pod/shop/web-1 #0
prometheus.yml:20: info SD006 anchored-regex: job "nodes": rule 0 (drop): regex ^virtual$ is anchored | already

job "nodes" (prometheus.yml:18): lists 3 nodes; 3 targets discovered, 2 kept
job "pods" (prometheus.yml:3): lists 2 namespaces, 40 pods; 80 targets discovered, 4 kept
job "static" (prometheus.yml:30): lists nothing; 1 target discovered, 1 kept
3 jobs checked (objects: files): 1 error, 1 warning, 1 info; 2 at or above warning
`
	if diff := cmp.Diff(want, b.String()); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestWriteCheckTextColor(t *testing.T) {
	var b bytes.Buffer
	if err := report.WriteCheck(&b, report.Text, checkSample(), report.Style{Color: true}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "\x1b[31merror\x1b[0m SD001") {
		t.Errorf("no red error in coloured output:\n%q", b.String())
	}
	b.Reset()
	if err := report.WriteCheck(&b, report.Text, checkSample(), report.Style{}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), "\x1b[") {
		t.Errorf("escape sequence in plain output:\n%q", b.String())
	}
}

func TestWriteCheckMarkdown(t *testing.T) {
	var b bytes.Buffer
	if err := report.WriteCheck(&b, report.Markdown, checkSample(), report.Style{}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"### sdinspect check: 1 error, 1 warning, 1 info\n",
		"| `pods` | 2 | 2 namespaces, 40 pods | 80 | 4 |\n",
		"| `static` | 0 | nothing | 1 | 1 |\n",
		"| error | SD001 unknown-source-label | `prometheus.yml:9` | `pods` | rule 2 (keep) reads __meta_kubernetes_endpoint_port_name, which role endpointslice never produces<br>did you mean __meta_kubernetes_endpointslice_port_name? |\n",
		`is anchored \| already`,
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("markdown lacks %q:\n%s", want, b.String())
		}
	}
}

func TestWriteCheckJSON(t *testing.T) {
	var b bytes.Buffer
	in := checkSample()
	if err := report.WriteCheck(&b, report.JSON, in, report.Style{}); err != nil {
		t.Fatal(err)
	}
	var out report.CheckReport
	if err := json.Unmarshal(b.Bytes(), &out); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(in, &out); diff != "" {
		t.Errorf("JSON round trip (-want +got):\n%s", diff)
	}
	for _, key := range []string{`"apiVersion": "sdinspect/v1"`, `"kind": "CheckReport"`, `"failOn": "warning"`, `"rule": 2`, `"listed": {`} {
		if !strings.Contains(b.String(), key) {
			t.Errorf("JSON lacks %s", key)
		}
	}
}

func TestCheckCI(t *testing.T) {
	ci := checkSample().CI(nil, "v1")
	type c struct {
		Suite, Name string
		Failed      bool
		ID          string
	}
	var got []c
	for _, k := range ci.Cases {
		id := ""
		if k.Finding != nil {
			id = k.Finding.ID
		}
		got = append(got, c{k.Suite, k.Name, k.Failed, id})
	}
	want := []c{
		{"nodes", "SD006 anchored-regex at prometheus.yml:20", false, "SD006"},
		{"pods", "SD001 unknown-source-label at prometheus.yml:9", true, "SD001"},
		{"pods", "SD105 duplicate-targets at prometheus.yml:3", true, "SD105"},
		{"static", "no findings", false, ""},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("cases (-want +got):\n%s", diff)
	}
}
