package cluster

import (
	"os"
	"path/filepath"
	"testing"
	"unsafe"
)

// TestReadInternsRepeatedStrings: the same label name, label value, node
// name and image in two pods are held once.
func TestReadInternsRepeatedStrings(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "pods.yaml")
	pod := func(name string) string {
		return `---
apiVersion: v1
kind: Pod
metadata: {name: ` + name + `, namespace: shop, labels: {app.kubernetes.io/name: web}}
spec: {nodeName: node-a, containers: [{name: app, image: registry.example/web:1}]}
`
	}
	if err := os.WriteFile(path, []byte(pod("a")+pod("b")), 0o644); err != nil {
		t.Fatal(err)
	}
	snap, err := Read([]string{path}, nil)
	if err != nil {
		t.Fatal(err)
	}
	a, b := snap.Pods[0], snap.Pods[1]
	same := func(what, x, y string) {
		if x != y || unsafe.StringData(x) != unsafe.StringData(y) {
			t.Errorf("%s: %q and %q are held twice", what, x, y)
		}
	}
	keyOf := func(m map[string]string) string {
		for k := range m {
			return k
		}
		return ""
	}
	same("label name", keyOf(a.Labels), keyOf(b.Labels))
	same("label value", a.Labels["app.kubernetes.io/name"], b.Labels["app.kubernetes.io/name"])
	same("namespace", a.Namespace, b.Namespace)
	same("node name", a.Spec.NodeName, b.Spec.NodeName)
	same("image", a.Spec.Containers[0].Image, b.Spec.Containers[0].Image)
	if a.Name == b.Name {
		t.Fatal("the pods should differ in name")
	}
}
