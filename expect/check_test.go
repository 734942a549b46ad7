package expect

import (
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sdinspect/sdinspect/report"
)

// testJob is a job's result as sdinspect targets computes it.
func testJob() *report.Job {
	return &report.Job{
		Job:     "pods",
		Summary: report.Summary{Discovered: 4, Kept: 1, Dropped: 2, Invalid: 1},
		Targets: []report.Target{
			{
				Source: "pod/shop/web-0", Index: 0, State: "kept",
				DiscoveredLabels: map[string]string{"__address__": "10.0.0.1:9102", "app": "web", "port": "metrics"},
				Labels:           map[string]string{"__address__": "10.0.0.1:9102", "__metrics_path__": "/metrics", "instance": "10.0.0.1:9102", "job": "pods", "app": "web"},
				PublicLabels:     map[string]string{"instance": "10.0.0.1:9102", "job": "pods", "app": "web"},
			},
			{
				Source: "pod/shop/web-0", Index: 1, State: "dropped",
				DiscoveredLabels: map[string]string{"__address__": "10.0.0.1:8080", "app": "web", "port": "http"},
				Labels:           map[string]string{},
				DroppedBy:        &report.Rule{Index: 2, Action: "keep", File: "p.yml", Line: 9},
			},
			{
				Source: "pod/other/web-0", Index: 0, State: "dropped",
				DiscoveredLabels: map[string]string{"__address__": "10.0.9.9:9102", "app": "web", "port": "metrics"},
				Labels:           map[string]string{},
				DroppedBy:        &report.Rule{Index: 0, Action: "drop", File: "p.yml", Line: 5},
			},
			{
				Source: "node/n1", Index: 0, State: "invalid",
				DiscoveredLabels: map[string]string{},
				Labels:           map[string]string{},
				Error:            "no address",
			},
		},
	}
}

// result is what a test compares of a report.TestExpectation: the
// failing targets by name rather than by the whole target.
type result struct {
	Passed     bool
	Matched    int
	Message    string
	Candidates []string
	Failures   []failure
}

type failure struct {
	Message, Target string
	Diff            []report.Diff
}

func resultOf(e report.TestExpectation) result {
	o := result{Passed: e.Passed, Matched: e.Matched, Message: e.Message, Candidates: e.Candidates}
	for _, f := range e.Failures {
		fo := failure{Message: f.Message, Diff: f.Diff}
		if f.Target != nil {
			fo.Target = fmt.Sprintf("%s #%d", f.Target.Source, f.Target.Index)
		}
		o.Failures = append(o.Failures, fo)
	}
	return o
}

