// Package yamlnode holds the work on yaml.v3 node trees that both expect
// and promconfig do to a piece of YAML written inside a larger file (an
// object or a scrape config in a test file): following aliases, expanding
// them within a bound, so that the piece can be written out on its own,
// and pairing the lines of the text written out with the lines of the file.
// It is shared so that the bound against alias bombs and the line pairing
// are one and the same for both; expect may not import promconfig, so the
// code lives below both. It also places the errors of go-yaml's reader,
// which name no line, for promconfig and cluster (reader.go). It imports
// nothing of sdinspect.
package yamlnode

import (
	"fmt"

	"gopkg.in/yaml.v3"
)

// MaxAliasDepth bounds how many aliases in a row Resolve follows.
const MaxAliasDepth = 16

// Resolve follows aliases to the node they name, at most MaxAliasDepth
// of them in a row.
func Resolve(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < MaxAliasDepth; i++ {
		n = n.Alias
	}
	return n
}

// MaxExpanded bounds the nodes Expand writes out: aliases of aliases can
// make a short file stand for billions of them.
const MaxExpanded = 200_000

// ErrTooLarge is Expand's error for a tree of more than MaxExpanded nodes.
// Callers put the file and line in front of it.
var ErrTooLarge = fmt.Errorf("more than %d YAML nodes once its aliases are expanded", MaxExpanded)

// Expand returns a copy of n with every alias replaced by a copy of what it
// names, so that n can be written out on its own: the anchors may be
// elsewhere in the file. The copies keep the lines and the comments they
// were written with. Expand fails with ErrTooLarge beyond MaxExpanded
// nodes. No node of the copy is shared with n.
func Expand(n *yaml.Node) (*yaml.Node, error) {
	budget := MaxExpanded
	return expandWithin(n, &budget)
}

func expandWithin(n *yaml.Node, budget *int) (*yaml.Node, error) {
	if *budget--; *budget < 0 {
		return nil, ErrTooLarge
	}
	n = Resolve(n)
	c := *n
	c.Anchor, c.Alias = "", nil
	c.Content = make([]*yaml.Node, len(n.Content))
	for i, child := range n.Content {
		var err error
		if c.Content[i], err = expandWithin(child, budget); err != nil {
			return nil, err
		}
	}
	return &c, nil
}

// DropComments removes the comments of n and of every node under it, in
// place; it is meant for a copy made by Expand. Aliases are not followed.
func DropComments(n *yaml.Node) {
	n.HeadComment, n.LineComment, n.FootComment = "", "", ""
	for _, c := range n.Content {
		DropComments(c)
	}
}

// PairLines maps each line of written, a node parsed back from the text
// written out from orig, to the line in the file of the first node of orig
// starting on it, adding to lines. The two trees must have the same shape
// (orig with its aliases expanded); where they part, PairLines goes no
// deeper.
func PairLines(written, orig *yaml.Node, lines map[int]int) {
	if written.Kind != orig.Kind || len(written.Content) != len(orig.Content) {
		return
	}
	if _, seen := lines[written.Line]; !seen {
		lines[written.Line] = orig.Line
	}
	for i := range written.Content {
		PairLines(written.Content[i], orig.Content[i], lines)
	}
}
