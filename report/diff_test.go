package report_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sdinspect/sdinspect/report"
)

func diffSample() *report.DiffReport {
	web := func(src string, labels map[string]string) *report.TargetSide {
		return &report.TargetSide{Source: src, State: "kept", Labels: labels, ScrapeURL: "http://10.0.0.1:8080/metrics"}
	}
	return &report.DiffReport{
		APIVersion: report.APIVersion, Kind: report.DiffKind, Base: "old.yml", Head: "new.yml",
		Summary: report.DiffSummary{JobsRemoved: 1, JobsChanged: 1, TargetsRemoved: 2, TargetsRelabelled: 1, TargetsAdded: 1},
		Jobs: []report.JobDiff{
			{
				Job: "eps", Status: report.JobChanged,
				Base:    &report.JobSide{Job: "eps", File: "old.yml", Line: 3, Roles: []string{"endpoints"}},
				Head:    &report.JobSide{Job: "eps", File: "new.yml", Line: 4, Roles: []string{"endpointslice"}},
				Summary: report.JobDiffSummary{Added: 1, Removed: 1, Relabelled: 1},
				Added: []report.TargetDiff{{Address: "10.0.0.3:8080", Object: "pod/shop/web-2",
					Head: web("endpointslice/shop/web-x", map[string]string{"job": "eps", "pod": "web-2"})}},
				Removed: []report.TargetDiff{{Address: "10.0.0.2:8080", Object: "pod/shop/web-1",
					Base: web("endpoints/shop/web", map[string]string{"job": "eps", "pod": "web-1"}),
					Head: &report.TargetSide{Source: "endpointslice/shop/web-x", State: "dropped",
						DroppedBy: &report.Rule{Index: 1, Action: "drop", File: "new.yml", Line: 9}}}},
				Relabelled: []report.TargetDiff{{Address: "10.0.0.1:8080", Object: "pod/shop/web-0",
					Changes: []report.Change{{Label: "node", After: "n1"}, {Label: "zone", Before: "a", After: "b"}}}},
			},
			{
				Job: "static", Status: report.JobRemoved,
				Base:    &report.JobSide{Job: "static", File: "old.yml", Line: 20},
				Summary: report.JobDiffSummary{Removed: 1},
				Removed: []report.TargetDiff{{Address: "a:9100", Base: web("0", map[string]string{"job": "static"})}},
			},
		},
	}
}

func TestDiffCI(t *testing.T) {
	type where struct {
		id, name, file string
		line           int
		failed         bool
	}
	for _, failed := range []bool{false, true} {
		t.Run(map[bool]string{false: "differences pass", true: "with --exit-code"}[failed], func(t *testing.T) {
			ci := diffSample().CI(failed, "v1.0.0")
			var got []where
			for _, c := range ci.Cases {
				got = append(got, where{c.Finding.ID, c.Name, c.Finding.File, c.Finding.Line, c.Failed})
			}
			want := []where{
				{"DIFF-ADDED", "added 10.0.0.3:8080 pod/shop/web-2", "new.yml", 4, failed},
				// A removed target points at the head rule that drops it.
				{"DIFF-REMOVED", "removed 10.0.0.2:8080 pod/shop/web-1", "new.yml", 9, failed},
				{"DIFF-RELABELLED", "relabelled 10.0.0.1:8080 pod/shop/web-0", "new.yml", 4, failed},
				// A removed job is nowhere in head: the file, no line.
				{"DIFF-JOB-REMOVED", "job removed", "new.yml", 0, failed},
			}
			if d := cmp.Diff(want, got, cmp.AllowUnexported(where{})); d != "" {
				t.Errorf("cases (-want +got):\n%s", d)
			}
			ids := map[string]bool{}
			for _, r := range ci.Rules {
				ids[r.ID] = true
			}
			for _, c := range ci.Cases {
				if !ids[c.Finding.ID] {
					t.Errorf("case %q: finding ID %s is not among the rules", c.Name, c.Finding.ID)
				}
			}
		})
	}
}

func TestDiffSummaryString(t *testing.T) {
	tests := []struct {
		name string
		s    report.DiffSummary
		want string
	}{
		{name: "none", s: report.DiffSummary{Unchanged: 4, JobsUnchanged: 1}, want: "no differences"},
		{name: "some", s: report.DiffSummary{JobsAdded: 1, TargetsAdded: 2, TargetsRelabelled: 1},
			want: "1 job added, 2 targets added, 1 target relabelled"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.s.String(); got != tt.want {
				t.Errorf("String() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestWriteDiffText(t *testing.T) {
	var b bytes.Buffer
	if err := report.WriteDiff(&b, report.Text, diffSample(), report.Style{}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`job "eps" (new.yml:4): changed, role endpoints → endpointslice: 1 added, 1 removed, 1 relabelled, 0 unchanged`,
		"      head: dropped by rule 1 (drop, new.yml:9)\n",
		"      + node=\"n1\"\n      ~ zone: \"a\" -> \"b\"\n",
		`job "static" (old.yml:20): removed: 1 target`,
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("text lacks %q:\n%s", want, b.String())
		}
	}
	var colour bytes.Buffer
	if err := report.WriteDiff(&colour, report.Text, diffSample(), report.Style{Color: true}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(colour.String(), "\x1b[32m+\x1b[0m 10.0.0.3:8080") || strings.Contains(b.String(), "\x1b[") {
		t.Errorf("colour only with Style.Color:\n%q", colour.String())
	}
}

func TestWriteDiffMarkdown(t *testing.T) {
	var b bytes.Buffer
	if err := report.WriteDiff(&b, report.Markdown, diffSample(), report.Style{}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"| `eps` | changed | endpoints → endpointslice | 1 | 1 | 1 | 0 |\n",
		"| `static` | removed | none | 0 | 1 | 0 | 0 |\n",
		"@@ relabelled 10.0.0.1:8080 pod/shop/web-0 @@\n+ node=\"n1\"\n- zone=\"a\"\n+ zone=\"b\"\n",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("markdown lacks %q:\n%s", want, b.String())
		}
	}
	if err := report.WriteDiff(&b, report.JUnit, diffSample(), report.Style{}); err == nil {
		t.Error("WriteDiff wrote junit; CI formats go through WriteCI")
	}
}
