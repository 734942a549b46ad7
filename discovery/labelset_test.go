package discovery

import (
	"maps"
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
)

// TestLabelSetDone holds labelSet to what setting the same labels in a map
// gives: each name once with the value set last, sorted by name. Labels
// come as random names, as ascending runs and as merged sets, several sets
// to an arena, which must leave the sets done before unchanged.
func TestLabelSetDone(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(7, 8))
	names := []string{"a", "a_b", "a.b", "ab", "b", "ba", "c", "c_present_a", "c_a", "present", "z"}
	a := new(arena)
	var done [][]labels.Label
	var wants []model.LabelSet
	for range 2000 {
		want := model.LabelSet{}
		s := a.open()
		for range r.IntN(12) {
			switch r.IntN(3) {
			case 0: // one label
				n, v := names[r.IntN(len(names))], model.LabelValue("v"+strconv.Itoa(r.IntN(3)))
				s.set(model.LabelName(n), v)
				want[model.LabelName(n)] = v
			case 1: // an ascending run
				run := slices.Clone(names[r.IntN(len(names)):])
				run = run[:r.IntN(len(run)+1)]
				for _, n := range run {
					s.set(model.LabelName(n), "run")
					want[model.LabelName(n)] = "run"
				}
			default: // a set done before
				if len(done) > 0 {
					prev := done[r.IntN(len(done))]
					s.merge(prev)
					for _, l := range prev {
						want[model.LabelName(l.Name)] = model.LabelValue(l.Value)
					}
				}
			}
		}
		done = append(done, s.done())
		wants = append(wants, want)
	}
	for i, got := range done {
		var want []labels.Label
		for _, n := range slices.Sorted(maps.Keys(wants[i])) {
			want = append(want, labels.Label{Name: string(n), Value: string(wants[i][n])})
		}
		if !slices.Equal(got, want) {
			t.Fatalf("set %d: %v, want %v", i, got, want)
		}
	}
}
