package cluster

import (
	"bytes"
	"cmp"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	gocmp "github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/sdinspect/sdinspect/discovery"
)

// FuzzRead feeds Read arbitrary files, told apart as YAML or JSON by their
// first character, and checks what must hold of any input:
//
//   - an error is one line and names the file and a line;
//   - a snapshot has only named objects with labels the API server
//     accepts, sorted;
//   - a snapshot round-trips: what Write writes of it reads back, without
//     warnings but about objects without a namespace, as the snapshot
//     stripped to what Write keeps, and writing that gives the same bytes;
//   - reading the same input twice gives the same snapshot and warnings;
//   - reading YAML lists item by item gives what converting whole
//     documents gives;
//   - a prefix of the input (a file cut short) never yields more objects,
//     kept or skipped, than the whole. A cut in the middle of a line may
//     change the last document's kind (kind: PodTemplate cut to kind: Pod,
//     or kind: List to kind: Li), which may turn an empty list into one
//     object; so that cut is allowed one object more.
func FuzzRead(f *testing.F) {
	for _, root := range []string{"testdata", filepath.Join("..", "testdata", "examples")} {
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || strings.HasPrefix(path, filepath.Join("testdata", "fuzz")) {
				return err
			}
			if root != "testdata" && filepath.Base(path) != "cluster.yaml" {
				return nil
			}
			data, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			f.Add(data, uint32(len(data)/2))
			return nil
		})
		if err != nil {
			f.Fatal(err)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte, cut uint32) {
		snap, count, warns, err := readBytes(data, false)
		whole, _, wholeWarns, wholeErr := readBytes(data, true)
		if (err == nil) != (wholeErr == nil) {
			t.Fatalf("reading item by item: %v; reading whole documents: %v", err, wholeErr)
		}
		if err != nil {
			if !strings.HasPrefix(err.Error(), `reading snapshot "fuzz": line `) || strings.ContainsAny(err.Error(), "\r\n") {
				t.Fatalf("error not one line naming a line: %q", err)
			}
			return
		}
		for _, objs := range objectsByKind(snap) {
			for i, o := range objs {
				if o.GetName() == "" {
					t.Errorf("%T without a name", o)
				}
				if err := checkLabels(o.GetLabels()); err != nil {
					t.Errorf("%T %s/%s: %v", o, o.GetNamespace(), o.GetName(), err)
				}
				if i > 0 && cmp.Or(strings.Compare(objs[i-1].GetNamespace(), o.GetNamespace()),
					strings.Compare(objs[i-1].GetName(), o.GetName())) >= 0 {
					t.Errorf("%T %s/%s comes after %s/%s", o, o.GetNamespace(), o.GetName(), objs[i-1].GetNamespace(), objs[i-1].GetName())
				}
			}
		}

		if diff := gocmp.Diff(whole, snap); diff != "" {
			t.Errorf("reading item by item differs from reading whole documents (-whole +items):\n%s", diff)
		}
		if diff := gocmp.Diff(wholeWarns, warns); diff != "" {
			t.Errorf("reading item by item warns differently (-whole +items):\n%s", diff)
		}

		again, countAgain, warnsAgain, err := readBytes(data, false)
		if err != nil {
			t.Fatalf("second read failed: %v", err)
		}
		if diff := gocmp.Diff(snap, again); diff != "" {
			t.Errorf("second read differs (-first +second):\n%s", diff)
		}
		if diff := gocmp.Diff(warns, warnsAgain); diff != "" || count != countAgain {
			t.Errorf("second read warns differently (-first +second):\n%s", diff)
		}

		checkRoundTrip(t, snap)

		n := int(cut % uint32(len(data)+1))
		if _, c, _, err := readBytes(data[:n], false); err == nil && c > count+1 {
			t.Errorf("input cut at byte %d yields %d objects, the whole only %d", n, c, count)
		}
		atLine := bytes.LastIndexByte(data[:n], '\n') + 1
		if _, c, _, err := readBytes(data[:atLine], false); err == nil && c > count {
			t.Errorf("input cut after line ending at byte %d yields %d objects, the whole only %d", atLine, c, count)
		}
	})
}

// checkRoundTrip writes snap, reads it back and checks that it reads as snap
// stripped, and that writing it again gives the same bytes.
func checkRoundTrip(t *testing.T, snap *discovery.Snapshot) {
	t.Helper()
	var written bytes.Buffer
	if err := Write(&written, snap); err != nil {
		t.Fatalf("Write: %v", err)
	}
	back, _, warns, err := readBytes(written.Bytes(), false)
	if err != nil {
		t.Fatalf("reading what Write wrote: %v\n%s", err, written.Bytes())
	}
	for _, w := range warns {
		if !strings.Contains(w, "no metadata.namespace") {
			t.Errorf("reading what Write wrote warns: %s", w)
		}
	}
	if diff := gocmp.Diff(stripped(t, snap), back); diff != "" {
		t.Fatalf("what Write wrote reads back otherwise (-stripped +read):\n%s", diff)
	}
	var again bytes.Buffer
	if err := Write(&again, back); err != nil {
		t.Fatalf("Write of what was read back: %v", err)
	}
	if diff := gocmp.Diff(written.String(), again.String()); diff != "" {
		t.Errorf("writing what was read back gives other bytes (-first +second):\n%s", diff)
	}
}

// readBytes reads data as a file called "fuzz" and returns the snapshot, the
// number of objects read or skipped, and the warnings. With whole, YAML
// documents are converted as a whole, never list item by list item.
func readBytes(data []byte, whole bool) (*discovery.Snapshot, int, []string, error) {
	var warns []string
	r := newReader(func(s string) { warns = append(warns, s) })
	r.wholeDocuments = whole
	if err := r.read("fuzz", bytes.NewReader(data), int64(len(data))); err != nil {
		return nil, 0, nil, err
	}
	sortSnapshot(r.snap)
	return r.snap, len(summarize(r.snap)) + r.skipped, warns, nil
}

// objectsByKind returns the slices of snap.
func objectsByKind(snap *discovery.Snapshot) [][]metav1.Object {
	return [][]metav1.Object{
		asObjects(snap.Pods), asObjects(snap.Services), asObjects(snap.Endpoints),
		asObjects(snap.EndpointSlices), asObjects(snap.Nodes), asObjects(snap.Namespaces),
		asObjects(snap.Ingresses), asObjects(snap.ReplicaSets), asObjects(snap.Jobs),
	}
}

func asObjects[T metav1.Object](objs []T) []metav1.Object {
	out := make([]metav1.Object, len(objs))
	for i, o := range objs {
		out[i] = o
	}
	return out
}
