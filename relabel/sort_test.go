package relabel

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/prometheus/model/labels"
)

// TestSortTail: label sets whose start is sorted, or not, and whose rest
// is in any order come out sorted as slices.SortFunc sorts them, whatever
// the capacity beyond them.
func TestSortTail(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(1, 1))
	for i := range 2000 {
		n := r.IntN(12)
		names := map[string]bool{}
		var ls []labels.Label
		for len(ls) < n {
			name := fmt.Sprintf("__meta_%c%d", 'a'+r.IntN(4), r.IntN(20))
			if !names[name] {
				names[name] = true
				ls = append(ls, labels.Label{Name: name, Value: name})
			}
		}
		byName := func(a, b labels.Label) int { return strings.Compare(a.Name, b.Name) }
		if k := r.IntN(n + 1); k > 0 {
			slices.SortFunc(ls[:k], byName)
		}
		want := slices.Clone(ls)
		slices.SortFunc(want, byName)
		got := append(make([]labels.Label, 0, len(ls)+r.IntN(3)*len(ls)), ls...)
		if got = sortTail(got); !slices.Equal(got, want) {
			t.Fatalf("set %d: sortTail(%v) = %v, want %v", i, ls, got, want)
		}
	}
}
