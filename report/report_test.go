package report_test

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"gopkg.in/yaml.v3"

	"github.com/sdinspect/sdinspect/report"
)

func sample() *report.Report {
	return &report.Report{APIVersion: report.APIVersion, Jobs: []report.Job{{
		Job: "pods", File: "prometheus.yml", Line: 3,
		Summary: report.Summary{Discovered: 3, Kept: 1, Dropped: 1, Invalid: 1},
		Targets: []report.Target{
			{
				Source: "pod/shop/web-0", State: "kept",
				DiscoveredLabels: map[string]string{"__address__": "10.0.0.1:8080", "job": "pods"},
				Labels:           map[string]string{"__address__": "10.0.0.1:8080", "instance": "10.0.0.1:8080", "job": "pods"},
				PublicLabels:     map[string]string{"instance": "10.0.0.1:8080", "job": "pods"},
				ScrapeURL:        "http://10.0.0.1:8080/metrics",
				Trace: []report.Step{{
					Rule: report.Rule{Index: 0, Action: "replace", File: "prometheus.yml", Line: 7}, Result: "continue",
					Changes: []report.Change{{Label: "x", After: "1"}},
					Labels:  map[string]string{"x": "1"},
				}},
			},
			{
				Source: "pod/shop/web-0", Index: 1, State: "dropped",
				DiscoveredLabels: map[string]string{"__address__": "10.0.0.1:9090"},
				Labels:           map[string]string{},
				DroppedBy:        &report.Rule{Index: 1, Action: "keep", File: "prometheus.yml", Line: 9},
			},
			{
				Source: "ingress/shop/www", State: "invalid",
				DiscoveredLabels: map[string]string{}, Labels: map[string]string{},
				Error: "no address",
			},
		},
	}}}
}

// TestJSONFieldNames pins the contract's field names: other tools parse them.
func TestJSONFieldNames(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	if err := report.Write(&buf, report.JSON, sample()); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		APIVersion string `json:"apiVersion"`
		Jobs       []map[string]json.RawMessage
	}
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.APIVersion != "sdinspect/v1" {
		t.Errorf("apiVersion %q", doc.APIVersion)
	}
	var targets []map[string]json.RawMessage
	if err := json.Unmarshal(doc.Jobs[0]["targets"], &targets); err != nil {
		t.Fatal(err)
	}
	want := [][]string{
		{"discoveredLabels", "index", "labels", "publicLabels", "scrapeURL", "source", "state", "trace"},
		{"discoveredLabels", "droppedBy", "index", "labels", "source", "state"},
		{"discoveredLabels", "error", "index", "labels", "source", "state"},
	}
	for i, tg := range targets {
		var keys []string
		for k := range tg {
			keys = append(keys, k)
		}
		if diff := cmp.Diff(want[i], sorted(keys)); diff != "" {
			t.Errorf("target %d keys (-want +got):\n%s", i, diff)
		}
	}
}

// TestYAMLSameAsJSON checks that the YAML form carries the same document.
func TestYAMLSameAsJSON(t *testing.T) {
	t.Parallel()
	var js, ys bytes.Buffer
	if err := report.Write(&js, report.JSON, sample()); err != nil {
		t.Fatal(err)
	}
	if err := report.Write(&ys, report.YAML, sample()); err != nil {
		t.Fatal(err)
	}
	var fromJSON, fromYAML any
	if err := json.Unmarshal(js.Bytes(), &fromJSON); err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(ys.Bytes(), &fromYAML); err != nil {
		t.Fatal(err)
	}
	// Round-trip the YAML value through JSON so numbers compare alike.
	b, err := json.Marshal(fromYAML)
	if err != nil {
		t.Fatal(err)
	}
	var norm any
	if err := json.Unmarshal(b, &norm); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(fromJSON, norm); diff != "" {
		t.Errorf("YAML differs from JSON (-json +yaml):\n%s", diff)
	}
}

func TestTable(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	if err := report.Write(&buf, report.Table, sample()); err != nil {
		t.Fatal(err)
	}
	want := `job "pods" (prometheus.yml:3): 3 discovered, 1 kept, 1 dropped, 1 invalid, 0 duplicates
STATE    SOURCE            TARGET                        DETAIL
kept     pod/shop/web-0    http://10.0.0.1:8080/metrics  {instance="10.0.0.1:8080", job="pods"}
dropped  pod/shop/web-0    10.0.0.1:9090                 by rule 1 (keep, prometheus.yml:9)
invalid  ingress/shop/www  ""                            no address
`
	if diff := cmp.Diff(want, buf.String()); diff != "" {
		t.Errorf("table (-want +got):\n%s", diff)
	}
}

func TestExplain(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	if err := report.WriteExplain(&buf, "pods", sample().Jobs[0].Targets[0]); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`job "pods", target pod/shop/web-0 #0: kept`,
		"rule 0 (replace, prometheus.yml:7): 1 label(s) changed",
		`    + x="1"`,
		"result: kept, scraped at http://10.0.0.1:8080/metrics",
	} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("explain output lacks %q:\n%s", want, buf.String())
		}
	}
}

func TestFormatFlag(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		want    report.Format
		wantErr bool
	}{
		{in: "table", want: report.Table},
		{in: "json", want: report.JSON},
		{in: "yaml", want: report.YAML},
		{in: "JSON", wantErr: true},
		{in: "xml", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			var f report.Format
			err := f.UnmarshalText([]byte(tt.in))
			if (err != nil) != tt.wantErr || (err == nil && f != tt.want) {
				t.Errorf("UnmarshalText(%q) = %q, %v", tt.in, f, err)
			}
		})
	}
}

func sorted(s []string) []string {
	slices.Sort(s)
	return s
}
