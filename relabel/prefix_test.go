package relabel

import (
	"slices"
	"testing"

	"github.com/prometheus/prometheus/model/relabel"
)

// exactRegexes are those of TestPrefixesOf that match no name but their
// prefixes.
var exactRegexes = []string{
	`(pod_template_hash|controller_revision_hash|helm_sh_chart)`,
	`a\bb|c`,
}

// TestPrefixesOf: the prefixes found for each regex, whether they are all
// it matches, and every name of a list that the regex matches has one of
// them, or is one of them.
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
		{`a\bb|c`, []string{"ab", "c"}}, // matches "c" only
	} {
		r := &relabel.Config{Regex: relabel.MustNewRegexp(tt.regex)}
		got, exact := prefixesOf(r)
		if !slices.Equal(got, tt.want) {
			t.Errorf("%q: prefixes %q, want %q", tt.regex, got, tt.want)
		}
		if wantExact := slices.Contains(exactRegexes, tt.regex); exact != wantExact {
			t.Errorf("%q: exact %v, want %v", tt.regex, exact, wantExact)
		}
		for _, name := range []string{"__meta_kubernetes_pod_label_app", "pod_template_hash", "helm_sh_chart", "example_com_x",
			"__meta_kubernetes_service_label_x", "abbde", "acce", "abbe", "abdx", "ab", "ac", "aagg", "eejj", "abccc", "ABC", "abCd",
			"x", "yyx", "bc", "c", "ab", ""} {
			if r.Regex.MatchString(name) && !mayMatch(got, name) {
				t.Errorf("%q matches %q, which has none of the prefixes %q", tt.regex, name, got)
			}
			if r.Regex.MatchString(name) && exact && !slices.Contains(got, name) {
				t.Errorf("%q matches %q, which is not one of %q", tt.regex, name, got)
			}
		}
	}
}
