package cluster

import (
	"bufio"
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/client-go/kubernetes/scheme"

	"github.com/sdinspect/sdinspect/discovery"
)

// Read loads Kubernetes objects from files and directories into one Snapshot.
//
// Each path is a file or a directory. A directory contributes the files
// directly in it whose names end in .yaml, .yml or .json, in name order;
// subdirectories are not descended into. A file holds YAML or JSON:
//
//   - a list: a v1 List as `kubectl get ... -o yaml|json` prints it, or a
//     typed list such as PodList, whose items may omit kind and apiVersion;
//   - one or more YAML documents separated by "---" lines, each an object
//     or a list, as in a manifest;
//   - one or more JSON objects or lists, or a JSON array of them.
//
// Files named .json are read as JSON, .yaml and .yml files as YAML, and
// other files by their first character ('{' or '[' is JSON).
//
// Read keeps Pod, Service, Endpoints, Node and Namespace (v1), EndpointSlice
// (discovery.k8s.io/v1), Ingress (networking.k8s.io/v1), ReplicaSet (apps/v1)
// and Job (batch/v1). Objects of any other kind or version are skipped, with
// one message to warn per file and kind; warn may be nil. Warnings also
// report fields this version does not know (they are ignored) and namespaced
// objects without a namespace (they are kept with an empty one).
//
// Objects are decoded with client-go's scheme and nothing is defaulted, so
// they reach discovery exactly as written; only their apiVersion and kind are
// filled in when a typed list leaves them out. Every slice of the result is
// sorted by namespace, then name.
//
// Read fails on the first malformed file, naming the file and the line: on
// syntax errors, binary data, fields of the wrong type, objects or list items
// without a kind or a name, labels the API server would refuse, a list
// without a kind, and an object given twice (same kind, namespace and name),
// even in two files. Files that hold objects, none of them of a kind Read
// keeps, are an error too (a ConfigMap list is not a snapshot). An empty file
// holds no objects and is not an error. Warnings are sent once every file is
// read, and not at all when Read fails. A JSON file or a kubectl list cut
// short is an error (kubectl writes a list's kind after its items); a
// manifest cut at the end of a line may still read as valid, shorter objects.
func Read(paths []string, warn func(string)) (*discovery.Snapshot, error) {
	if warn == nil {
		warn = func(string) {}
	}
	var warnings []string
	held := func(s string) { warnings = append(warnings, s) }
	r := newReader(held)
	for _, path := range paths {
		files, err := snapshotFiles(path, held)
		if err != nil {
			return nil, err
		}
		for _, name := range files {
			if err := r.readFile(name); err != nil {
				return nil, err
			}
		}
	}
	if err := r.nothingRead(paths); err != nil {
		return nil, err
	}
	for _, w := range warnings {
		warn(w)
	}
	sortSnapshot(r.snap)
	return r.snap, nil
}

// snapshotFiles returns the files path stands for: path itself, or the
// snapshot files directly in it if it is a directory.
func snapshotFiles(path string, warn func(string)) ([]string, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("reading snapshot %q: %w", path, pathErr(err))
	}
	if !info.IsDir() {
		return []string{path}, nil
	}
	entries, err := os.ReadDir(path)
	if err != nil {
		return nil, fmt.Errorf("reading snapshot directory %q: %w", path, pathErr(err))
	}
	var files []string
	subdirs := 0
	for _, e := range entries {
		if e.IsDir() {
			subdirs++
			continue
		}
		switch strings.ToLower(filepath.Ext(e.Name())) {
		case ".yaml", ".yml", ".json":
		default:
			continue
		}
		name := filepath.Join(path, e.Name())
		if e.Type()&fs.ModeSymlink != 0 {
			// A symbolic link counts as what it points to.
			fi, err := os.Stat(name)
			if err != nil {
				return nil, fmt.Errorf("reading snapshot %q: %w", name, pathErr(err))
			}
			if fi.IsDir() {
				subdirs++
				continue
			}
		}
		files = append(files, name)
	}
	if subdirs > 0 {
		warn(fmt.Sprintf("not reading %s in %q: snapshot directories are read one level deep", plural(subdirs, "subdirectory", "subdirectories"), path))
	}
	if len(files) == 0 {
		warn(fmt.Sprintf("no .yaml, .yml or .json files in snapshot directory %q", path))
	}
	return files, nil
}

