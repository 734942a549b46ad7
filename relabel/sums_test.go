package relabel

import (
	"testing"

	"github.com/prometheus/common/model"
	"github.com/prometheus/common/promslog"
	"github.com/prometheus/prometheus/config"
	"github.com/prometheus/prometheus/discovery/targetgroup"
	"github.com/prometheus/prometheus/model/labels"
)

// TestSumsOf checks that equal label sets get equal sums, however they
// were built, and that sets differing only in where a name ends and its
// value starts, or in order of pairs, get different second hashes.
func TestSumsOf(t *testing.T) {
	t.Parallel()
	a := labels.FromStrings("__address__", "10.0.0.1:9090", "instance", "ü 日本", "job", "")
	var sb labels.ScratchBuilder
	for _, n := range []string{"job", "instance", "__address__"} {
		sb.Add(n, a.Get(n))
	}
	sb.Sort()
	if got, want := sumsOf(sb.Labels()), sumsOf(a); got != want || !got.set {
		t.Errorf("equal labels: sums %+v and %+v", got, want)
	}
	for _, pair := range [][2]labels.Labels{
		{labels.FromStrings("a", "bc"), labels.FromStrings("ab", "c")},
		{labels.FromStrings("a", "b", "c", "d"), labels.FromStrings("a", "bc", "d", "")},
		{labels.EmptyLabels(), labels.FromStrings("a", "")},
	} {
		if x, y := sumsOf(pair[0]), sumsOf(pair[1]); x.second == y.second {
			t.Errorf("%v and %v: same second hash %#x", pair[0], pair[1], x.second)
		}
	}
}

// TestKeptSums checks that the sums a Relabeler gives a kept target, with
// no Duplicates involved, are those Duplicates would work out itself.
func TestKeptSums(t *testing.T) {
	t.Parallel()
	cfg, err := config.Load(`
scrape_configs:
- job_name: j
  relabel_configs:
  - source_labels: [__meta_x]
    target_label: x
`, promslog.NewNopLogger())
	if err != nil {
		t.Fatal(err)
	}
	g := &targetgroup.Group{Source: "g", Targets: []model.LabelSet{{"__address__": "a:1", "__meta_x": "1"}, {"__address__": "b:1"}}}
	got := NewRelabeler(cfg.ScrapeConfigs[0], Options{}).Group(nil, g)
	if len(got) != 2 {
		t.Fatalf("%d targets, want 2", len(got))
	}
	for _, k := range got {
		if k.State != Kept {
			t.Fatalf("%s/%d: %s, want kept", k.Source, k.Index, k.State)
		}
		if want := sumsOf(k.Labels); k.sums != want {
			t.Errorf("%s/%d: sums %+v, sumsOf its labels %+v", k.Source, k.Index, k.sums, want)
		}
	}
}
