package report_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sdinspect/sdinspect/report"
)

// sarifOut is the part of a SARIF log the tests look at.
type sarifOut struct {
	Schema  string `json:"$schema"`
	Version string `json:"version"`
	Runs    []struct {
		Tool struct {
			Driver struct {
				Name, Version, InformationURI string
				Rules                         []struct {
					ID, Name             string
					DefaultConfiguration struct{ Level string }
				}
			}
		}
		AutomationDetails struct{ ID string }
		Results           []sarifResultOut
	}
}

type sarifResultOut struct {
	RuleID    string
	RuleIndex int
	Level     string
	Message   struct{ Text string }
	Locations []struct {
		PhysicalLocation struct {
			ArtifactLocation struct {
				URI       string
				URIBaseID string `json:"uriBaseId"`
			}
			Region *struct{ StartLine int }
		}
	}
	PartialFingerprints map[string]string
}

func writeSARIF(t *testing.T, ci *report.CI, wd string) ([]byte, sarifOut) {
	t.Helper()
	var b bytes.Buffer
	if err := report.WriteSARIFIn(&b, ci, wd); err != nil {
		t.Fatal(err)
	}
	var out sarifOut
	if err := json.Unmarshal(b.Bytes(), &out); err != nil {
		t.Fatalf("the output is not JSON: %v\n%s", err, b.String())
	}
	return b.Bytes(), out
}

func TestWriteSARIF(t *testing.T) {
	_, out := writeSARIF(t, sampleCI(), "/work")
	if out.Schema != report.SARIFSchema || out.Version != "2.1.0" || len(out.Runs) != 1 {
		t.Fatalf("header: $schema %q, version %q, %d runs", out.Schema, out.Version, len(out.Runs))
	}
	run := out.Runs[0]
	d := run.Tool.Driver
	if d.Name != "sdinspect" || d.Version != "1.2.3" || d.InformationURI == "" || run.AutomationDetails.ID != "sdinspect/check/" {
		t.Errorf("driver %+v, automation ID %q", d, run.AutomationDetails.ID)
	}
	var rules []string
	for _, r := range d.Rules {
		rules = append(rules, r.ID+" "+r.Name+" "+r.DefaultConfiguration.Level)
	}
	wantRules := []string{"SD001 unknown-source-label error", "SD006 anchored-regex note", "SD007 no-effect warning"}
	if diff := cmp.Diff(wantRules, rules); diff != "" {
		t.Errorf("rules (-want +got):\n%s", diff)
	}
	type result struct{ Rule, Level, Text, Where string }
	var got []result
	for _, r := range run.Results {
		if d.Rules[r.RuleIndex].ID != r.RuleID {
			t.Errorf("result %s has ruleIndex %d, which is rule %s", r.RuleID, r.RuleIndex, d.Rules[r.RuleIndex].ID)
		}
		where := ""
		for _, l := range r.Locations {
			p := l.PhysicalLocation
			where = p.ArtifactLocation.URIBaseID + " " + p.ArtifactLocation.URI
			if p.Region != nil {
				where += fmt.Sprintf(" line %d", p.Region.StartLine)
			}
		}
		got = append(got, result{r.RuleID, r.Level, r.Message.Text, where})
	}
	// The clean "nodes" case is no result.
	want := []result{
		{"SD001", "error", "job \"pods\": source label __meta_kubernetes_pod_labl_app is never set\ndid you mean __meta_kubernetes_pod_label_app?", "%SRCROOT% prometheus.yml line 12"},
		{"SD006", "note", `job "pods": regex "^web$" is anchored already`, "%SRCROOT% prometheus.yml line 20"},
		{"SD007", "warning", `job "pods": rule 3 changes nothing`, ""},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("results (-want +got):\n%s", diff)
	}
}

func TestSARIFRuleTable(t *testing.T) {
	tests := []struct {
		name      string
		rules     []report.RuleInfo
		findings  []string
		wantRules []string
	}{
		{"no rules, no findings", nil, nil, nil},
		{"rules without findings are listed", ciRules, nil, []string{"SD001", "SD006", "SD007"}},
		{"an ID missing from the rules is added after them", ciRules[:1], []string{"SD007", "SD001", "SD007"}, []string{"SD001", "SD007"}},
		{"duplicate rules are listed once", append(ciRules[:1:1], ciRules[0]), []string{"SD001"}, []string{"SD001"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ci := &report.CI{Command: "check", Rules: tt.rules}
			for _, id := range tt.findings {
				ci.Cases = append(ci.Cases, report.Case{Suite: "j", Name: id, Finding: &report.Finding{ID: id, Severity: report.Warning, Message: "m"}})
			}
			_, out := writeSARIF(t, ci, "/")
			var ids []string
			for _, r := range out.Runs[0].Tool.Driver.Rules {
				ids = append(ids, r.ID)
			}
			if diff := cmp.Diff(tt.wantRules, ids); diff != "" {
				t.Errorf("rules (-want +got):\n%s", diff)
			}
			for _, r := range out.Runs[0].Results {
				if ids[r.RuleIndex] != r.RuleID {
					t.Errorf("result %s points at rule %s", r.RuleID, ids[r.RuleIndex])
				}
			}
		})
	}
}

