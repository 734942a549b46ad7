package yamlnode_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"gopkg.in/yaml.v3"

	"github.com/sdinspect/sdinspect/internal/yamlnode"
)

// parse returns the top node of the YAML document text.
func parse(t *testing.T, text string) *yaml.Node {
	t.Helper()
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(text), &doc); err != nil {
		t.Fatal(err)
	}
	return doc.Content[0]
}

func TestResolve(t *testing.T) {
	t.Parallel()
	target := &yaml.Node{Kind: yaml.ScalarNode, Value: "x"}
	chain := func(n int) *yaml.Node {
		node := target
		for range n {
			node = &yaml.Node{Kind: yaml.AliasNode, Alias: node}
		}
		return node
	}
	tests := []struct {
		name string
		n    *yaml.Node
		want *yaml.Node
	}{
		{"nil", nil, nil},
		{"no alias", target, target},
		{"one alias", chain(1), target},
		{"as many aliases as allowed", chain(yamlnode.MaxAliasDepth), target},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := yamlnode.Resolve(tt.n); got != tt.want {
				t.Errorf("Resolve = %v, want %v", got, tt.want)
			}
		})
	}
	t.Run("one alias too many", func(t *testing.T) {
		t.Parallel()
		if got := yamlnode.Resolve(chain(yamlnode.MaxAliasDepth + 1)); got.Kind != yaml.AliasNode || got.Alias != target {
			t.Errorf("Resolve = %+v, want the last alias, naming the scalar", got)
		}
	})
}

func TestExpand(t *testing.T) {
	t.Parallel()
	const text = `defs:
  - &l {a: 1} # the labels
  - &s x
use:
  labels: *l
  # head
  list: [*s, *s]
`
	orig := parse(t, text)
	c, err := yamlnode.Expand(orig)
	if err != nil {
		t.Fatal(err)
	}
	out, err := yaml.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	const want = `defs:
    - {a: 1} # the labels
    - x
use:
    labels: {a: 1} # the labels
    # head
    list: [x, x]
`
	if diff := cmp.Diff(want, string(out)); diff != "" {
		t.Errorf("written out (-want +got):\n%s", diff)
	}
	labels := c.Content[3].Content[1]
	if labels.Kind != yaml.MappingNode || labels.Line != 2 {
		t.Errorf("labels: kind %v at line %d, want the mapping of line 2", labels.Kind, labels.Line)
	}
	yamlnode.DropComments(c)
	if out, err = yaml.Marshal(c); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(out), "#") {
		t.Errorf("comments left after DropComments:\n%s", out)
	}
	if again, _ := yaml.Marshal(orig); !strings.Contains(string(again), "# the labels") {
		t.Errorf("DropComments on the copy changed the original:\n%s", again)
	}
}

// TestExpandBudget counts nodes as written out: an alias costs the nodes
// of what it names, every time.
func TestExpandBudget(t *testing.T) {
	t.Parallel()
	// A list of n items, each (an alias of) the same list of m scalars, is
	// 1 + n*(m+1) nodes; with m = 0 the item is a scalar, 1 + n nodes.
	repeated := func(n, m int) string {
		item := "x"
		if m > 0 {
			item = "[" + strings.TrimSuffix(strings.Repeat("x, ", m), ", ") + "]"
		}
		return "- &a " + item + "\n" + strings.Repeat("- *a\n", n-1)
	}
	level := "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
	for c := 'b'; c <= 'i'; c++ {
		p := string(c - 1)
		level += fmt.Sprintf("%c: &%c [%s]\n", c, c, strings.TrimSuffix(strings.Repeat("*"+p+", ", 10), ", "))
	}
	tests := []struct {
		name      string
		text      string
		wantItems int
		wantErr   error
	}{
		{"exactly the budget", repeated(yamlnode.MaxExpanded-1, 0), yamlnode.MaxExpanded - 1, nil},
		{"one node over", repeated(yamlnode.MaxExpanded, 0), 0, yamlnode.ErrTooLarge},
		{"aliases of lists within", repeated(19_999, 9), 19_999, nil},
		{"aliases of lists over", repeated(20_000, 9), 0, yamlnode.ErrTooLarge},
		{"a billion nodes in nine lines", level, 0, yamlnode.ErrTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			start := time.Now()
			c, err := yamlnode.Expand(parse(t, tt.text))
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("error %v, want %v", err, tt.wantErr)
			}
			if err == nil && len(c.Content) != tt.wantItems {
				t.Errorf("%d items, want %d", len(c.Content), tt.wantItems)
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("took %v", d)
			}
		})
	}
	if got := yamlnode.ErrTooLarge.Error(); got != "more than 200000 YAML nodes once its aliases are expanded" {
		t.Errorf("ErrTooLarge says %q", got)
	}
}

// TestPairLines writes a tree out in another layout and pairs the lines
// back, as callers do to name lines of the user's file in messages.
func TestPairLines(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		orig    string
		written string
		want    map[int]int
	}{
		{
			name:    "flow style written in block style",
			orig:    "\n\njob: {name: a,\n  rules: [x, y]}\nafter: z\n",
			written: "job:\n    name: a\n    rules:\n        - x\n        - y\nafter: z\n",
			want:    map[int]int{1: 3, 2: 3, 3: 4, 4: 4, 5: 4, 6: 5},
		},
		{
			name:    "the first node on a line wins",
			orig:    "a: 1\nb: 2\n",
			written: "{a: 1, b: 2}\n",
			want:    map[int]int{1: 1},
		},
		{
			name:    "no deeper where the shapes part",
			orig:    "a: [x]\nb:\n  - y\n",
			written: "a: [x, extra]\nb:\n  - y\n",
			want:    map[int]int{1: 1, 2: 2, 3: 3},
		},
		{
			name:    "nothing where the top differs",
			orig:    "[a]\n",
			written: "a: b\n",
			want:    map[int]int{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := map[int]int{}
			yamlnode.PairLines(parse(t, tt.written), parse(t, tt.orig), got)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("lines (-want +got):\n%s", diff)
			}
		})
	}
}
