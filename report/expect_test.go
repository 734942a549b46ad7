package report_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sdinspect/sdinspect/report"
)

// sampleTests is a test run with one passing and one failing test.
func sampleTests() *report.TestReport {
	target := &report.Target{
		Source: "pod/shop/web_0", Index: 1, State: "kept",
		DiscoveredLabels: map[string]string{"__address__": "10.0.0.1:9102"},
		Labels:           map[string]string{"__address__": "10.0.0.1:9102", "job": "pods", "tier": "web"},
		PublicLabels:     map[string]string{"job": "pods", "tier": "web"},
		ScrapeURL:        "http://10.0.0.1:9102/metrics",
	}
	r := &report.TestReport{APIVersion: report.APIVersion, Kind: report.TestKind, Tests: []report.TestGroup{
		{Name: "passes", File: "t.yml", Line: 2, Job: "pods", Passed: true, Expectations: []report.TestExpectation{
			{Name: "address is kept", File: "t.yml", Line: 5, Passed: true, Matched: 1},
		}},
		{Name: "fails | twice", File: "t.yml", Line: 9, Job: "pods", Expectations: []report.TestExpectation{
			{
				Name: "__address__ is kept with labels", File: "t.yml", Line: 12, Matched: 1,
				Message: "pod/shop/web_0 #1 (10.0.0.1:9102): kept, but 1 label differs",
				Failures: []report.TestFailure{{
					Message: "pod/shop/web_0 #1 (10.0.0.1:9102): kept, but 1 label differs",
					Diff:    []report.Diff{{Name: "tier", Want: "api", Got: "web"}},
					Target:  target,
				}},
			},
			{
				Name: "counts: kept 2", File: "t.yml", Line: 15, Matched: 3,
				Message:  "counts differ: kept 1, want 2",
				Failures: []report.TestFailure{{Message: "counts differ: kept 1, want 2", Diff: []report.Diff{{Name: "kept", Want: "2", Got: "1"}}}},
			},
		}},
	}}
	r.Summarize()
	return r
}

func TestTestSummarize(t *testing.T) {
	t.Parallel()
	want := report.TestSummary{Tests: 2, FailedTests: 1, Expectations: 3, Passed: 1, Failed: 2}
	if diff := cmp.Diff(want, sampleTests().Summary); diff != "" {
		t.Errorf("summary (-want +got):\n%s", diff)
	}
}

