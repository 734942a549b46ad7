package testcluster

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"testing"

	"k8s.io/apimachinery/pkg/runtime"
	serializerjson "k8s.io/apimachinery/pkg/runtime/serializer/json"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/kubernetes/scheme"
)

// DecodeStrict decodes YAML documents into client-go's typed objects,
// refusing unknown and duplicate fields as kubectl apply does. Documents
// holding only comments are skipped.
func DecodeStrict(t testing.TB, data []byte) []runtime.Object {
	t.Helper()
	dec := serializerjson.NewSerializerWithOptions(serializerjson.DefaultMetaFactory, scheme.Scheme, scheme.Scheme,
		serializerjson.SerializerOptions{Yaml: true, Strict: true})
	r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	var objs []runtime.Object
	for {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			return objs
		}
		if err != nil {
			t.Fatal(err)
		}
		if len(bytes.TrimSpace(withoutComments(doc))) == 0 {
			continue
		}
		o, _, err := dec.Decode(doc, nil, nil)
		if err != nil {
			t.Fatalf("decoding strictly:\n%s\n%v", doc, err)
		}
		objs = append(objs, o)
	}
}

// withoutComments drops comment lines, to tell a comment-only document.
func withoutComments(doc []byte) []byte {
	var out []byte
	for line := range bytes.Lines(doc) {
		if !bytes.HasPrefix(bytes.TrimSpace(line), []byte("#")) {
			out = append(out, line...)
		}
	}
	return out
}
