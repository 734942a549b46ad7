package cluster

import (
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestFindList(t *testing.T) {
	t.Parallel()
	listYAML, err := os.ReadFile("testdata/list.yaml")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		doc    string
		ok     bool
		lines  []int  // where the items start
		header string // the document with an empty list for its items
		first  string // the first item
	}{
		{
			name:   "kubectl list",
			doc:    string(listYAML),
			ok:     true,
			lines:  []int{3, 18, 68, 92, 121, 147, 181, 205, 231, 265}, // grep -n "^- "
			header: "apiVersion: v1\nitems: [] #\nkind: List\nmetadata:\n  resourceVersion: \"\"\n",
			first:  strings.Join(strings.SplitAfter(string(listYAML), "\n")[2:17], ""),
		},
		{
			name:   "indented entries with comments",
			doc:    "kind: List\nitems:\n  # one\n  - a: 1\n\n    b: 2\n  # two\n  - {a: 2}\nmetadata: {}\n",
			ok:     true,
			lines:  []int{4, 8},
			header: "kind: List\nitems: [] #\n  # one\nmetadata: {}\n",
			first:  "  - a: 1\n\n    b: 2\n  # two\n",
		},
		{
			name:   "items last, without a final newline",
			doc:    "kind: List\nitems:\n- a: 1\n-\n- b",
			ok:     true,
			lines:  []int{3, 4, 5},
			header: "kind: List\nitems: [] #\n",
			first:  "- a: 1\n",
		},
		{
			name:   "empty items",
			doc:    "kind: List\nitems:\n# none\nmetadata: {}\n",
			ok:     true,
			header: "kind: List\nitems: [] #\n# none\nmetadata: {}\n",
		},
		{name: "no items", doc: "kind: Pod\nmetadata: {name: a}\n"},
		{name: "items on the key's line", doc: "kind: List\nitems: []\n"},
		{name: "items with an anchor on the key's line", doc: "kind: List\nitems: &a\n- a: 1\n"},
		{name: "items given twice", doc: "kind: List\nitems:\n- a: 1\nitems:\n- b: 1\n"},
		{name: "items is a mapping", doc: "kind: List\nitems:\n  a: 1\n"},
		{name: "document is a sequence", doc: "- kind: Pod\n- kind: Service\n"},
		{name: "entry less indented than the first", doc: "kind: List\nitems:\n  - a: 1\n - b: 1\n"},
		{name: "tab indentation", doc: "kind: List\nitems:\n- a: 1\n\tb: 2\n"},
		{name: "items:x is not the key items", doc: "kind: List\nitems:x: 1\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			doc := []byte(tt.doc)
			l, ok := findList(doc)
			if ok != tt.ok {
				t.Fatalf("findList ok = %v, want %v", ok, tt.ok)
			}
			if !ok {
				return
			}
			var lines []int
			for _, it := range l.items {
				lines = append(lines, it.line)
			}
			if diff := cmp.Diff(tt.lines, lines); diff != "" {
				t.Errorf("item lines (-want +got):\n%s", diff)
			}
			if header := string(l.header(doc)); header != tt.header {
				t.Errorf("header = %q, want %q", header, tt.header)
			}
			if len(l.items) > 0 {
				if first := string(doc[l.items[0].start:l.items[0].end]); first != tt.first {
					t.Errorf("first item = %q, want %q", first, tt.first)
				}
				if last := l.items[len(l.items)-1]; last.end != l.blockEnd {
					t.Errorf("last item ends at %d, the items at %d", last.end, l.blockEnd)
				}
			}
		})
	}
}

func TestEntryContentLine(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		entry string
		want  int
	}{
		{name: "value on the dash line", entry: "- kind: Pod\n  metadata: {}\n", want: 0},
		{name: "indented entry", entry: "  - kind: Pod\n", want: 0},
		{name: "value on the next line", entry: "-\n  kind: Pod\n", want: 1},
		{name: "indented, value on the next line", entry: "  -\n    kind: Pod\n", want: 1},
		{name: "comment after the dash", entry: "- # the pod\n\n  kind: Pod\n", want: 2},
		{name: "anchor on the dash line", entry: "- &pod\n  kind: Pod\n", want: 0},
		{name: "nothing but the dash", entry: "-\n", want: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := entryContentLine([]byte(tt.entry)); got != tt.want {
				t.Errorf("entryContentLine(%q) = %d, want %d", tt.entry, got, tt.want)
			}
		})
	}
}
