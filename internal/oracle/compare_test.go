package oracle_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/common/model"

	"github.com/prometheus/prometheus/discovery/targetgroup"

	"github.com/sdinspect/sdinspect/internal/oracle"
)

func TestCompare(t *testing.T) {
	t.Parallel()
	group := func(src string, labels model.LabelSet, targets ...model.LabelSet) *targetgroup.Group {
		return &targetgroup.Group{Source: src, Labels: labels, Targets: targets}
	}
	a := model.LabelSet{"__address__": "a:1", "x": "1"}
	b := model.LabelSet{"__address__": "b:1", "x": "2"}

	tests := []struct {
		name         string
		ours, theirs []*targetgroup.Group
		want         []string // Mismatch.String() of each
		wantInDiff   []string
	}{
		{
			name:   "order of groups and targets does not matter",
			ours:   []*targetgroup.Group{group("s2", nil, b), group("s1", model.LabelSet{"g": "v"}, b, a)},
			theirs: []*targetgroup.Group{group("s1", model.LabelSet{"g": "v"}, a, b), group("s2", nil, b)},
		},
		{
			name:   "group labels merge into targets, target wins",
			ours:   []*targetgroup.Group{group("s", model.LabelSet{"x": "9"}, a)},
			theirs: []*targetgroup.Group{group("s", nil, a)},
		},
		{
			name:       "value differs",
			ours:       []*targetgroup.Group{group("s", nil, a)},
			theirs:     []*targetgroup.Group{group("s", nil, model.LabelSet{"__address__": "a:1", "x": "7"})},
			want:       []string{`source s: target "a:1": label x: ours "1", Prometheus "7"`},
			wantInDiff: []string{"(-Prometheus +ours)", `"x":`, `"7",`, `"1",`},
		},
		{
			name:   "empty value is not absence",
			ours:   []*targetgroup.Group{group("s", nil, a)},
			theirs: []*targetgroup.Group{group("s", nil, model.LabelSet{"__address__": "a:1", "x": "1", "y": ""})},
			want:   []string{`source s: target "a:1": label y: ours absent, Prometheus ""`},
		},
		{
			name:   "duplicate targets count",
			ours:   []*targetgroup.Group{group("s", nil, a, a)},
			theirs: []*targetgroup.Group{group("s", nil, a)},
			want:   []string{`source s: target "a:1": only in ours: {__address__="a:1", x="1"}`},
		},
		{
			name:   "missing group",
			ours:   []*targetgroup.Group{group("s", nil, a)},
			theirs: []*targetgroup.Group{group("s", nil, a), group("t", nil, b)},
			want:   []string{`source t: target "b:1": only in Prometheus: {__address__="b:1", x="2"}`},
		},
		{
			name:   "unmatched targets pair by similarity",
			ours:   []*targetgroup.Group{group("s", nil, model.LabelSet{"__address__": "a:1", "x": "1", "z": "1"}, model.LabelSet{"__address__": "b:1", "x": "2", "z": "1"})},
			theirs: []*targetgroup.Group{group("s", nil, a, b)},
			want: []string{
				`source s: target "a:1": label z: ours "1", Prometheus absent`,
				`source s: target "b:1": label z: ours "1", Prometheus absent`,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, m := range oracle.Compare(tt.ours, tt.theirs) {
				got = append(got, m.String())
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("mismatches (-want +got):\n%s", diff)
			}
			d := oracle.Diff(tt.ours, tt.theirs, 10)
			if (d == "") != (len(tt.want) == 0) {
				t.Errorf("Diff = %q, want empty iff no mismatches", d)
			}
			for _, s := range tt.wantInDiff {
				if !strings.Contains(d, s) {
					t.Errorf("Diff does not contain %q:\n%s", s, d)
				}
			}
		})
	}
}