// pathErr drops the path and operation from a *fs.PathError, which the
// caller already names, so that messages do not repeat the path.
func pathErr(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// reader accumulates the objects of all files of one Read call.
type reader struct {
	warn    func(string)
	decoder runtime.Decoder
	snap    *discovery.Snapshot
	// seen maps every object read so far to where it was read from, to
	// reject duplicates.
	seen map[objectKey]place
	// skipped counts objects of kinds Read does not keep, skippedKinds
	// by kind.
	skipped      int
	skippedKinds map[skipKey]int
	// wholeDocuments makes every YAML document be converted as a whole,
	// never list item by list item; tests compare the two.
	wholeDocuments bool
	intern         interner
}

func newReader(warn func(string)) *reader {
	// A strict factory's universal deserializer decodes like the default
	// one (no conversion, no defaulting) and also reports unknown and
	// duplicate fields.
	codecs := serializer.NewCodecFactory(scheme.Scheme, serializer.EnableStrict)
	return &reader{
		warn:         warn,
		decoder:      codecs.UniversalDeserializer(),
		snap:         &discovery.Snapshot{},
		seen:         map[objectKey]place{},
		skippedKinds: map[skipKey]int{},
		intern:       interner{},
	}
}

// objectKey identifies an object the way the API server does.
type objectKey struct {
	kind, namespace, name string
}

// place is where an object was read from.
type place struct {
	file string
	pos  position
}

func (p place) String() string { return fmt.Sprintf("%q %v", p.file, p.pos) }

// readFile reads one snapshot file.
func (r *reader) readFile(name string) error {
	f, err := os.Open(name)
	if err != nil {
		return fmt.Errorf("reading snapshot %q: %w", name, pathErr(err))
	}
	defer f.Close()
	var size int64
	if info, err := f.Stat(); err == nil {
		size = info.Size()
	}
	return r.read(name, f, size)
}

// read reads the snapshot file called name from src; size, if known, is
// its length in bytes.
func (r *reader) read(name string, src io.Reader, size int64) error {
	fr := &fileReader{reader: r, name: name, notes: notes{skips: map[skipKey]int{}}}
	br := bufio.NewReaderSize(src, 64<<10)
	// Peek returns less than asked, and an error, at the end of the file.
	if head, _ := br.Peek(br.Size()); len(head) > 0 {
		if line, ok := binaryLine(head); ok {
			return fr.errorAt(position{line: line}, errors.New("binary data (a NUL byte), not YAML or JSON text in UTF-8"))
		}
	}
	var err error
	if isJSON(name, br) {
		err = fr.readJSONFile(br, size)
	} else {
		err = fr.readYAML(br, size)
	}
	if err != nil {
		return err
	}
	fr.report()
	return nil
}

// isJSON reports whether a file is to be read as JSON: by its name if it
// ends in .json, .yaml or .yml, otherwise by its first character, after
// white space and a byte order mark, being '{' or '[', as kubectl decides.
// A .yaml file may hold JSON, which is YAML too; the name prevails so that
// a YAML flow mapping ("{kind: Pod, ...}") is not mistaken for JSON.
func isJSON(name string, br *bufio.Reader) bool {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".json":
		return true
	case ".yaml", ".yml":
		return false
	}
	// Peek returns less than asked, and an error, at the end of the file.
	head, _ := br.Peek(br.Size())
	head = bytes.TrimPrefix(head, []byte(utf8BOM))
	head = bytes.TrimLeft(head, " \t\r\n")
	return len(head) > 0 && (head[0] == '{' || head[0] == '[')
}

// utf8BOM is the byte order mark some editors put at the start of a file.
const utf8BOM = "\xEF\xBB\xBF"

// commit adds the objects of b to the snapshot, rejecting duplicates.
func (f *fileReader) commit(b *batch) error {
	for _, o := range b.objects {
		here := place{file: f.name, pos: o.pos}
		if first, ok := f.seen[o.key]; ok {
			return f.errorAt(o.pos, fmt.Errorf("duplicate %s %q: already read from %v", o.key.kind, displayName(o.key.namespace, o.key.name), first))
		}
		f.seen[o.key] = here
		o.kind.add(f.snap, o.obj)
	}
	for k, n := range b.skips {
		f.skipped += n
		f.skippedKinds[k] += n
	}
	f.notes.add(b.notes)
	return nil
}

// displayName formats a namespace and name as kubectl does.
func displayName(namespace, name string) string {
	if namespace == "" {
		return name
	}
	return namespace + "/" + name
}

// sortSnapshot orders every slice of snap by namespace, then name, so that
// everything computed from it is stable.
func sortSnapshot(snap *discovery.Snapshot) {
	sortObjects(snap.Pods)
	sortObjects(snap.Services)
	sortObjects(snap.Endpoints)
	sortObjects(snap.EndpointSlices)
	sortObjects(snap.Nodes)
	sortObjects(snap.Namespaces)
	sortObjects(snap.Ingresses)
	sortObjects(snap.ReplicaSets)
	sortObjects(snap.Jobs)
}

func sortObjects[T metav1.Object](objs []T) {
	slices.SortFunc(objs, func(a, b T) int {
		return cmp.Or(
			cmp.Compare(a.GetNamespace(), b.GetNamespace()),
			cmp.Compare(a.GetName(), b.GetName()),
		)
	})
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}
