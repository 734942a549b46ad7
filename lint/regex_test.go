package lint

import (
	"testing"

	promrelabel "github.com/prometheus/prometheus/model/relabel"
)

func TestMatchesEverything(t *testing.T) {
	tests := []struct {
		regex string
		want  bool
	}{
		{".*", true},
		{"(.*)", true},
		{"(?s).*", true},
		{"(?s:(.*))", true},
		{".*.*", true},
		{"(.*)?", true},
		{"(.+)?", true},
		{"|.+", true},
		{".+|", true},
		{".*|api", true},
		{`[\s\S]*`, true},
		{"^.*$", true},
		{"(?:.*)+", true},
		{".{0,}", true},
		{"(?m)^.*$", true},
		{".+", false},
		{"", false},
		{"a.*", false},
		{".*a", false},
		{"(?-s:.*)", false},
		{".{0,5}", false},
		{`\b.*`, false},
		{".*$.+", false},
		{"[^a]*", false},
	}
	for _, tt := range tests {
		t.Run(tt.regex, func(t *testing.T) {
			re, err := promrelabel.NewRegexp(tt.regex)
			if err != nil {
				t.Fatal(err)
			}
			if got := matchesEverything(re); got != tt.want {
				t.Errorf("matchesEverything(%q) = %v, want %v", tt.regex, got, tt.want)
			}
			// A regex said to match everything must match these.
			if tt.want {
				for _, s := range []string{"", "a", "\n", "a\nb", "日本", "\xff"} {
					if !re.MatchString(s) {
						t.Errorf("%q does not match %q", tt.regex, s)
					}
				}
			}
		})
	}
}

func TestAnchors(t *testing.T) {
	tests := []struct {
		name, regex       string
		leading, trailing bool
		stripped          string
	}{
		{"both", "^api$", true, true, "api"},
		{"leading", "^api", true, false, "api"},
		{"trailing", "api$", false, true, "api"},
		{"escaped dollar", `price\$`, false, false, `price\$`},
		{"escaped backslash then dollar", `a\\$`, false, true, `a\\`},
		{"class negation", "[^a]+", false, false, "[^a]+"},
		{"inner", "(a|$)b", false, false, "(a|$)b"},
		{"none", "", false, false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, tr, s := anchors(tt.regex)
			if l != tt.leading || tr != tt.trailing || s != tt.stripped {
				t.Errorf("anchors(%q) = %v, %v, %q; want %v, %v, %q", tt.regex, l, tr, s, tt.leading, tt.trailing, tt.stripped)
			}
		})
	}
}

func TestIsWholeGroup(t *testing.T) {
	tests := []struct {
		regex string
		want  bool
	}{
		{"(.*)", true},
		{"(.+)", true},
		{"^(api-.*)$", true},
		{"(?P<all>.*)", true},
		{".*", false},
		{"(.*)-x", false},
		{"(a)(b)", false},
		{"(?:(.*))", true},
		{"((a)|b)", true},
	}
	for _, tt := range tests {
		t.Run(tt.regex, func(t *testing.T) {
			if got := isWholeGroup(promrelabel.MustNewRegexp(tt.regex)); got != tt.want {
				t.Errorf("isWholeGroup(%q) = %v, want %v", tt.regex, got, tt.want)
			}
		})
	}
}
