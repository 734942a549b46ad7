package relabel

import (
	"hash/fnv"
	"testing"

	"github.com/prometheus/prometheus/model/labels"
)

// TestFNVHash holds the written-out FNV-1a to hash/fnv's over the same
// bytes: names and values, each followed by 0xff.
func TestFNVHash(t *testing.T) {
	t.Parallel()
	for _, ls := range []labels.Labels{
		labels.EmptyLabels(),
		labels.FromStrings("a", "b"),
		labels.FromStrings("__address__", "10.0.0.1:9090", "instance", "ü 日本", "job", ""),
	} {
		want := fnv.New64a()
		ls.Range(func(l labels.Label) {
			want.Write([]byte(l.Name))
			want.Write([]byte{0xff})
			want.Write([]byte(l.Value))
			want.Write([]byte{0xff})
		})
		if got := fnvHash(ls); got != want.Sum64() {
			t.Errorf("fnvHash(%v) = %#x, hash/fnv: %#x", ls, got, want.Sum64())
		}
	}
}
