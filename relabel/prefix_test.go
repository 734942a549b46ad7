package relabel

import (
	"slices"
	"testing"

	"github.com/prometheus/prometheus/model/relabel"
)

// TestPrefixesOf: the prefixes found for each regex, and every name of a
// list that the regex matches has one of them.
func TestPrefixesOf(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		regex string
		want  []string
	}{
		{`__meta_kubernetes_pod_label_(.+)`, []string{"__meta_kubernetes_pod_label_"}},
		{`(pod_template_hash|controller_revision_hash|helm_sh_chart)`, []string{"pod_template_hash", "controller_revision_hash", "helm_sh_chart"}},
		{`example_com_.+`, []string{"example_com_"}},
		{`__meta_kubernetes_(pod|service)_label_(.+)`, []string{"__meta_kubernetes_pod_label_", "__meta_kubernetes_service_label_"}},
		{`a(bb|cc)d?e`, []string{"abb", "acc"}}, // d? is not text: stop there
		{`a(b|c)`, []string{"a"}},               // [bc]: not text
		{`abc*`, []string{"ab"}},
		{`(?i)abc`, nil},
		{`ab(?i:c)d`, []string{"ab"}},
		{`.*x`, nil},
		{`x|.*`, nil},
		{`[ab]c`, nil},
		{`(aa|bb|cc|dd|ee)(ff|gg|hh|ii|jj)`, []string{"aa", "bb", "cc", "dd", "ee"}}, // 25 would be too many
		{``, nil},
	} {
		r := &relabel.Config{Regex: relabel.MustNewRegexp(tt.regex)}
		got := prefixesOf(r)
		if !slices.Equal(got, tt.want) {
			t.Errorf("%q: prefixes %q, want %q", tt.regex, got, tt.want)
		}
		for _, name := range []string{"__meta_kubernetes_pod_label_app", "pod_template_hash", "helm_sh_chart", "example_com_x",
			"__meta_kubernetes_service_label_x", "abbde", "acce", "abbe", "abdx", "ab", "ac", "aagg", "eejj", "abccc", "ABC", "abCd",
			"x", "yyx", "bc", ""} {
			if r.Regex.MatchString(name) && !mayMatch(got, name) {
				t.Errorf("%q matches %q, which has none of the prefixes %q", tt.regex, name, got)
			}
		}
	}
}
