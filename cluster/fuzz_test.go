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
//   - an error names the file and a line;
//   - a snapshot has only named objects, sorted;
//   - reading the same input twice gives the same snapshot and warnings;
//   - reading YAML lists item by item gives what converting whole
//     documents gives;
//   - a prefix of the input (a file cut short) never yields more objects,
//     kept or skipped, than the whole. A cut in the middle of a line may
//     change the last document's kind (kind: PodTemplate cut to kind: Pod,
//     or kind: List to kind: Li), which may turn an empty list into one
//     object; so that cut is allowed one object more.
func FuzzRead(f *testing.F) {
	err := filepath.WalkDir("testdata", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasPrefix(path, filepath.Join("testdata", "fuzz")) {
			return err
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
	f.Fuzz(func(t *testing.T, data []byte, cut uint32) {
		snap, count, warns, err := readBytes(data, false)
		whole, _, wholeWarns, wholeErr := readBytes(data, true)
		if (err == nil) != (wholeErr == nil) {
			t.Fatalf("reading item by item: %v; reading whole documents: %v", err, wholeErr)
		}
		if err != nil {
			if !strings.HasPrefix(err.Error(), `reading snapshot "fuzz": line `) {
				t.Fatalf("error does not name a line: %v", err)
			}
			return
		}
		for _, objs := range objectsByKind(snap) {
			for i, o := range objs {
				if o.GetName() == "" {
					t.Errorf("%T without a name", o)
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