func TestCheck(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		// expect is one entry of an expect list, in flow style.
		expect string
		want   result
	}{
		{name: "object and address kept", expect: `{object: shop/web-0, address: "10.0.0.1:9102"}`, want: result{Passed: true, Matched: 1}},
		{name: "object by name only", expect: `{object: web-0, address: "10.0.0.1:9102"}`, want: result{Passed: true, Matched: 1}},
		{name: "object by source", expect: `{object: pod/shop/web-0, state: kept, address: "10.0.0.1:9102"}`, want: result{Passed: true, Matched: 1}},
		{name: "node object", expect: `{object: node/n1, state: invalid}`, want: result{Passed: true, Matched: 1}},
		{name: "match string", expect: `{match: '{app="web", port=~"met.*"}', address: "10.0.9.9:9102", state: dropped}`, want: result{Passed: true, Matched: 1}},
		{name: "match map", expect: `{match: {port: http}, dropped_by: {rule: 2, action: keep}}`, want: result{Passed: true, Matched: 1}},
		{
			name:   "exact labels",
			expect: `{address: "10.0.0.1:9102", labels: {job: pods, instance: "10.0.0.1:9102", app: web, __metrics_path__: /metrics}}`,
			want:   result{Passed: true, Matched: 1},
		},
		{
			name:   "exact labels differ",
			expect: `{address: "10.0.0.1:9102", labels: {job: pods, instance: "10.0.0.1", team: a, __scheme__: https}}`,
			want: result{
				Matched: 1,
				Message: "pod/shop/web-0 #0 (10.0.0.1:9102): kept, but 4 labels differ",
				Failures: []failure{{
					Message: "pod/shop/web-0 #0 (10.0.0.1:9102): kept, but 4 labels differ",
					Target:  "pod/shop/web-0 #0",
					Diff: []report.Diff{
						{Name: "__scheme__", Want: "https"},
						{Name: "app", Got: "web"},
						{Name: "instance", Want: "10.0.0.1", Got: "10.0.0.1:9102"},
						{Name: "team", Want: "a"},
					},
				}},
			},
		},
		{name: "empty value means absent", expect: `{address: "10.0.0.1:9102", labels_include: {team: "", job: pods}}`, want: result{Passed: true, Matched: 1}},
		{
			name:   "include labels differ",
			expect: `{address: "10.0.0.1:9102", labels_include: {job: pods, __address__: "10.0.0.1:80"}}`,
			want: result{
				Matched: 1,
				Message: "pod/shop/web-0 #0 (10.0.0.1:9102): kept, but 1 label differs",
				Failures: []failure{{
					Message: "pod/shop/web-0 #0 (10.0.0.1:9102): kept, but 1 label differs",
					Target:  "pod/shop/web-0 #0",
					Diff:    []report.Diff{{Name: "__address__", Want: "10.0.0.1:80", Got: "10.0.0.1:9102"}},
				}},
			},
		},
		{name: "dropped by action", expect: `{address: "10.0.0.1:8080", dropped_by: {action: keep}}`, want: result{Passed: true, Matched: 1}},
		{
			name:   "dropped by another rule",
			expect: `{address: "10.0.0.1:8080", dropped_by: {rule: 1}}`,
			want: result{
				Matched: 1,
				Message: "pod/shop/web-0 #1 (10.0.0.1:8080): want dropped by rule 1, got dropped by rule 2 (keep, p.yml:9)",
				Failures: []failure{{
					Message: "pod/shop/web-0 #1 (10.0.0.1:8080): want dropped by rule 1, got dropped by rule 2 (keep, p.yml:9)",
					Target:  "pod/shop/web-0 #1",
				}},
			},
		},
		{
			name:   "dropped by another action",
			expect: `{address: "10.0.0.1:8080", dropped_by: {rule: 2, action: drop}}`,
			want: result{
				Matched: 1,
				Message: "pod/shop/web-0 #1 (10.0.0.1:8080): want dropped by rule 2 (drop), got dropped by rule 2 (keep, p.yml:9)",
				Failures: []failure{{
					Message: "pod/shop/web-0 #1 (10.0.0.1:8080): want dropped by rule 2 (drop), got dropped by rule 2 (keep, p.yml:9)",
					Target:  "pod/shop/web-0 #1",
				}},
			},
		},
		{
			name:   "invalid, not kept",
			expect: `{object: n1}`,
			want: result{
				Matched:  1,
				Message:  "node/n1 #0 (no address): want kept, got invalid: no address",
				Failures: []failure{{Message: "node/n1 #0 (no address): want kept, got invalid: no address", Target: "node/n1 #0"}},
			},
		},
		{
			name:   "some of several targets fail",
			expect: `{object: shop/web-0}`,
			want: result{
				Matched: 2,
				Message: `1 of the 2 targets matching object "shop/web-0" fail`,
				Failures: []failure{{
					Message: "pod/shop/web-0 #1 (10.0.0.1:8080): want kept, got dropped by rule 2 (keep, p.yml:9)",
					Target:  "pod/shop/web-0 #1",
				}},
			},
		},
		{
			name:   "every one of several targets must hold",
			expect: `{match: {app: web}, state: dropped}`,
			want: result{
				Matched: 3,
				Message: `1 of the 3 targets matching match {app="web"} fail`,
				Failures: []failure{{
					Message: "pod/shop/web-0 #0 (10.0.0.1:9102): want dropped, got kept",
					Target:  "pod/shop/web-0 #0",
				}},
			},
		},
		{
			name:   "no match lists the nearest targets first",
			expect: `{object: other/web-1, address: "10.0.9.9:9102"}`,
			want: result{
				Message: `no target matches object "other/web-1", address "10.0.9.9:9102" among the job's 4 targets`,
				Candidates: []string{
					"pod/other/web-0 #0 (10.0.9.9:9102)",
					"pod/shop/web-0 #0 (10.0.0.1:9102)",
					"pod/shop/web-0 #1 (10.0.0.1:8080)",
					"node/n1 #0 (no address)",
				},
			},
		},
		{
			name:   "a misspelt object lists the object spelt most alike first",
			expect: `{object: other/web-O}`,
			want: result{
				Message: `no target matches object "other/web-O" among the job's 4 targets`,
				Candidates: []string{
					"pod/other/web-0 #0 (10.0.9.9:9102)",
					"pod/shop/web-0 #0 (10.0.0.1:9102)",
					"pod/shop/web-0 #1 (10.0.0.1:8080)",
					"node/n1 #0 (no address)",
				},
			},
		},
		{
			name:   "no match by selector",
			expect: `{match: '{app="api"}', address: "10.0.0.1:8080"}`,
			want: result{
				Message: `no target matches address "10.0.0.1:8080", match {app="api"} among the job's 4 targets`,
				Candidates: []string{
					"pod/shop/web-0 #1 (10.0.0.1:8080)",
					"pod/shop/web-0 #0 (10.0.0.1:9102)",
					"pod/other/web-0 #0 (10.0.9.9:9102)",
					"node/n1 #0 (no address)",
				},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f, err := Parse("t.yml", []byte("tests:\n- config: p.yml\n  expect:\n  - "+tt.expect+"\n"))
			if err != nil {
				t.Fatal(err)
			}
			g := Check(f.Tests[0], testJob())
			if len(g.Expectations) != 1 {
				t.Fatalf("%d outcomes, want 1", len(g.Expectations))
			}
			e := g.Expectations[0]
			if diff := cmp.Diff(tt.want, resultOf(e)); diff != "" {
				t.Errorf("outcome (-want +got):\n%s", diff)
			}
			if g.Passed != tt.want.Passed {
				t.Errorf("test passed = %v, want %v", g.Passed, tt.want.Passed)
			}
			if e.File != "t.yml" || e.Line != 4 {
				t.Errorf("position %s:%d, want t.yml:4", e.File, e.Line)
			}
		})
	}
}