func TestWriteTestText(t *testing.T) {
	t.Parallel()
	var plain, colour bytes.Buffer
	if err := report.WriteTest(&plain, report.Text, sampleTests(), report.Style{}); err != nil {
		t.Fatal(err)
	}
	if err := report.WriteTest(&colour, report.Text, sampleTests(), report.Style{Color: true}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(plain.String(), "\x1b[") {
		t.Errorf("colour without Style.Color:\n%s", plain.String())
	}
	for _, want := range []string{"\x1b[32mok\x1b[0m", "\x1b[31mFAIL\x1b[0m", "\x1b[31m- tier=\"api\"\x1b[0m", "\x1b[32m+ tier=\"web\"\x1b[0m"} {
		if !strings.Contains(colour.String(), want) {
			t.Errorf("no %q in:\n%s", want, colour.String())
		}
	}
	for _, want := range []string{
		"ok    t.yml:2: passes (job \"pods\"): 1 expectation passed\n",
		"FAIL  t.yml:9: fails | twice (job \"pods\"): 2 of 2 expectations failed\n",
		"  FAIL  t.yml:12: __address__ is kept with labels\n        pod/shop/web_0 #1 (10.0.0.1:9102): kept, but 1 label differs\n          labels (-want +got):\n",
		"          trace:\n            job \"pods\", target pod/shop/web_0 #1: kept\n",
		"  FAIL  t.yml:15: counts: kept 2\n        counts differ: kept 1, want 2\n",
		"\n2 tests, 3 expectations: 1 passed, 2 failed\n",
	} {
		if !strings.Contains(plain.String(), want) {
			t.Errorf("no %q in:\n%s", want, plain.String())
		}
	}
}

func TestWriteTestMarkdown(t *testing.T) {
	t.Parallel()
	var b bytes.Buffer
	if err := report.WriteTest(&b, report.Markdown, sampleTests(), report.Style{Color: true}); err != nil {
		t.Fatal(err)
	}
	md := b.String()
	for _, want := range []string{
		"### sdinspect test: 2 of 3 expectations failed\n",
		"| ✅ | passes | `pods` | 1 passed | `t.yml:2` |\n",
		// A pipe would end the cell.
		"| ❌ | fails \\| twice | `pods` | 2 of 2 failed | `t.yml:9` |\n",
		// Underscores would turn bold.
		"Expected: \\_\\_address\\_\\_ is kept with labels\n",
		"```diff\n- tier=\"api\"\n+ tier=\"web\"\n```\n",
		"<details><summary>Trace of pod/shop/web_0 #1</summary>\n",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("no %q in:\n%s", want, md)
		}
	}
	if strings.Contains(md, "\x1b[") {
		t.Error("colour in Markdown")
	}
	var all bytes.Buffer
	r := sampleTests()
	r.Tests = r.Tests[:1]
	r.Summarize()
	if err := report.WriteTest(&all, report.Markdown, r, report.Style{}); err != nil {
		t.Fatal(err)
	}
	if got := all.String(); !strings.HasPrefix(got, "### sdinspect test: all 1 expectation passed\n") || strings.Contains(got, "Failures") {
		t.Errorf("all passed:\n%s", got)
	}
}

func TestWriteTestJSON(t *testing.T) {
	t.Parallel()
	var b bytes.Buffer
	if err := report.WriteTest(&b, report.JSON, sampleTests(), report.Style{Color: true}); err != nil {
		t.Fatal(err)
	}
	var back report.TestReport
	if err := json.Unmarshal(b.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(sampleTests(), &back); diff != "" {
		t.Errorf("JSON round trip (-want +got):\n%s", diff)
	}
	for _, key := range []string{`"kind": "TestReport"`, `"failedTests": 1`, `"diff": [`, `"target": {`} {
		if !strings.Contains(b.String(), key) {
			t.Errorf("no %s in:\n%s", key, b.String())
		}
	}
	if err := report.WriteTest(&b, report.Table, sampleTests(), report.Style{}); err == nil {
		t.Error("table: no error")
	}
}

func TestTestReportCI(t *testing.T) {
	t.Parallel()
	ci := sampleTests().CI("v1.2.3")
	if ci.Command != "test" || ci.Version != "v1.2.3" || len(ci.Rules) != 1 || ci.Rules[0].ID != report.TestFindingID {
		t.Errorf("CI = %+v", ci)
	}
	var got []string
	for _, c := range ci.Cases {
		s := c.Suite + " / " + c.Name
		if c.Failed {
			f := c.Finding
			s += " FAILED " + f.Location() + " " + f.Job + ": " + f.Message
		}
		got = append(got, s)
	}
	want := []string{
		"passes / address is kept",
		"fails | twice / __address__ is kept with labels FAILED t.yml:12 pods: pod/shop/web_0 #1 (10.0.0.1:9102): kept, but 1 label differs",
		"fails | twice / counts: kept 2 FAILED t.yml:15 pods: counts differ: kept 1, want 2",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("cases (-want +got):\n%s", diff)
	}
	detail := ci.Cases[1].Finding.Detail
	if !strings.HasPrefix(detail, "  labels (-want +got):\n    - tier=\"api\"\n    + tier=\"web\"\n  trace:\n") || strings.Contains(detail, "\x1b[") {
		t.Errorf("detail:\n%s", detail)
	}
	if d := ci.Cases[2].Finding.Detail; d != "" {
		t.Errorf("counts detail = %q, want none (the message says it all)", d)
	}
}
