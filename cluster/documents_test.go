package cluster

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestReadDocuments(t *testing.T) {
	t.Parallel()
	pod := func(ns, name string) string {
		return "apiVersion: v1\nkind: Pod\nmetadata: {name: " + name + ", namespace: " + ns + "}\n"
	}
	docs := []Document{
		{Name: "a.test.yml", YAML: []byte("\n\n" + pod("shop", "web-1"))},
		{Name: "a.test.yml", YAML: []byte(pod("shop", "web-0") + "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: shop}\n")},
		{Name: "b.test.yml", YAML: []byte("apiVersion: v1\nkind: Node\nmetadata: {name: n1}\n")},
	}
	var warnings []string
	snap, err := ReadDocuments(docs, func(s string) { warnings = append(warnings, s) })
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range snap.Pods {
		got = append(got, p.Kind+" "+p.Namespace+"/"+p.Name)
	}
	for _, n := range snap.Nodes {
		got = append(got, n.Kind+" "+n.Name)
	}
	// Sorted as Read sorts, kind and apiVersion as written.
	if diff := cmp.Diff([]string{"Pod shop/web-0", "Pod shop/web-1", "Node n1"}, got); diff != "" {
		t.Errorf("objects (-want +got):\n%s", diff)
	}
	if len(warnings) != 1 {
		t.Errorf("warnings = %q, want one about the ConfigMap", warnings)
	}
}

func TestReadDocumentsErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		docs []Document
		want string
	}{
		{
			name: "the line in the document",
			docs: []Document{{Name: "t.yml", YAML: []byte("\n\n\napiVersion: v1\nkind: Pod\nmetadata: {name: a, namespace: b}\nspec:\n  containers: {name: x}\n")}},
			want: `reading snapshot "t.yml": line 8: decoding Pod "b/a": json: cannot unmarshal object into Go struct field PodSpec.spec.containers of type []v1.Container`,
		},
		{
			name: "an object given in two documents",
			docs: []Document{
				{Name: "t.yml", YAML: []byte("apiVersion: v1\nkind: Pod\nmetadata: {name: a, namespace: b}\n")},
				{Name: "t.yml", YAML: []byte("\n\n\n\napiVersion: v1\nkind: Pod\nmetadata: {name: a, namespace: b}\n")},
			},
			want: `reading snapshot "t.yml": line 5: duplicate Pod "b/a": already read from "t.yml" line 1`,
		},
		{
			name: "no kind",
			docs: []Document{{Name: "t.yml", YAML: []byte("apiVersion: v1\nmetadata: {name: a}\n")}},
			want: `reading snapshot "t.yml": line 1: object has no kind`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := ReadDocuments(tt.docs, nil)
			if err == nil {
				t.Fatal("no error")
			}
			if diff := cmp.Diff(tt.want, err.Error()); diff != "" {
				t.Errorf("error (-want +got):\n%s", diff)
			}
		})
	}
}
