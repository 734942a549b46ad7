package expect

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/prometheus/prometheus/model/labels"
	"gopkg.in/yaml.v3"
)

func TestParseErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, file, want string
	}{
		{name: "empty file", file: "", want: "t.yml: no tests: the file is empty; want a mapping with a tests key"},
		{name: "syntax", file: "tests:\n  - name: [\n", want: "t.yml:2: did not find expected node content"},
		{name: "two documents", file: "tests: []\n---\ntests: []\n", want: "t.yml:2: a test file holds one YAML document; join the tests into one tests list"},
		{name: "unknown top key", file: "test:\n  - name: x\n", want: `t.yml:1: test file: unknown key "test" (want tests)`},
		{name: "no tests key", file: "{}\n", want: "t.yml:1: no tests key; want a mapping with a tests key"},
		{name: "tests not a list", file: "tests: {a: b}\n", want: "t.yml:1: tests: want a list, found a mapping"},
		{name: "empty tests", file: "tests: []\n", want: "t.yml:1: tests: the list is empty"},
		{
			name: "unknown test key",
			file: "tests:\n- name: x\n  config: p.yml\n  jobs: a\n",
			want: `t.yml:4: tests[0]: unknown key "jobs" (want name, config, job, scrape_config, own_namespace, snapshot, objects, discovered, expect or counts)`,
		},
		{
			name: "duplicate key",
			file: "tests:\n- name: x\n  config: p.yml\n  config: q.yml\n  expect: [{address: a}]\n",
			want: `t.yml:4: tests[0]: key "config" given twice (first at line 3)`,
		},
		{name: "no config", file: "tests:\n- name: x\n  expect: [{address: a}]\n", want: `t.yml:2: test "x": no scrape config: give config (a prometheus.yml) and job, or scrape_config`},
		{
			name: "config and scrape_config",
			file: "tests:\n- config: p.yml\n  scrape_config: {job_name: a}\n  expect: [{address: a}]\n",
			want: "t.yml:3: tests[0]: config and scrape_config cannot be used together: give a prometheus.yml and a job, or one scrape config",
		},
		{name: "job without config", file: "tests:\n- job: a\n  expect: [{address: a}]\n", want: "t.yml:2: tests[0]: job needs config, the prometheus.yml it is in"},
		{
			name: "job with scrape_config",
			file: "tests:\n- scrape_config: {job_name: a}\n  job: a\n  expect: [{address: a}]\n",
			want: "t.yml:3: tests[0]: job names a job of config; scrape_config has its own job_name",
		},
		{name: "scrape_config not a mapping", file: "tests:\n- scrape_config: [a]\n  expect: [{address: a}]\n", want: "t.yml:2: tests[0]: scrape_config: want a mapping, found a list"},
		{
			name: "two inputs",
			file: "tests:\n- config: p.yml\n  snapshot: c.yaml\n  discovered: []\n  expect: [{address: a}]\n",
			want: "t.yml:4: tests[0]: snapshot and discovered cannot be used together: give a snapshot, inline objects or discovered label sets",
		},
		{name: "nothing to check", file: "tests:\n- config: p.yml\n", want: "t.yml:2: tests[0]: nothing to check: give expect or counts"},
		{name: "empty snapshot list", file: "tests:\n- config: p.yml\n  snapshot: []\n  counts: {kept: 1}\n", want: "t.yml:3: tests[0]: snapshot: the list is empty"},
		{name: "object not a mapping", file: "tests:\n- config: p.yml\n  objects: [pod]\n  counts: {kept: 1}\n", want: `t.yml:3: tests[0]: objects[0]: want a Kubernetes object (a mapping), found "pod"`},
		{name: "discovered value not a string", file: "tests:\n- config: p.yml\n  discovered:\n  - {a: [b]}\n  counts: {kept: 1}\n", want: `t.yml:4: tests[0]: discovered[0]: label "a": want a string, found a list`},
		{name: "no selector", file: "tests:\n- config: p.yml\n  expect:\n  - state: kept\n", want: "t.yml:4: tests[0]: expect[0]: which targets? give object, address or match"},
		{name: "unknown state", file: "tests:\n- config: p.yml\n  expect:\n  - {address: a, state: gone}\n", want: `t.yml:4: tests[0]: expect[0]: state: unknown state "gone" (want kept, dropped or invalid)`},
		{
			name: "labels on a dropped target",
			file: "tests:\n- config: p.yml\n  expect:\n  - address: a\n    state: dropped\n    labels: {a: b}\n",
			want: "t.yml:5: tests[0]: expect[0]: labels and labels_include apply to kept targets, and this one is to be dropped",
		},
		{
			name: "dropped_by on a kept target",
			file: "tests:\n- config: p.yml\n  expect:\n  - address: a\n    state: kept\n    dropped_by: {rule: 1}\n",
			want: "t.yml:5: tests[0]: expect[0]: dropped_by applies to dropped targets, and this one is to be kept",
		},
		{name: "empty dropped_by", file: "tests:\n- config: p.yml\n  expect:\n  - {address: a, dropped_by: {}}\n", want: "t.yml:4: tests[0]: expect[0]: dropped_by: empty; give rule, action or both"},
		{
			name: "action that cannot drop",
			file: "tests:\n- config: p.yml\n  expect:\n  - {address: a, dropped_by: {action: replace}}\n",
			want: `t.yml:4: tests[0]: expect[0]: dropped_by: action "replace" never drops a target (want keep, drop, keepequal or dropequal)`,
		},
		{name: "negative rule", file: "tests:\n- config: p.yml\n  expect:\n  - {address: a, dropped_by: {rule: -1}}\n", want: `t.yml:4: tests[0]: expect[0]: dropped_by: rule: want a whole number of at least 0, found "-1"`},
		{
			name: "bad selector",
			file: "tests:\n- name: pods\n  config: p.yml\n  expect:\n  - match: '{app=\"web\"'\n",
			want: `t.yml:5: test "pods": expect[0]: match: "{app=\"web\"": 1:11: parse error: unexpected end of input inside braces`,
		},
		{name: "counts not a number", file: "tests:\n- config: p.yml\n  counts: {kept: many}\n", want: `t.yml:3: tests[0]: counts: kept: want a whole number of at least 0, found "many"`},
		{name: "unknown counts key", file: "tests:\n- config: p.yml\n  counts: {scraped: 1}\n", want: `t.yml:3: tests[0]: counts: unknown key "scraped" (want discovered, kept, dropped or invalid)`},
		{name: "empty name", file: "tests:\n- name: ''\n  config: p.yml\n  counts: {kept: 1}\n", want: "t.yml:2: tests[0]: name: empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Parse("t.yml", []byte(tt.file))
			if err == nil {
				t.Fatal("no error")
			}
			if diff := cmp.Diff(tt.want, err.Error()); diff != "" {
				t.Errorf("error (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParse(t *testing.T) {
	t.Parallel()
	file := `base: &base
tests:
  - name: pods
    config: ../prometheus.yml
    job: kubernetes-pods
    own_namespace: monitoring
    snapshot: [a.yaml, /abs/b.yaml]
    expect:
      - object: shop/web-0
        labels: &labels {job: pods, port: 9102, empty: ~}
      - address: 10.0.0.1:80
        dropped_by: {action: KEEP}
      - name: by label
        match: '{app=~"web|api", tier!="db"}'
        labels_include: *labels
      - match: {b: "2", a: "1"}
        state: invalid
    counts: {kept: 1, invalid: 0}
  - scrape_config: {job_name: x}
    discovered:
      - {__address__: "a:1", <<: {env: prod}}
    expect: [{address: "a:1"}]
`
	// The first key is unknown: expect only the test file's own keys.
	_, err := Parse("dir/t.yml", []byte(file))
	if err == nil || !strings.HasPrefix(err.Error(), `dir/t.yml:1: test file: unknown key "base"`) {
		t.Fatalf("err = %v, want the unknown key base", err)
	}
	f, err := Parse("dir/t.yml", []byte(strings.Replace(file, "base: &base\n", "", 1)))
	if err != nil {
		t.Fatal(err)
	}
	want := &File{Path: "dir/t.yml", Tests: []*Test{
		{
			Name: "pods", Pos: Position{"dir/t.yml", 2}, Dir: "dir",
			Config: "prometheus.yml", Job: "kubernetes-pods", OwnNamespace: "monitoring",
			Snapshot: []string{"dir/a.yaml", "/abs/b.yaml"},
			Expect: []*Expectation{
				{
					Pos: Position{"dir/t.yml", 8}, Object: "shop/web-0", State: Kept,
					Labels: map[string]string{"job": "pods", "port": "9102", "empty": ""},
					Name:   `object "shop/web-0" is kept with labels {empty="", job="pods", port="9102"}`,
				},
				{
					Pos: Position{"dir/t.yml", 10}, Address: "10.0.0.1:80", State: Dropped,
					DroppedBy: &DroppedBy{Rule: -1, Action: "keep"},
					Name:      `address "10.0.0.1:80" is dropped by a keep rule`,
				},
				{
					Pos: Position{"dir/t.yml", 12}, Name: "by label", State: Kept,
					Match: []*labels.Matcher{
						labels.MustNewMatcher(labels.MatchRegexp, "app", "web|api"),
						labels.MustNewMatcher(labels.MatchNotEqual, "tier", "db"),
					},
					LabelsInclude: map[string]string{"job": "pods", "port": "9102", "empty": ""},
				},
				{
					Pos: Position{"dir/t.yml", 15}, State: Invalid,
					Match: []*labels.Matcher{
						labels.MustNewMatcher(labels.MatchEqual, "a", "1"),
						labels.MustNewMatcher(labels.MatchEqual, "b", "2"),
					},
					Name: `match {a="1", b="2"} is invalid`,
				},
			},
			Counts: &Counts{Pos: Position{"dir/t.yml", 17}, Kept: ptr(1), Invalid: ptr(0)},
		},
		{
			Name: "tests[1]", Pos: Position{"dir/t.yml", 18}, Dir: "dir",
			Discovered:    []map[string]string{{"__address__": "a:1", "env": "prod"}},
			DiscoveredPos: Position{"dir/t.yml", 19},
			Expect: []*Expectation{{
				Pos: Position{"dir/t.yml", 21}, Address: "a:1", State: Kept, Name: `address "a:1" is kept`,
			}},
		},
	}}
	opts := cmp.Options{
		cmpopts.IgnoreFields(Test{}, "ScrapeConfig"),
		cmp.Comparer(func(a, b *labels.Matcher) bool { return a.String() == b.String() }),
	}
	if diff := cmp.Diff(want, f, opts); diff != "" {
		t.Errorf("Parse (-want +got):\n%s", diff)
	}
	if sc := f.Tests[1].ScrapeConfig; sc == nil || sc.Kind != yaml.MappingNode || sc.Line != 18 {
		t.Errorf("ScrapeConfig = %+v, want the mapping at line 18", sc)
	}
}

func ptr(i int) *int { return &i }

func TestParseObjectsKeepTheirLines(t *testing.T) {
	t.Parallel()
	file := `tests:
  - config: p.yml
    objects:
      - apiVersion: v1
        kind: Pod
        # a comment, and a blank line

        metadata: {name: a,
          namespace: b}
        spec:
          containers: {name: x}
    counts: {kept: 0}
`
	f, err := Parse("t.yml", []byte(file))
	if err != nil {
		t.Fatal(err)
	}
	obj := f.Tests[0].Objects[0]
	if obj.Pos.Line != 4 {
		t.Errorf("Pos.Line = %d, want 4", obj.Pos.Line)
	}
	lines := strings.Split(string(obj.YAML), "\n")
	for _, want := range []struct {
		line int
		text string
	}{{4, "apiVersion: v1"}, {5, "kind: Pod"}, {8, "metadata: {name: a, namespace: b}"}, {10, "spec:"}, {11, "    containers: {name: x}"}} {
		if got := lines[want.line-1]; got != want.text {
			t.Errorf("line %d = %q, want %q\n%s", want.line, got, want.text, obj.YAML)
		}
	}
	var back map[string]any
	if err := yaml.Unmarshal(obj.YAML, &back); err != nil || back["kind"] != "Pod" {
		t.Errorf("YAML does not read back as the Pod: %v, %v", back, err)
	}
}

func TestParseAliasBombs(t *testing.T) {
	t.Parallel()
	levels := "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
	// Each label set merges the one before ten times over.
	merges := "  - &m0 {k0: v}\n"
	for i := 1; i < 10; i++ {
		prev, cur := string(rune('a'+i-1)), string(rune('a'+i))
		levels += fmt.Sprintf("%s: &%s [*%s, *%s, *%s, *%s, *%s, *%s, *%s, *%s, *%s, *%s]\n", cur, cur, prev, prev, prev, prev, prev, prev, prev, prev, prev, prev)
		merges += fmt.Sprintf("  - &m%d {<<: [%s], k%d: v}\n", i, strings.TrimSuffix(strings.Repeat(fmt.Sprintf("*m%d, ", i-1), 10), ", "), i)
	}
	tests := []struct {
		name, file, want string
	}{
		{
			name: "an object of a billion nodes",
			file: "tests:\n- config: p.yml\n  objects:\n  - " + strings.ReplaceAll(strings.TrimSpace(levels), "\n", "\n    ") + "\n  counts: {kept: 1}\n",
			want: "t.yml:4: tests[0]: objects[0]: more than 200000 YAML nodes once its aliases are expanded",
		},
		{
			name: "merges of merges",
			file: "tests:\n- config: p.yml\n  discovered:\n" + merges + "  counts: {kept: 1}\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			start := time.Now()
			f, err := Parse("t.yml", []byte(tt.file))
			switch {
			case tt.want == "" && err != nil:
				t.Fatal(err)
			case tt.want == "" && len(f.Tests[0].Discovered[9]) != 10:
				t.Errorf("last label set %v, want k0 to k9", f.Tests[0].Discovered[9])
			case tt.want != "" && (err == nil || err.Error() != tt.want):
				t.Errorf("error %v, want %s", err, tt.want)
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("took %v", d)
			}
		})
	}
}
