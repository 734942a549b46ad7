package cluster

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/runtime"
)

// fileReader reads one snapshot file into its reader.
type fileReader struct {
	*reader
	name string
	// What the file's warnings report, summed over its committed batches.
	notes
}

// notes is what warnings report: skipped objects by kind, and the count
// and first example of objects with unknown fields and of namespaced
// objects without a namespace.
type notes struct {
	skips            map[skipKey]int
	unknownFields    int
	firstUnknown     string
	noNamespace      int
	firstNoNamespace string
}

// add adds the notes of o to n.
func (n *notes) add(o notes) {
	for k, c := range o.skips {
		n.skips[k] += c
	}
	n.unknownFields += o.unknownFields
	n.firstUnknown = cmp.Or(n.firstUnknown, o.firstUnknown)
	n.noNamespace += o.noNamespace
	n.firstNoNamespace = cmp.Or(n.firstNoNamespace, o.firstNoNamespace)
}

// skipKey groups skipped objects for one warning per kind and version.
type skipKey struct {
	apiVersion, kind string
}

// batch holds what one YAML document or one top-level JSON value yields.
// It is committed only once the whole document has been read, so a
// document can be read again another way without leaving objects behind.
type batch struct {
	objects []pending
	notes
}

// pending is a decoded object waiting for its batch to be committed.
type pending struct {
	kind kind
	obj  runtime.Object
	key  objectKey
	pos  position
}

func newBatch() *batch { return &batch{notes: notes{skips: map[skipKey]int{}}} }

// position is a place in a file. Columns are only known for JSON.
type position struct {
	line, column int
}

func (p position) String() string {
	if p.column > 0 {
		return fmt.Sprintf("line %d, column %d", p.line, p.column)
	}
	return fmt.Sprintf("line %d", p.line)
}

// errorAt returns err as an error of this file at p.
func (f *fileReader) errorAt(p position, err error) error {
	return fmt.Errorf("reading snapshot %q: %v: %w", f.name, p, err)
}

// report sends the file's warnings, in a fixed order.
func (f *fileReader) report() {
	keys := make([]skipKey, 0, len(f.skips))
	for k := range f.skips {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b skipKey) int {
		if c := strings.Compare(a.kind, b.kind); c != 0 {
			return c
		}
		return strings.Compare(a.apiVersion, b.apiVersion)
	})
	for _, k := range keys {
		f.warn(fmt.Sprintf("skipping %s of kind %s (%s) in %q: %s",
			plural(f.skips[k], "object", "objects"), k.kind, k.apiVersion, f.name, whyNotRead(k.apiVersion, k.kind)))
	}
	if f.unknownFields > 0 {
		f.warn(fmt.Sprintf("%s in %q %s fields this version does not know, which are ignored (first: %s)",
			plural(f.unknownFields, "object", "objects"), f.name, hasHave(f.unknownFields), f.firstUnknown))
	}
	if f.noNamespace > 0 {
		f.warn(fmt.Sprintf("%s in %q %s no metadata.namespace and %s read with an empty namespace, not the one a cluster would give (first: %s)",
			plural(f.noNamespace, "namespaced object", "namespaced objects"), f.name, hasHave(f.noNamespace), isAre(f.noNamespace), f.firstNoNamespace))
	}
}

func hasHave(n int) string {
	if n == 1 {
		return "has"
	}
	return "have"
}

func isAre(n int) string {
	if n == 1 {
		return "is"
	}
	return "are"
}
