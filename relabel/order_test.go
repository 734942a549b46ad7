package relabel

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
	promrelabel "github.com/prometheus/prometheus/model/relabel"
)

// TestInjective pins which labelmap rules are known to map different names
// to different names, and so let a target start from its discovered labels.
func TestInjective(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		regex, replacement string
		want               bool
	}{
		{"__meta_kubernetes_pod_label_(.+)", "$1", true},
		{"__meta_kubernetes_pod_label_(.+)", "${1}", true},
		{"__meta_kubernetes_service_label_(.*)", "svc_${1}_x", true},
		{"(.+)_total", "$1", true},
		{"(.*)", "$1", true},
		{"a(b|cd)e", "x$1", true},
		{"only_this_name", "other", true},
		{"only_this_name", "$1", true}, // matches one name at most
		{"", "x", true},
		// Two names may map to one.
		{"__meta_kubernetes_(pod|service)_label_(.+)", "$2", false},
		{"__meta_kubernetes_(?:pod|service)_label_(.+)", "$1", false},
		{"__meta_kubernetes_pod_label_(.+)", "x", false},
		{"__meta_kubernetes_pod_label_(.+)", "$1$1", false},
		{"__meta_kubernetes_pod_label_(.+)", "$1_", false}, // the group "1_"
		{"__meta_kubernetes_pod_label_(.+)", "$$1", false},
		{"__meta_kubernetes_pod_label_(.+)", "${2}", false},
		{"(?i)__meta_(.+)", "$1", false}, // __META_a and __meta_a
		{"__meta_[ab]_(.+)", "$1", false},
		{"(a|b)", "x", false},
		{"a((b))", "$1", false},
	} {
		r := &promrelabel.Config{Action: promrelabel.LabelMap, Regex: promrelabel.MustNewRegexp(c.regex), Replacement: c.replacement}
		if got := injective(r); got != c.want {
			t.Errorf("labelmap regex %q replacement %q: injective %v, want %v", c.regex, c.replacement, got, c.want)
		}
		if got := orderFree([]*promrelabel.Config{{Action: promrelabel.Keep, Regex: promrelabel.MustNewRegexp("(.*)")}, r}); got != c.want {
			t.Errorf("labelmap regex %q replacement %q: order free %v, want %v", c.regex, c.replacement, got, c.want)
		}
	}
}

// TestSortedLike holds sortedLike to sorting, over sets that share all,
// some or none of the names of the set before.
func TestSortedLike(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(3, 4))
	names := []string{"__address__", "__meta_kubernetes_pod_label_app", "__meta_kubernetes_pod_label_apps", "__meta_kubernetes_pod_name", "a", "b"}
	var buf []labels.Label
	reused := 0
	for range 2000 {
		ls := model.LabelSet{}
		for _, n := range names {
			if r.IntN(4) > 0 {
				ls[model.LabelName(n)] = model.LabelValue(fmt.Sprint(r.IntN(3)))
			}
		}
		before := len(buf)
		buf = sortedLike(buf, ls)
		if want := sortedSet(nil, ls); !slices.Equal(buf, want) {
			t.Fatalf("sortedLike(%v) = %v, want %v", ls, buf, want)
		}
		if before == len(buf) {
			reused++
		}
	}
	if reused < 100 {
		t.Fatalf("only %d sets had as many labels as the one before: the reuse is not exercised", reused)
	}
}
