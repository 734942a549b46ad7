package cluster

import (
	"bufio"
	"bytes"

	"github.com/sdinspect/sdinspect/discovery"
)

// Document is YAML text holding Kubernetes objects that is not a file of
// its own, such as a manifest written inline in a test file. Name stands for
// it in messages, where a file's name would.
type Document struct {
	Name string
	YAML []byte
}

// ReadDocuments is Read for documents held in memory: each is read as a
// .yaml file would be (objects or lists, "---" separated), keeping the same
// kinds, with the same warnings, and failing on the same errors, which name
// the document and the line in it. An object given twice, in one document
// or two, is an error.
func ReadDocuments(docs []Document, warn func(string)) (*discovery.Snapshot, error) {
	if warn == nil {
		warn = func(string) {}
	}
	r := newReader(warn)
	for _, d := range docs {
		fr := &fileReader{reader: r, name: d.Name, notes: notes{skips: map[skipKey]int{}}}
		br := bufio.NewReader(bytes.NewReader(d.YAML))
		if err := fr.readYAML(br, int64(len(d.YAML))); err != nil {
			return nil, err
		}
		fr.report()
	}
	sortSnapshot(r.snap)
	return r.snap, nil
}
