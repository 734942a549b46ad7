package discovery_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/common/model"
	"golang.org/x/tools/txtar"

	"github.com/prometheus/prometheus/discovery/targetgroup"

	"github.com/sdinspect/sdinspect/discovery"
)

var updateGolden = flag.Bool("update", false, "rewrite want.json in testdata/cases/*.txtar from the current output")

// jsonGroup is the golden form of a target group. targetgroup.Group's own
// JSON form keeps only target addresses, which would hide label changes.
type jsonGroup struct {
	Source  string           `json:"source"`
	Labels  model.LabelSet   `json:"labels"`
	Targets []model.LabelSet `json:"targets"`
}

func marshalGroups(t *testing.T, groups []*targetgroup.Group) []byte {
	t.Helper()
	out := make([]jsonGroup, 0, len(groups))
	for _, g := range groups {
		out = append(out, jsonGroup{Source: g.Source, Labels: g.Labels, Targets: g.Targets})
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(out); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestCases runs every fixture and compares the result with its want.json,
// a regression guard written by -update. Fidelity to Prometheus is checked
// by the role tests' hand-written expectations and by the differential test.
func TestCases(t *testing.T) {
	for _, c := range loadCases(t) {
		t.Run(c.Name, func(t *testing.T) {
			groups, err := discovery.Discover(c.Snap, c.SD, c.Opts)
			if err != nil {
				t.Fatalf("Discover: %v", err)
			}
			checkInvariants(t, groups)
			got := marshalGroups(t, groups)

			if *updateGolden {
				writeWant(t, c, got)
				return
			}
			i := slices.IndexFunc(c.Archive.Files, func(f txtar.File) bool { return f.Name == "want.json" })
			if i < 0 {
				t.Fatalf("%s has no want.json; run go test ./discovery -update and review it", c.Path)
			}
			if diff := cmp.Diff(string(c.Archive.Files[i].Data), string(got)); diff != "" {
				t.Errorf("%s: output differs from want.json (-want +got):\n%s", c.Path, diff)
			}
		})
	}
}

// checkInvariants holds for every Discover result: sources sorted and
// unique, no empty group, every target addressed (possibly with "").
func checkInvariants(t *testing.T, groups []*targetgroup.Group) {
	t.Helper()
	for i, g := range groups {
		if len(g.Targets) == 0 {
			t.Errorf("group %s has no targets", g.Source)
		}
		if i > 0 && groups[i-1].Source >= g.Source {
			t.Errorf("groups not strictly sorted: %s before %s", groups[i-1].Source, g.Source)
		}
		for j, tgt := range g.Targets {
			if _, ok := tgt[model.AddressLabel]; !ok {
				t.Errorf("group %s target %d has no __address__", g.Source, j)
			}
		}
	}
}

func writeWant(t *testing.T, c *discoveryCase, got []byte) {
	t.Helper()
	files := slices.DeleteFunc(slices.Clone(c.Archive.Files), func(f txtar.File) bool { return f.Name == "want.json" })
	c.Archive.Files = append(files, txtar.File{Name: "want.json", Data: got})
	if err := os.WriteFile(c.Path, txtar.Format(c.Archive), 0o644); err != nil {
		t.Fatal(err)
	}
}