func TestSARIFLocation(t *testing.T) {
	tests := []struct {
		name, file, wd string
		line           int
		wantURI        string
		wantBase       string
		wantRegion     bool
	}{
		{"relative", "prometheus.yml", "/repo", 3, "prometheus.yml", "%SRCROOT%", true},
		{"relative in a directory", "deploy/prom/prometheus.yml", "/repo", 3, "deploy/prom/prometheus.yml", "%SRCROOT%", true},
		{"no line, no region", "rules.yml", "/repo", 0, "rules.yml", "%SRCROOT%", false},
		{"absolute under the working directory", "/repo/deploy/prometheus.yml", "/repo", 1, "deploy/prometheus.yml", "%SRCROOT%", true},
		{"absolute outside it", "/etc/prometheus/prometheus.yml", "/repo", 1, "file:///etc/prometheus/prometheus.yml", "", true},
		{"sibling with a common prefix", "/repo2/p.yml", "/repo", 1, "file:///repo2/p.yml", "", true},
		{"escaped", "my configs/50%.yml", "/repo", 1, "my%20configs/50%25.yml", "%SRCROOT%", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ci := &report.CI{Cases: []report.Case{{Finding: &report.Finding{ID: "SD001", Severity: report.Error, File: tt.file, Line: tt.line, Message: "m"}}}}
			_, out := writeSARIF(t, ci, tt.wd)
			locs := out.Runs[0].Results[0].Locations
			if len(locs) != 1 {
				t.Fatalf("%d locations, want 1", len(locs))
			}
			p := locs[0].PhysicalLocation
			if p.ArtifactLocation.URI != tt.wantURI || p.ArtifactLocation.URIBaseID != tt.wantBase {
				t.Errorf("artifactLocation %+v, want uri %q base %q", p.ArtifactLocation, tt.wantURI, tt.wantBase)
			}
			if (p.Region != nil) != tt.wantRegion || (p.Region != nil && p.Region.StartLine != tt.line) {
				t.Errorf("region %+v, want line %d", p.Region, tt.line)
			}
		})
	}
}

// TestSARIFFingerprint holds the fingerprint to what GitHub needs from it:
// the same finding keeps its alert when lines move, and different
// findings get different alerts.
func TestSARIFFingerprint(t *testing.T) {
	base := report.Finding{ID: "SD001", Severity: report.Error, Job: "pods", File: "prometheus.yml", Line: 12, Message: "m"}
	tests := []struct {
		name   string
		change func(*report.Finding)
		same   bool
	}{
		{"line moved", func(f *report.Finding) { f.Line = 40 }, true},
		{"suggestion and detail changed", func(f *report.Finding) { f.Suggestion, f.Detail = "s", "d" }, true},
		{"other ID", func(f *report.Finding) { f.ID = "SD002" }, false},
		{"other job", func(f *report.Finding) { f.Job = "nodes" }, false},
		{"other file", func(f *report.Finding) { f.File = "other.yml" }, false},
		{"other message", func(f *report.Finding) { f.Message = "n" }, false},
		{"fields do not run together", func(f *report.Finding) { f.Job, f.File = "podsprometheus.yml", "" }, false},
	}
	fp := func(f report.Finding, key string) string {
		_, out := writeSARIF(t, &report.CI{Cases: []report.Case{{Finding: &f, Key: key}}}, "/")
		return out.Runs[0].Results[0].PartialFingerprints["sdinspectFinding/v1"]
	}
	want := fp(base, "")
	if len(want) != 32 {
		t.Fatalf("fingerprint %q, want 32 hex digits", want)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := base
			tt.change(&f)
			if got := fp(f, ""); (got == want) != tt.same {
				t.Errorf("fingerprint %s, base %s: same = %v, want %v", got, want, got == want, tt.same)
			}
		})
	}
	// With a key, the message may change: a snapshot finding's counts.
	keyed := fp(base, "rule 3")
	if f := base; fp(func() report.Finding { f.Message = "n"; return f }(), "rule 3") != keyed {
		t.Error("a keyed finding's fingerprint changed with its message")
	}
	if fp(base, "rule 4") == keyed {
		t.Error("two keys give one fingerprint")
	}
}