func TestCheckCounts(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, counts string
		want         report.TestExpectation
	}{
		{
			name:   "equal",
			counts: "{discovered: 4, kept: 1, dropped: 2, invalid: 1}",
			want:   report.TestExpectation{Name: "counts: discovered 4, kept 1, dropped 2, invalid 1", File: "t.yml", Line: 3, Passed: true, Matched: 4},
		},
		{
			name:   "differ",
			counts: "{kept: 2, dropped: 2, invalid: 0}",
			want: report.TestExpectation{
				Name: "counts: kept 2, dropped 2, invalid 0", File: "t.yml", Line: 3, Matched: 4,
				Message: "counts differ: kept 1, want 2; invalid 1, want 0",
				Failures: []report.TestFailure{{
					Message: "counts differ: kept 1, want 2; invalid 1, want 0",
					Diff:    []report.Diff{{Name: "kept", Want: "2", Got: "1"}, {Name: "invalid", Want: "0", Got: "1"}},
				}},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f, err := Parse("t.yml", []byte("tests:\n- config: p.yml\n  counts: "+tt.counts+"\n"))
			if err != nil {
				t.Fatal(err)
			}
			g := Check(f.Tests[0], testJob())
			if diff := cmp.Diff([]report.TestExpectation{tt.want}, g.Expectations); diff != "" {
				t.Errorf("outcome (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCheckOrderAndEmptyJob(t *testing.T) {
	t.Parallel()
	f, err := Parse("t.yml", []byte("tests:\n- config: p.yml\n  counts: {kept: 0}\n  expect:\n  - {object: a}\n  - {address: b}\n"))
	if err != nil {
		t.Fatal(err)
	}
	g := Check(f.Tests[0], &report.Job{Job: "empty"})
	var got []string
	for _, e := range g.Expectations {
		got = append(got, fmt.Sprintf("%d %v %s", e.Line, e.Passed, e.Message))
	}
	want := []string{
		`5 false no target matches object "a": the job has no targets`,
		`6 false no target matches address "b": the job has no targets`,
		"3 true ",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("outcomes (-want +got):\n%s", diff)
	}
	if g.Passed || g.Job != "empty" || g.Name != "tests[0]" || g.Line != 2 {
		t.Errorf("group = %+v", g)
	}
}
