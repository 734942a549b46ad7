package discovery_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/common/model"
	"go.yaml.in/yaml/v2"

	"github.com/prometheus/prometheus/discovery/kubernetes"
	"github.com/prometheus/prometheus/discovery/targetgroup"

	"github.com/sdinspect/sdinspect/discovery"
	"github.com/sdinspect/sdinspect/internal/fixture"
)

// sdConfig parses one kubernetes_sd_configs entry as Prometheus does,
// validation included.
func sdConfig(t *testing.T, src string) *kubernetes.SDConfig {
	t.Helper()
	cfg := &kubernetes.SDConfig{}
	if err := yaml.UnmarshalStrict([]byte(src), cfg); err != nil {
		t.Fatalf("parsing sd config: %v", err)
	}
	return cfg
}

// snapshot decodes multi-document manifests into a Snapshot.
func snapshot(t *testing.T, objects ...string) *discovery.Snapshot {
	t.Helper()
	snap, err := fixture.Decode([]byte(strings.Join(objects, "\n---\n")))
	if err != nil {
		t.Fatalf("decoding objects: %v", err)
	}
	return snap
}

// run discovers with sd over the objects and fails the test on error.
func run(t *testing.T, sd string, opts discovery.Options, objects ...string) []*targetgroup.Group {
	t.Helper()
	groups, err := discovery.Discover(snapshot(t, objects...), sdConfig(t, sd), opts)
	if err != nil {
		t.Fatalf("Discover: %v", err)
	}
	return groups
}

func sources(groups []*targetgroup.Group) []string {
	out := make([]string, 0, len(groups))
	for _, g := range groups {
		out = append(out, g.Source)
	}
	return out
}

// groupBySource returns the group with the given source or fails.
func groupBySource(t *testing.T, groups []*targetgroup.Group, source string) *targetgroup.Group {
	t.Helper()
	for _, g := range groups {
		if g.Source == source {
			return g
		}
	}
	t.Fatalf("no group %q among %v", source, sources(groups))
	return nil
}

// labelWant is one hand-written expectation: label name on target index
// target of the group source (target -1 means the group labels). absent
// asserts the label is not emitted at all, as opposed to emitted empty.
type labelWant struct {
	source string
	target int
	name   model.LabelName
	value  string
	absent bool
}

func checkLabels(t *testing.T, groups []*targetgroup.Group, wants []labelWant) {
	t.Helper()
	for _, w := range wants {
		g := groupBySource(t, groups, w.source)
		ls := g.Labels
		where := "group labels"
		if w.target >= 0 {
			if w.target >= len(g.Targets) {
				t.Errorf("%s: want target %d, have %d targets", w.source, w.target, len(g.Targets))
				continue
			}
			ls = g.Targets[w.target]
			where = "target " + string(g.Targets[w.target][model.AddressLabel])
		}
		v, ok := ls[w.name]
		switch {
		case w.absent && ok:
			t.Errorf("%s %s: %s = %q, want it absent", w.source, where, w.name, v)
		case !w.absent && !ok:
			t.Errorf("%s %s: %s missing, want %q", w.source, where, w.name, w.value)
		case !w.absent && string(v) != w.value:
			t.Errorf("%s %s: %s = %q, want %q", w.source, where, w.name, v, w.value)
		}
	}
}

// checkTargets compares the complete target list of a group.
func checkTargets(t *testing.T, groups []*targetgroup.Group, source string, want []model.LabelSet) {
	t.Helper()
	g := groupBySource(t, groups, source)
	if diff := cmp.Diff(want, g.Targets); diff != "" {
		t.Errorf("%s targets (-want +got):\n%s", source, diff)
	}
}

func checkSources(t *testing.T, groups []*targetgroup.Group, want []string) {
	t.Helper()
	got := sources(groups)
	if want == nil {
		want = []string{}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("group sources (-want +got):\n%s", diff)
	}
}
