package cluster

import (
	"bufio"
	"cmp"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/yaml"

	"github.com/sdinspect/sdinspect/discovery"
)

// writeOrder is the order kinds are written in: the cluster-scoped ones
// first, then workloads and what points at them.
func writeOrder() []string {
	return []string{"Namespace", "Node", "Pod", "Service", "Endpoints", "EndpointSlice", "Ingress", "ReplicaSet", "Job"}
}

// snapshotObjects returns the objects of snap of the named kind.
func snapshotObjects(snap *discovery.Snapshot, kind string) []runtime.Object {
	switch kind {
	case "Namespace":
		return objectsOf(snap.Namespaces)
	case "Node":
		return objectsOf(snap.Nodes)
	case "Pod":
		return objectsOf(snap.Pods)
	case "Service":
		return objectsOf(snap.Services)
	case "Endpoints":
		return objectsOf(snap.Endpoints)
	case "EndpointSlice":
		return objectsOf(snap.EndpointSlices)
	case "Ingress":
		return objectsOf(snap.Ingresses)
	case "ReplicaSet":
		return objectsOf(snap.ReplicaSets)
	case "Job":
		return objectsOf(snap.Jobs)
	}
	return nil
}

// objectsOf returns the non-nil objects of s, sorted by namespace and
// name, leaving s as it is.
func objectsOf[T interface {
	runtime.Object
	metav1.Object
	comparable
}](s []T) []runtime.Object {
	var zero T
	sorted := slices.DeleteFunc(slices.Clone(s), func(o T) bool { return o == zero })
	sortObjects(sorted)
	out := make([]runtime.Object, len(sorted))
	for i, o := range sorted {
		out[i] = o
	}
	return out
}

// Write writes snap as YAML documents, one object each, that Read reads
// back (and kubectl apply -f accepts), holding only what discovery reads of
// each object (and what field selectors match on) plus its identity: no
// managedFields, resource versions, timestamps, container resources, most
// of status, nor fields at the value the API server defaults them to.
// Objects are ordered by kind, then namespace and name, and fields by name,
// so the same objects always give the same bytes. Separate documents rather
// than one List keep every line two columns shorter and let Read take one
// object at a time. snap is not modified.
func Write(w io.Writer, snap *discovery.Snapshot) error {
	if err := write(w, snap); err != nil {
		return fmt.Errorf("writing snapshot: %w", err)
	}
	return nil
}

// write is Write without the context in errors.
func write(w io.Writer, snap *discovery.Snapshot) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	n := 0
	if snap != nil {
		for _, name := range writeOrder() {
			k, _ := lookupKind(name)
			for _, o := range snapshotObjects(snap, name) {
				m, err := strip(o, k)
				if err != nil {
					return err
				}
				y, err := yaml.Marshal(m)
				if err != nil {
					return fmt.Errorf("encoding %s: %w", name, err)
				}
				bw.WriteString("---\n")
				bw.Write(y)
				n++
			}
		}
	}
	if n == 0 {
		// An empty List says there is nothing, where no document at all
		// could be a file cut short.
		bw.WriteString("apiVersion: v1\nitems:\n  []\nkind: List\n")
	}
	// Write errors stick to bw; Flush returns the first.
	return bw.Flush()
}

// WriteFile writes snap to path as Write does, through a temporary file in
// the same directory that replaces path only once it is complete, so that
// path never holds half a snapshot.
func WriteFile(path string, snap *discovery.Snapshot) (err error) {
	dir, base := filepath.Split(path)
	f, err := os.CreateTemp(cmp.Or(dir, "."), "."+base+".tmp*")
	if err != nil {
		return fmt.Errorf("writing snapshot %q: %w", path, err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if err := write(f, snap); err != nil {
		return fmt.Errorf("writing snapshot %q: %w", path, err)
	}
	if err := f.Chmod(0o644); err != nil {
		return fmt.Errorf("writing snapshot %q: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("writing snapshot %q: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("writing snapshot %q: %w", path, err)
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("writing snapshot %q: %w", path, err)
	}
	return nil
}
